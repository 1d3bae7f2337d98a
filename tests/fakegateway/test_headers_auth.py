"""Quota headers on every response (before the first streamed byte) and the gateway's auth precedence."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import httpx
import pytest

from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS

QUOTA_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "X-Quota-Remaining-Credits")
CHAT_BODY = {"model": "gpt-5-4", "messages": [{"role": "user", "content": "headers"}]}


def _bearer(key=DEMO_KEY):
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("method,path,body,key,status", [
    ("GET", "/v1/models", None, DEMO_KEY, 200),
    ("GET", "/api/v1/me/account", None, DEMO_KEY, 200),
    ("POST", "/v1/chat/completions", CHAT_BODY, DEMO_KEY, 200),
    ("POST", "/v1/chat/completions", CHAT_BODY, TEST_KEYS["empty_wallet"], 402),
    ("POST", "/v1/chat/completions", CHAT_BODY, TEST_KEYS["revoked"], 401),
    ("POST", "/v1/chat/completions", {**CHAT_BODY, "model": "nope"}, DEMO_KEY, 400),
    ("GET", "/v1/nowhere", None, DEMO_KEY, 404),
])
def test_quota_headers_on_every_response(gw, method, path, body, key, status):
    response = httpx.request(method, gw.base_url + path, json=body, headers=_bearer(key))
    assert response.status_code == status
    for name in QUOTA_HEADERS:
        assert name in response.headers, name
    assert float(response.headers["X-Quota-Remaining-Credits"]) >= 0


def test_header_values_follow_the_key(gw):
    demo = httpx.get(gw.base_url + "/v1/models", headers=_bearer()).headers
    claude = httpx.get(gw.base_url + "/v1/models", headers=_bearer(TEST_KEYS["claude"])).headers
    assert demo["X-RateLimit-Limit"] == "20.00" and float(demo["X-Quota-Remaining-Credits"]) <= 25.00
    assert "X-Org-Quota-Remaining-Credits" not in demo  # personal key: no org wallet
    assert claude["X-RateLimit-Limit"] == "50.00" and "X-Org-Quota-Remaining-Credits" in claude
    assert int(claude["X-RateLimit-Reset"]) > time.time()


def test_quota_headers_arrive_before_the_first_streamed_byte(gw):
    """Raw socket: the header block is complete while the first event is still being produced."""
    url = urlsplit(gw.base_url)
    body = json.dumps({**CHAT_BODY, "stream": True}).encode()
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {DEMO_KEY}\r\n"
               f"x-bytespike-fault: slow-stream=300\r\nContent-Type: application/json\r\n"
               f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            received += sock.recv(65536)
        head, _, rest = received.partition(b"\r\n\r\n")
        sock.settimeout(0.15)
        try:
            rest += sock.recv(65536)
        except socket.timeout:
            pass
        assert b"data:" not in rest  # no event yet: the headers came first, on their own
        sock.settimeout(5)
        while b"data:" not in rest:  # ...and the first event follows once the model "starts"
            chunk = sock.recv(65536)
            assert chunk, "stream ended early"
            rest += chunk
    head_text = head.decode().lower()
    assert head_text.startswith("http/1.1 200")
    for name in QUOTA_HEADERS:
        assert name.lower() + ":" in head_text
    assert "content-type: text/event-stream" in head_text


def test_stream_response_headers_are_readable_before_the_body(gw):
    with httpx.Client(timeout=5) as client:
        with client.stream("POST", gw.base_url + "/v1/messages", json={
                "model": "claude-haiku-4-5", "max_tokens": 16, "stream": True,
                "messages": [{"role": "user", "content": "x"}]},
                headers={"x-api-key": DEMO_KEY, "anthropic-version": "2023-06-01"}) as response:
            assert response.headers["X-Quota-Remaining-Credits"]
            assert response.headers["content-type"].startswith("text/event-stream")
            assert b"event: message_start" in response.read()


# ----------------------------------------------------------------------------------------- auth
def test_x_api_key_wins_over_authorization(gw):
    valid_in_x = httpx.get(gw.base_url + "/v1/models", headers={
        "x-api-key": DEMO_KEY, "Authorization": f"Bearer {TEST_KEYS['revoked']}"})
    revoked_in_x = httpx.get(gw.base_url + "/v1/models", headers={
        "x-api-key": TEST_KEYS["revoked"], "Authorization": f"Bearer {DEMO_KEY}"})
    assert valid_in_x.status_code == 200
    assert revoked_in_x.status_code == 401


def test_x_api_key_picks_the_group(gw):
    data = httpx.get(gw.base_url + "/v1/models", headers={
        "x-api-key": TEST_KEYS["gemini"], "Authorization": f"Bearer {TEST_KEYS['claude']}"}).json()["data"]
    assert {m["family"] for m in data} == {"gemini"}


@pytest.mark.parametrize("path,body", [
    ("/v1/chat/completions", CHAT_BODY),
    ("/v1/responses", {"model": "gpt-5-4", "input": "x"}),
])
def test_x_api_key_is_accepted_on_openai_routes(gw, path, body):
    assert httpx.post(gw.base_url + path, json=body, headers={"x-api-key": DEMO_KEY}).status_code == 200


def test_an_authorization_header_without_bearer_is_no_key(gw):
    response = httpx.get(gw.base_url + "/v1/models", headers={"Authorization": f"Basic {DEMO_KEY}"})
    assert response.status_code == 401


def test_credentials_in_the_body_are_ignored(gw):
    response = httpx.post(gw.base_url + "/v1/chat/completions", json={**CHAT_BODY, "api_key": DEMO_KEY})
    assert response.status_code == 401


def test_requests_are_recorded_with_headers_query_and_body(gw):
    httpx.post(gw.base_url + "/v1/chat/completions?trace=1", json=CHAT_BODY, headers=_bearer())
    recorded = gw.requests[-1]
    assert recorded.method == "POST" and recorded.path == "/v1/chat/completions"
    assert recorded.query == {"trace": "1"}
    assert recorded.headers["authorization"] == f"Bearer {DEMO_KEY}"  # case-insensitive
    assert recorded.json == CHAT_BODY
