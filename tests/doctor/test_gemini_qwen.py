"""Gemini CLI and Qwen Code: setup as a user runs it, then doctor in each situation their own precedence
rules create (tools/gemini_cli.py, tools/qwen_code.py, tools/gemini_family.py), against the fake gateway."""

from __future__ import annotations

import json
import os

import pytest

from bytespike_cli.fakegateway import TEST_KEYS
from tests.doctor.conftest import by_code, one, write


@pytest.fixture
def gemini(cli, use_key, isolated_home, monkeypatch):
    """`bytespike setup gemini-cli --yes` with the default key, in a folder the user trusts."""
    use_key("default")
    (isolated_home / ".gemini").mkdir()
    monkeypatch.setenv("GEMINI_CLI_TRUST_WORKSPACE", "true")
    result = cli("setup", "gemini-cli", "--yes")
    assert result.exit_code == 0, result.output
    return isolated_home / ".gemini"


@pytest.fixture
def qwen(cli, use_key, isolated_home):
    use_key("default")
    (isolated_home / ".qwen").mkdir()
    result = cli("setup", "qwen-code", "--yes", "--model", "gpt-5-4")
    assert result.exit_code == 0, result.output
    return isolated_home / ".qwen"


# -- Gemini CLI ----------------------------------------------------------------------------------------
def test_gemini_setup_then_doctor_is_clean(cli, gemini, gateway):
    env = (gemini / ".env").read_text()
    assert f"GOOGLE_GEMINI_BASE_URL={gateway.base_url}\n" in env  # the root: Gemini CLI adds /v1beta
    assert f"GEMINI_API_KEY={TEST_KEYS['default']}" in env
    assert (gemini / ".env").stat().st_mode & 0o777 == 0o600
    settings = json.loads((gemini / "settings.json").read_text())
    assert settings["security"]["auth"]["selectedType"] == "gemini-api-key"
    assert settings["model"]["name"].startswith("gemini-")  # a Gemini model was chosen from the catalogue
    code, report = cli.doctor_json("gemini-cli")
    assert code == 0, [f for f in report["findings"] if f["status"] == "fail"]
    assert one(report, "gemini-cli.probe")["status"] == "ok"
    assert one(report, "gemini-cli.model")["status"] == "ok"
    assert "~/.gemini/.env GEMINI_API_KEY" in one(report, "gemini-cli.effective")["detail"]
    code, report = cli.doctor_json("gemini-cli", "--chat")  # one streamed request on Gemini CLI's own wire
    chat = one(report, "gemini-cli.chat")
    assert code == 0 and chat["status"] == "ok" and "Gemini generateContent" in chat["detail"]
    assert any(r.path.endswith(":streamGenerateContent") for r in gateway.requests)


def test_gemini_key_variable_missing_is_named(cli, gemini):
    (gemini / ".env").write_text((gemini / ".env").read_text().split("GEMINI_API_KEY")[0])
    code, report = cli.doctor_json("gemini-cli")
    finding = one(report, "gemini-cli.key-missing")
    assert code == 1 and "GEMINI_API_KEY" in finding["detail"] and "bytespike setup gemini-cli" in finding["hint"]


def test_gemini_process_variable_shadows_the_env_file(cli, gemini, monkeypatch):
    monkeypatch.setenv("GEMINI_API_KEY", TEST_KEYS["claude"])
    code, report = cli.doctor_json("gemini-cli")
    finding = one(report, "gemini-cli.shadowed")
    assert "env GEMINI_API_KEY wins over ~/.gemini/.env GEMINI_API_KEY" in finding["detail"]
    assert finding["hint"].startswith("unset GEMINI_API_KEY")
    # an empty variable still wins in Gemini CLI (it checks only that the variable exists)
    monkeypatch.setenv("GEMINI_API_KEY", "")
    code, report = cli.doctor_json("gemini-cli")
    assert "set but empty" in one(report, "gemini-cli.shadowed")["detail"] and code != 0


def test_gemini_project_env_file_hides_the_home_one(cli, gemini, project):
    """Gemini CLI reads only the first .env file it finds, from the project upwards."""
    write(project / ".env", "DEBUG=1\n")
    code, report = cli.doctor_json("gemini-cli")
    finding = by_code(report, "gemini-cli.shadowed")
    assert finding and all(f["status"] == "fail" for f in finding) and code == 1
    assert "./.env" in finding[0]["detail"] or str(project / ".env") in finding[0]["detail"]
    assert "GOOGLE_GEMINI_BASE_URL" in " ".join(f["detail"] for f in finding)


def test_gemini_folder_the_user_did_not_trust(cli, gemini, project, monkeypatch):
    monkeypatch.delenv("GEMINI_CLI_TRUST_WORKSPACE")
    code, report = cli.doctor_json("gemini-cli")  # not decided yet: Gemini CLI will ask
    assert one(report, "gemini-cli.untrusted-folder")["status"] == "warn" and code == 0
    write(gemini / "trustedFolders.json", json.dumps({str(project): "DO_NOT_TRUST"}))
    code, report = cli.doctor_json("gemini-cli")
    finding = one(report, "gemini-cli.untrusted-folder")
    assert finding["status"] == "fail" and "--skip-trust" in finding["hint"] and code != 0
    write(gemini / "trustedFolders.json", json.dumps({str(project.parent): "TRUST_FOLDER"}))
    code, report = cli.doctor_json("gemini-cli")
    assert not by_code(report, "gemini-cli.untrusted-folder") and code == 0


def test_gemini_cli_home_moves_the_files(cli, use_key, isolated_home, tmp_path, monkeypatch):
    use_key("default")
    elsewhere = tmp_path / "gemini-home"
    (elsewhere / ".gemini").mkdir(parents=True)
    monkeypatch.setenv("GEMINI_CLI_HOME", str(elsewhere))
    monkeypatch.setenv("GEMINI_CLI_TRUST_WORKSPACE", "true")
    assert cli("setup", "gemini-cli", "--yes").exit_code == 0
    assert (elsewhere / ".gemini" / ".env").is_file() and not (isolated_home / ".gemini").exists()
    code, report = cli.doctor_json("gemini-cli")
    assert code == 0 and one(report, "gemini-cli.probe")["status"] == "ok"


def test_gemini_base_url_with_v1beta_is_a_path_error(cli, gemini, gateway):
    text = (gemini / ".env").read_text().replace(gateway.base_url, gateway.base_url + "/v1beta")
    (gemini / ".env").write_text(text)
    code, report = cli.doctor_json("gemini-cli")
    assert code == 1 and gateway.base_url in one(report, "gemini-cli.base-path")["hint"]


def test_gemini_signed_in_with_google_never_reaches_bytespike(cli, gemini):
    settings = gemini / "settings.json"
    settings.write_text(settings.read_text().replace("gemini-api-key", "oauth-personal"))
    code, report = cli.doctor_json("gemini-cli")
    assert code == 1 and "oauth-personal" in one(report, "gemini-cli.auth-type")["detail"]


def test_a_setup_of_several_tools_that_stops_on_one_says_nothing_was_written(cli, use_key, isolated_home):
    """Walkthrough of issue 12: `setup opencode gemini-cli` with a Claude-only key exited 5 naming Gemini only."""
    use_key("claude")
    (isolated_home / ".gemini").mkdir()
    result = cli("setup", "opencode", "gemini-cli", "--yes")
    assert result.exit_code == 5 and "no Gemini models" in result.output
    assert "nothing was written for any tool (`bytespike setup opencode` sets up the others)" in result.output
    assert not (isolated_home / ".config" / "opencode").exists()


def test_gemini_setup_refuses_a_key_without_gemini_models(cli, use_key, isolated_home):
    use_key("claude")  # the claude-default group: Claude and DeepSeek models only
    (isolated_home / ".gemini").mkdir()
    result = cli("setup", "gemini-cli", "--yes")
    assert result.exit_code == 5
    assert "no Gemini models" in result.output and "hint:" in result.output
    assert list((isolated_home / ".gemini").iterdir()) == []  # no useless config written


# -- Qwen Code ---------------------------------------------------------------------------------------------
def test_qwen_setup_then_doctor_is_clean(cli, qwen, gateway):
    settings = json.loads((qwen / "settings.json").read_text())
    provider = settings["modelProviders"]["openai"][0]
    assert provider["baseUrl"] == gateway.base_url + "/v1" and provider["envKey"] == "BYTESPIKE_API_KEY"
    assert "sk-byts" not in json.dumps(settings)
    assert (qwen / ".env").stat().st_mode & 0o777 == 0o600
    code, report = cli.doctor_json("qwen-code")
    assert code == 0, [f for f in report["findings"] if f["status"] == "fail"]
    assert one(report, "qwen-code.probe")["status"] == "ok"
    assert "~/.qwen/.env BYTESPIKE_API_KEY" in one(report, "qwen-code.effective")["detail"]


def test_qwen_key_variable_missing_is_named(cli, qwen):
    (qwen / ".env").write_text("")
    code, report = cli.doctor_json("qwen-code")
    finding = one(report, "qwen-code.key-missing")
    assert code == 1 and "BYTESPIKE_API_KEY" in finding["detail"]


def test_qwen_provider_beats_exported_openai_variables(cli, qwen, gateway, monkeypatch):
    """The provider entry's baseUrl and envKey win over OPENAI_* exported for other tools."""
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-mine")
    code, report = cli.doctor_json("qwen-code")
    assert code == 0 and one(report, "qwen-code.probe")["status"] == "ok"


def test_qwen_exported_key_variable_shadows_the_env_file(cli, qwen, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["claude"])
    code, report = cli.doctor_json("qwen-code")
    finding = one(report, "qwen-code.shadowed")
    assert "env BYTESPIKE_API_KEY wins over ~/.qwen/.env BYTESPIKE_API_KEY" in finding["detail"]
    monkeypatch.setenv("BYTESPIKE_API_KEY", "")  # Qwen Code fills an empty variable from the file
    code, report = cli.doctor_json("qwen-code")
    assert not by_code(report, "qwen-code.shadowed") and code == 0


def test_qwen_project_env_file_comes_first(cli, qwen, project):
    write(project / ".qwen" / ".env", f"BYTESPIKE_API_KEY={TEST_KEYS['claude']}\n")
    code, report = cli.doctor_json("qwen-code")
    assert ".qwen/.env BYTESPIKE_API_KEY" in one(report, "qwen-code.shadowed")["detail"]
    # folder trust on and this folder not trusted: Qwen Code skips project .env files
    settings = qwen / "settings.json"
    data = json.loads(settings.read_text())
    data["security"]["folderTrust"] = {"enabled": True}
    settings.write_text(json.dumps(data))
    write(qwen / "trustedFolders.json", json.dumps({str(project): "DO_NOT_TRUST"}))
    code, report = cli.doctor_json("qwen-code")
    assert not by_code(report, "qwen-code.shadowed") and one(report, "qwen-code.probe")["status"] == "ok"


def test_qwen_home_moves_with_qwen_home(cli, use_key, isolated_home, tmp_path, monkeypatch):
    use_key("default")
    elsewhere = tmp_path / "qwen-dir"
    elsewhere.mkdir()
    monkeypatch.setenv("QWEN_HOME", str(elsewhere))
    assert cli("setup", "qwen-code", "--yes").exit_code == 0
    assert (elsewhere / "settings.json").is_file() and (elsewhere / ".env").is_file()
    assert not (isolated_home / ".qwen").exists() and os.environ["QWEN_HOME"] == str(elsewhere)
