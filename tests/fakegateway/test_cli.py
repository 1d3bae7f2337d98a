"""`bytespike gateway serve`: as a subprocess (ready line, real requests, clean stop) and via CliRunner."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from bytespike_cli.fakegateway import DEMO_KEY

# The installed entry point's module: the root CLI exactly as `bytespike` runs it.
LAUNCHER = [sys.executable, "-m", "bytespike_cli"]
READY = re.compile(r"offline gateway ready: (http://127\.0\.0\.1:\d+) .* key (sk-byts-\S+)")


def _root() -> typer.Typer:
    """The real root app: if `gateway` were not mounted, every test here fails."""
    from bytespike_cli.cli.app import app

    assert "gateway" in {g.name for g in app.registered_groups}, "`gateway` is not mounted in the root CLI"
    return app


def _start(*args: str, command=None) -> tuple[subprocess.Popen, re.Match]:
    command = command or LAUNCHER
    proc = subprocess.Popen([*command, "gateway", "serve", "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    match = READY.search(line)
    if not match:
        proc.kill()
        pytest.fail(f"no ready line: {line!r} {proc.stderr.read()}")
    return proc, match


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_prints_one_ready_line_answers_and_stops_cleanly(sig):
    proc, match = _start()
    try:
        base_url, key = match.groups()
        assert key == DEMO_KEY and key.startswith("sk-byts-")  # public demo key, printed whole to paste
        assert f"{base_url}/v1" in match.group(0) and f"{base_url}/v1beta" in match.group(0)
        reply = httpx.post(base_url + "/v1/chat/completions", headers={"Authorization": f"Bearer {key}"},
                           json={"model": "gpt-5-4", "messages": [{"role": "user", "content": "cli"}]}, timeout=5)
        assert reply.json()["choices"][0]["message"]["content"] == "echo: cli"
    finally:
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=10)
    # Ctrl-C is an interruption (130, like every command); SIGTERM is a service manager's normal stop
    assert proc.returncode == (130 if sig == signal.SIGINT else 0)
    assert "stopped" in err and "Traceback" not in err
    assert out == ""  # exactly one line on stdout, already read


def test_serve_with_a_fault_and_cold_start():
    proc, match = _start("--fault", "status=503", "--cold-start-ms", "10")
    try:
        response = httpx.get(match.group(1) + "/v1/models", headers={"Authorization": f"Bearer {DEMO_KEY}"})
        assert response.status_code == 503
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)


def test_the_installed_entry_point_serves():
    bytespike = Path(sys.executable).with_name("bytespike")
    assert bytespike.is_file(), "the `bytespike` entry point is not installed next to this Python"
    proc, match = _start(command=[str(bytespike)])
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=10)
    assert proc.returncode == 0


def test_help_lists_serve():
    result = CliRunner().invoke(_root(), ["gateway", "--help"])
    assert result.exit_code == 0 and "serve" in result.output


def test_bad_fault_is_a_usage_error():
    result = CliRunner().invoke(_root(), ["gateway", "serve", "--fault", "status=299"])
    assert result.exit_code == 2
    assert "error: --fault" in result.output and "hint:" in result.output


def test_busy_port_is_a_usage_error_with_a_hint():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(_root(), ["gateway", "serve", "--port", str(port)])
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "--port 0" in result.output
