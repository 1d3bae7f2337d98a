"""Review findings (review9): each test reproduces a confirmed weakness on real loopback sockets.

They fail against the proxy as reviewed and pass once the weakness is fixed.
"""

from __future__ import annotations

import json
import socket
import time

from tests.proxy.conftest import connect, read_response, request_bytes
from tests.proxy.h11_upstream import H11Upstream

KEY = "sk-test-review9-0123456789abcdef"


def _h11():
    upstream = H11Upstream()
    return upstream


def _wait(predicate, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        time.sleep(0.05)


# 1 -------------------------------------------------------------------- unbounded response buffering

def test_a_client_that_pipelines_and_never_reads_cannot_make_the_proxy_buffer_every_response(start_proxy, scripted):
    """Back-pressure (pause_writing) is edge-triggered: once the client's transport is above its high-water
    mark, a response that ends releases the upstream, the next pipelined request starts, and nothing
    pauses the new upstream reads again — every later response piles up in the proxy's memory."""
    body = b"x" * 100_000

    def big(seen, sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                     + body)
        return True

    upstream = scripted(big)
    proxy = start_proxy(upstream.url, key=KEY, log="off")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", proxy.port))
    try:
        sock.sendall(request_bytes("GET", "/v1/models", proxy.port) * 200)  # ~20 KiB of requests, never read
        _wait(lambda: len(upstream.requests) >= 200, 8.0)
        time.sleep(0.3)
        relay = proxy.proxy.server.relay
        buffered = sum(c.transport.get_write_buffer_size() for c in list(relay.clients))
    finally:
        sock.close()
    assert buffered < 8 * 1024 * 1024, (
        f"{buffered} bytes of responses ({len(upstream.requests)} upstream requests) held in memory "
        "for one client that reads nothing")


# 2 -------------------------------------------------------------------- credentials in trailers

def test_client_credentials_in_chunked_trailers_never_reach_the_upstream(start_proxy):
    upstream = _h11()
    try:
        proxy = start_proxy(upstream.url, key=KEY)
        with connect(proxy.port) as sock:
            sock.sendall(
                b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nTransfer-Encoding: chunked\r\n\r\n"
                b"2\r\n{}\r\n0\r\nAuthorization: Bearer client-secret-1\r\nX-Api-Key: client-secret-2\r\n"
                b"Cookie: session=client-secret-3\r\n\r\n" % proxy.port)
            response = read_response(sock)
        _wait(lambda: upstream.requests and upstream.requests[-1].complete)
        raw = b"".join(upstream.raw)
        assert response.status in (200, 400)
        assert b"client-secret" not in raw, raw
    finally:
        upstream.close()


# 3 -------------------------------------------------------------------- TRACE echoes the injected key

def test_trace_is_never_forwarded_so_the_key_cannot_be_echoed_back(start_proxy, scripted):
    def echo(seen, sock):  # what a TRACE-enabled server (or an intermediary) does: echo the request it got
        if seen.start_line.startswith("TRACE "):
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: message/http\r\nContent-Length: %d\r\n\r\n"
                         % len(seen.head) + seen.head)
        else:
            sock.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
        return True

    upstream = scripted(echo)
    proxy = start_proxy(upstream.url, key=KEY)
    with connect(proxy.port) as sock:
        sock.sendall(b"TRACE /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n" % proxy.port)
        response = read_response(sock)
    assert KEY.encode() not in response.raw_body, "the injected key came back to the client"
    assert not upstream.requests, [r.start_line for r in upstream.requests]


# 4 -------------------------------------------------------------------- CONNECT goes upstream

def test_connect_with_an_origin_form_target_is_refused_not_forwarded(start_proxy):
    """CONNECT is a tunnel request: h11 (the reference) and llhttp stop reading HTTP after it, so what the
    proxy forwards next on that connection is not read as the requests it logged."""
    upstream = _h11()
    try:
        proxy = start_proxy(upstream.url, key=KEY)
        with connect(proxy.port, timeout=5) as sock:
            sock.sendall(b"CONNECT /v1/models HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Length: 0\r\n\r\n"
                         % proxy.port)
            try:
                status = read_response(sock).status
            except (ConnectionError, OSError):
                status = None
        time.sleep(0.2)
        assert not upstream.requests, [(r.method, r.target) for r in upstream.requests]
        assert status in (400, 405, 501)
    finally:
        upstream.close()


# 5 -------------------------------------------------------------------- a nested error body wedges a client

def test_a_deeply_nested_upstream_error_body_does_not_wedge_the_client_connection(start_proxy, scripted):
    """describe_error() catches ValueError only; json's RecursionError escapes from the upstream's
    data_received, so the exchange never ends: no log line, the client stays in S_WAIT for good (no
    timeout and not evictable) and its next request is never answered."""
    nested = b'{"detail":' + b"[" * 3000 + b"]" * 3000 + b"}"  # e.g. a validation error echoing the input

    def answer(seen, sock):
        if b"/v1/bad" in seen.head:
            sock.sendall(b"HTTP/1.1 422 Unprocessable Entity\r\nContent-Type: application/json\r\n"
                         b"Content-Length: %d\r\n\r\n" % len(nested) + nested)
        else:
            sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        return True

    upstream = scripted(answer)
    proxy = start_proxy(upstream.url, key=KEY)
    with connect(proxy.port, timeout=3) as sock:
        sock.sendall(request_bytes("GET", "/v1/bad", proxy.port))
        assert read_response(sock).status == 422
        sock.sendall(request_bytes("GET", "/v1/ok", proxy.port))
        try:
            second = read_response(sock).status
        except (TimeoutError, socket.timeout, ConnectionError) as exc:
            second = repr(exc)
    assert second == 200
    assert "422" in proxy.log_text()


# 6 -------------------------------------------------------------------- upstream text reaches the terminal raw

def test_the_log_escapes_the_upstreams_error_type_and_credits(start_proxy, scripted):
    def answer(seen, sock):
        body = json.dumps({"error": {"type": "\x1b]0;pwned\x07\x1b[2J", "message": "m"}}).encode()
        sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                     b"X-Quota-Remaining-Credits: 1\x9b31m\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        return True

    upstream = scripted(answer)
    proxy = start_proxy(upstream.url, key=KEY)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("GET", "/v1/models", proxy.port))
        assert read_response(sock).status == 400
    lines = proxy.wait_log_lines(1)
    text = "\n".join(lines)
    assert not any(ord(c) < 0x20 and c != "\t" or 0x7F <= ord(c) < 0xA0 for c in text), repr(text)


# 7 -------------------------------------------------------------------- slow request bodies hold the cap

def test_request_bodies_dripped_a_byte_per_timeout_cannot_hold_every_connection_slot(start_proxy):
    """body_timeout_s is a per-read idle timeout and make_room never evicts a connection in S_BODY, so a
    byte per timeout on a huge Content-Length keeps a slot (and an upstream connection) forever: with
    the cap full of such bodies, every other client gets 503 indefinitely (slow POST / R.U.D.Y.)."""
    upstream = _h11()
    drips: list[socket.socket] = []
    try:
        proxy = start_proxy(upstream.url, key=KEY, max_clients=4, body_timeout_s=1.0, sweep_every_s=0.2)
        for _ in range(4):
            sock = connect(proxy.port)
            sock.sendall(b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                         b"Content-Length: 100000000\r\n\r\n{" % proxy.port)
            drips.append(sock)
        deadline = time.monotonic() + 5.0  # five times the body timeout
        while time.monotonic() < deadline:
            for sock in drips:
                try:
                    sock.send(b" ")
                except OSError:
                    pass
            time.sleep(0.5)
        with connect(proxy.port, timeout=5) as sock:
            sock.sendall(request_bytes("GET", "/v1/models", proxy.port))
            status = read_response(sock).status
        assert status == 200, f"a normal client got {status} while four bodies dripped a byte every 0.5 s"
    finally:
        for sock in drips:
            sock.close()
        upstream.close()


# 8 -------------------------------------------------------------------- client credentials in the log

def test_a_refused_request_never_logs_the_clients_credential_from_the_query(start_proxy):
    upstream = _h11()
    try:
        proxy = start_proxy(upstream.url, key=KEY, log="json")
        for head in (b"GET /v1beta/models?key=AIzaSyClientOwnKey0123456 HTTP/1.0\r\nHost: 127.0.0.1:%d\r\n\r\n",
                     b"GET /v1beta/models?key=AIzaSyClientOwnKey0123456 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                     b"Host: x\r\n\r\n"):
            with connect(proxy.port) as sock:
                sock.sendall(head % proxy.port)
                assert read_response(sock).status in (400, 505)
        text = "\n".join(proxy.wait_log_lines(2))
        assert "AIzaSyClientOwnKey0123456" not in text, text
    finally:
        upstream.close()


# 9 -------------------------------------------------------------------- many token guesses in one request

def test_one_request_cannot_carry_thousands_of_token_guesses(start_proxy):
    """token_ok() accepts a request if ANY credential in it matches, and every header whose name says
    token/auth/api-key/secret counts (plus repeated ?key=/?token= parameters). One request can carry
    ~2,000 guesses in a 64 KiB head and counts as one failure: the 5-per-minute throttle becomes
    ~10,000 guesses a minute per address."""
    token = "a-long-enough-token-123"
    upstream = _h11()
    try:
        proxy = start_proxy(upstream.url, key=KEY, token=token)
        guesses = [b"X-Token-%d: wrong-guess-%05d" % (i, i) for i in range(1500)]
        guesses.append(b"X-Token-final: " + token.encode())  # the right one hidden among them
        head = (b"GET /v1/models?key=g1&key=g2&token=g3 HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % proxy.port
                + b"\r\n".join(guesses) + b"\r\n\r\n")
        assert len(head) < 64 * 1024
        with connect(proxy.port) as sock:
            sock.sendall(head)
            status = read_response(sock).status
        assert status != 200, "1,504 token guesses in one request, and the one right guess got through"
    finally:
        upstream.close()


# 10 ------------------------------------------------------------------- a repeated Connection header

def test_an_upstream_connection_close_is_honoured_when_connection_is_sent_twice(start_proxy, scripted):
    """Only the last Connection header of a response is read (conn = value.lower() per header), so
    'Connection: close' followed by 'Connection: keep-alive' puts a closing connection back in the pool;
    the next client's request is written into it and gets a 502 (nothing is retried)."""
    def answer(seen, sock):
        if b"/v1/first" in seen.head:
            sock.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nConnection: keep-alive\r\n"
                         b"Content-Length: 2\r\n\r\nok")
            time.sleep(0.5)  # then closes, as it said it would
            return False
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        return True

    upstream = scripted(answer)
    proxy = start_proxy(upstream.url, key=KEY)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("GET", "/v1/first", proxy.port))
        assert read_response(sock).status == 200
    time.sleep(0.1)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("GET", "/v1/second", proxy.port))
        status = read_response(sock).status
    assert status == 200, f"the second client got {status}: its request went into a connection marked close"


# 11 ------------------------------------------------------------------- any client can pose as a warm-up

def test_a_client_cannot_label_its_requests_as_the_proxys_own_warm_ups(start_proxy):
    """x-bytespike-warm: 1 is honoured from any client: its (billed) request is logged '(warm-up)' /
    "warm": true, as if the proxy had sent it because of --warm, and does not count as activity."""
    upstream = _h11()
    try:
        proxy = start_proxy(upstream.url, key=KEY, log="json")
        with connect(proxy.port) as sock:
            sock.sendall(request_bytes("POST", "/v1/chat/completions", proxy.port, body=b'{"model":"gpt-x"}',
                                       headers={"X-Bytespike-Warm": "1"}))
            assert read_response(sock).status == 200
        line = json.loads(proxy.wait_log_lines(1)[0])
        assert line["warm"] is False, line
    finally:
        upstream.close()
