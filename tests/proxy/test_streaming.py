"""Streams are relayed as they arrive and byte for byte."""

from __future__ import annotations

import json
import time

from bytespike_cli.fakegateway import FAULT_HEADER

from .conftest import connect, exchange, read_response, request_bytes

CHAT = json.dumps({"model": "gpt-5-5", "stream": True,
                   "messages": [{"role": "user", "content": "one two three four five six"}]})


def _event_times(arrivals: list[tuple[float, bytes]], skip_head: bool) -> list[float]:
    """Time at which each SSE event (ending in a blank line) was complete."""
    times, seen, data = [], 0, b""
    for t, chunk in arrivals:
        data += chunk
        body = data.split(b"\r\n\r\n", 1)[1] if skip_head and b"\r\n\r\n" in data else (b"" if skip_head else data)
        count = body.count(b"\n\n")
        times += [t] * (count - seen)
        seen = count
    return times


def test_each_event_leaves_the_proxy_before_the_upstream_sends_the_next(gateway, start_proxy, tap_to):
    tap = tap_to(gateway.port)
    proxy = start_proxy(tap.url)
    with connect(proxy.port) as sock:
        sock.sendall(request_bytes("POST", "/v1/chat/completions", proxy.port, body=CHAT.encode(),
                                   headers={"Content-Type": "application/json", FAULT_HEADER: "slow-stream=150"}))
        response = read_response(sock)
    assert response.status == 200
    client_times = _event_times(response.arrivals, skip_head=True)
    with tap.lock:
        upstream_arrivals = [(t, d) for t, c, k, d in tap.events if k == "down"]
    upstream_times = _event_times(upstream_arrivals, skip_head=True)
    assert len(client_times) == len(upstream_times) >= 8
    for i in range(len(client_times) - 1):
        assert client_times[i] < upstream_times[i + 1], f"event {i} was held back until the upstream sent event {i + 1}"
    # and nothing was bunched: the client saw the upstream's rhythm
    gaps = [b - a for a, b in zip(client_times, client_times[1:-1])]
    assert min(gaps) > 0.075, gaps


def test_stream_bytes_through_the_proxy_are_the_bytes_the_gateway_sent(gateway, start_proxy, tap_to):
    tap = tap_to(gateway.port)
    proxy = start_proxy(tap.url)
    response = exchange(proxy.port, "POST", "/v1/chat/completions", body=CHAT.encode(),
                        headers={"Content-Type": "application/json"})
    assert response.status == 200 and response.headers["transfer-encoding"] == "chunked"
    sent_by_gateway = tap.downstream_bytes().split(b"\r\n\r\n", 1)[1]
    assert response.raw_body == sent_by_gateway  # chunk framing included
    assert b"data: [DONE]" in response.body()


def _stream_script(pieces):
    """A responder that writes the given byte pieces with small pauses (so reads split mid-framing)."""
    def respond(request, sock):
        for piece in pieces:
            sock.sendall(piece)
            time.sleep(0.01)
        return True
    return respond


def _chunk(data: bytes, ext: bytes = b"") -> bytes:
    return b"%x%s\r\n%s\r\n" % (len(data), ext, data)


_E1, _E2, _E3 = b'data: {"n": 1}\n\n', b'data: {"n": 2, "pad": 1}\n\n', b"data: 3\n\n"
AWKWARD_STREAM = [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n"
    b"X-Quota-Remaining-Credits: 12.34\r\n\r\n",
    _chunk(_E1)[:1], _chunk(_E1)[1:],  # a chunk-size line cut in two
    _chunk(_E2, b';ext="x"'),  # a chunk extension
    _chunk(_E3)[:-2], b"\r\n",  # the CRLF after the data comes in the next read
    b"0\r\nX-Trailer: done\r\n", b"\r\n",  # trailers, and the final CRLF alone
]


def test_direct_and_proxied_streams_are_byte_identical(scripted, start_proxy):
    upstream = scripted(_stream_script(AWKWARD_STREAM))
    proxy = start_proxy(upstream.url)
    direct = exchange(upstream.port, "GET", "/v1/stream")
    proxied = exchange(proxy.port, "GET", "/v1/stream")
    assert direct.raw_body == b"".join(AWKWARD_STREAM).split(b"\r\n\r\n", 1)[1]
    assert proxied.raw_body == direct.raw_body
    assert proxied.headers["x-quota-remaining-credits"] == "12.34"


def test_many_events_in_one_read_and_one_event_over_many_reads(scripted, start_proxy):
    events = [b"data: %d\n\n" % i for i in range(200)]
    one_read = b"".join(b"%x\r\n%s\r\n" % (len(e), e) for e in events)
    big = b"data: " + b"x" * 200_000 + b"\n\n"
    pieces = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", one_read,
              b"%x\r\n" % len(big), big[:70_000], big[70_000:], b"\r\n0\r\n\r\n"]
    upstream = scripted(_stream_script(pieces))
    proxy = start_proxy(upstream.url)
    with connect(proxy.port) as sock:
        for _ in range(2):  # and the connection is still usable afterwards
            sock.sendall(request_bytes("GET", "/v1/stream", proxy.port))
            response = read_response(sock)
            assert response.raw_body == b"".join(pieces[1:])
    assert upstream.connections == 1
