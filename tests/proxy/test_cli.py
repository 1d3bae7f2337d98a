"""``bytespike proxy`` as a user runs it: flags, refusals, signals, logs, offline mode, the key never shown."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import openai
import pytest
import typer
from typer.testing import CliRunner

from bytespike_cli.fakegateway import FAULT_HEADER

from .conftest import CANARY, connect, exchange, free_port, read_response, request_bytes

READY = re.compile(r"OpenAI (http://127\.0\.0\.1:(\d+))/v1")


def _cli_app() -> typer.Typer:
    """The real root app, as `bytespike` runs it: if ``proxy`` were not mounted, these tests fail."""
    from bytespike_cli.cli.app import app

    assert any(c.name == "proxy" for c in app.registered_commands), "`proxy` is not mounted in the root CLI"
    return app


def test_a_non_loopback_host_without_a_token_refuses_to_start(monkeypatch):
    monkeypatch.setenv("BYTESPIKE_API_KEY", CANARY)
    result = CliRunner().invoke(_cli_app(), ["proxy", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "needs a token" in result.output and "hint:" in result.output and "--token" in result.output


def test_an_upstream_that_is_the_proxy_itself_refuses_to_start(monkeypatch):
    monkeypatch.setenv("BYTESPIKE_API_KEY", CANARY)
    port = free_port()
    result = CliRunner().invoke(_cli_app(), ["proxy", "--port", str(port), "--upstream", f"http://localhost:{port}/v1"])
    assert result.exit_code == 2
    assert "loop" in result.output and "hint:" in result.output


def test_no_key_says_how_to_get_one():
    result = CliRunner().invoke(_cli_app(), ["proxy", "--upstream", "http://127.0.0.1:9"])
    assert result.exit_code == 3
    assert "no ByteSpike key" in result.output and "hint:" in result.output


def test_a_port_in_use_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("BYTESPIKE_API_KEY", CANARY)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        result = CliRunner().invoke(_cli_app(), ["proxy", "--port", str(port), "--upstream", "http://127.0.0.1:9"])
    assert result.exit_code == 2
    assert "cannot listen" in result.output and f"--port {port + 1}" in result.output  # not the busy one
    assert CANARY not in result.output


# --------------------------------------------------------------------------- subprocess


class Running:
    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "bytespike_cli.proxy", "--port", "0", *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        self.stderr_lines: list[str] = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            self.stderr_lines.append(line)
            match = READY.search(line)
            if match:
                self.url, self.port = match.group(1), int(match.group(2))
                return
        self.proc.kill()
        raise AssertionError("proxy did not start: " + "".join(self.stderr_lines) + self.proc.stderr.read())

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        self.proc.send_signal(sig)
        out, err = self.proc.communicate(timeout=15)
        return self.proc.returncode, out, "".join(self.stderr_lines) + err


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BYTESPIKE_API")}
    env.update(extra)
    return env


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_on_sigterm_and_ctrl_c(gateway, sig):
    running = Running(["--upstream", gateway.base_url], _env(BYTESPIKE_API_KEY=CANARY))
    assert exchange(running.port, "GET", "/v1/models").status == 401  # the gateway does not know the canary
    code, out, err = running.stop(sig)
    assert code == (130 if sig == signal.SIGINT else 0)  # Ctrl-C is an interruption; SIGTERM a requested stop
    assert "Traceback" not in err and "Traceback" not in out
    assert "GET    /v1/models" in out
    line = next(ln for ln in out.splitlines() if "/v1/models" in ln)
    assert " 401 " in line and "! " in line and "key" in line.lower()  # the gateway's reason, not a bare 401
    assert "bytespike proxy stopped: 1 requests forwarded, 0 refused" in err


def test_sigterm_lets_an_in_flight_stream_finish(gateway):
    running = Running(["--offline"], _env())
    body = json.dumps({"model": "gpt-5-5", "stream": True,
                       "messages": [{"role": "user", "content": "one two three four five"}]}).encode()
    with connect(running.port) as sock:
        sock.sendall(request_bytes("POST", "/v1/chat/completions", running.port, body=body,
                                   headers={"Content-Type": "application/json", FAULT_HEADER: "slow-stream=100"}))
        time.sleep(0.25)
        running.proc.send_signal(signal.SIGTERM)
        response = read_response(sock)
    assert response.status == 200 and b"data: [DONE]" in response.body()
    out, err = running.proc.communicate(timeout=15)
    assert running.proc.returncode == 0 and "Traceback" not in err


@pytest.mark.parametrize("log", ["pretty", "json"])
def test_the_key_never_appears_in_any_output(gateway, log):
    running = Running(["--upstream", gateway.base_url, "--log", log], _env(BYTESPIKE_API_KEY=CANARY))
    port = running.port
    exchange(port, "GET", "/v1/models")
    exchange(port, "POST", f"/v1beta/models/gemini-3-flash:generateContent?key={CANARY}", body=b"{}")
    exchange(port, "GET", f"/v1/models/{CANARY}")  # a client that puts a key in the path
    exchange(port, "POST", "/v1/chat/completions", body=b"{}", headers={"Authorization": f"Bearer {CANARY}"})
    exchange(port, "GET", "/v1/models", host="evil.example")
    code, out, err = running.stop()
    assert code == 0
    assert CANARY not in out and CANARY not in err
    assert CANARY[-4:] in err  # the masked form is shown so the user knows which key is used
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) >= 5
    if log == "json":
        docs = [json.loads(ln) for ln in lines]
        requests = [d for d in docs if "status" in d]
        assert {d["status"] for d in requests} >= {401, 403}
        assert all({"time", "method", "path", "model", "status", "ttfb_ms", "total_ms", "bytes",
                    "credits_remaining"} <= set(d) for d in requests)


def test_the_key_never_appears_when_the_gateway_is_unreachable():
    running = Running(["--upstream", f"http://127.0.0.1:{free_port()}"], _env(BYTESPIKE_API_KEY=CANARY))
    response = exchange(running.port, "POST", "/v1/messages", body=b"{}")
    assert response.status == 502
    code, out, err = running.stop()
    assert CANARY.encode() not in response.raw_body
    assert CANARY not in out + err and "upstream_unreachable" in out


def test_offline_serves_a_newcomer_with_no_key_and_warms_models():
    running = Running(["--offline", "--warm", "gpt-5-5", "--warm", "claude-haiku-4-5,gemini-3-flash", "--log", "json"],
                      _env())
    client = openai.OpenAI(base_url=running.url + "/v1", api_key="anything", max_retries=0)
    reply = client.chat.completions.create(model="gpt-5-5", messages=[{"role": "user", "content": "hi offline"}])
    assert reply.choices[0].message.content == "echo: hi offline"
    deadline = time.monotonic() + 5
    code, out, err = running.stop()
    assert code == 0 and time.monotonic() < deadline + 15
    docs = [json.loads(ln) for ln in out.splitlines() if ln.strip()]
    assert docs[0]["event"] == "ready" and docs[0]["openai_base_url"] == running.url + "/v1"
    warm = {d["model"]: d for d in docs if d.get("warm")}
    assert set(warm) == {"gpt-5-5", "claude-haiku-4-5", "gemini-3-flash"}
    assert {d["path"].split("?")[0] for d in warm.values()} == {
        "/v1/chat/completions", "/v1/messages", "/v1beta/models/gemini-3-flash:generateContent"}
    assert all(d["status"] == 200 for d in warm.values())
    served = [d for d in docs if d.get("status") == 200 and not d.get("warm")]
    assert served and served[0]["model"] == "gpt-5-5" and served[0]["credits_remaining"] is not None


def test_the_banner_leads_with_the_listen_address_and_gives_export_lines(gateway):
    running = Running(["--upstream", gateway.base_url], _env(BYTESPIKE_API_KEY=CANARY))
    lines = list(running.stderr_lines)
    while not lines[-1].startswith("Ctrl-C to stop"):
        lines.append(running.proc.stderr.readline())
    code, out, _ = running.stop()
    err = "".join(lines)
    assert lines[0].startswith(f"bytespike proxy listening on {running.url} → {gateway.base_url}")
    assert f"export OPENAI_BASE_URL={running.url}/v1" in err
    assert f"export ANTHROPIC_BASE_URL={running.url}" in err
    assert CANARY not in err + out


def test_a_mistyped_warm_model_is_refused_at_start_with_the_closest_id(tmp_path):
    done = subprocess.run([sys.executable, "-m", "bytespike_cli", "proxy", "--offline", "--port", "0",
                           "--warm", "claude-haiku-45"], capture_output=True, text=True, timeout=60,
                          env=_env(BYTESPIKE_HOME=str(tmp_path)))
    assert done.returncode == 5
    assert "--warm claude-haiku-45" in done.stderr and "did you mean claude-haiku-4-5" in done.stderr
    assert "Traceback" not in done.stderr


def test_plain_http_to_another_host_needs_insecure(monkeypatch):
    monkeypatch.setenv("BYTESPIKE_API_KEY", CANARY)
    result = CliRunner().invoke(_cli_app(), ["proxy", "--port", "0", "--upstream", "http://gateway.example.com"])
    assert result.exit_code == 2 and "clear text" in result.output and "--insecure" in result.output
