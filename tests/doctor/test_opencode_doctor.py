"""Doctor on opencode and Kilo set up by `bytespike setup`: clean when healthy, and each way the key goes
missing or is shadowed is named, with the layer that wins (real files in a temp home, the real CLI)."""

from __future__ import annotations

import json

import pytest

from bytespike_cli.fakegateway import TEST_KEYS

from .conftest import by_code, one

TOOLS = {"opencode": ".config/opencode/opencode.json", "kilo": ".config/kilo/kilo.json"}


def setup(cli, tool: str, *extra: str) -> None:
    result = cli("setup", tool, "--yes", *extra)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("tool", TOOLS)
def test_healthy_setup_is_clean_and_reads_the_key_file(tool, cli, use_key, isolated_home):
    key = use_key("default")
    setup(cli, tool)
    written = json.loads((isolated_home / TOOLS[tool]).read_text())
    assert key not in json.dumps(written)  # by reference only
    code, report = cli.doctor_json(tool)
    assert code == 0, [f for f in report["findings"] if f["status"] == "fail"]
    effective = one(report, f"{tool}.effective")["detail"]
    assert "{file:" in effective and "keys/default.key" in effective
    assert one(report, f"{tool}.probe")["status"] == "ok"
    # a new key from `bytespike login` is what the tool reads next: no copy to refresh
    from bytespike_cli import credentials

    credentials.store_key("default", TEST_KEYS["claude"])
    code, report = cli.doctor_json(tool)
    assert TEST_KEYS["claude"][-4:] in one(report, f"{tool}.effective")["detail"]


@pytest.mark.parametrize("tool", TOOLS)
def test_key_variable_missing_is_named(tool, cli, use_key, monkeypatch):
    key = use_key("default")
    setup(cli, tool, "--key-mode", "env")
    monkeypatch.delenv("BYTESPIKE_API_KEY", raising=False)
    code, report = cli.doctor_json(tool)
    assert code != 0
    finding = one(report, f"{tool}.key-env-missing")
    assert "BYTESPIKE_API_KEY is not set" in finding["detail"] and "{env:BYTESPIKE_API_KEY}" in finding["detail"]
    assert finding["hint"].startswith("export BYTESPIKE_API_KEY=")
    monkeypatch.setenv("BYTESPIKE_API_KEY", key)
    code, report = cli.doctor_json(tool)
    assert code == 0 and not by_code(report, f"{tool}.key-env-missing")


def test_a_later_layer_shadowing_the_key_is_named(cli, use_key, monkeypatch):
    use_key("default")
    setup(cli, "opencode")
    monkeypatch.setenv("OPENCODE_CONFIG_CONTENT", json.dumps(
        {"provider": {"bytespike": {"options": {"apiKey": "{env:TEAM_GATEWAY_KEY}"}}}}))
    code, report = cli.doctor_json("opencode")
    finding = one(report, "opencode.key-env-missing")  # the later layer's variable wins, and it is not set
    assert "TEAM_GATEWAY_KEY" in finding["detail"] and "env OPENCODE_CONFIG_CONTENT" in finding["detail"]
    assert code != 0
    monkeypatch.setenv("TEAM_GATEWAY_KEY", TEST_KEYS["claude"])
    code, report = cli.doctor_json("opencode")
    shadowed = one(report, "opencode.key-shadowed")
    assert "env OPENCODE_CONFIG_CONTENT" in shadowed["detail"] and "~/.config/opencode/opencode.json" in shadowed["detail"]
    assert shadowed["hint"] == "unset OPENCODE_CONFIG_CONTENT"
    assert TEST_KEYS["claude"][-4:] in one(report, "opencode.effective")["detail"]


@pytest.mark.parametrize("tool", TOOLS)
def test_a_project_file_with_a_provider_is_reported_as_not_applied(tool, cli, use_key, project):
    key = use_key("default")
    setup(cli, tool)
    (project / f"{tool}.json").write_text(json.dumps(
        {"model": "bytespike/gpt-5-4", "provider": {"bytespike": {"options": {"apiKey": TEST_KEYS["claude"]}}}}))
    code, report = cli.doctor_json(tool)
    assert str(project / f"{tool}.json") in one(report, f"{tool}.project-provider-ignored")["detail"]
    effective = one(report, f"{tool}.effective")["detail"]
    assert key[-4:] in effective and "gpt-5-4" not in effective
    (project / f"{tool}.json").write_text(json.dumps({"model": "bytespike/gpt-5-4"}))  # no provider: applied
    code, report = cli.doctor_json(tool)
    assert "gpt-5-4" in one(report, f"{tool}.effective")["detail"]
    assert one(report, f"{tool}.model-unknown")["exit_code"] == 9  # not among the provider's models


def test_config_content_variable_wins_over_the_files(cli, use_key, monkeypatch):
    use_key("default")
    setup(cli, "opencode")
    monkeypatch.setenv("OPENCODE_CONFIG_CONTENT", json.dumps({"model": "anthropic/claude-sonnet-4-5"}))
    code, report = cli.doctor_json("opencode")
    finding = one(report, "opencode.model-not-bytespike")
    assert "env OPENCODE_CONFIG_CONTENT model" in finding["detail"] and finding["hint"] == "unset OPENCODE_CONFIG_CONTENT"
    monkeypatch.setenv("OPENCODE_CONFIG_CONTENT", json.dumps(
        {"provider": {"bytespike": {"options": {"baseURL": "https://api.example.com/v1"}}}}))
    code, report = cli.doctor_json("opencode")
    assert code != 0
    assert "env OPENCODE_CONFIG_CONTENT" in one(report, "opencode.url-shadowed")["detail"]


def test_deleted_key_file_is_named(cli, use_key):
    from bytespike_cli import paths

    use_key("default")
    setup(cli, "kilo")
    paths.key_file("default").unlink()
    code, report = cli.doctor_json("kilo")
    assert code != 0
    finding = one(report, "kilo.key-file-missing")
    assert "keys/default.key" in finding["detail"] and "bad file reference" in finding["detail"]


@pytest.mark.parametrize("tool", TOOLS)
def test_chat_probe_uses_the_wire_the_tool_uses_for_the_model(tool, cli, use_key, gateway):
    """Walkthrough of issue 12: Claude models go out on @ai-sdk/anthropic, so --chat asks on Messages too."""
    use_key("default")
    setup(cli, tool, "--model", "claude-sonnet-4-6")
    before = len(gateway.requests)
    code, report = cli.doctor_json(tool, "--chat")
    chat = one(report, f"{tool}.chat")
    assert code == 0 and chat["status"] == "ok" and "Anthropic" in chat["detail"], chat
    assert not by_code(report, f"{tool}.translated-model")
    posted = [r.path for r in gateway.requests[before:] if r.method == "POST"]
    assert posted and all(path.endswith("/v1/messages") for path in posted), posted
