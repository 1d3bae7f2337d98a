"""What each integration chooses to write, per key mode and per environment."""

from __future__ import annotations

import json
import os
import stat

import pytest

from bytespike_cli import integrations
from bytespike_cli.errors import UsageError
from bytespike_cli.formats import open_document
from bytespike_cli.integrations.base import Delete, Set, is_bytespike_command, profile_from_args
from bytespike_cli.integrations.codex import Codex, parse_version

from .helpers import DEEPSEEK, GPT, GPT_MINI, HAIKU, KEY, SONNET, make_request, validate


def sets(plan) -> dict:
    return {e.path: e.value for f in plan.files for e in f.edits if isinstance(e, Set)}


def deletes(plan) -> set:
    return {e.path for f in plan.files for e in f.edits if isinstance(e, Delete)}


# -- Claude Code ------------------------------------------------------------------------------------
def test_claude_code_helper_mode(isolated_home):
    plan = integrations.get("claude-code").plan(make_request())
    values = sets(plan)
    assert values[("apiKeyHelper",)] == "/opt/bytespike/bin/bytespike print-key --profile default"
    assert values[("env", "ANTHROPIC_BASE_URL")] == "https://llm.bytespike.ai"
    assert values[("model",)] == "claude-sonnet-4-6"
    assert ("env", "ANTHROPIC_AUTH_TOKEN") in deletes(plan) and ("env", "ANTHROPIC_API_KEY") in deletes(plan)
    assert not any(p[-1] in ("ANTHROPIC_API_KEY", "ANTHROPIC_SMALL_FAST_MODEL", "ANTHROPIC_MODEL") for p in values)
    assert plan.files[0].secret is False and plan.secrets == ()


def test_claude_code_inline_mode_writes_token_only_and_0600(isolated_home, engine):
    tool = integrations.get("claude-code")
    plan = tool.plan(make_request(key_mode="inline"))
    values = sets(plan)
    assert values[("env", "ANTHROPIC_AUTH_TOKEN")] == KEY
    assert ("apiKeyHelper",) not in values and ("apiKeyHelper",) in deletes(plan)
    assert plan.files[0].secret and plan.secrets == (KEY,)
    engine.apply(tool, plan)
    path = tool.settings_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    validate(json.loads(path.read_text()), "claude-code-settings.json")
    # switching back to the helper removes the token bytespike wrote (never both)
    engine.apply(tool, tool.plan(make_request()))
    env = json.loads(path.read_text())["env"]
    assert "ANTHROPIC_AUTH_TOKEN" not in env and "apiKeyHelper" in json.loads(path.read_text())


def test_claude_code_env_mode_writes_no_credential_and_says_what_to_export(isolated_home):
    plan = integrations.get("claude-code").plan(make_request(key_mode="env"))
    values = sets(plan)
    assert ("apiKeyHelper",) not in values and ("env", "ANTHROPIC_AUTH_TOKEN") not in values
    assert any("export ANTHROPIC_AUTH_TOKEN" in n for n in plan.notes)


def test_claude_code_warns_about_competing_credentials(isolated_home, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-users-own")
    path = isolated_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text('{"env": {"ANTHROPIC_API_KEY": "sk-ant-in-file"}}')
    plan = integrations.get("claude-code").plan(make_request())
    assert any("ANTHROPIC_API_KEY is set in your environment" in w for w in plan.warnings)
    assert any("sets env.ANTHROPIC_API_KEY" in w for w in plan.warnings)


def test_claude_code_context_window_for_non_claude_models(isolated_home):
    values = sets(integrations.get("claude-code").plan(make_request(chat=(DEEPSEEK,))))
    assert values[("env", "CLAUDE_CODE_MAX_CONTEXT_TOKENS")] == "64000"
    values = sets(integrations.get("claude-code").plan(make_request(chat=(SONNET, GPT))))
    assert ("env", "CLAUDE_CODE_MAX_CONTEXT_TOKENS") not in values
    assert values[("env", "ANTHROPIC_DEFAULT_OPUS_MODEL")] == "gpt-5-5"


def test_claude_config_dir_is_honoured(isolated_home, monkeypatch):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(isolated_home / "elsewhere"))
    assert integrations.get("claude-code").files() == (isolated_home / "elsewhere" / "settings.json",)


def test_claude_code_detects_profile_from_helper(isolated_home):
    path = isolated_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"apiKeyHelper": "'/opt/my tools/bytespike' print-key --profile work"}))
    detection = integrations.get("claude-code").detect()
    assert detection.configured and detection.profile == "work"


# -- Codex ------------------------------------------------------------------------------------------
def fake_codex(tmp_path, monkeypatch, version: str):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    exe = bin_dir / "codex"
    exe.write_text(f"#!/bin/sh\necho 'codex-cli {version}'\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


def test_codex_old_version_falls_back_to_env_key(isolated_home, tmp_path, monkeypatch):
    fake_codex(tmp_path, monkeypatch, "0.117.2")
    tool = Codex()
    assert tool.version() == (0, 117, 2)
    plan = tool.plan(make_request(chat=(GPT,), fast=GPT_MINI))
    values = sets(plan)
    assert values[("model_providers", "bytespike", "env_key")] == "BYTESPIKE_API_KEY"
    assert ("model_providers", "bytespike", "auth") not in values
    assert ("model_providers", "bytespike", "auth") in deletes(plan)
    assert any("0.117.2 ignores" in w for w in plan.warnings)
    assert tool.detect().installed


def test_codex_new_version_uses_auth_command(isolated_home, tmp_path, monkeypatch):
    fake_codex(tmp_path, monkeypatch, "0.150.0")
    values = sets(Codex().plan(make_request(chat=(GPT,), fast=GPT_MINI)))
    assert values[("model_providers", "bytespike", "auth")]["command"] == "/opt/bytespike/bin/bytespike"
    assert ("model_context_window",) not in values  # a gpt slug Codex knows


def test_codex_inline_mode_is_secret_and_exclusive(isolated_home, engine):
    tool = Codex()
    engine.apply(tool, tool.plan(make_request(chat=(GPT,))))
    plan = tool.plan(make_request(chat=(GPT,), key_mode="inline"))
    engine.apply(tool, plan)
    data = open_document("toml", tool.config_path().read_text(), "c").data
    provider = data["model_providers"]["bytespike"]
    assert provider["experimental_bearer_token"] == KEY and "auth" not in provider and "env_key" not in provider
    assert stat.S_IMODE(os.stat(tool.config_path()).st_mode) == 0o600


def test_codex_context_window_for_gateway_ids(isolated_home):
    values = sets(Codex().plan(make_request(chat=(SONNET,), fast=HAIKU)))
    assert values[("model_context_window",)] == 200000


def test_codex_home_is_honoured_and_user_profile_warned(isolated_home, monkeypatch):
    monkeypatch.setenv("CODEX_HOME", str(isolated_home / "cx"))
    tool = Codex()
    assert tool.files() == (isolated_home / "cx" / "config.toml",)
    (isolated_home / "cx").mkdir()
    (isolated_home / "cx" / "config.toml").write_text('profile = "mine"\n')
    assert any("selects profile 'mine'" in w for w in tool.plan(make_request(chat=(GPT,))).warnings)


@pytest.mark.parametrize("text, expected", [("codex-cli 0.118.0", (0, 118, 0)), ("garbage", None)])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


# -- Zed --------------------------------------------------------------------------------------------
def test_zed_only_offers_env(isolated_home):
    tool = integrations.get("zed")
    for mode in ("helper", "inline"):
        with pytest.raises(UsageError) as info:
            tool.plan(make_request(key_mode=mode))
        assert "--key-mode env" in info.value.hint
    plan = tool.plan(make_request())
    assert any("BYTESPIKE_API_KEY" in n for n in plan.notes)
    assert KEY not in repr(sets(plan))


def test_zed_settings_path_follows_xdg_and_flatpak(isolated_home, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(isolated_home / "xdg"))
    if os.name != "nt" and os.uname().sysname != "Darwin":
        assert integrations.get("zed").files() == (isolated_home / "xdg" / "zed" / "settings.json",)
    monkeypatch.setenv("FLATPAK_XDG_CONFIG_HOME", str(isolated_home / "flat"))
    assert integrations.get("zed").files() == (isolated_home / "flat" / "zed" / "settings.json",)


def test_zed_without_fast_model_leaves_fast_slots(isolated_home):
    plan = integrations.get("zed").plan(make_request(fast=None))
    assert ("agent", "thread_summary_model") not in sets(plan)
    assert [m["name"] for m in sets(plan)[("language_models", "openai_compatible", "bytespike",
                                            "available_models")]] == ["claude-sonnet-4-6"]


# -- shared helpers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command, expected",
    [("/usr/bin/bytespike print-key", True), ("bytespike.exe print-key", True),
     ("'/a b/bytespike' print-key", True), ("cat ~/.key", False), (None, False)],
)
def test_is_bytespike_command(command, expected):
    assert is_bytespike_command(command) is expected


def test_profile_from_args():
    assert profile_from_args(["print-key", "--profile", "work"]) == "work"
    assert profile_from_args("bytespike print-key --profile=home") == "home"
    assert profile_from_args(["print-key"]) is None


def test_copied_schemas_match_shared_when_present():
    from pathlib import Path

    shared = Path(__file__).resolve().parents[3] / "shared" / "schemas"
    if not shared.is_dir():
        pytest.skip("../shared/schemas is not beside the repository")
    from .helpers import SCHEMAS

    for copy in SCHEMAS.glob("*.json"):
        assert copy.read_bytes() == (shared / copy.name).read_bytes(), copy.name


# -- Aider ------------------------------------------------------------------------------------------
def test_aider_inline_key_goes_to_a_private_env_file_not_the_yaml(isolated_home, engine):
    from bytespike_cli.integrations.aider import Aider

    tool = Aider()
    plan = tool.plan(make_request(key_mode="inline"))
    engine.apply(tool, plan)
    conf = tool.conf_path().read_text()
    assert KEY not in conf and f"env-file: {tool.env_file()}" in conf
    assert tool.env_file().read_text() == f"OPENAI_API_KEY={KEY}\n"
    assert stat.S_IMODE(os.stat(tool.env_file()).st_mode) == 0o600
    validate(open_document("yaml", conf, "c").data, "aider-conf-0.82.json")
    # back to env mode: our env-file line goes, the file with the key too on remove
    engine.apply(tool, tool.plan(make_request()))
    assert "env-file" not in tool.conf_path().read_text()
    engine.remove(tool)
    assert not tool.env_file().exists() and not tool.conf_path().exists()


def test_aider_helper_mode_is_refused(isolated_home):
    with pytest.raises(UsageError):
        integrations.get("aider").plan(make_request(key_mode="helper"))


def test_aider_keeps_users_model_settings_entries(isolated_home, engine):
    from bytespike_cli.integrations.aider import Aider

    tool = Aider()
    tool.settings_path().write_text("# mine\n- name: ollama/llama3\n  edit_format: whole\n")
    engine.apply(tool, tool.plan(make_request()))
    entries = open_document("yaml", tool.settings_path().read_text(), "s").data
    assert entries[0] == {"name": "ollama/llama3", "edit_format": "whole"} and len(entries) == 3
    engine.remove(tool)
    assert tool.settings_path().read_text() == "# mine\n- name: ollama/llama3\n  edit_format: whole\n"


# -- Continue ---------------------------------------------------------------------------------------
def test_continue_refuses_to_shadow_a_legacy_config_json(isolated_home):
    folder = isolated_home / ".continue"
    folder.mkdir()
    (folder / "config.json").write_text('{"models": []}')
    with pytest.raises(UsageError) as info:
        integrations.get("continue").plan(make_request())
    assert "config.json" in info.value.message


def test_continue_inline_and_changed_model_choice(isolated_home, engine):
    tool = integrations.get("continue")
    engine.apply(tool, tool.plan(make_request(chat=(SONNET,), fast=HAIKU)))
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=HAIKU, key_mode="inline")))
    data = open_document("yaml", tool.yaml_path().read_text(), "c").data
    names = [m["name"] for m in data["models"]]
    assert names == ["claude-haiku-4-5 (ByteSpike fast)", "gpt-5-5 (ByteSpike)"]  # the old sonnet entry went
    assert all(m["apiKey"] == KEY for m in data["models"])
    assert stat.S_IMODE(os.stat(tool.yaml_path()).st_mode) == 0o600
    validate(data, "continue-config-yaml.json")


def test_continue_global_dir_override(isolated_home, monkeypatch):
    monkeypatch.setenv("CONTINUE_GLOBAL_DIR", str(isolated_home / "cg"))
    assert integrations.get("continue").files()[0] == isolated_home / "cg" / "config.yaml"
