"""Private by default: Host (DNS rebinding), browser Origin, token, and loops."""

from __future__ import annotations

import json

import pytest

from bytespike_cli.proxy.guard import is_loopback_host, upstream_is_self

from .conftest import exchange, free_port

TOKEN = "proxy-token-7d1c"


def ok(request, sock):
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    return True


@pytest.fixture
def upstream(scripted):
    return scripted(ok)


@pytest.mark.parametrize("host", ["evil.example:{port}", "127.0.0.1.nip.io:{port}", "127.0.0.1:1",
                                  "localhost:{other}", "192.168.1.20:{port}"])
def test_a_host_that_is_not_this_proxys_loopback_address_is_refused(upstream, start_proxy, host):
    proxy = start_proxy(upstream.url)
    value = host.format(port=proxy.port, other=proxy.port + 1)
    response = exchange(proxy.port, "POST", "/v1/chat/completions", body=b"{}", host=value)
    assert response.status == 403
    message = json.loads(response.body())["error"]["message"]
    assert "DNS rebinding" in message and f"http://127.0.0.1:{proxy.port}" in message
    assert upstream.requests == []


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}", "[::1]:{port}"])
def test_loopback_names_with_the_port_are_accepted(upstream, start_proxy, host):
    proxy = start_proxy(upstream.url)
    response = exchange(proxy.port, "GET", "/v1/models", host=host.format(port=proxy.port))
    assert response.status == 200


def test_the_refusal_uses_the_protocols_error_shape(upstream, start_proxy):
    proxy = start_proxy(upstream.url)
    response = exchange(proxy.port, "POST", "/v1/messages", body=b"{}", host="evil.example")
    doc = json.loads(response.body())
    assert doc["type"] == "error" and doc["error"]["type"] == "permission_error"


@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example:8787", "null",
                                    "http://127.0.0.1.evil.example"])
def test_a_foreign_browser_origin_is_refused(upstream, start_proxy, origin):
    proxy = start_proxy(upstream.url)
    response = exchange(proxy.port, "POST", "/v1/chat/completions", body=b"{}", headers={"Origin": origin})
    assert response.status == 403
    assert "must not spend your budget" in json.loads(response.body())["error"]["message"]
    assert upstream.requests == []


def test_cross_site_browser_requests_without_an_origin_are_refused(upstream, start_proxy):
    proxy = start_proxy(upstream.url)
    response = exchange(proxy.port, "GET", "/v1/models", headers={"Sec-Fetch-Site": "cross-site",
                                                                  "Sec-Fetch-Mode": "no-cors"})
    assert response.status == 403
    assert upstream.requests == []


@pytest.mark.parametrize("origin", ["http://localhost:5173", "http://127.0.0.1:3000", "https://app.example"])
def test_loopback_and_explicitly_allowed_origins_pass(upstream, start_proxy, origin):
    proxy = start_proxy(upstream.url, allowed_origins=("https://app.example",))
    response = exchange(proxy.port, "POST", "/v1/chat/completions", body=b"{}", headers={"Origin": origin})
    assert response.status == 200


@pytest.mark.parametrize(("path", "header", "value"), [
    ("/v1/chat/completions", "Authorization", f"Bearer {TOKEN}"),
    ("/v1/messages", "x-api-key", TOKEN),
    ("/v1beta/models/gemini-3-flash:generateContent", "x-goog-api-key", TOKEN),
])
def test_with_a_token_clients_present_it_as_their_api_key_and_it_never_goes_upstream(
        upstream, start_proxy, path, header, value):
    proxy = start_proxy(upstream.url, key="sk-byts-real-profile-key-000", token=TOKEN)
    refused = exchange(proxy.port, "POST", path, body=b"{}", headers={header: "Bearer wrong" if "Bearer" in value
                                                                       else "wrong"})
    assert refused.status == 401
    assert "needs its token" in refused.body().decode()
    accepted = exchange(proxy.port, "POST", path, body=b"{}", headers={header: value})
    assert accepted.status == 200
    assert len(upstream.requests) == 1
    assert TOKEN.encode() not in upstream.requests[0].head
    assert b"sk-byts-real-profile-key-000" in upstream.requests[0].head


def test_token_in_the_gemini_key_query_parameter(upstream, start_proxy):
    proxy = start_proxy(upstream.url, token=TOKEN)
    response = exchange(proxy.port, "POST", f"/v1beta/models/g:generateContent?key={TOKEN}&alt=sse", body=b"{}")
    assert response.status == 200
    assert upstream.requests[0].start_line == "POST /v1beta/models/g:generateContent?alt=sse HTTP/1.1"


def test_two_proxies_forwarding_to_each_other_stop_with_loop_detected(start_proxy):
    port_a, port_b = free_port(), free_port()
    start_proxy(f"http://127.0.0.1:{port_b}", port=port_a)
    start_proxy(f"http://127.0.0.1:{port_a}", port=port_b)
    response = exchange(port_a, "GET", "/v1/models")
    assert response.status == 508
    assert "already went through this proxy" in response.body().decode()


@pytest.mark.parametrize(("host", "expected"), [
    ("127.0.0.1", True), ("127.5.5.5", True), ("localhost", True), ("api.localhost", True), ("::1", True),
    ("[::1]", True), ("0.0.0.0", False), ("192.168.1.2", False), ("example.com", False), ("localhost.evil", False),
])
def test_is_loopback_host(host, expected):
    assert is_loopback_host(host) is expected


@pytest.mark.parametrize(("up_host", "up_port", "bind", "port", "expected"), [
    ("127.0.0.1", 8787, "127.0.0.1", 8787, True),
    ("localhost", 8787, "127.0.0.1", 8787, True),
    ("127.0.0.1", 8787, "0.0.0.0", 8787, True),
    ("127.0.0.1", 8788, "127.0.0.1", 8787, False),
    ("llm.bytespike.ai", 8787, "127.0.0.1", 8787, False),
    ("127.0.0.1", 8787, "127.0.0.1", 0, False),
])
def test_upstream_is_self(up_host, up_port, bind, port, expected):
    assert upstream_is_self(up_host, up_port, bind, port) is expected
