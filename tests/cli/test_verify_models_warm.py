"""verify, models, warm and login against the fake gateway on a real socket: every error class."""

from __future__ import annotations

import json
import re
import socket

import pytest

from bytespike_cli.errors import ExitCode
from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS


def catalogue_ids(run, *args):
    result = run("models", "--json", *args)
    assert result.exit_code == 0, result.stderr
    return [m["model"] for m in json.loads(result.stdout)["models"]]


def test_verify_passes_and_shows_quota_headers(run, use_key, gateway):
    use_key("default")
    result = run("verify")
    assert result.exit_code == 0, result.stderr
    for name in ("key format", "reachability", "key accepted (GET /v1/models)", "account and balance"):
        assert f"✓ {name}" in result.stdout
    # the quota headers in words, then one verdict and the next step (issue 14, item 6)
    assert "✓ spend limits: spend window $17.65 of $20.00 left, resets " in result.stdout
    assert "this key can spend $" in result.stdout and "quota headers:" not in result.stdout
    assert result.stdout.rstrip().splitlines()[-2:] == [
        "✓ ready: the key works: " + result.stdout.split("key accepted (GET /v1/models): ")[1].split(" in")[0],
        'next: `bytespike chat "hello"` for a first real answer, or `bytespike setup` for your editors']
    assert not any(r.path == "/v1/chat/completions" for r in gateway.requests), "verify without --chat must not bill"


def test_verify_chat_sends_one_token_completion(run, use_key, gateway):
    use_key("default")
    result = run("verify", "--chat")
    assert result.exit_code == 0, result.stderr
    chats = [r for r in gateway.requests if r.method == "POST"]
    # streamed on the chosen model's native protocol (a claude model: Anthropic Messages), max_tokens 1
    assert len(chats) == 1 and chats[0].path == "/v1/messages"
    assert chats[0].json["max_tokens"] == 1 and chats[0].json["stream"] is True
    assert "✓ streamed chat (claude-" in result.stdout and "first token" in result.stdout
    assert "billed" in result.stderr


@pytest.mark.parametrize("key_name, fault, code, message, hint", [
    ("revoked", None, ExitCode.AUTH, "rejected the key", "rotate a key"),
    ("empty_wallet", None, ExitCode.BUDGET, "wallet is empty", "top up"),
    ("quota_reached", None, ExitCode.BUDGET, "lifetime quota", "raise the key's quota"),
    ("ip_denied", None, ExitCode.PERMISSION, "IP address is not allowed", "IP allow/deny"),
    ("paused_org", None, ExitCode.PERMISSION, "organisation is paused", "admin"),
    ("rate_limited", None, ExitCode.RATE_LIMIT, "spend limit", "wait until it resets at"),
    ("default", "status=500", ExitCode.GATEWAY, "could not serve", "retry in a moment"),
    ("default", "status=503", ExitCode.GATEWAY, "could not serve", "retry in a moment"),
    ("default", "status=429", ExitCode.RATE_LIMIT, "spend limit", "wait until it resets"),
])
def test_verify_error_classes(run, use_key, gateway, key_name, fault, code, message, hint):
    key = use_key(key_name)
    gateway.set_fault(fault)
    result = run("verify", "--json")
    assert result.exit_code == code, result.output
    data = json.loads(result.stdout)
    failed = [c for c in data["checks"] if c["status"] == "fail"]
    assert len(failed) == 1 and message in failed[0]["detail"] and hint in failed[0]["hint"]
    assert failed[0]["exit_code"] == code and data["ok"] is False
    human = run("verify")
    assert human.exit_code == code
    # printed once (the ✗ line and its fix), then the verdict; no second error:/hint: copy. The two runs may
    # straddle a second, so a countdown such as "(in 1 s)" / "16:09:29" is compared without its number.
    def steady(text: str) -> str:
        return re.sub(r"\d+", "N", text)

    assert steady(human.stdout).count(steady(failed[0]["detail"])) == 1
    assert steady(human.stdout).count(steady(failed[0]["hint"])) == 1
    assert "error:" not in human.stderr
    assert "  fix: " in human.stdout and hint in human.stdout
    assert f"✗ not ready: " in human.stdout and f"(exit {int(code)})" in human.stdout
    assert key not in human.output + result.output


def test_verify_low_balance_is_a_warning_not_a_failure(run, use_key):
    use_key("low_balance")
    result = run("verify")
    assert result.exit_code == 0
    assert "! account and balance" in result.stdout and "low-balance threshold" in result.stdout


def test_verify_unknown_model_suggests_closest(run, use_key):
    use_key("default")
    real = catalogue_ids(run)[0]
    typo = real[:-1] + ("x" if real[-1] != "x" else "y")
    result = run("verify", "--model", typo)
    assert result.exit_code == ExitCode.PERMISSION
    assert f"did you mean {real}" in result.stdout + result.stderr


def test_verify_timeout(run, use_key, gateway, monkeypatch):
    use_key("default")
    gateway.set_fault("delay=3000")
    monkeypatch.setenv("BYTESPIKE_TIMEOUT", "0.3")
    result = run("verify")
    assert result.exit_code == ExitCode.NETWORK
    assert "timed out after 0.3 s (BYTESPIKE_TIMEOUT) waiting for 127.0.0.1" in result.stdout
    assert "raise BYTESPIKE_TIMEOUT" in result.stdout


def test_verify_connection_refused(run, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("BYTESPIKE_BASE_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    result = run("verify")
    assert result.exit_code == ExitCode.NETWORK
    assert "refused" in result.stdout and "fix: nothing listens" in result.stdout
    assert "comes from BYTESPIKE_BASE_URL" in result.stdout and "unset BYTESPIKE_BASE_URL" in result.stdout


def test_verify_dns_failure(run, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", "https://gateway.does-not-exist.invalid")
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    result = run("verify")
    assert result.exit_code == ExitCode.NETWORK
    assert "cannot resolve gateway.does-not-exist.invalid" in result.stdout


def test_wrong_base_path_is_a_404_with_url_hint(run, use_key, gateway, monkeypatch):
    use_key("default")
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway.base_url + "/api/wrong")
    result = run("verify")
    assert result.exit_code == ExitCode.GATEWAY
    assert "no such endpoint" in result.stdout and "gateway root" in result.stdout


def test_chat_probe_model_errors_map_to_permission(use_key, gateway):
    """403 model_not_in_group, 400 model_not_allowed, unsupported and unknown models: exit 5 each."""
    from bytespike_cli.errors import PermissionDenied
    from bytespike_cli.gateway import GatewayClient
    from bytespike_cli.settings import resolve

    use_key("claude")
    all_models = set()
    with GatewayClient(resolve(), key=TEST_KEYS["default"]) as client:
        all_models = {m.id: m for m in client.list_models()[0]}
    outside = next(m for m in all_models.values() if m.family == "gpt")
    cases = [
        (None, outside.id, "not in this key's group", "pick a model from `bytespike models`"),
        ("model-error=400", outside.id, "not allowed for this key's group", "pick a model from `bytespike models`"),
        (None, "deepseek-chat", "retired or not supported", "`bytespike models` for the current ids"),
        (None, "no-such-model-1", "does not exist", "ids your key can use"),
    ]
    with GatewayClient(resolve()) as client:
        for fault, model_id, message, hint in cases:
            gateway.set_fault(fault)
            with pytest.raises(PermissionDenied) as err:
                client.chat_probe(model_id)
            assert message in err.value.message and model_id in err.value.message
            assert hint in err.value.hint and err.value.exit_code == ExitCode.PERMISSION


def test_models_table_and_filters(run, use_key):
    use_key("default")
    everything = json.loads(run("models", "--json").stdout)["models"]
    assert len(everything) >= 8
    families = {m["family"] for m in everything}
    assert {"claude", "gpt", "gemini"} <= families
    claude = catalogue_ids(run, "--family", "claude")
    assert claude and all(m["family"] == "claude" for m in everything if m["model"] in claude)
    assert set(claude) == {m["model"] for m in everything if m["family"] == "claude"}
    vision = catalogue_ids(run, "--capability", "vision")
    assert set(vision) == {m["model"] for m in everything if "vision" in m["capabilities"]}

    table = run("models")
    assert table.exit_code == 0
    for m in everything:
        assert m["model"] in table.stdout
    fast = [m for m in everything if m["low_latency"]]
    rows = {line.split("\t")[0]: line.split("\t") for line in table.stdout.splitlines()}
    assert fast and all(rows[m["model"]][-1] == ("fast" if m["low_latency"] else "") for m in everything)
    claude_row = next(m for m in everything if m["family"] == "claude")
    assert claude_row["native_protocols"] == ["anthropic"] and "openai" in claude_row["translated_protocols"]


def test_models_only_shows_the_keys_group(run, use_key):
    use_key("gemini")
    families = {m["family"] for m in json.loads(run("models", "--json").stdout)["models"]}
    assert families == {"gemini"}


def test_warm_reports_cold_then_warm_on_native_protocols(run, monkeypatch):
    from bytespike_cli.fakegateway import FakeGateway

    with FakeGateway(cold_start_ms=400) as gw:
        monkeypatch.setenv("BYTESPIKE_BASE_URL", gw.base_url)
        monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
        everything = json.loads(run("models", "--json").stdout)["models"]
        pick = [next(m["model"] for m in everything if m["family"] == fam) for fam in ("claude", "gpt", "gemini")]
        result = run("warm", *pick, "--count", "3", "--json")
        assert result.exit_code == 0, result.stderr
        assert "billed" in result.stderr
        summaries = {s["model"]: s for s in json.loads(result.stdout)["models"]}
        for model_id in pick:
            s = summaries[model_id]
            assert len(s["requests"]) == 3 and s["errors"] == []
            assert s["cold_ttft_ms"] >= 400 > s["warm_ttft_ms_p50"]
        sent = [(r.path, r.json) for r in gw.requests if r.method == "POST"]
        assert sum(p == "/v1/messages" for p, _ in sent) == 3
        assert sum(p == "/v1/chat/completions" for p, _ in sent) == 3
        assert sum(p.startswith("/v1beta/models/") and p.endswith(":streamGenerateContent") for p, _ in sent) == 3
        for path, body in sent:
            if path.startswith("/v1beta"):
                assert body["generationConfig"]["maxOutputTokens"] == 1
            else:
                assert body["max_tokens"] == 1 and body["stream"] is True


def test_warm_unknown_model_and_errors(run, use_key, gateway):
    use_key("default")
    real = catalogue_ids(run)[0]
    result = run("warm", real + "-typo")
    assert result.exit_code == ExitCode.PERMISSION and f"did you mean {real}" in result.stderr
    gateway.set_fault("status=429")
    limited = run("warm", real, "--count", "1")
    assert limited.exit_code == ExitCode.RATE_LIMIT and "spend limit" in limited.stderr


def test_warm_mid_stream_error_is_reported(run, use_key, gateway):
    use_key("default")
    real = catalogue_ids(run)[0]
    gateway.set_fault("error-after=0")
    result = run("warm", real, "--count", "1", "--json")
    assert result.exit_code == ExitCode.GATEWAY
    assert "error" in json.loads(result.stdout)["models"][0]["errors"][0]


def test_login_verifies_live_before_saving(run, gateway):
    from bytespike_cli import paths

    bad = run("login", "--base-url", gateway.base_url, input=TEST_KEYS["revoked"])
    assert bad.exit_code == ExitCode.AUTH and not paths.key_file("default").exists()
    good = run("login", "--base-url", gateway.base_url + "/v1", input=TEST_KEYS["default"])
    assert good.exit_code == 0, good.stderr
    assert "models available" in good.stdout and gateway.base_url in good.stdout
    status = run("status")
    assert status.exit_code == 0 and "balance $" in status.stdout


def test_offline_mode_runs_every_command_without_a_key(run, monkeypatch):
    assert run("--offline", "verify", "--chat").exit_code == 0
    ids = [m["model"] for m in json.loads(run("--offline", "models", "--json").stdout)["models"]]
    assert ids
    warmed = run("--offline", "warm", ids[0], "--count", "2", "--json")
    assert warmed.exit_code == 0, warmed.stderr
    status = run("status", "--offline")
    assert status.exit_code == 0 and "built-in offline gateway" in status.stdout
    assert run("--offline", "print-key").stdout.strip() == DEMO_KEY
    monkeypatch.setenv("BYTESPIKE_OFFLINE", "1")
    assert run("verify").exit_code == 0


def test_offline_profile(run):
    result = run("login", "--offline", "--profile", "demo", input=DEMO_KEY)
    assert result.exit_code == 0, result.stderr
    assert run("verify").exit_code == 0
    assert "offline gateway" in run("profiles").stdout


def test_proxy_credentials_never_printed(run, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", "https://gateway.does-not-exist.invalid")
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    monkeypatch.setenv("HTTPS_PROXY", "http://alice:s3cretpass@127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    result = run("verify")
    assert result.exit_code == ExitCode.NETWORK
    assert "s3cretpass" not in result.output and "alice" not in result.output
    assert "the proxy http://***@127.0.0.1:9 (from HTTPS_PROXY) refused the connection" in result.output
    assert "gateway.does-not-exist.invalid was never reached" in result.output


PROTOCOL_CALLS = {
    "openai": ("/v1/chat/completions", lambda m: {"model": m, "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}),
    "anthropic": ("/v1/messages", lambda m: {"model": m, "max_tokens": 1, "messages": [{"role": "user", "content": "x"}]}),
    "gemini": ("/v1beta/models/{m}:generateContent", lambda m: {"contents": [{"role": "user", "parts": [{"text": "x"}]}]}),
}


@pytest.mark.parametrize("protocol", sorted(PROTOCOL_CALLS))
@pytest.mark.parametrize("key_name, model_family, code, message", [
    ("revoked", "claude", ExitCode.AUTH, "rejected the key"),
    ("empty_wallet", "claude", ExitCode.BUDGET, "wallet is empty"),
    ("quota_reached", "claude", ExitCode.BUDGET, "lifetime quota"),
    ("ip_denied", "claude", ExitCode.PERMISSION, "IP address is not allowed"),
    ("paused_org", "claude", ExitCode.PERMISSION, "organisation is paused"),
    ("rate_limited", "claude", ExitCode.RATE_LIMIT, "spend limit"),
    ("gemini", "claude", ExitCode.PERMISSION, "not in this key's group"),
])
def test_every_envelope_maps_to_the_same_error(gateway, protocol, key_name, model_family, code, message):
    """OpenAI, Anthropic and Google envelopes carry the condition in different places."""
    import httpx

    from bytespike_cli.gateway import Quota, error_for_status, parse_error_body

    model = "claude-sonnet-4-6"
    path, body = PROTOCOL_CALLS[protocol]
    response = httpx.post(gateway.base_url + path.format(m=model), json=body(model),
                          headers={"x-api-key": TEST_KEYS[key_name], "anthropic-version": "2023-06-01"})
    error = error_for_status(response.status_code, parse_error_body(response.content),
                             Quota.from_headers(response.headers), model=model)
    assert error.exit_code == code and message in error.message, (response.text, error.message)
    tag = parse_error_body(response.content).code
    assert not tag or f"{tag}: {tag}" not in error.message, "the condition is named once, not twice"


def test_warm_on_anthropic_protocol_maps_budget_errors(run, use_key):
    use_key("quota_reached")
    claude = next(m["model"] for m in json.loads(run("models", "--json").stdout)["models"] if m["family"] == "claude")
    result = run("warm", claude, "--count", "1")
    assert result.exit_code == ExitCode.BUDGET and "lifetime quota" in result.stderr


@pytest.fixture
def gateway_without_account(request):
    """A gateway that serves /v1/models but answers the account endpoint with an HTML error page."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    status = request.param

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/v1/models"):
                body = json.dumps({"object": "list", "data": [
                    {"id": "claude-sonnet-4-6", "family": "claude", "capabilities": ["text", "tool_use", "streaming"]}]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
            elif self.path == "/":
                body = b"ok"
                self.send_response(200)
            else:
                body = b"<html><body><h1>Not Found</h1><p>nginx</p></body></html>"
                self.send_response(status)
                self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize("gateway_without_account", [404, 403, 501], indirect=True)
def test_missing_account_endpoint_is_a_warning(run, monkeypatch, gateway_without_account):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", gateway_without_account)
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert "! account and balance: balance unknown" in result.stdout
    assert "<html" not in result.output
    status = run("status")
    assert status.exit_code == 0, status.output
    assert "does not offer the account endpoint" in status.stdout and "<html" not in status.output


def test_html_error_page_is_never_echoed(run, monkeypatch, gateway):
    from bytespike_cli.gateway import parse_error_body

    assert "HTML page" in parse_error_body(b"<!DOCTYPE html><html><body>Bad Gateway</body></html>").message
