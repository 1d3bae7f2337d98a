"""opencode and Kilo: which file setup edits (their own precedence rules), how the key is referenced, what
`run` hands over. Real files in the temp home; the written file is checked against the tool's schema."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from bytespike_cli import credentials, paths
from bytespike_cli.formats import open_document
from bytespike_cli.tools.kilo import Kilo
from bytespike_cli.tools.opencode import Opencode

from .helpers import GPT, GPT_MINI, HAIKU, KEY, SONNET, make_request, validate

SCHEMA = {"opencode": "opencode-config-1.18.33.json", "kilo": "kilo-config-7.7.7.json"}


def read(path) -> dict:
    return open_document("jsonc", path.read_text(encoding="utf-8"), path).data


def opencode_substitute(text: str, env: dict) -> str:
    """opencode 1.18.33 ``ConfigVariable.substitute``: {env:} then {file:} (trimmed), on the raw text."""
    text = re.sub(r"\{env:([^}]+)\}", lambda m: env.get(m.group(1), ""), text)
    return re.sub(r"\{file:([^}]+)\}",
                  lambda m: json.dumps(open(os.path.expanduser(m.group(1))).read().strip())[1:-1], text)


@pytest.mark.parametrize("cls, folder", [(Opencode, "opencode"), (Kilo, "kilo")])
def test_the_file_setup_edits_follows_the_tools_own_rules(cls, folder, isolated_home, monkeypatch, tmp_path):
    base = isolated_home / ".config" / folder
    stem = "opencode" if cls is Opencode else "kilo"
    assert cls().settings_path() == base / f"{stem}.json"  # nothing there yet
    base.mkdir(parents=True)
    (base / f"{stem}.jsonc").write_text("{}\n")  # the one the tool edits itself when present
    assert cls().settings_path() == base / f"{stem}.jsonc"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert cls().settings_path() == tmp_path / "xdg" / folder / f"{stem}.json"
    custom = tmp_path / "team.json"  # <PREFIX>_CONFIG is read after the global files: it is the one to edit
    monkeypatch.setenv(f"{cls.env_prefix}_CONFIG", str(custom))
    assert cls().settings_path() == custom and cls().files() == (custom,)


@pytest.mark.parametrize("cls", [Opencode, Kilo])
def test_default_key_mode_references_bytespikes_key_file(cls, isolated_home, engine):
    key_file = credentials.store_key("default", KEY)
    tool = cls()
    plan = tool.plan(make_request(chat=(SONNET, GPT), fast=GPT_MINI))
    assert plan.key_mode == "file" and not plan.warnings
    engine.apply(tool, plan, profile="default")
    text = tool.settings_path().read_text()
    assert KEY not in text
    data = read(tool.settings_path())
    validate(data, SCHEMA[tool.name])
    options = data["provider"]["bytespike"]["options"]
    assert options["apiKey"] == "{file:%s}" % key_file
    # what the tool itself will send, once it has substituted the reference
    assert json.loads(opencode_substitute(text, {}))["provider"]["bytespike"]["options"]["apiKey"] == KEY
    models = data["provider"]["bytespike"]["models"]
    assert models["claude-sonnet-4-6"]["provider"] == {"npm": "@ai-sdk/anthropic"}
    assert "provider" not in models["gpt-5-5"]  # GPT stays on chat/completions, its native wire at the gateway
    assert models["gpt-5-4-mini"]["limit"] == {"context": 128000, "output": 16384}
    assert data["model"] == "bytespike/claude-sonnet-4-6" and data["small_model"] == "bytespike/gpt-5-4-mini"


def test_without_a_key_file_the_file_mode_falls_back_to_the_variable(isolated_home):
    plan = Opencode().plan(make_request())
    assert plan.key_mode == "env"
    assert any("has no saved key file" in w for w in plan.warnings)
    key = [e.value for e in plan.files[0].edits if e.path[-2:] == ("options", "apiKey")]
    assert key == ["{env:BYTESPIKE_API_KEY}"]


def test_inline_key_is_kept_0600_and_refreshed_by_login(isolated_home, engine):
    from bytespike_cli.setup.keysync import refresh_key_copies

    credentials.store_key("default", KEY)
    tool = Opencode()
    engine.apply(tool, tool.plan(make_request(key_mode="inline")), profile="default")
    path = tool.settings_path()
    assert read(path)["provider"]["bytespike"]["options"]["apiKey"] == KEY
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KEY not in engine.journal_path.read_text()  # the journal keeps a hash of it
    new = "sk-byts-NEWKEY0123456789abcdefWXYZ"
    refreshed = refresh_key_copies("default", KEY, new, engine)
    assert [r.tool for r in refreshed if r.files] == ["opencode"]
    assert read(path)["provider"]["bytespike"]["options"]["apiKey"] == new


def test_no_fast_model_leaves_the_users_small_model(isolated_home, engine):
    credentials.store_key("default", KEY)
    tool = Opencode()
    path = tool.settings_path()
    path.parent.mkdir(parents=True)
    path.write_text('{"small_model": "anthropic/claude-haiku-4-5"}\n')
    engine.apply(tool, tool.plan(make_request(fast=None)), profile="default")
    assert read(path)["small_model"] == "anthropic/claude-haiku-4-5"  # the user's, left alone
    engine.apply(tool, tool.plan(make_request(fast=HAIKU)), profile="default")
    assert read(path)["small_model"] == "bytespike/claude-haiku-4-5"
    engine.apply(tool, tool.plan(make_request(fast=None)), profile="default")
    assert "small_model" not in read(path)  # ours goes; the user's comes back with --remove
    engine.remove(tool)
    assert read(path) == {"small_model": "anthropic/claude-haiku-4-5"}


@pytest.mark.parametrize("cls", [Opencode, Kilo])
def test_run_hands_the_tool_a_config_in_its_content_variable(cls, isolated_home):
    from bytespike_cli.runner import Target
    from bytespike_cli.tools.base import LaunchRequest

    target = Target("http://127.0.0.1:8787", KEY)
    theirs = json.dumps({"autoupdate": False, "provider": {"ollama": {"options": {"baseURL": "http://x/v1"}}}})
    variable = f"{cls.env_prefix}_CONFIG_CONTENT"
    spec = cls().launch(LaunchRequest("/usr/bin/x", (), target, (SONNET, GPT, GPT_MINI), SONNET, HAIKU,
                                      {variable: theirs}))
    content = json.loads(spec.set_env[variable])
    validate(content, SCHEMA[cls.name])
    assert KEY not in spec.set_env[variable] and spec.set_env["BYTESPIKE_API_KEY"] == KEY
    run = content["provider"]["bytespike-run"]
    assert run["options"] == {"baseURL": "http://127.0.0.1:8787/v1", "apiKey": "{env:BYTESPIKE_API_KEY}"}
    assert set(run["models"]) == {"claude-sonnet-4-6", "claude-haiku-4-5", "gpt-5-5", "gpt-5-4-mini"}
    assert content["model"] == "bytespike-run/claude-sonnet-4-6"
    assert content["autoupdate"] is False and "ollama" in content["provider"]  # the user's content is kept
    assert spec.warnings


def test_a_windows_key_file_is_referenced_with_forward_slashes():
    """opencode substitutes {file:…} in the raw JSON text, so a backslash there would reach it doubled."""
    from pathlib import PurePosixPath, PureWindowsPath

    from bytespike_cli.tools.opencode import file_ref

    assert file_ref(PureWindowsPath(r"C:\Users\me\AppData\Roaming\bytespike\keys\default.key")) == \
        "{file:C:/Users/me/AppData/Roaming/bytespike/keys/default.key}"
    assert file_ref(PurePosixPath("/home/me/.config/bytespike/keys/default.key")) == \
        "{file:/home/me/.config/bytespike/keys/default.key}"
