"""What goes upstream and what comes back: credentials, headers, bodies, keep-alive."""

from __future__ import annotations

import json
import time

import pytest

from bytespike_cli.fakegateway import DEMO_KEY

from .conftest import ResponseReader, connect, exchange, read_response, request_bytes, wait_until_received

KEY = "sk-byts-profile-key-for-tests-0001"
OK_JSON = b'{"ok":true}'


def ok_responder(extra_headers: bytes = b""):
    def respond(request, sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n%s"
                     % (len(OK_JSON), extra_headers, OK_JSON))
        return True
    return respond


@pytest.mark.parametrize(("path", "header", "value"), [
    ("/v1/chat/completions", "authorization", f"Bearer {KEY}"),
    ("/v1/responses", "authorization", f"Bearer {KEY}"),
    ("/v1/models", "authorization", f"Bearer {KEY}"),
    ("/api/v1/me/account", "authorization", f"Bearer {KEY}"),
    ("/v1/messages", "x-api-key", KEY),
    ("/v1/messages/count_tokens", "x-api-key", KEY),
    ("/v1beta/models/gemini-3-flash:generateContent", "x-goog-api-key", KEY),
])
def test_client_credentials_are_replaced_by_the_profile_key_in_the_protocols_header(
        scripted, start_proxy, path, header, value):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url, key=KEY)
    response = exchange(proxy.port, "POST", path + "?alt=sse&key=client-query-key", body=b"{}", headers={
        "Authorization": "Bearer client-bearer", "x-api-key": "client-x-api-key",
        "x-goog-api-key": "client-goog-key", "Content-Type": "application/json"})
    assert response.status == 200
    seen = upstream.requests[-1]
    assert seen.start_line == f"POST {path}?alt=sse HTTP/1.1"  # the client's key= is gone, alt=sse stays
    credentials = {name: seen.header(name) for name in ("authorization", "x-api-key", "x-goog-api-key")}
    assert credentials.pop(header) == [value]
    assert all(v == [] for v in credentials.values()), credentials
    assert b"client-" not in seen.head


def test_every_other_header_is_kept_and_hop_by_hop_ones_are_not(scripted, start_proxy):
    upstream = scripted(ok_responder(b"X-Quota-Remaining-Credits: 9.99\r\nX-RateLimit-Reset: 1716705600\r\n"
                                     b"Keep-Alive: timeout=5\r\nConnection: keep-alive\r\n"))
    proxy = start_proxy(upstream.url, key=KEY)
    response = exchange(proxy.port, "POST", "/v1/messages", body=b'{"model":"m"}', headers={
        "anthropic-version": "2023-06-01", "anthropic-beta": "tools-2024-04-04,extra", "User-Agent": "sdk/1.0",
        "Accept-Encoding": "gzip", "X-Custom": "a", "Connection": "keep-alive, X-Private",
        "X-Private": "hop", "Keep-Alive": "timeout=5", "TE": "trailers", "Proxy-Authorization": "Basic eA==",
        "Upgrade": "h2c"})
    seen = upstream.requests[-1]
    for name, value in (("anthropic-version", "2023-06-01"), ("anthropic-beta", "tools-2024-04-04,extra"),
                        ("user-agent", "sdk/1.0"), ("accept-encoding", "gzip"), ("x-custom", "a")):
        assert seen.header(name) == [value]
    for name in ("connection", "keep-alive", "te", "proxy-authorization", "upgrade", "x-private"):
        assert seen.header(name) == [], name
    assert seen.header("host") == [f"127.0.0.1:{upstream.port}"]
    assert response.headers["x-quota-remaining-credits"] == "9.99"
    assert response.headers["x-ratelimit-reset"] == "1716705600"
    assert "keep-alive" not in response.header_names and "connection" not in response.header_names
    assert response.body() == OK_JSON


def test_gateway_quota_headers_pass_back_unchanged(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url)
    response = exchange(proxy.port, "GET", "/v1/models")
    direct = exchange(gateway.port, "GET", "/v1/models", headers={"Authorization": f"Bearer {DEMO_KEY}"})
    for name in ("x-ratelimit-limit", "x-ratelimit-remaining", "x-quota-remaining-credits"):
        assert response.headers[name] == direct.headers[name]
    assert json.loads(response.body()) == json.loads(direct.body())


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
def test_every_method_is_forwarded(scripted, start_proxy, method):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url)
    body = b'{"x":1}' if method in ("POST", "PUT", "PATCH") else b""
    response = exchange(proxy.port, method, "/v1/tasks/cancel/t_1", body=body)
    assert response.status == 200
    assert upstream.requests[-1].start_line == f"{method} /v1/tasks/cancel/t_1 HTTP/1.1"
    assert upstream.requests[-1].body == body


def test_head_request_gets_no_body_and_the_connection_stays_in_step(scripted, start_proxy):
    def respond(request, sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")  # HEAD: a length, but no body
        return True
    upstream = scripted(respond)
    proxy = start_proxy(upstream.url)
    with connect(proxy.port) as sock:
        for _ in range(2):
            sock.sendall(request_bytes("HEAD", "/v1/models", proxy.port))
            response = read_response(sock, head_request=True)
            assert response.status == 200 and response.headers["content-length"] == "1234"
    assert upstream.connections == 1


def test_paths_outside_the_api_are_not_forwarded(scripted, start_proxy):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url)
    response = exchange(proxy.port, "GET", "/admin")
    assert response.status == 404
    assert "/v1" in json.loads(response.body())["error"]["message"]
    assert upstream.requests == []


def test_upstream_path_prefix_is_kept(scripted, start_proxy):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url + "/gw")
    exchange(proxy.port, "GET", "/v1/models?family=claude")
    assert upstream.requests[-1].start_line == "GET /gw/v1/models?family=claude HTTP/1.1"


def test_chunked_request_body_goes_upstream_unchanged(scripted, start_proxy):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url)
    chunked = b"5\r\n{\"a\":\r\n3;x=y\r\n1, \r\n6\r\n\"b\":2}\r\n0\r\n\r\n"
    with connect(proxy.port) as sock:
        head = request_bytes("POST", "/v1/chat/completions", proxy.port,
                             headers={"Transfer-Encoding": "chunked"})
        sock.sendall(head + chunked[:9])
        time.sleep(0.05)
        sock.sendall(chunked[9:])
        assert read_response(sock).status == 200
    assert upstream.requests[-1].body == chunked
    assert upstream.requests[-1].header("transfer-encoding") == ["chunked"]


def test_content_length_body_arriving_slowly(scripted, start_proxy):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url)
    body = json.dumps({"model": "m", "pad": "x" * 100_000}).encode()
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("POST", "/v1/chat/completions", proxy.port, body=b"",
                                   headers={"Content-Length": str(len(body))}))
        for i in range(0, len(body), 30_000):
            sock.sendall(body[i:i + 30_000])
            time.sleep(0.02)
        assert read_response(sock).status == 200
    assert upstream.requests[-1].body == body


def test_expect_100_continue_is_answered_by_the_proxy(scripted, start_proxy):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("POST", "/v1/chat/completions", proxy.port, body=b"",
                                   headers={"Content-Length": "2", "Expect": "100-continue"}))
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"{}")
        assert read_response(sock).body() == OK_JSON
    assert upstream.requests[-1].header("expect") == []


def test_keep_alive_and_pipelined_requests_share_one_upstream_connection(scripted, start_proxy):
    def respond(request, sock):
        payload = request.start_line.encode()
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload))
        return True
    upstream = scripted(respond)
    proxy = start_proxy(upstream.url)
    with connect(proxy.port) as sock:
        responses = ResponseReader(sock)
        sock.sendall(request_bytes("GET", "/v1/a", proxy.port) + request_bytes("GET", "/v1/b", proxy.port)
                     + request_bytes("POST", "/v1/c", proxy.port, body=b"{}"))
        bodies = [responses.read().body() for _ in range(3)]
        sock.sendall(request_bytes("GET", "/v1/d", proxy.port))
        bodies.append(read_response(sock).body())
    assert bodies == [b"GET /v1/a HTTP/1.1", b"GET /v1/b HTTP/1.1", b"POST /v1/c HTTP/1.1", b"GET /v1/d HTTP/1.1"]
    assert upstream.connections == 1


def test_pipelined_responses_that_reach_the_client_in_one_read_are_each_framed_exactly(scripted, start_proxy):
    # A client that reads late (any client on a busy machine) gets several responses in one recv();
    # each must end exactly where its Content-Length says, with nothing lost or doubled between them.
    def respond(request, sock):
        payload = request.start_line.encode()
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload))
        return True
    upstream = scripted(respond)
    proxy = start_proxy(upstream.url)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("GET", "/v1/a", proxy.port) + request_bytes("GET", "/v1/b", proxy.port)
                     + request_bytes("POST", "/v1/c", proxy.port, body=b"{}"))
        waiting = wait_until_received(sock, lambda got: got.endswith(b"POST /v1/c HTTP/1.1"))
        assert waiting.count(b"HTTP/1.1 200 OK\r\n") == 3
        responses = ResponseReader(sock)
        first = responses.read()
        assert len(first.arrivals) == 1  # all three came in that one read
        bodies = [first.body()] + [responses.read().body() for _ in range(2)]
        sock.sendall(request_bytes("GET", "/v1/d", proxy.port))
        bodies.append(read_response(sock).body())
    assert bodies == [b"GET /v1/a HTTP/1.1", b"GET /v1/b HTTP/1.1", b"POST /v1/c HTTP/1.1", b"GET /v1/d HTTP/1.1"]
    assert upstream.connections == 1


def _pieces(data: bytes, cuts: str) -> list[bytes]:
    """``data`` cut byte by byte, or just after every occurrence of each marker in ``cuts``."""
    if cuts == "bytes":
        return [data[i:i + 1] for i in range(len(data))]
    at = sorted({i + 1 for marker in cuts.encode().split(b"|") for i in range(len(data))
                 if data.startswith(marker, i)})
    return [data[a:b] for a, b in zip([0, *at], [*at, len(data)]) if a < b]


@pytest.mark.parametrize("cuts", [
    "bytes",
    "\r|\n",  # inside every CRLF: request heads, chunk-size lines, chunk data ends, the final empty line
    ":|;|{|0",  # inside header lines, chunk extensions, bodies and the last-chunk line
])
def test_pipelined_requests_and_chunked_bodies_in_odd_tcp_splits(scripted, start_proxy, cuts):
    chunked_request_body = b"5\r\n{\"a\":\r\n3;x=y\r\n1, \r\n6\r\n\"b\":2}\r\n0\r\n\r\n"
    length_request_body = b'{"model":"m","n":12345}'

    def respond(request, sock):
        payload = request.start_line.encode() + b"|" + request.body
        if request.start_line.startswith("GET /v1/stream"):
            wire = (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + b"".join(b"%x;e=1\r\n%s\r\n" % (len(payload[i:i + 7]), payload[i:i + 7])
                               for i in range(0, len(payload), 7))
                    + b"0\r\nX-Trailer: t\r\n\r\n")
        else:
            wire = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(payload), payload)
        for piece in _pieces(wire, cuts):  # the gateway's answer in the same odd splits
            sock.sendall(piece)
            time.sleep(0.0005)
        return True
    upstream = scripted(respond)
    proxy = start_proxy(upstream.url)
    port = proxy.port
    requests = [
        request_bytes("POST", "/v1/chunked", port, body=chunked_request_body,
                      headers={"Transfer-Encoding": "chunked"}),
        request_bytes("GET", "/v1/stream", port),
        request_bytes("POST", "/v1/length", port, body=length_request_body),
        request_bytes("POST", "/v1/chunked-again", port, body=chunked_request_body,
                      headers={"Transfer-Encoding": "chunked"}),
        request_bytes("GET", "/v1/last", port),
    ]
    expected = [
        b"POST /v1/chunked HTTP/1.1|" + chunked_request_body,
        b"GET /v1/stream HTTP/1.1|",
        b"POST /v1/length HTTP/1.1|" + length_request_body,
        b"POST /v1/chunked-again HTTP/1.1|" + chunked_request_body,
        b"GET /v1/last HTTP/1.1|",
    ]
    with connect(port) as sock:
        for piece in _pieces(b"".join(requests), cuts):
            sock.sendall(piece)
            time.sleep(0.0005)  # each piece its own read on the proxy's side, most of the time
        responses = ResponseReader(sock)
        got = [responses.read() for _ in expected]
    assert [r.status for r in got] == [200] * len(expected)
    assert [r.body() for r in got] == expected
    assert got[1].raw_body.endswith(b"0\r\nX-Trailer: t\r\n\r\n")
    assert [r.start_line for r in upstream.requests] == [e.split(b"|")[0].decode() for e in expected]
    assert upstream.connections == 1


def test_connection_close_from_the_client_is_honoured(scripted, start_proxy):
    upstream = scripted(ok_responder())
    proxy = start_proxy(upstream.url)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("GET", "/v1/models", proxy.port, headers={"Connection": "close"}))
        response = read_response(sock)
        assert response.headers.get("connection") == "close"
        assert sock.recv(10) == b""


def test_close_delimited_upstream_body_is_relayed_and_then_the_client_connection_closes(scripted, start_proxy):
    def respond(request, sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\npart one, ")
        time.sleep(0.05)
        sock.sendall(b"part two")
        return False  # close: that ends the body
    upstream = scripted(respond)
    proxy = start_proxy(upstream.url)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("GET", "/v1/legacy", proxy.port))
        response = read_response(sock)
    assert response.raw_body == b"part one, part two"
    assert response.headers.get("connection") == "close"


def test_an_upstream_that_closes_keep_alive_connections_is_not_reused_for_the_next_request(scripted, start_proxy):
    def respond(request, sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
        return False
    upstream = scripted(respond)
    proxy = start_proxy(upstream.url)
    for _ in range(3):
        assert exchange(proxy.port, "GET", "/v1/models").body() == b"ok"
    assert upstream.connections == 3
    assert len(upstream.requests) == 3
