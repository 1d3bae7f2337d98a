"""--warm: a one-token request per model on its native protocol, at start and again while idle."""

from __future__ import annotations

import time

from .conftest import exchange


def _warm_requests(gateway):
    return [r for r in gateway.requests if r.headers.get("User-Agent") == "bytespike-proxy-warm"]


def _wait_for(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.02)
    return predicate()


def test_warm_sends_one_token_requests_on_each_models_native_protocol(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url, warm_models=("claude-haiku-4-5", "gpt-5-4-mini", "gemini-3-flash"))
    assert _wait_for(lambda: len(_warm_requests(gateway)) == 3)
    by_path = {r.path: r for r in _warm_requests(gateway)}
    assert by_path["/v1/messages"].json["max_tokens"] == 1
    assert by_path["/v1/messages"].json["model"] == "claude-haiku-4-5"
    assert by_path["/v1/chat/completions"].json == {
        "model": "gpt-5-4-mini", "max_tokens": 1, "messages": [{"role": "user", "content": "Reply with one word."}]}
    gemini = by_path["/v1beta/models/gemini-3-flash:generateContent"]
    assert gemini.json["generationConfig"] == {"maxOutputTokens": 1}
    assert gemini.headers["x-goog-api-key"]  # the key was injected like for any client
    assert "x-bytespike-warm" not in {k.lower() for k in gemini.headers}  # the marker stays inside the proxy
    lines = proxy.wait_log_lines(3)
    assert sum("(warm-up)" in line and " 200 " in line for line in lines) == 3


def test_warm_repeats_only_while_idle(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url, warm_models=("gpt-5-5",), warm_every_s=0.4)
    assert _wait_for(lambda: len(_warm_requests(gateway)) >= 2, timeout=3)  # idle: warmed again
    busy_from = len(_warm_requests(gateway))
    deadline = time.monotonic() + 1.2
    while time.monotonic() < deadline:  # a tool keeps the route warm: no warm-up needed
        exchange(proxy.port, "GET", "/v1/models")
        time.sleep(0.05)
    assert len(_warm_requests(gateway)) <= busy_from + 1
