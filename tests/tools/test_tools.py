"""What each integration chooses to write, per key mode and per environment."""

from __future__ import annotations

import json
import os
import stat

import pytest


from bytespike_cli import tools as registry
from bytespike_cli.errors import UsageError
from bytespike_cli.formats import open_document
from bytespike_cli.tools.base import Delete, Set, is_bytespike_command, profile_from_args
from bytespike_cli.tools.codex import Codex, parse_version
from bytespike_cli.setup.engine import NameCollision

from .helpers import DEEPSEEK, GPT, GPT_MINI, HAIKU, KEY, SONNET, make_request, validate


def sets(plan) -> dict:
    return {e.path: e.value for f in plan.files for e in f.edits if isinstance(e, Set)}


def deletes(plan) -> set:
    return {e.path for f in plan.files for e in f.edits if isinstance(e, Delete)}


# -- Claude Code ------------------------------------------------------------------------------------
def test_claude_code_helper_mode(isolated_home):
    plan = registry.get("claude-code").plan(make_request())
    values = sets(plan)
    assert values[("apiKeyHelper",)] == "/opt/bytespike/bin/bytespike print-key --profile default"
    assert values[("env", "ANTHROPIC_BASE_URL")] == "https://llm.bytespike.ai"
    assert values[("model",)] == "claude-sonnet-4-6"
    assert ("env", "ANTHROPIC_AUTH_TOKEN") in deletes(plan) and ("env", "ANTHROPIC_API_KEY") in deletes(plan)
    assert not any(p[-1] in ("ANTHROPIC_API_KEY", "ANTHROPIC_SMALL_FAST_MODEL", "ANTHROPIC_MODEL") for p in values)
    assert plan.files[0].secret is False and plan.secrets == ()


def test_claude_code_inline_mode_writes_token_only_and_0600(isolated_home, engine):
    tool = registry.get("claude-code")
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
    plan = registry.get("claude-code").plan(make_request(key_mode="env"))
    values = sets(plan)
    assert ("apiKeyHelper",) not in values and ("env", "ANTHROPIC_AUTH_TOKEN") not in values
    assert any("export ANTHROPIC_AUTH_TOKEN" in n for n in plan.notes)


def test_claude_code_warns_about_competing_credentials(isolated_home, monkeypatch, engine):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-users-own")
    path = isolated_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text('{"env": {"ANTHROPIC_API_KEY": "sk-ant-in-file"}}')
    plan = registry.get("claude-code").plan(make_request())
    assert any("ANTHROPIC_API_KEY is set in your environment" in w for w in plan.warnings)
    said = plan.warnings + tuple(w for c in engine.changes(plan) for w in c.warnings)
    # one message about the variable in the file, not two (review P8)
    assert [w for w in said if "env.ANTHROPIC_API_KEY" in w] == [
        f"{path}: takes out your env.ANTHROPIC_API_KEY (Claude Code would send it to ByteSpike instead of your "
        "ByteSpike key); `--remove` or `bytespike undo` puts it back"]


USERS_ANTHROPIC_KEY = '{\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-ant-user-secret-123"\n  }\n}\n'


@pytest.mark.parametrize("mode", [None, "env"])
def test_claude_code_takes_the_users_token_variables_out_and_remove_puts_them_back(isolated_home, engine, mode):
    """Review B1: ANTHROPIC_API_KEY/AUTH_TOKEN in settings.json outrank apiKeyHelper, so they must go."""
    tool = registry.get("claude-code")
    path = tool.settings_path()
    path.parent.mkdir()
    original = ('{\n  "env": {\n    "ANTHROPIC_AUTH_TOKEN": "sk-ant-oat-user-token-456",\n'
                '    "ANTHROPIC_API_KEY": "sk-ant-user-secret-123",\n    "DISABLE_TELEMETRY": "1"\n  }\n}\n')
    path.write_text(original)
    result = engine.apply(tool, tool.plan(make_request(key_mode=mode)))
    env = json.loads(path.read_text())["env"]
    assert "ANTHROPIC_API_KEY" not in env and "ANTHROPIC_AUTH_TOKEN" not in env
    assert env["DISABLE_TELEMETRY"] == "1"
    assert sum("takes out your env.ANTHROPIC_" in w for w in result.warnings) == 2
    engine.remove(tool)
    assert path.read_text() == original  # back in their places, as they were written
    engine.apply(tool, tool.plan(make_request(key_mode=mode)))
    engine.undo()
    assert path.read_text() == original


def test_claude_code_inline_mode_never_leaves_both_token_variables(isolated_home, engine):
    tool = registry.get("claude-code")
    path = tool.settings_path()
    path.parent.mkdir()
    path.write_text('{\n  "apiKeyHelper": "~/bin/anthropic-key",\n'
                    '  "env": {\n    "ANTHROPIC_API_KEY": "sk-ant-user-secret-123"\n  }\n}\n')
    result = engine.apply(tool, tool.plan(make_request(key_mode="inline")))
    data = json.loads(path.read_text())
    assert data["env"]["ANTHROPIC_AUTH_TOKEN"] == KEY and "ANTHROPIC_API_KEY" not in data["env"]
    assert "apiKeyHelper" not in data  # the token would win over the user's helper anyway
    assert any("takes out your apiKeyHelper" in w for w in result.warnings)
    engine.remove(tool)
    assert json.loads(path.read_text()) == {"apiKeyHelper": "~/bin/anthropic-key",
                                             "env": {"ANTHROPIC_API_KEY": "sk-ant-user-secret-123"}}


def test_claude_code_the_repro_file_round_trips_byte_for_byte(isolated_home, engine):
    tool = registry.get("claude-code")
    path = tool.settings_path()
    path.parent.mkdir()
    path.write_text(USERS_ANTHROPIC_KEY)
    engine.apply(tool, tool.plan(make_request()))
    assert "sk-ant-" not in path.read_text()
    engine.remove(tool)
    assert path.read_text() == USERS_ANTHROPIC_KEY


@pytest.mark.parametrize("text, line", [
    ('{\n  // comment\n  "env": {"A": "1",},\n}\n', 2),
    ('{\n  "model": "opus",\n  "env": {"A": "1",}\n}\n', 3),
])
def test_claude_code_refuses_a_file_claude_code_cannot_read(isolated_home, engine, text, line):
    """Review B8: Claude Code reads settings.json as strict JSON; writing into such a file does nothing."""
    from bytespike_cli.errors import ConfigFileError

    tool = registry.get("claude-code")
    path = tool.settings_path()
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(ConfigFileError) as info:
        engine.apply(tool, tool.plan(make_request()))
    assert info.value.line == line and info.value.message.startswith(f"{path}:{line}:")
    assert "strict JSON" in info.value.message
    assert path.read_text() == text and engine.load_journal()["history"] == []


def test_claude_code_context_window_for_non_claude_models(isolated_home):
    values = sets(registry.get("claude-code").plan(make_request(chat=(DEEPSEEK,))))
    assert values[("env", "CLAUDE_CODE_MAX_CONTEXT_TOKENS")] == "64000"
    values = sets(registry.get("claude-code").plan(make_request(chat=(SONNET, GPT))))
    assert ("env", "CLAUDE_CODE_MAX_CONTEXT_TOKENS") not in values
    assert values[("env", "ANTHROPIC_DEFAULT_OPUS_MODEL")] == "gpt-5-5"


def test_claude_config_dir_is_honoured(isolated_home, monkeypatch):
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(isolated_home / "elsewhere"))
    assert registry.get("claude-code").files() == (isolated_home / "elsewhere" / "settings.json",)


def test_claude_code_detects_profile_from_helper(isolated_home):
    path = isolated_home / ".claude" / "settings.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"apiKeyHelper": "'/opt/my tools/bytespike' print-key --profile work"}))
    detection = registry.get("claude-code").detect()
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


def test_codex_home_is_honoured_and_user_profile_warned(isolated_home, tmp_path, monkeypatch):
    fake_codex(tmp_path, monkeypatch, "0.133.0")  # the last release that reads a default profile
    monkeypatch.setenv("CODEX_HOME", str(isolated_home / "cx"))
    tool = Codex()
    assert tool.files() == (isolated_home / "cx" / "config.toml", isolated_home / "cx" / "bytespike-fast.config.toml")
    (isolated_home / "cx").mkdir()
    (isolated_home / "cx" / "config.toml").write_text('profile = "mine"\n[profiles.mine]\nmodel_provider = "azure"\n')
    assert any("selects profile 'mine'" in w and "model_provider = 'azure'" in w
               for w in tool.plan(make_request(chat=(GPT,))).warnings)


@pytest.mark.parametrize("profile, expected", [
    ('[profiles.work]\nmodel = "gpt-5"\n', "Codex will ask ByteSpike for 'gpt-5' instead of 'gpt-5-5'"),
    ('[profiles.work]\nmodel_provider = "openai"\nmodel = "gpt-5"\n', "model_provider = 'openai'"),
    ('[profiles.work]\napproval_policy = "never"\n', None),
    ("", "not defined there"),
])
def test_codex_default_profile_warning_names_what_overrides_ours(isolated_home, tmp_path, monkeypatch, profile,
                                                                 expected):
    """Review P7: a default profile that sets only `model` sends its model to ByteSpike (Codex < 0.134)."""
    fake_codex(tmp_path, monkeypatch, "0.133.0")
    tool = Codex()
    tool.config_path().parent.mkdir()
    tool.config_path().write_text('profile = "work"\n' + profile)
    warnings = [w for w in tool.plan(make_request(chat=(GPT,))).warnings if "selects profile" in w]
    if expected is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and expected in warnings[0]


@pytest.mark.parametrize("text, expected", [("codex-cli 0.118.0", (0, 118, 0)), ("garbage", None)])
def test_parse_version(text, expected):
    assert parse_version(text) == expected


# -- Zed --------------------------------------------------------------------------------------------
def test_zed_only_offers_env(isolated_home):
    tool = registry.get("zed")
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
        assert registry.get("zed").files() == (isolated_home / "xdg" / "zed" / "settings.json",)
    monkeypatch.setenv("FLATPAK_XDG_CONFIG_HOME", str(isolated_home / "flat"))
    assert registry.get("zed").files() == (isolated_home / "flat" / "zed" / "settings.json",)


def test_zed_without_fast_model_leaves_fast_slots(isolated_home):
    plan = registry.get("zed").plan(make_request(fast=None))
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
        if copy.name in FROM_THE_TOOLS:
            continue
        assert copy.read_bytes() == (shared / copy.name).read_bytes(), copy.name


# schemas taken from the tools themselves (tests/tools/schemas/README.md says how), not copies of ../shared
FROM_THE_TOOLS = {"opencode-config-1.18.33.json", "kilo-config-7.7.7.json", "crush.json"}


# -- Aider ------------------------------------------------------------------------------------------
def test_aider_inline_key_goes_to_a_private_env_file_not_the_yaml(isolated_home, engine):
    from bytespike_cli.tools.aider import Aider

    tool = Aider()
    plan = tool.plan(make_request(key_mode="inline"))
    engine.apply(tool, plan)
    conf = tool.conf_path().read_text()
    assert KEY not in conf and f"env-file: {tool.env_file()}" in conf
    assert tool.env_file().read_text() == f"AIDER_OPENAI_API_KEY={KEY}\n"
    assert stat.S_IMODE(os.stat(tool.env_file()).st_mode) == 0o600
    validate(open_document("yaml", conf, "c").data, "aider-conf-0.82.json")
    # back to env mode: our env-file line goes, the file with the key too on remove
    engine.apply(tool, tool.plan(make_request(key_mode="env")))
    assert "env-file" not in tool.conf_path().read_text()
    engine.remove(tool)
    assert not tool.env_file().exists() and not tool.conf_path().exists()


def test_aider_helper_mode_is_refused(isolated_home):
    with pytest.raises(UsageError):
        registry.get("aider").plan(make_request(key_mode="helper"))


def test_aider_keeps_users_model_settings_entries(isolated_home, engine):
    from bytespike_cli.tools.aider import Aider

    tool = Aider()
    tool.settings_path().write_text("# mine\n- name: ollama/llama3\n  edit_format: whole\n")
    engine.apply(tool, tool.plan(make_request()))
    entries = open_document("yaml", tool.settings_path().read_text(), "s").data
    assert entries[0] == {"name": "ollama/llama3", "edit_format": "whole"} and len(entries) == 3
    engine.remove(tool)
    assert tool.settings_path().read_text() == "# mine\n- name: ollama/llama3\n  edit_format: whole\n"


# -- Continue ---------------------------------------------------------------------------------------
LEGACY_CONTINUE = """\
{
  // my models
  "models": [
    {"title": "GPT-4", "provider": "openai", "model": "gpt-4", "apiKey": "sk-x"},
  ],
}
"""


def test_continue_edits_a_legacy_config_json_when_that_is_what_the_user_has(isolated_home, engine):
    """Review B4: config.json only (no config.yaml) is edited in place, never shadowed by a new config.yaml."""
    folder = isolated_home / ".continue"
    folder.mkdir()
    path = folder / "config.json"
    path.write_text(LEGACY_CONTINUE)
    os.chmod(path, 0o644)
    tool = registry.get("continue")
    assert tool.files() == (path,)
    plan = tool.plan(make_request(chat=(GPT,), fast=GPT_MINI))
    assert plan.key_mode == "inline" and any("legacy" in n for n in plan.notes)
    engine.apply(tool, plan)
    text = path.read_text()
    assert text.startswith('{\n  // my models\n  "models": [\n    {"title": "GPT-4", "provider": "openai", '
                           '"model": "gpt-4", "apiKey": "sk-x"},\n')
    assert not tool.yaml_path().exists() and not tool.env_path().exists()
    data = open_document("jsonc", text, path).data
    assert [m["title"] for m in data["models"]] == ["GPT-4", "gpt-5-5 (ByteSpike)", "gpt-5-4-mini (ByteSpike fast)"]
    ours = data["models"][1]
    assert ours["apiBase"] == "https://llm.bytespike.ai/v1" and ours["apiKey"] == KEY
    assert ours["contextLength"] == 128000 and ours["completionOptions"] == {"maxTokens": 16384}
    validate(data, "continue-config-json.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert tool.detect().configured
    assert engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI))).written == ()
    engine.remove(tool)
    assert path.read_text() == LEGACY_CONTINUE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644  # no key of ours in it any more
    with pytest.raises(UsageError) as info:
        tool.plan(make_request(key_mode="env"))
    assert "--key-mode inline" in info.value.hint


def test_continue_stale_entries_go_whatever_the_gateway_url(isolated_home, engine):
    """Review B5: a base URL from BYTESPIKE_BASE_URL is no profile's; our name marker still finds our entries."""
    tool = registry.get("continue")
    local = "http://127.0.0.1:44127"
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=HAIKU, base_url=local)))
    engine.apply(tool, tool.plan(make_request(chat=(SONNET,), fast=HAIKU, base_url=local)))
    names = [m["name"] for m in open_document("yaml", tool.yaml_path().read_text(), "c").data["models"]]
    assert names == ["claude-sonnet-4-6 (ByteSpike)", "claude-haiku-4-5 (ByteSpike fast)"]
    # without bytespike's journal (state dir wiped) an entry with our name is no longer provably ours:
    # setup stops (issue 15), and --replace takes it over
    engine.journal_path.unlink()
    with pytest.raises(NameCollision):
        engine.apply(tool, tool.plan(make_request(chat=(DEEPSEEK,), fast=HAIKU, base_url=local)))
    engine.apply(tool, tool.plan(make_request(chat=(DEEPSEEK,), fast=HAIKU, base_url=local)), replace=True)
    names = [m["name"] for m in open_document("yaml", tool.yaml_path().read_text(), "c").data["models"]]
    assert names == ["deepseek-v4-pro (ByteSpike)", "claude-haiku-4-5 (ByteSpike fast)"]


def test_continue_chat_entry_comes_before_the_fast_one_after_a_users_model(isolated_home, engine):
    tool = registry.get("continue")
    tool.yaml_path().parent.mkdir()
    tool.yaml_path().write_text("name: Mine\nversion: 1.0.0\nmodels:\n  - name: Llama\n    provider: ollama\n"
                                "    model: llama3\n")
    engine.apply(tool, tool.plan(make_request(chat=(SONNET,), fast=HAIKU)))
    engine.apply(tool, tool.plan(make_request(chat=(GPT, SONNET), fast=HAIKU)))
    names = [m["name"] for m in open_document("yaml", tool.yaml_path().read_text(), "c").data["models"]]
    assert names == ["Llama", "gpt-5-5 (ByteSpike)", "claude-sonnet-4-6 (ByteSpike)",
                     "claude-haiku-4-5 (ByteSpike fast)"]
    engine.remove(tool)
    assert tool.yaml_path().read_text() == ("name: Mine\nversion: 1.0.0\nmodels:\n  - name: Llama\n"
                                            "    provider: ollama\n    model: llama3\n")


def test_continue_inline_and_changed_model_choice(isolated_home, engine):
    tool = registry.get("continue")
    engine.apply(tool, tool.plan(make_request(chat=(SONNET,), fast=HAIKU)))
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=HAIKU, key_mode="inline")))
    data = open_document("yaml", tool.yaml_path().read_text(), "c").data
    names = [m["name"] for m in data["models"]]
    # the old sonnet entry went; the chat model comes first (Continue's default), the fast one after it
    assert names == ["gpt-5-5 (ByteSpike)", "claude-haiku-4-5 (ByteSpike fast)"]
    assert all(m["apiKey"] == KEY for m in data["models"])
    assert stat.S_IMODE(os.stat(tool.yaml_path()).st_mode) == 0o600
    validate(data, "continue-config-yaml.json")


def test_continue_global_dir_override(isolated_home, monkeypatch):
    monkeypatch.setenv("CONTINUE_GLOBAL_DIR", str(isolated_home / "cg"))
    assert registry.get("continue").files()[0] == isolated_home / "cg" / "config.yaml"


@pytest.mark.parametrize("typed, meant", [("vscode", "vscode-copilot"), ("copilot", "vscode-copilot"),
                                          ("gemini-cl", "gemini-cli"), ("codx", "codex"), ("claud", "claude")])
def test_a_shortened_or_misspelt_tool_name_suggests_the_tool_meant(typed, meant):
    from bytespike_cli import tools as registry

    assert registry.suggestion(typed) == f"did you mean `{meant}`? "


def test_setup_help_names_every_tool():
    from typer.testing import CliRunner

    from bytespike_cli.cli.app import app
    from bytespike_cli import tools as registry

    shown = " ".join(CliRunner().invoke(app, ["setup", "--help"], env={"COLUMNS": "200"}).output.split())
    assert all(name in shown for name in registry.REGISTRY), shown
