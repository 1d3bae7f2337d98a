"""doctor for Crush and for Copilot in VS Code, as a user runs it: after `bytespike setup`, against the fake gateway."""

from __future__ import annotations

import json

import pytest

from tests.doctor.conftest import by_code, one


@pytest.fixture(autouse=True)
def no_crush_overrides(monkeypatch):
    for var in ("CRUSH_GLOBAL_CONFIG", "CRUSH_GLOBAL_DATA", "CRUSH_BYTESPIKE_API_KEY"):
        monkeypatch.delenv(var, raising=False)


def setup(cli, *args: str) -> None:
    result = cli("setup", *args, "--yes")
    assert result.exit_code == 0, result.output


def test_crush_set_up_is_clean_and_answers_on_both_wires(cli, use_key, gateway, isolated_home):
    key = use_key("default")
    setup(cli, "crush", "--model", "claude-sonnet-4-6", "--model", "gpt-5-4", "--fast-model", "gpt-5-4-mini")
    config = json.loads((isolated_home / ".config" / "crush" / "crush.json").read_text())
    assert set(config["providers"]) == {"bytespike", "bytespike-anthropic"}
    assert key not in json.dumps(config)
    code, report = cli.doctor_json("crush", "--chat")
    assert code == 0, [f for f in report["findings"] if f["status"] not in ("ok", "info")]
    probes = by_code(report, "crush.probe")
    assert len(probes) == 2 and all(p["status"] == "ok" for p in probes)
    assert [c["status"] for c in by_code(report, "crush.chat")] == ["ok", "ok"]
    posts = {(r.path, r.json["model"]) for r in gateway.requests if r.method == "POST"}
    # each wire is asked with the first model Crush uses on it: large (Claude) and small (GPT)
    assert posts == {("/v1/messages", "claude-sonnet-4-6"), ("/v1/chat/completions", "gpt-5-4-mini")}
    assert all(key in (r.headers.get("x-api-key") or r.headers.get("authorization") or "")
               for r in gateway.requests if r.method == "POST")


@pytest.mark.parametrize("situation", ["missing", "shadowed"])
def test_crush_key_variable_missing_or_shadowed_is_named(cli, use_key, gateway, isolated_home, monkeypatch,
                                                          situation):
    key = use_key("default")
    setup(cli, "crush", "--key-mode", "env", "--model", "gpt-5-4", "--fast-model", "gpt-5-4-mini")
    if situation == "missing":
        code, report = cli.doctor_json("crush")
        finding = one(report, "crush.key-env")
        assert "$BYTESPIKE_API_KEY" in finding["detail"]
        assert finding["hint"].startswith('export BYTESPIKE_API_KEY="$(bytespike print-key)"')
    else:
        monkeypatch.setenv("BYTESPIKE_API_KEY", key)
        monkeypatch.setenv("CRUSH_BYTESPIKE_API_KEY", "sk-byts-stale-old-key-000000000000")
        code, report = cli.doctor_json("crush")
        finding = one(report, "crush.key-shadowed")
        assert "CRUSH_BYTESPIKE_API_KEY" in finding["detail"] and finding["hint"].startswith("unset CRUSH_")
        assert "sk-byts-stale-old-key-000000000000" not in json.dumps(report)
    assert code != 0 and finding["status"] == "fail"
    monkeypatch.delenv("CRUSH_BYTESPIKE_API_KEY", raising=False)
    monkeypatch.setenv("BYTESPIKE_API_KEY", key)
    code, report = cli.doctor_json("crush")
    assert code == 0 and one(report, "crush.probe")["status"] == "ok"


def test_crush_remove_gives_the_file_back(cli, use_key, gateway, isolated_home):
    use_key("default")
    path = isolated_home / ".config" / "crush" / "crush.json"
    path.parent.mkdir(parents=True)
    original = '{\n  "options": {"debug": true}\n}\n'
    path.write_text(original)
    setup(cli, "crush", "--model", "gpt-5-4")
    assert path.read_text() != original
    result = cli("setup", "crush", "--remove", "--yes")
    assert result.exit_code == 0, result.output
    assert path.read_text() == original


def test_copilot_doctor_says_the_key_is_out_of_its_reach(cli, use_key, gateway, isolated_home):
    key = use_key("default")
    result = cli("setup", "vscode-copilot", "--yes", "--model", "gpt-5-4")
    assert result.exit_code == 0, result.output
    assert "Manage Language Models" in result.output and key not in result.output
    path = isolated_home / ".config" / "Code" / "User" / "chatLanguageModels.json"
    assert json.loads(path.read_text())[0]["models"][0]["url"] == gateway.base_url + "/v1/chat/completions"
    code, report = cli.doctor_json("vscode-copilot")
    finding = one(report, "vscode-copilot.no-key")
    assert finding["status"] == "warn" and "Manage Language Models" in finding["hint"]
    assert not by_code(report, "vscode-copilot.probe") or one(report, "vscode-copilot.probe")["status"] != "fail"
    assert code == 0
