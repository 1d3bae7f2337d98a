"""bytespike run: the tool gets ByteSpike through its environment and command line only."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from bytespike_cli.fakegateway import TEST_KEYS
from bytespike_cli.fakegateway.catalogue import BY_ID

CLAUDE_VARS = ("ANTHROPIC_MODEL", "ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL",
               "ANTHROPIC_DEFAULT_HAIKU_MODEL")


def files_under(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


def test_claude_gets_env_only_and_its_exit_code_passes_through(cli, standin, key, gateway, isolated_home, monkeypatch):
    standin.install("claude")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-api03-user-own-anthropic-key-000")
    monkeypatch.setenv("STANDIN_EXIT", "42")
    before = files_under(isolated_home)
    result = cli("run", "claude", "--", "--resume", "abc")
    assert result.exit_code == 42
    seen = standin.record()
    env = seen["env"]
    assert seen["argv"] == ["--resume", "abc"]
    assert env["ANTHROPIC_BASE_URL"] == gateway.base_url
    assert env["ANTHROPIC_AUTH_TOKEN"] == key
    assert "ANTHROPIC_API_KEY" not in env  # it would win at the gateway (x-api-key)
    for name in CLAUDE_VARS:
        assert env[name] in BY_ID, name  # ids from the live catalogue
    assert env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] != env["ANTHROPIC_MODEL"]
    assert files_under(isolated_home) == before  # nothing written
    assert "running: env -u ANTHROPIC_API_KEY" in result.stderr
    assert key not in result.stderr and key not in result.stdout and "sk-byts-…" in result.stderr


def test_claude_user_model_flag_is_kept(cli, standin, key):
    standin.install("claude")
    assert cli("run", "claude", "--", "--model", "claude-opus-4-8").exit_code == 0
    seen = standin.record()
    assert seen["argv"] == ["--model", "claude-opus-4-8"] and "ANTHROPIC_MODEL" not in seen["env"]


def test_claude_warns_when_a_settings_file_overrides_the_environment(cli, standin, key, isolated_home):
    standin.install("claude")
    (isolated_home / ".claude").mkdir()
    (isolated_home / ".claude" / "settings.json").write_text('{"env": {"ANTHROPIC_BASE_URL": "https://x.example"}}')
    result = cli("run", "claude")
    assert result.exit_code == 0
    assert "sets env.ANTHROPIC_BASE_URL, which Claude Code applies over this command's environment" in result.stderr


def test_codex_gets_inline_provider_overrides(cli, standin, key, gateway):
    standin.install("codex")
    assert cli("run", "codex", "--", "exec", "hello").exit_code == 0
    seen = standin.record()
    argv = seen["argv"]
    assert argv[-2:] == ["exec", "hello"]
    overrides = [argv[i + 1] for i, a in enumerate(argv[:-2]) if a == "-c"]
    parsed = tomllib.loads("\n".join(
        f'"{k}" = {v}' if "." not in k else f'{".".join(chr(34) + p + chr(34) for p in k.split("."))} = {v}'
        for k, v in (o.split("=", 1) for o in overrides)))
    provider = parsed["model_providers"]["bytespike-run"]
    assert parsed["model_provider"] == "bytespike-run"
    assert provider == {"name": "ByteSpike (bytespike run)", "base_url": gateway.base_url + "/v1",
                        "wire_api": "responses", "env_key": "BYTESPIKE_API_KEY"}
    assert parsed["model"] in BY_ID and BY_ID[parsed["model"]].family == "gpt"
    assert seen["env"]["BYTESPIKE_API_KEY"] == key
    assert not any(key in a for a in argv)  # the key never goes on the command line


def test_codex_user_model_is_kept(cli, standin, key):
    standin.install("codex")
    assert cli("run", "codex", "--", "-m", "gpt-5-4").exit_code == 0
    argv = standin.record()["argv"]
    assert not any(a.startswith("model=") for a in argv) and argv[-2:] == ["-m", "gpt-5-4"]


def test_aider(cli, standin, key, gateway):
    standin.install("aider")
    assert cli("run", "aider", "--", "--yes-always").exit_code == 0
    seen = standin.record()
    env, argv = seen["env"], seen["argv"]
    assert env["OPENAI_API_BASE"] == env["AIDER_OPENAI_API_BASE"] == gateway.base_url + "/v1"
    assert env["OPENAI_API_KEY"] == env["AIDER_OPENAI_API_KEY"] == key
    model = argv[argv.index("--model") + 1]
    assert model.startswith("openai/") and model.removeprefix("openai/") in BY_ID
    assert argv[-1] == "--yes-always"


def test_env_only_for_any_command(cli, standin, key, gateway, monkeypatch):
    standin.install("mytool")
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "sk-other")
    assert cli("run", "--env-only", "mytool", "--", "-x", "y").exit_code == 0
    seen = standin.record()
    env = seen["env"]
    assert seen["argv"] == ["-x", "y"]
    assert env["OPENAI_BASE_URL"] == gateway.base_url + "/v1" and env["ANTHROPIC_BASE_URL"] == gateway.base_url
    assert env["OPENAI_API_KEY"] == env["ANTHROPIC_API_KEY"] == key
    assert "ANTHROPIC_AUTH_TOKEN" not in env


def test_tool_not_installed(cli, bin_dir, key):
    result = cli("run", "codex")
    assert result.exit_code == 2
    assert "Codex CLI is not installed" in result.stderr and "npm install -g @openai/codex" in result.stderr


def test_unknown_tool(cli, bin_dir, key):
    result = cli("run", "cladue")
    assert result.exit_code == 2 and "did you mean `claude`" in result.stderr and "--env-only" in result.stderr


def test_no_key(cli, standin, gateway, monkeypatch):
    standin.install("claude")
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url)
    result = cli("run", "claude")
    assert result.exit_code == 3 and "bytespike login" in result.stderr


def test_via_proxy_uses_the_running_proxy_and_a_placeholder_key(cli, standin, gateway, monkeypatch):
    from bytespike_cli.proxy.app import ProxyConfig
    from bytespike_cli.proxy.server import ThreadedProxy

    real = TEST_KEYS["default"]
    with ThreadedProxy(ProxyConfig(upstream=gateway.base_url, key=real, port=0)) as proxy:
        standin.install("claude")
        monkeypatch.setenv("STANDIN_FETCH", "1")
        result = cli("run", "--via-proxy", proxy.url, "claude")
    assert result.exit_code == 0, result.stderr
    seen = standin.record()
    env = seen["env"]
    assert env["ANTHROPIC_BASE_URL"] == proxy.url
    assert env["ANTHROPIC_AUTH_TOKEN"].startswith("sk-byts-") and env["ANTHROPIC_AUTH_TOKEN"] != real
    assert real not in "".join(env.values())
    assert "claude-sonnet-4-6" in seen["fetched"]  # the proxy added the real key


def test_via_proxy_when_no_proxy_answers(cli, standin, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    standin.install("claude")
    result = cli("run", "--via-proxy", str(port), "claude")
    assert result.exit_code == 7
    assert f"no bytespike proxy answers at http://127.0.0.1:{port}" in result.stderr
    assert "bytespike proxy" in result.stderr.split("hint:")[1]
    assert not standin.record_path.exists()


SLEEPER = """#!{python}
import os, signal, sys, time
def stop(signum, frame):
    open(os.environ["STANDIN_RECORD"], "w").write(signal.Signals(signum).name)
    sys.exit(99)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
open(os.environ["STANDIN_RECORD"] + ".ready", "w").write("ready")
time.sleep(30)
sys.exit(1)
"""

LAUNCHER = """
import sys
from tests.doctor.conftest import build_app
build_app()(sys.argv[1:], prog_name="bytespike")
"""


@pytest.mark.skipif(os.name == "nt", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signals_are_forwarded_to_the_tool(standin, key, sig):
    path = standin.folder / "sleeper"
    path.write_text(SLEEPER.format(python=sys.executable))
    path.chmod(0o755)
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-c", LAUNCHER, "run", "--env-only", "sleeper"], cwd=root,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(root)})
    ready = Path(str(standin.record_path) + ".ready")
    deadline = time.monotonic() + 20
    while not ready.exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert ready.exists(), proc.communicate(timeout=5)
    proc.send_signal(sig)
    _out, err = proc.communicate(timeout=20)
    assert standin.record_path.read_text() == sig.name
    assert proc.returncode == 99, err
