"""Each finding: build the broken situation, then assert the finding, its fix text and the exit code."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time

import pytest

from bytespike_cli.fakegateway import TEST_KEYS
from tests.doctor.conftest import Stub, by_code, one, write

HELPER = "bytespike print-key --profile default"


def claude_settings(home, gateway, **extra):
    data = {"apiKeyHelper": HELPER, "model": "claude-sonnet-4-6",
            "env": {"ANTHROPIC_BASE_URL": gateway.base_url, "ANTHROPIC_DEFAULT_HAIKU_MODEL": "claude-haiku-4-5"}}
    data.update(extra)
    return write(home / ".claude" / "settings.json", json.dumps(data, indent=2))


# -- Claude Code ---------------------------------------------------------------------------------------
def test_claude_code_set_up_right_passes_with_its_effective_settings(cli, use_key, gateway, isolated_home):
    key = use_key("default")
    claude_settings(isolated_home, gateway)
    code, report = cli.doctor_json("claude-code")
    assert code == 0, [f for f in report["findings"] if f["status"] != "ok"]
    effective = one(report, "claude-code.effective")
    assert gateway.base_url in effective["detail"] and "apiKeyHelper" in effective["detail"]
    assert "sk-byts-…" in effective["detail"]
    assert one(report, "claude-code.probe")["status"] == "ok"
    assert {f["detail"].split("'")[1] for f in by_code(report, "claude-code.model")} == {
        "claude-sonnet-4-6", "claude-haiku-4-5"}
    text = cli("doctor", "claude-code").stdout
    assert "✓" in text and "✗" not in text and key not in text


def test_shell_api_key_silently_beats_the_helper(cli, use_key, gateway, isolated_home, monkeypatch):
    use_key("default")
    claude_settings(isolated_home, gateway)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-userskeyforanthropic0123456789")
    code, report = cli.doctor_json("claude-code")
    assert code == 1
    shadow = one(report, "claude-code.credential-shadowed")
    assert shadow["status"] == "fail"
    assert "outranks apiKeyHelper" in shadow["detail"]
    assert shadow["fix"].startswith("unset ANTHROPIC_API_KEY")
    assert one(report, "claude-code.key-format")["status"] == "fail"
    assert not [r for r in gateway.requests if "sk-ant" in r.headers.get("authorization", "")]
    text = cli("doctor", "claude-code").stdout
    assert "fix: unset ANTHROPIC_API_KEY" in text and "userskeyforanthropic" not in text


def test_project_settings_shadow_the_home_file(cli, use_key, gateway, isolated_home, project):
    use_key("default")
    claude_settings(isolated_home, gateway)
    write(project / ".claude" / "settings.json", json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://api.anthropic.com"}}))
    code, report = cli.doctor_json("claude-code")
    assert code == 1
    finding = one(report, "claude-code.url-shadowed")
    assert "https://api.anthropic.com" in finding["detail"] and "~/.claude/settings.json" in finding["detail"]
    assert finding["fix"] == f"remove env.ANTHROPIC_BASE_URL from {project / '.claude' / 'settings.json'}"
    assert not by_code(report, "claude-code.probe")  # the key is never sent to the other URL


def test_two_tokens_the_gateway_reads_x_api_key(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    claude_settings(isolated_home, gateway)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", key)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["revoked"])
    code, report = cli.doctor_json("claude-code")
    assert code == 1
    assert one(report, "claude-code.two-keys")["fix"].startswith("unset ANTHROPIC_API_KEY")
    probe = one(report, "claude-code.probe")
    assert probe["status"] == "fail" and probe["exit_code"] == 3 and "console.bytespike.ai/keys" in probe["fix"]


def test_chat_request_only_with_chat_flag(cli, use_key, gateway, isolated_home):
    use_key("default")
    claude_settings(isolated_home, gateway)
    cli.doctor_json("claude-code")
    assert not [r for r in gateway.requests if r.method == "POST"]
    code, report = cli.doctor_json("claude-code", "--chat")
    assert code == 0
    posts = [r for r in gateway.requests if r.method == "POST"]
    assert [r.path for r in posts] == ["/v1/messages"] and posts[0].json["model"] == "claude-sonnet-4-6"
    assert one(report, "claude-code.chat")["status"] == "ok"


# -- Codex -----------------------------------------------------------------------------------------------
def test_codex_reserved_provider_id(cli, use_key, gateway, isolated_home):
    use_key("default")
    write(isolated_home / ".codex" / "config.toml",
          f'model_provider = "openai"\nmodel = "gpt-5-4"\n\n[model_providers.openai]\nname = "x"\n'
          f'base_url = "{gateway.base_url}/v1"\n')
    code, report = cli.doctor_json("codex")
    assert code == 1
    finding = one(report, "codex.reserved-provider")
    assert "Built-in providers cannot be overridden" in finding["detail"]
    assert "rename the table" in finding["fix"] and "bytespike setup codex" in finding["fix"]


@pytest.mark.parametrize("exported", [False, True])
def test_codex_env_key_must_be_set(cli, use_key, gateway, isolated_home, monkeypatch, exported):
    key = use_key("default")
    write(isolated_home / ".codex" / "config.toml",
          f'model_provider = "bytespike"\nmodel = "gpt-5-4"\n\n[model_providers.bytespike]\nname = "ByteSpike"\n'
          f'base_url = "{gateway.base_url}/v1"\nwire_api = "responses"\nenv_key = "BS_DOCTOR_KEY"\n')
    if exported:
        monkeypatch.setenv("BS_DOCTOR_KEY", key)
    code, report = cli.doctor_json("codex")
    if exported:
        assert code == 0 and one(report, "codex.probe")["status"] == "ok"
        assert not by_code(report, "codex.env-key-missing")
    else:
        assert code == 1
        finding = one(report, "codex.env-key-missing")
        assert finding["fix"].startswith('export BS_DOCTOR_KEY="$(bytespike print-key)"')


def test_codex_too_old_for_the_auth_command(cli, use_key, gateway, isolated_home, bin_dir):
    use_key("default")
    codex = bin_dir / "codex"
    codex.write_text("#!/bin/sh\necho 'codex-cli 0.110.2'\n")
    codex.chmod(0o755)
    write(isolated_home / ".codex" / "config.toml",
          f'model_provider = "bytespike"\nmodel = "gpt-5-4"\n\n[model_providers.bytespike]\nname = "ByteSpike"\n'
          f'base_url = "{gateway.base_url}/v1"\n\n[model_providers.bytespike.auth]\ncommand = "bytespike"\n'
          'args = ["print-key", "--profile", "default"]\n')
    code, report = cli.doctor_json("codex")
    assert code == 1
    finding = one(report, "codex.auth-unsupported")
    assert "0.110.2" in finding["detail"] and "npm install -g @openai/codex" in finding["fix"]


# -- Aider: env over file, project over home, model ids ------------------------------------------------------
def aider_conf(folder, base, model="openai/claude-sonnet-4-6"):
    return write(folder / ".aider.conf.yml", f"openai-api-base: {base}\nmodel: {model}\n")


def test_aider_env_variable_beats_the_conf_file(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    aider_conf(isolated_home, gateway.base_url + "/v1")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    assert cli.doctor_json("aider")[0] == 0
    monkeypatch.setenv("AIDER_OPENAI_API_BASE", "https://api.openai.com/v1")
    code, report = cli.doctor_json("aider")
    assert code == 1
    finding = one(report, "aider.url-shadowed")
    assert "env AIDER_OPENAI_API_BASE wins" in finding["detail"]
    assert finding["fix"].startswith("unset AIDER_OPENAI_API_BASE")


def test_aider_project_conf_shadows_home_conf(cli, use_key, gateway, isolated_home, project, monkeypatch):
    key = use_key("default")
    aider_conf(isolated_home, gateway.base_url + "/v1")
    aider_conf(project, "https://models.example.com/v1")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    finding = one(report, "aider.url-shadowed")
    assert finding["fix"] == f"remove openai-api-base from {project / '.aider.conf.yml'}"


def test_model_missing_from_catalogue_suggests_the_closest(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    aider_conf(isolated_home, gateway.base_url + "/v1", model="openai/claude-sonet-4-6")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    finding = one(report, "aider.model-missing")
    assert "'claude-sonet-4-6'" in finding["detail"] and finding["exit_code"] == 5
    assert finding["fix"].startswith("did you mean claude-sonnet-4-6")


def test_model_outside_the_keys_group(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("claude")  # claude-default group: no GPT models
    aider_conf(isolated_home, gateway.base_url + "/v1", model="openai/gpt-5-4")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    finding = one(report, "aider.model-missing")
    assert "not in the key's group" in finding["detail"]


def test_aider_model_without_openai_prefix(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    aider_conf(isolated_home, gateway.base_url + "/v1", model="gpt-5-4")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    assert one(report, "aider.model-prefix")["fix"].startswith("use openai/gpt-5-4")


# -- Cursor, Cline, Continue, Zed ------------------------------------------------------------------------------
def cursor_db(home, base, key):
    path = home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 1")
        db.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
        blob = {"useOpenAIKey": True, "openAIBaseUrl": base, "aiSettings": {"userAddedModels": ["gpt-5-4"]}}
        db.execute("INSERT INTO ItemTable VALUES (?, ?)", (
            "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser",
            json.dumps(blob)))
        db.execute("INSERT INTO ItemTable VALUES (?, ?)", ("cursorAuth/openAIKey", key))
    return path


@pytest.fixture
def cursor_process(tmp_path):
    """A real process whose name is `cursor` (a link to sleep)."""
    link = tmp_path / "proc" / "cursor"
    link.parent.mkdir()
    link.symlink_to("/bin/sleep")
    proc = subprocess.Popen([str(link), "30"])
    time.sleep(0.1)
    yield proc
    proc.kill()
    proc.wait()


@pytest.mark.skipif(sys.platform != "linux", reason="Cursor's Linux paths and a process named by its link")
def test_cursor_still_running_and_local_url(cli, use_key, gateway, isolated_home, cursor_process):
    key = use_key("default")
    cursor_db(isolated_home, gateway.base_url + "/v1", key)
    code, report = cli.doctor_json("cursor")
    running = one(report, "cursor.running")
    assert running["status"] == "warn" and f"pid {cursor_process.pid}" in running["detail"]
    assert running["fix"].startswith("quit Cursor completely")
    assert one(report, "cursor.key-plaintext")["status"] == "warn"
    local = one(report, "cursor.local-url")  # Cursor calls custom URLs from its own servers
    assert local["status"] == "fail" and code == 1


def test_cline_with_encrypted_storage(cli, use_key, isolated_home):
    use_key("default")
    (isolated_home / ".vscode" / "extensions" / "saoudrizwan.claude-dev-3.60.0").mkdir(parents=True)
    code, report = cli.doctor_json("cline")
    finding = one(report, "cline.encrypted-storage")
    assert finding["status"] == "warn" and "Cline 3.60.0 in VS Code" in finding["detail"]
    assert "update Cline to 3.66" in finding["fix"]
    assert code == 0


def test_continue_secret_not_found(cli, use_key, gateway, isolated_home):
    use_key("default")
    write(isolated_home / ".continue" / "config.yaml",
          "name: c\nversion: 1.0.0\nmodels:\n  - name: s\n    provider: openai\n    model: gpt-5-4\n"
          f"    apiBase: {gateway.base_url}/v1\n    apiKey: ${{{{ secrets.BYTESPIKE_API_KEY }}}}\n")
    code, report = cli.doctor_json("continue")
    assert code == 1
    assert "bytespike setup continue" in one(report, "continue.secret-missing")["fix"]
    write(isolated_home / ".continue" / ".env", f"BYTESPIKE_API_KEY={TEST_KEYS['default']}\n")
    code, report = cli.doctor_json("continue")
    assert code == 0 and one(report, "continue.probe")["status"] == "ok"


def test_zed_without_its_key_variable(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    write(isolated_home / ".config" / "zed" / "settings.json",
          '// mine\n{"language_models": {"openai_compatible": {"bytespike": {"api_url": "%s/v1", '
          '"available_models": [{"name": "gpt-5-4", "max_tokens": 128000}]}}},\n'
          '"agent": {"default_model": {"provider": "bytespike", "model": "gpt-5-4"}},}\n' % gateway.base_url)
    code, report = cli.doctor_json("zed")
    finding = one(report, "zed.key-env")
    assert finding["status"] == "warn" and "BYTESPIKE_API_KEY" in finding["fix"] and code == 0
    monkeypatch.setenv("BYTESPIKE_API_KEY", key)
    code, report = cli.doctor_json("zed")
    assert code == 0 and one(report, "zed.probe")["status"] == "ok" and not by_code(report, "zed.key-env")


# -- network ------------------------------------------------------------------------------------------------------
def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_proxy_in_the_environment(cli, use_key, gateway, monkeypatch):
    use_key("default")
    monkeypatch.setenv("HTTP_PROXY", f"http://user:secret@127.0.0.1:{_closed_port()}")
    monkeypatch.delenv("NO_PROXY")
    code, report = cli.doctor_json()
    assert code == 1
    proxy = one(report, "network.proxy")
    assert proxy["status"] == "warn" and "buffer" in proxy["detail"] and "secret" not in proxy["detail"]
    assert proxy["fix"].startswith("export NO_PROXY=127.0.0.1")
    connect = one(report, "network.connect")
    assert connect["status"] == "fail" and connect["exit_code"] == 7 and "export NO_PROXY=127.0.0.1" in connect["fix"]
    assert "secret" not in json.dumps(report)
    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    code, report = cli.doctor_json()
    assert code == 0 and "NO_PROXY exempts 127.0.0.1" in one(report, "network.proxy")["detail"]


def test_dns_failure(cli, project, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", "https://gateway.nonexistent.invalid")
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    code, report = cli.doctor_json()
    assert code == 1
    dns = one(report, "network.dns")
    assert dns["status"] == "fail" and dns["exit_code"] == 7 and "`bytespike status`" in dns["fix"]


def test_clock_skew(cli, project, monkeypatch):
    with Stub({"/": (200, {}, {})}, date_offset_s=-2 * 3600) as stub:
        monkeypatch.setenv("BYTESPIKE_BASE_URL", stub.url)
        monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
        _code, report = cli.doctor_json()
    clock = one(report, "network.clock")
    assert clock["status"] == "warn" and "2.0 h ahead of the gateway's" in clock["detail"]
    assert "timedatectl" in clock["fix"]


# -- the key --------------------------------------------------------------------------------------------------------
def test_revoked_key_fails_with_the_console_fix(cli, use_key):
    use_key("revoked")
    code, report = cli.doctor_json()
    assert code == 1 and report["ok"] is False
    live = one(report, "key.live")
    assert live["status"] == "fail" and live["exit_code"] == 3 and "console.bytespike.ai/keys" in live["fix"]
    result = cli("doctor")
    assert result.exit_code == 1 and "✗" in result.stdout and TEST_KEYS["revoked"] not in result.stdout


def test_low_balance_is_a_warning_not_a_failure(cli, use_key):
    use_key("low_balance")
    code, report = cli.doctor_json()
    balance = one(report, "key.balance")
    assert code == 0 and balance["status"] == "warn" and "console.bytespike.ai/billing" in balance["fix"]


def test_env_key_shadows_the_saved_key(cli, use_key, monkeypatch):
    use_key("default")
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["low_balance"])
    _code, report = cli.doctor_json()
    finding = one(report, "key.env-shadows-file")
    assert finding["status"] == "warn" and finding["fix"].startswith("unset BYTESPIKE_API_KEY")


def test_no_key(cli, project, gateway, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    code, report = cli.doctor_json()
    assert code == 1
    assert one(report, "key.format")["fix"].startswith("run `bytespike login`")


def test_unknown_tool_is_a_usage_error(cli, use_key):
    use_key("default")
    result = cli("doctor", "claud-code")
    assert result.exit_code == 2 and "did you mean `claude-code`" in result.stderr


def test_no_tools_installed(cli, use_key):
    use_key("default")
    code, report = cli.doctor_json()
    assert code == 0 and one(report, "tools.none")["status"] == "skip"
