"""One line per request: method, path, model, status, TTFB, total, bytes, remaining credits."""

from __future__ import annotations

import io
import json

from bytespike_cli.fakegateway import FAULT_HEADER
from bytespike_cli.proxy.log import Entry, PrettyLog

from .conftest import exchange

CHAT = json.dumps({"messages": [{"role": "user", "content": "a b c"}], "model": "gpt-5-5", "stream": True}).encode()


def _entries(proxy) -> list[dict]:
    return [json.loads(line) for line in proxy.wait_log_lines(1)]


def test_json_log_line_has_every_field(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url, log="json")
    response = exchange(proxy.port, "POST", "/v1/chat/completions", body=CHAT,
                        headers={"Content-Type": "application/json", FAULT_HEADER: "slow-stream=60"})
    (entry,) = _entries(proxy)
    assert entry["method"] == "POST" and entry["path"] == "/v1/chat/completions"
    assert entry["model"] == "gpt-5-5"  # found after "messages" in the body, as the OpenAI SDK orders it
    assert entry["status"] == 200
    assert entry["credits_remaining"] == float(response.headers["x-quota-remaining-credits"])  # a number
    assert entry["event"] == "request"
    assert entry["bytes"] == len(response.head) + 4 + len(response.raw_body)
    assert 0 <= entry["ttfb_ms"] < 60 <= entry["total_ms"]  # head at once, then a 60 ms-per-event stream
    assert entry["error"] is None and entry["warm"] is False
    assert entry["time"].endswith("Z")


def test_models_of_the_other_protocols(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url, log="json")
    exchange(proxy.port, "POST", "/v1/messages", body=json.dumps(
        {"model": "claude-haiku-4-5", "max_tokens": 5, "messages": [{"role": "user", "content": "x"}]}).encode(),
        headers={"Content-Type": "application/json", "anthropic-version": "2023-06-01"})
    exchange(proxy.port, "POST", "/v1beta/models/gemini-3-flash:generateContent",
             body=b'{"contents":[{"role":"user","parts":[{"text":"x"}]}]}',
             headers={"Content-Type": "application/json"})
    entries = [json.loads(line) for line in proxy.wait_log_lines(2)]
    assert [(e["model"], e["status"]) for e in entries] == [("claude-haiku-4-5", 200), ("gemini-3-flash", 200)]


def test_pretty_line_reads_like_stripe_listen():
    stream = io.StringIO()
    log = PrettyLog(stream, ("sk-byts-secret-key-123456",))
    log.request(Entry(started=0.0, method="POST", path="/v1/messages?x=sk-byts-secret-key-123456",
                      model="claude-sonnet-4-6", status=200, ttfb_ms=312.4, total_ms=2410.0, bytes=14540,
                      credits="192.40"))
    log.request(Entry(started=0.0, method="GET", path="/v1/models", model=None, status=502, ttfb_ms=None,
                      total_ms=3.2, bytes=300, credits=None, error="upstream_unreachable"))
    first, second = stream.getvalue().splitlines()
    assert "POST" in first and "claude-sonnet-4-6" in first and " 200 " in first
    assert "ttfb 312ms" in first and "total 2.41s" in first and "14.2 KiB" in first and "credits 192.40" in first
    assert "sk-byts-secret-key-123456" not in first and "sk-byts-…3456" in first
    assert " 502 " in second and "ttfb -" in second and "! upstream_unreachable" in second


def test_log_off_writes_nothing_but_still_proxies(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url, log="off")
    assert exchange(proxy.port, "GET", "/v1/models").status == 200
    assert proxy.stream.getvalue() == ""
