"""Crush: where it reads its files, the key never in them, one provider per wire, and what wins over what."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bytespike_cli.doctor.effective import Context
from bytespike_cli.tools.crush import Crush, command_of, variable_of

from .helpers import DEEPSEEK, GPT, GPT_MINI, HAIKU, KEY, SONNET, make_request, validate


@pytest.fixture(autouse=True)
def no_crush_overrides(monkeypatch):
    for var in ("CRUSH_GLOBAL_CONFIG", "CRUSH_GLOBAL_DATA", "CRUSH_BYTESPIKE_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def test_config_file_follows_crush_global_config_then_xdg(home, monkeypatch):
    monkeypatch.delenv("XDG_CONFIG_HOME")
    assert Crush().config_path() == home / ".config" / "crush" / "crush.json"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    assert Crush().config_path() == home / "xdg" / "crush" / "crush.json"
    monkeypatch.setenv("CRUSH_GLOBAL_CONFIG", str(home / "mine"))
    assert Crush().config_path() == home / "mine" / "crush.json"


def test_data_file_follows_crush_global_data_then_xdg_data(home, monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME")
    assert Crush().data_path() == home / ".local" / "share" / "crush" / "crush.json"
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    assert Crush().data_path() == home / "data" / "crush" / "crush.json"
    monkeypatch.setenv("CRUSH_GLOBAL_DATA", str(home / "d2"))
    assert Crush().data_path() == home / "d2" / "crush.json"


def test_claude_models_go_over_the_anthropic_wire_and_the_rest_over_openai(home, engine):
    tool = Crush()
    request = make_request(chat=(SONNET, GPT, DEEPSEEK), fast=HAIKU)
    engine.apply(tool, tool.plan(request), profile="default")
    data = json.loads(tool.config_path().read_text())
    providers = data["providers"]
    assert [m["id"] for m in providers["bytespike-anthropic"]["models"]] == ["claude-sonnet-4-6", "claude-haiku-4-5"]
    # DeepSeek speaks both wires: it stays on the OpenAI-compatible one, like GPT
    assert [m["id"] for m in providers["bytespike"]["models"]] == ["gpt-5-5", "deepseek-v4-pro"]
    assert data["models"]["large"] == {"model": "claude-sonnet-4-6", "provider": "bytespike-anthropic"}
    assert data["models"]["small"] == {"model": "claude-haiku-4-5", "provider": "bytespike-anthropic"}
    validate(data, "crush.json")


def test_without_claude_models_there_is_no_anthropic_provider(home, engine):
    tool = Crush()
    engine.apply(tool, tool.plan(make_request(chat=(SONNET,), fast=HAIKU)), profile="default")
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI)), profile="default")
    data = json.loads(tool.config_path().read_text())
    assert set(data["providers"]) == {"bytespike"}  # the one it wrote before is taken away again
    assert data["models"]["large"]["provider"] == "bytespike"


@pytest.mark.parametrize("mode, expected", [
    ("helper", "$(/opt/bytespike/bin/bytespike print-key --profile default)"),
    ("env", "$BYTESPIKE_API_KEY"),
])
def test_the_key_is_a_reference_never_the_key(home, engine, mode, expected):
    tool = Crush()
    plan = tool.plan(make_request(chat=(GPT,), fast=None, key_mode=mode))
    engine.apply(tool, plan, profile="default")
    text = tool.config_path().read_text()
    assert KEY not in text
    assert json.loads(text)["providers"]["bytespike"]["api_key"] == expected
    assert command_of(expected) or variable_of(expected) == "BYTESPIKE_API_KEY"
    if mode == "env":
        assert any("export BYTESPIKE_API_KEY=" in note for note in plan.notes)


def test_inline_key_mode_is_refused(home):
    from bytespike_cli.errors import UsageError

    with pytest.raises(UsageError, match="cannot take the key by 'inline'"):
        Crush().plan(make_request(key_mode="inline"))


def test_key_command_with_a_space_in_its_path_is_quoted_for_crushs_shell(home):
    from bytespike_cli.tools.base import SetupRequest

    request = SetupRequest("work", "https://llm.bytespike.ai", (GPT,), None,
                           key_command=("/Users/Jo Doe/bin/bytespike", "print-key", "--profile", "work"))
    plan = Crush().plan(request)
    api_key = next(e.value for e in plan.files[0].edits if e.path == ("providers", "bytespike"))["api_key"]
    assert api_key == "$('/Users/Jo Doe/bin/bytespike' print-key --profile work)"


def test_the_users_own_provider_fields_survive_a_second_setup(home, engine):
    tool = Crush()
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=None)), profile="default")
    data = json.loads(tool.config_path().read_text())
    data["providers"]["bytespike"]["extra_headers"] = {"X-Team": "blue"}
    write_json(tool.config_path(), data)
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI)), profile="default")
    after = json.loads(tool.config_path().read_text())
    assert after["providers"]["bytespike"]["extra_headers"] == {"X-Team": "blue"}
    assert after["models"]["small"]["model"] == "gpt-5-4-mini"


def test_a_model_picked_in_crushs_menu_is_named_because_it_wins(home):
    tool = Crush()
    write_json(tool.data_path(), {"models": {"large": {"model": "gpt-4o", "provider": "openai"}}})
    plan = tool.plan(make_request(chat=(GPT,), fast=None))
    assert any("models.large" in w and "openai/gpt-4o" in w and "wins" in w for w in plan.warnings)
    write_json(tool.data_path(), {"models": {"large": {"model": "gpt-5-5", "provider": "bytespike"}}})
    assert not Crush().plan(make_request(chat=(GPT,), fast=None)).warnings


# -- resolve: Crush's own order ---------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path, monkeypatch):
    folder = tmp_path / "repo" / "sub"
    folder.mkdir(parents=True)
    (tmp_path / "repo" / ".git").mkdir()
    monkeypatch.chdir(folder)
    return folder


def context(home: Path, cwd: Path, env: dict | None = None) -> Context:
    from bytespike_cli import credentials
    from bytespike_cli.settings import resolve

    credentials.store_key("default", KEY)
    return Context(resolve("default"), env=dict(env or {}), home=home, cwd=cwd, processes=lambda: [])


def set_up(engine, mode="helper") -> Crush:
    tool = Crush()
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), fast=GPT_MINI, key_mode=mode)), profile="default")
    return tool


def test_resolve_reports_the_setup_and_the_key_from_the_command(home, engine, project):
    set_up(engine)
    [eff] = Crush().resolve(context(home, project))
    assert eff.base_url == "https://llm.bytespike.ai/v1" and eff.key == KEY
    assert "print-key" not in eff.key_source or "$(" in eff.key_source
    assert [m for m, _ in eff.models] == ["gpt-5-5", "gpt-5-4-mini"]
    assert not eff.findings


def test_project_file_beats_the_data_file_which_beats_the_user_file(home, engine, project):
    set_up(engine)
    tool = Crush()
    write_json(tool.data_path(), {"models": {"large": {"model": "gpt-5-4-mini", "provider": "bytespike"}}})
    [eff] = tool.resolve(context(home, project))
    assert eff.models[0][0] == "gpt-5-4-mini" and "share/crush/crush.json models.large" in eff.models[0][1]
    # the repo root's crush.json (git root = Crush's project boundary) beats the data file …
    write_json(project.parent / "crush.json", {"models": {"large": {"model": "gpt-5-5", "provider": "bytespike"}}})
    [eff] = tool.resolve(context(home, project))
    assert eff.models[0] == ("gpt-5-5", str(project.parent / "crush.json") + " models.large")
    # … and .crush.json in the current folder beats that; .crush/crush.json (the workspace file) beats all
    write_json(project / ".crush.json", {"models": {"large": {"model": "x-one", "provider": "bytespike"}}})
    assert tool.resolve(context(home, project))[0].models[0][0] == "x-one"
    write_json(project / ".crush" / "crush.json", {"models": {"large": {"model": "x-two", "provider": "bytespike"}}})
    [eff] = tool.resolve(context(home, project))
    assert eff.models[0][0] == "x-two"
    assert [f.code for f in eff.findings] == ["crush.unknown-model"]  # x-two is not among the provider's models


def test_a_file_above_the_git_root_is_not_read(home, engine, project):
    set_up(engine)
    write_json(project.parent.parent / "crush.json", {"models": {"large": {"model": "nope", "provider": "bytespike"}}})
    [eff] = Crush().resolve(context(home, project))
    assert eff.models[0][0] == "gpt-5-5"


def test_crush_prefixed_variable_shadows_the_key_variable(home, engine, project):
    set_up(engine, mode="env")
    [eff] = Crush().resolve(context(home, project, {"BYTESPIKE_API_KEY": KEY}))
    assert eff.key == KEY and not eff.findings
    other = "sk-byts-someoneelsekey00000000000000"
    [eff] = Crush().resolve(context(home, project, {"BYTESPIKE_API_KEY": KEY, "CRUSH_BYTESPIKE_API_KEY": other}))
    assert eff.key == other
    assert [f.code for f in eff.findings] == ["crush.key-shadowed"]
    [eff] = Crush().resolve(context(home, project, {}))
    assert eff.key is None and [f.code for f in eff.findings] == ["crush.key-env"]
    assert eff.findings[0].fix.startswith('export BYTESPIKE_API_KEY="$(bytespike print-key)"')


def test_a_crushrc_is_named_because_bytespike_does_not_run_it(home, engine, project):
    set_up(engine)
    (project / ".crushrc").write_text("provider add other --type openai\n")
    [eff] = Crush().resolve(context(home, project))
    assert [f.code for f in eff.findings] == ["crush.shell-config"]


def test_invalid_json_is_a_finding_naming_the_file(home, engine, project):
    set_up(engine)
    (project / "crush.json").write_text('{"models": // no comments in Crush\n {}}\n')
    [eff] = Crush().resolve(context(home, project))
    unreadable = [f for f in eff.findings if f.code == "crush.config-unreadable"]
    assert unreadable and str(project / "crush.json") in unreadable[0].detail


def test_windows_data_file_is_under_localappdata(home, monkeypatch):
    import bytespike_cli.tools.crush as module

    monkeypatch.setattr(module, "os", type("nt_os", (), {"name": "nt"}))
    tool = Crush(home=home, env={"LOCALAPPDATA": str(home / "Local")})
    assert tool.data_path() == home / "Local" / "crush" / "crush.json"
    # the user file is ~/.config/crush on Windows too (Crush's internal/home)
    assert tool.config_path() == home / ".config" / "crush" / "crush.json"
