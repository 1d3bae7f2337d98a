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



def test_an_alias_is_checked_under_the_canonical_name(cli, use_key, gateway, isolated_home):
    use_key("default")
    claude_settings(isolated_home, gateway)
    code, report = cli.doctor_json("claude")
    assert code == 0
    assert one(report, "claude-code.probe")["status"] == "ok"
    assert not [f for f in report["findings"] if f["code"].startswith("claude.")]

def test_shell_api_key_silently_beats_the_helper(cli, use_key, gateway, isolated_home, monkeypatch):
    use_key("default")
    claude_settings(isolated_home, gateway)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-userskeyforanthropic0123456789")
    code, report = cli.doctor_json("claude-code")
    assert code == 1
    shadow = one(report, "claude-code.credential-shadowed")
    assert shadow["status"] == "fail"
    assert "outranks apiKeyHelper" in shadow["detail"]
    assert shadow["hint"].startswith("unset ANTHROPIC_API_KEY")
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
    assert finding["hint"] == f"remove env.ANTHROPIC_BASE_URL from {project / '.claude' / 'settings.json'}"
    assert not by_code(report, "claude-code.probe")  # the key is never sent to the other URL


def test_two_tokens_the_gateway_reads_x_api_key(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    claude_settings(isolated_home, gateway)
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", key)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEYS["revoked"])
    code, report = cli.doctor_json("claude-code")
    assert code == 1
    assert one(report, "claude-code.two-keys")["hint"].startswith("unset ANTHROPIC_API_KEY")
    probe = one(report, "claude-code.probe")
    assert probe["status"] == "fail" and probe["exit_code"] == 3 and "console.bytespike.ai/keys" in probe["hint"]


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
    assert "rename the table" in finding["hint"] and "bytespike setup codex" in finding["hint"]


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
        assert finding["hint"].startswith('export BS_DOCTOR_KEY="$(bytespike print-key)"')


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
    assert "0.110.2" in finding["detail"] and "npm install -g @openai/codex" in finding["hint"]


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
    assert finding["hint"].startswith("unset AIDER_OPENAI_API_BASE")


def test_aider_project_conf_shadows_home_conf(cli, use_key, gateway, isolated_home, project, monkeypatch):
    key = use_key("default")
    aider_conf(isolated_home, gateway.base_url + "/v1")
    aider_conf(project, "https://models.example.com/v1")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    finding = one(report, "aider.url-shadowed")
    assert finding["hint"] == f"remove openai-api-base from {project / '.aider.conf.yml'}"


def test_model_missing_from_catalogue_suggests_the_closest(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    aider_conf(isolated_home, gateway.base_url + "/v1", model="openai/claude-sonet-4-6")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    finding = one(report, "aider.model-missing")
    assert "'claude-sonet-4-6'" in finding["detail"] and finding["exit_code"] == 5
    assert finding["hint"].startswith("did you mean claude-sonnet-4-6")


def test_model_outside_the_keys_group(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("claude")  # claude-default group: no GPT models
    aider_conf(isolated_home, gateway.base_url + "/v1", model="openai/gpt-5-4")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    finding = one(report, "aider.model-not-in-group")
    assert "not in this key's group" in finding["detail"] and "all claude, deepseek models" in finding["detail"]
    assert finding["hint"].startswith("use claude-sonnet-4-6 (this key's chat model)")
    assert not by_code(report, "aider.model-missing")


def login(cli, profile, base_url, key):
    result = cli.runner.invoke(cli.app, ["login", "--profile", profile, "--base-url", base_url, "--key-stdin"],
                               input=key, catch_exceptions=False)
    assert result.exit_code == 0, result.stderr


def test_model_in_another_keys_group_is_told_apart_from_a_wrong_id(cli, use_key, gateway, isolated_home, project):
    use_key("default")  # profile 'default' holds a default-group key, which lists GPT models
    login(cli, "cl", gateway.base_url, TEST_KEYS["claude"])
    write(isolated_home / ".claude" / "settings.json", "{}")
    write(project / ".claude" / "settings.local.json", json.dumps({
        "apiKeyHelper": "bytespike print-key --profile cl",
        "env": {"ANTHROPIC_BASE_URL": gateway.base_url, "ANTHROPIC_DEFAULT_HAIKU_MODEL": "gpt-5-4-mini",
                "ANTHROPIC_DEFAULT_SONNET_MODEL": "claude-sonet-4-6"}}))
    code, report = cli.doctor_json("claude-code", "--profile", "default")
    assert code == 1
    group = one(report, "claude-code.model-not-in-group")
    assert "'gpt-5-4-mini'" in group["detail"] and "profile 'default''s key can use it" in group["detail"]
    assert group["hint"].startswith("use claude-haiku-4-5 (this key's fast model)")  # same role: the fast slot
    assert "--profile default" in group["hint"] and group["exit_code"] == 5
    typo = one(report, "claude-code.model-missing")
    assert "'claude-sonet-4-6'" in typo["detail"] and "not a ByteSpike id" in typo["detail"]
    assert typo["hint"].startswith("did you mean claude-sonnet-4-6")


def test_aider_model_without_openai_prefix(cli, use_key, gateway, isolated_home, monkeypatch):
    key = use_key("default")
    aider_conf(isolated_home, gateway.base_url + "/v1", model="gpt-5-4")
    monkeypatch.setenv("AIDER_OPENAI_API_KEY", key)
    code, report = cli.doctor_json("aider")
    assert code == 1
    assert one(report, "aider.model-prefix")["hint"].startswith("use openai/gpt-5-4")


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
    assert running["hint"].startswith("quit Cursor completely")
    assert one(report, "cursor.key-plaintext")["status"] == "warn"
    local = one(report, "cursor.local-url")  # Cursor calls custom URLs from its own servers
    assert local["status"] == "fail" and code == 1


def test_cline_with_encrypted_storage(cli, use_key, isolated_home):
    use_key("default")
    (isolated_home / ".vscode" / "extensions" / "saoudrizwan.claude-dev-3.60.0").mkdir(parents=True)
    code, report = cli.doctor_json("cline")
    finding = one(report, "cline.encrypted-storage")
    assert finding["status"] == "warn" and "Cline 3.60.0 in VS Code" in finding["detail"]
    assert "update Cline to 3.66" in finding["hint"]
    assert code == 0


def test_continue_secret_not_found(cli, use_key, gateway, isolated_home):
    use_key("default")
    write(isolated_home / ".continue" / "config.yaml",
          "name: c\nversion: 1.0.0\nmodels:\n  - name: s\n    provider: openai\n    model: gpt-5-4\n"
          f"    apiBase: {gateway.base_url}/v1\n    apiKey: ${{{{ secrets.BYTESPIKE_API_KEY }}}}\n")
    code, report = cli.doctor_json("continue")
    assert code == 1
    assert "bytespike setup continue" in one(report, "continue.secret-missing")["hint"]
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
    assert finding["status"] == "warn" and "BYTESPIKE_API_KEY" in finding["hint"] and code == 0
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
    assert proxy["hint"].startswith("export NO_PROXY=127.0.0.1")
    connect = one(report, "network.connect")
    assert connect["status"] == "fail" and connect["exit_code"] == 7 and "export NO_PROXY=127.0.0.1" in connect["hint"]
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
    assert dns["status"] == "fail" and dns["exit_code"] == 7 and "`bytespike status`" in dns["hint"]


def test_clock_skew(cli, project, monkeypatch):
    with Stub({"/": (200, {}, {})}, date_offset_s=-2 * 3600) as stub:
        monkeypatch.setenv("BYTESPIKE_BASE_URL", stub.url)
        monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
        _code, report = cli.doctor_json()
    clock = one(report, "network.clock")
    assert clock["status"] == "warn" and "2.0 h ahead of the gateway's" in clock["detail"]
    assert "timedatectl" in clock["hint"]


# -- the key --------------------------------------------------------------------------------------------------------
def test_revoked_key_fails_with_the_console_fix(cli, use_key):
    use_key("revoked")
    code, report = cli.doctor_json()
    assert code == 1 and report["ok"] is False
    live = one(report, "key.live")
    assert live["status"] == "fail" and live["exit_code"] == 3 and "console.bytespike.ai/keys" in live["hint"]
    result = cli("doctor")
    assert result.exit_code == 1 and "✗" in result.stdout and TEST_KEYS["revoked"] not in result.stdout


def test_low_balance_is_a_warning_not_a_failure(cli, use_key):
    use_key("low_balance")
    code, report = cli.doctor_json()
    balance = one(report, "key.balance")
    assert code == 0 and balance["status"] == "warn" and "console.bytespike.ai/billing" in balance["hint"]


def test_env_key_shadows_the_saved_key(cli, use_key, monkeypatch):
    use_key("default")
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["low_balance"])
    _code, report = cli.doctor_json()
    finding = one(report, "key.env-shadows-file")
    assert finding["status"] == "warn" and finding["hint"].startswith("unset BYTESPIKE_API_KEY")


def test_no_key(cli, project, gateway, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    code, report = cli.doctor_json()
    assert code == 1
    assert one(report, "key.format")["hint"].startswith("run `bytespike login`")


def test_unknown_tool_is_a_usage_error(cli, use_key):
    use_key("default")
    result = cli("doctor", "claud-code")
    assert result.exit_code == 2 and "did you mean `claude-code`" in result.stderr


def test_no_tools_installed(cli, use_key):
    use_key("default")
    code, report = cli.doctor_json()
    assert code == 0 and one(report, "tools.none")["status"] == "skip"


# -- keys go only to ByteSpike -------------------------------------------------------------------------------------
@pytest.mark.parametrize("url, expected", [
    ("https://llm.bytespike.ai", True),
    ("https://llm.bytespike.ai/v1", True),
    ("https://LLM.ByteSpike.ai:443/", True),
    ("http://127.0.0.1:4000/v1", True),  # a configured root, same scheme, host and port
    ("http://llm.bytespike.ai", False),  # plain http to the official host
    ("https://llm.bytespike.ai:8443", False),
    ("https://llm.bytespike.ai.evil.io", False),
    ("https://bytespike.attacker.io", False),
    ("http://192.0.2.2:45301/bytespike", False),
    ("https://llm.bytespike.ai@evil.io", False),
    ("https://evil.io\\@llm.bytespike.ai", False),
    ("http://127.0.0.1:4001", False),
    ("", False),
    (None, False),
])
def test_only_exact_gateway_origins_count_as_bytespike(url, expected):
    from bytespike_cli.tools.base import looks_like_bytespike_url

    assert looks_like_bytespike_url(url, ("https://llm.bytespike.ai", "http://127.0.0.1:4000")) is expected


@pytest.mark.parametrize("elsewhere", ["http://192.0.2.2:45301/bytespike", "https://llm.bytespike.ai.evil.test",
                                       "http://bytespike.attacker.test"])
@pytest.mark.parametrize("user_points_at_gateway", [False, True])
def test_key_is_never_sent_to_a_url_that_only_mentions_bytespike(cli, use_key, gateway, isolated_home, project,
                                                               monkeypatch, elsewhere, user_points_at_gateway):
    """A cloned project's .claude/settings.json must not get the key out of a plain `bytespike doctor`.

    Every request that does not go to loopback is sent through an HTTP proxy on loopback that records
    it, so a probe of the foreign URL would show up there."""
    key = use_key("default")
    extra = {"env": {"ANTHROPIC_BASE_URL": gateway.base_url}} if user_points_at_gateway else {"env": {}}
    write(isolated_home / ".claude" / "settings.json", json.dumps({"apiKeyHelper": HELPER, **extra}))
    write(project / ".claude" / "settings.json", json.dumps({"env": {"ANTHROPIC_BASE_URL": elsewhere}}))
    with Stub({}) as recorder:
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(name, recorder.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
        code, report = cli.doctor_json("claude-code")
        text = cli("doctor", "claude-code").stdout
    assert recorder.seen == []
    assert code == 1 and not by_code(report, "claude-code.probe")
    finding = one(report, "claude-code.url-shadowed" if user_points_at_gateway else "claude-code.not-bytespike")
    assert finding["status"] == "fail"
    assert f"calls {elsewhere}, not ByteSpike" in finding["detail"].replace(" (", ", not ByteSpike (", 0) or (
        f"calls {elsewhere} (" in finding["detail"] and "not ByteSpike" in finding["detail"])
    assert "would send your ByteSpike key" in finding["detail"]
    assert key not in json.dumps(report) and key not in text


def test_a_tool_pointed_elsewhere_without_our_key_is_reported_not_probed(cli, use_key, isolated_home, project):
    use_key("default")
    write(isolated_home / ".claude" / "settings.json", "{}")
    write(project / ".claude" / "settings.json", json.dumps({"env": {"ANTHROPIC_BASE_URL": "https://bytespike.example"}}))
    code, report = cli.doctor_json("claude-code")
    finding = one(report, "claude-code.not-bytespike")
    assert finding["status"] == "warn" and "calls https://bytespike.example" in finding["detail"]
    assert "bytespike setup claude-code" in finding["hint"] and not by_code(report, "claude-code.probe")


# -- Codex profiles -------------------------------------------------------------------------------------------------
def test_codex_profile_for_another_provider_shadows_bytespike(cli, use_key, gateway, isolated_home):
    use_key("default")
    write(isolated_home / ".codex" / "config.toml",
          f'model_provider = "bytespike"\nmodel = "gpt-5-4"\nprofile = "work"\n\n'
          f'[model_providers.bytespike]\nname = "ByteSpike"\nbase_url = "{gateway.base_url}/v1"\n\n'
          '[model_providers.bytespike.auth]\ncommand = "bytespike"\nargs = ["print-key", "--profile", "default"]\n\n'
          '[profiles.work]\nmodel_provider = "azure"\n\n'
          '[model_providers.azure]\nname = "Azure"\nbase_url = "https://x.openai.azure.com/openai"\n'
          'env_key = "AZURE_OPENAI_API_KEY"\n')
    code, report = cli.doctor_json("codex")
    assert code == 1
    finding = one(report, "codex.url-shadowed")
    assert "calls https://x.openai.azure.com/openai, not ByteSpike" in finding["detail"]
    assert "profile 'work'" in finding["detail"] and "[model_providers.bytespike]" in finding["detail"]
    assert finding["hint"].startswith('remove `profile = "work"` from ~/.codex/config.toml')
    assert not by_code(report, "codex.env-key-missing") and not by_code(report, "codex.probe")
    assert "print-key" not in " ".join(f["hint"] or "" for f in report["findings"] if f["area"] == "codex")


# -- the account endpoint is optional ----------------------------------------------------------------------------------
@pytest.mark.parametrize("status", [403, 404, 405, 501])
@pytest.mark.parametrize("html", [True, False])
def test_a_gateway_without_the_account_endpoint_does_not_fail_doctor(cli, project, monkeypatch, status, html):
    quota = {"X-Quota-Remaining-Credits": "12.00"}
    body = "<html><body><h1>Not here</h1></body></html>" if html else {"error": {"message": "nope"}}
    model = {"id": "gpt-5-4", "object": "model", "family": "gpt", "capabilities": ["text", "tool_use", "streaming"]}
    routes = {"/v1/models": (200, quota, {"object": "list", "data": [model]}),
              "/api/v1/me/account": (status, {}, body)}
    with Stub(routes) as stub:
        monkeypatch.setenv("BYTESPIKE_BASE_URL", stub.url)
        monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
        code, report = cli.doctor_json()
        text = cli("doctor").stdout
    balance = one(report, "key.balance")
    assert balance["status"] == "warn" and "balance unknown" in balance["detail"]
    assert code == 0 and report["ok"] is True
    assert "<html" not in json.dumps(report) and "<html" not in text
    assert "not allowed to use the key" not in json.dumps(report)  # a 403 here is no IP denial


# -- the report on an 80-column terminal -------------------------------------------------------------------------------
def test_text_report_fits_80_columns_and_ends_with_the_failures(cli, use_key, gateway, isolated_home, project,
                                                                monkeypatch):
    use_key("default")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("BYTESPIKE_FORCE_TTY", "1")  # on a terminal it wraps; a pipe gets whole lines
    claude_settings(isolated_home, gateway)
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-userskeyforanthropic0123456789")
    text = cli("doctor", "claude-code").stdout
    lines = text.splitlines()
    too_long = [line for line in lines if len(line) > 80 and " " in line.strip()]
    assert not too_long, too_long
    area = lines.index("Claude Code")
    assert lines[area + 1].startswith("  • Claude Code uses")  # what it uses first, with a neutral mark
    assert any(line.strip().startswith("base URL  " + gateway.base_url) for line in lines)
    tail = "\n".join(lines[lines.index(next(l for l in lines if l.startswith("✗ "))):])
    assert "Claude Code: " in tail and "fix: unset ANTHROPIC_API_KEY" in tail
