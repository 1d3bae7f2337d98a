"""GitHub Copilot in VS Code: which editions, the key kept out of the file (and a key VS Code stored kept),
the deprecated settings.json entry, and what doctor can and cannot know."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bytespike_cli.doctor.effective import Context
from bytespike_cli.tools.vscode_copilot import EDITIONS, VSCodeCopilot

from .helpers import GPT, GPT_MINI, KEY, SONNET, make_request

STABLE, INSIDERS, CODIUM = EDITIONS


def user_dir(home: Path, folder: str) -> Path:
    path = home / ".config" / folder / "User"
    path.mkdir(parents=True, exist_ok=True)
    return path


def groups(path: Path) -> dict:
    from bytespike_cli.formats import open_document

    return {g["name"]: g for g in open_document("jsonc-list", path.read_text(), path).data}


def test_user_folders_per_edition_follow_xdg_config_home(home, monkeypatch):
    tool = VSCodeCopilot()
    assert tool.models_path(STABLE) == home / ".config" / "Code" / "User" / "chatLanguageModels.json"
    assert tool.user_dir(INSIDERS) == home / ".config" / "Code - Insiders" / "User"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    assert VSCodeCopilot().user_dir(CODIUM) == home / "xdg" / "VSCodium" / "User"


def test_every_edition_found_is_set_up_and_vs_code_when_none_is(home, engine):
    assert VSCodeCopilot().files() == (VSCodeCopilot().models_path(STABLE),)
    user_dir(home, "Code - Insiders")
    user_dir(home, "VSCodium")
    tool = VSCodeCopilot()
    assert [e.title for e in tool.editions()] == ["VS Code Insiders", "VSCodium"]
    plan = tool.plan(make_request(chat=(GPT,), fast=None))
    assert [f.path for f in plan.files] == [tool.models_path(INSIDERS), tool.models_path(CODIUM)]
    assert any("VSCodium" in w and "Open VSX" in w for w in plan.warnings)
    engine.apply(tool, plan, profile="default")
    assert not tool.models_path(STABLE).exists()
    for edition in (INSIDERS, CODIUM):
        assert groups(tool.models_path(edition))["ByteSpike"]["models"][0]["id"] == "gpt-5-5"
    engine.remove(tool)
    assert not tool.models_path(INSIDERS).exists() and not tool.models_path(CODIUM).exists()


def test_the_key_is_a_manual_step_and_never_written(home, engine):
    tool = VSCodeCopilot()
    plan = tool.plan(make_request(chat=(SONNET,), fast=GPT_MINI))
    assert any("Manage Language Models" in step for step in plan.manual_steps)
    assert any("bytespike print-key --profile default" in step for step in plan.manual_steps)
    assert not any(KEY in step for step in plan.manual_steps + plan.notes)
    engine.apply(tool, plan, profile="default")
    assert KEY not in tool.models_path(STABLE).read_text() and "apiKey" not in tool.models_path(STABLE).read_text()


def test_a_key_vs_code_stored_survives_a_new_setup_and_goes_with_the_group(home, engine):
    tool = VSCodeCopilot()
    path = tool.models_path(STABLE)
    path.parent.mkdir(parents=True)
    path.write_text('[\n  {"name": "Other", "vendor": "openai"}\n]\n')
    original = path.read_bytes()
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=None)), profile="default")
    # what VS Code does when the user enters the key: a reference to its secret storage, in our group
    text = path.read_text().replace('"vendor": "customendpoint",',
                                    '"vendor": "customendpoint",\n    "apiKey": "${input:chat.lm.secret.5e1f}",')
    path.write_text(text)
    engine.apply(tool, tool.plan(make_request(chat=(SONNET,), fast=None)), profile="default")
    group = groups(path)["ByteSpike"]
    assert group["apiKey"] == "${input:chat.lm.secret.5e1f}" and group["models"][0]["id"] == "claude-sonnet-4-6"
    assert VSCodeCopilot().detect().configured
    engine.remove(tool)
    assert path.read_bytes() == original  # the whole group goes, the user's other group stays


def test_a_group_named_bytespike_that_setup_did_not_write_is_the_users(home, engine):
    from bytespike_cli.errors import BytespikeError

    tool = VSCodeCopilot()
    path = tool.models_path(STABLE)
    path.parent.mkdir(parents=True)
    path.write_text('[{"name": "ByteSpike", "vendor": "customendpoint", "models": []}]\n')
    with pytest.raises(BytespikeError, match="bytespike did not write it") as info:
        engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=None)), profile="default")
    assert "--replace" in (info.value.hint or "")
    assert path.read_text() == '[{"name": "ByteSpike", "vendor": "customendpoint", "models": []}]\n'


def test_the_deprecated_settings_entry_is_named_not_written(home, engine):
    folder = user_dir(home, "Code")
    settings = folder / "settings.json"
    settings.write_text('{\n  // mine\n  "github.copilot.chat.customOAIModels": {\n    "gpt-5-5": {"name": "x", '
                        '"url": "https://llm.bytespike.ai/v1", "toolCalling": true, "vision": false, '
                        '"maxInputTokens": 1000, "maxOutputTokens": 100}\n  }\n}\n')
    before = settings.read_bytes()
    tool = VSCodeCopilot()
    plan = tool.plan(make_request(chat=(GPT,), fast=None))
    assert any("customOAIModels" in w and "only once" in w for w in plan.warnings)
    engine.apply(tool, plan, profile="default")
    assert settings.read_bytes() == before


def test_a_broken_models_file_is_an_error_with_its_line(home):
    from bytespike_cli.errors import ConfigFileError

    tool = VSCodeCopilot()
    path = tool.models_path(STABLE)
    path.parent.mkdir(parents=True)
    path.write_text('{"name": "not a list"}\n')
    with pytest.raises(ConfigFileError, match="list"):
        tool.plan(make_request(chat=(GPT,), fast=None))


# -- resolve ----------------------------------------------------------------------------------------------
def context(home: Path, env: dict | None = None) -> Context:
    from bytespike_cli import credentials
    from bytespike_cli.settings import resolve

    credentials.store_key("default", KEY)
    return Context(resolve("default"), env=dict(env or {}), home=home, cwd=home, processes=lambda: [])


@pytest.mark.parametrize("api_key, code, status", [
    (None, "vscode-copilot.no-key", "warn"),
    ("${input:chat.lm.secret.5e1f}", "vscode-copilot.key-stored", "info"),
    (KEY, "vscode-copilot.key-in-file", "fail"),
])
def test_resolve_says_what_it_knows_about_the_key(home, engine, api_key, code, status):
    tool = VSCodeCopilot()
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=None)), profile="default")
    if api_key:
        data = json.loads(tool.models_path(STABLE).read_text())
        data[0]["apiKey"] = api_key
        tool.models_path(STABLE).write_text(json.dumps(data))
    [eff] = tool.resolve(context(home))
    assert eff.base_url == "https://llm.bytespike.ai/v1" and eff.key is None and eff.key_unknown
    assert eff.models == [("gpt-5-5", '~/.config/Code/User/chatLanguageModels.json group "ByteSpike"')]
    assert [(f.code, f.status) for f in eff.findings] == [(code, status)]
    assert KEY not in repr(eff.findings)


def test_resolve_names_an_old_vendor_group_and_the_legacy_setting(home):
    folder = user_dir(home, "Code")
    (folder / "chatLanguageModels.json").write_text(json.dumps([
        {"name": "CustomOAI", "vendor": "customoai", "apiKey": "${input:chat.lm.secret.1}",
         "models": [{"id": "gpt-5-5", "name": "g", "url": "https://llm.bytespike.ai/v1/chat/completions",
                     "toolCalling": True, "vision": False, "maxInputTokens": 1, "maxOutputTokens": 1}]}]))
    (folder / "settings.json").write_text(json.dumps({"github.copilot.chat.customOAIModels": {
        "gpt-5-5": {"url": "https://llm.bytespike.ai/v1"}}}))
    [eff] = VSCodeCopilot().resolve(context(home))
    codes = [f.code for f in eff.findings]
    assert codes == ["vscode-copilot.legacy-setting", "vscode-copilot.old-vendor", "vscode-copilot.key-stored"]
    assert eff.base_url == "https://llm.bytespike.ai/v1"


def test_a_group_for_another_endpoint_is_not_taken_for_bytespike(home):
    folder = user_dir(home, "Code")
    (folder / "chatLanguageModels.json").write_text(json.dumps([
        {"name": "Evil", "vendor": "customendpoint", "models": [
            {"id": "x", "url": "https://llm.bytespike.ai.evil.io/v1/chat/completions"}]}]))
    tool = VSCodeCopilot()
    assert not tool.detect().configured
    [eff] = tool.resolve(context(home))
    assert eff.base_url is None and not eff.models


def test_macos_and_windows_user_folders(home, monkeypatch):
    import bytespike_cli.tools.vscode_copilot as module

    monkeypatch.setattr(module.sys, "platform", "darwin")
    assert VSCodeCopilot().user_dir(INSIDERS) == home / "Library" / "Application Support" / "Code - Insiders" / "User"
    monkeypatch.setattr(module.sys, "platform", "win32")
    monkeypatch.setattr(module, "os", type("nt_os", (), {"name": "nt"}))
    tool = VSCodeCopilot(home=home, env={"APPDATA": str(home / "Roaming")})
    assert tool.user_dir(STABLE) == home / "Roaming" / "Code" / "User"
    assert VSCodeCopilot(home=home, env={}).user_dir(CODIUM) == home / "AppData" / "Roaming" / "VSCodium" / "User"
