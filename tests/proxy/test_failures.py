"""Failures always answer, in the calling protocol's own error shape; billed requests are never retried."""

from __future__ import annotations

import json
import threading
import time

import anthropic
import openai
import pytest

from bytespike_cli.fakegateway import FAULT_HEADER

from .conftest import connect, exchange, free_port, read_response, request_bytes


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # nothing listens there


@pytest.mark.parametrize(("path", "check"), [
    ("/v1/chat/completions", lambda doc: doc["error"]["code"] == "upstream_unreachable" and doc["error"]["type"]),
    ("/v1/messages", lambda doc: doc["type"] == "error" and doc["error"]["type"] == "api_error"),
    ("/v1beta/models/gemini-3-flash:generateContent",
     lambda doc: doc["error"]["code"] == 502 and doc["error"]["status"] == "UNAVAILABLE"),
])
def test_unreachable_gateway_is_a_502_in_the_protocols_shape_with_a_hint(start_proxy, path, check):
    proxy = start_proxy(_closed_port_url(), connect_retries=1)
    response = exchange(proxy.port, "POST", path, body=b"{}", headers={"Content-Type": "application/json"})
    assert response.status == 502
    doc = json.loads(response.body())
    assert check(doc)
    message = doc["error"]["message"]
    assert "refused" in message and "--upstream" in message


def test_sdks_read_the_proxys_errors_as_their_own(start_proxy):
    proxy = start_proxy(_closed_port_url(), connect_retries=0)
    oai = openai.OpenAI(base_url=proxy.url + "/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.APIStatusError) as info:
        oai.chat.completions.create(model="gpt-5-5", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 502 and "refused" in info.value.message
    claude = anthropic.Anthropic(base_url=proxy.url, api_key="x", max_retries=0)
    with pytest.raises(anthropic.APIStatusError) as info2:
        claude.messages.create(model="claude-sonnet-4-6", max_tokens=5, messages=[{"role": "user", "content": "hi"}])
    assert info2.value.status_code == 502 and "refused" in str(info2.value)


def test_connect_failures_are_retried_before_anything_was_sent(scripted, start_proxy):
    port = free_port()
    late = []

    def open_later():
        time.sleep(0.3)
        late.append(scripted(lambda req, sock: sock.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") or True, port))

    threading.Thread(target=open_later, daemon=True).start()
    proxy = start_proxy(f"http://127.0.0.1:{port}", connect_retries=3)
    response = exchange(proxy.port, "POST", "/v1/chat/completions", body=b"{}")
    assert response.status == 200 and response.body() == b"ok"
    assert len(late[0].requests) == 1


def test_gateway_that_never_answers_is_a_504_and_is_not_retried(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url, response_timeout=0.3)
    started = time.perf_counter()
    response = exchange(proxy.port, "POST", "/v1/messages", body=b'{"model":"claude-sonnet-4-6","max_tokens":5,'
                        b'"messages":[{"role":"user","content":"hi"}]}',
                        headers={"Content-Type": "application/json", FAULT_HEADER: "delay=3000",
                                 "anthropic-version": "2023-06-01"})
    assert response.status == 504
    assert time.perf_counter() - started < 2
    doc = json.loads(response.body())
    assert doc["type"] == "error" and "did not answer" in doc["error"]["message"]
    time.sleep(0.2)
    assert len([r for r in gateway.requests if r.path == "/v1/messages"]) == 1


def test_gateway_closing_before_answering_is_a_502_and_is_not_retried(scripted, start_proxy):
    upstream = scripted(lambda request, sock: False)  # read the request, then hang up
    proxy = start_proxy(upstream.url)
    response = exchange(proxy.port, "POST", "/v1/chat/completions", body=b'{"model":"gpt-5-5"}')
    assert response.status == 502
    assert "closed the connection before answering" in json.loads(response.body())["error"]["message"]
    assert len(upstream.requests) == 1


def test_garbage_from_the_gateway_is_a_502(scripted, start_proxy):
    upstream = scripted(lambda request, sock: sock.sendall(b"SSH-2.0-OpenSSH_9.6\r\n\r\n") or False)
    proxy = start_proxy(upstream.url)
    response = exchange(proxy.port, "GET", "/v1/models")
    assert response.status == 502
    assert json.loads(response.body())["error"]["code"] == "upstream_protocol_error"


def test_a_stream_cut_by_the_gateway_reaches_the_client_cut_never_completed(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url)
    body = json.dumps({"model": "gpt-5-5", "stream": True,
                       "messages": [{"role": "user", "content": "a b c d e f g h"}]}).encode()
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("POST", "/v1/chat/completions", proxy.port, body=body,
                                   headers={"Content-Type": "application/json", FAULT_HEADER: "drop-after=3"}))
        with pytest.raises(ConnectionError):
            read_response(sock)
    assert any("upstream_closed" in line for line in proxy.wait_log_lines(1))


def test_client_leaving_while_the_gateway_thinks_closes_the_upstream_request(gateway, start_proxy, tap_to):
    tap = tap_to(gateway.port)
    proxy = start_proxy(tap.url)
    sock = connect(proxy.port)
    sock.sendall(request_bytes("POST", "/v1/chat/completions", proxy.port, body=b'{"model":"gpt-5-5","messages":[]}',
                               headers={"Content-Type": "application/json", FAULT_HEADER: "delay=5000"}))
    deadline = time.perf_counter() + 2
    while tap.first("up") is None and time.perf_counter() < deadline:
        time.sleep(0.01)
    left = time.perf_counter()
    sock.close()
    while tap.first("proxy_closed") is None and time.perf_counter() < left + 2:
        time.sleep(0.01)
    closed = tap.first("proxy_closed")
    assert closed is not None and closed - left < 0.5
    assert " 499 " in proxy.wait_log_lines(1)[0]


def test_a_gateway_named_by_hostname_is_resolved_and_reached(scripted, start_proxy):
    upstream = scripted(lambda req, sock: sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") or True)
    proxy = start_proxy(f"http://localhost:{upstream.port}")
    assert exchange(proxy.port, "GET", "/v1/models").body() == b"ok"
    assert upstream.requests[0].header("host") == [f"localhost:{upstream.port}"]


def test_an_unresolvable_gateway_name_is_a_502_that_says_so(start_proxy):
    proxy = start_proxy("http://no-such-gateway.invalid", connect_retries=0, connect_timeout=3)
    response = exchange(proxy.port, "GET", "/v1/models")
    assert response.status == 502
    assert "cannot resolve no-such-gateway.invalid" in json.loads(response.body())["error"]["message"]
