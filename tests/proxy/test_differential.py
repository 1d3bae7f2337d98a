"""Differential fuzz: the proxy against h11 on generated and mutated requests.

The proxy sits in front of a recording upstream built on h11. For every input:
- whatever the proxy forwards parses in h11, as no more requests than h11 reads in the client's
  bytes, each one logged by the proxy, on an allowed normalised path, with none of the client's
  credentials and the profile key only in its injection header;
- whatever h11 rejects before it has read a request, the proxy refuses (400, or 501 for a transfer
  coding it does not know, 431 for a head too large) and forwards nothing.
Seeded, bounded in cases and seconds, part of the default run.
"""

from __future__ import annotations

import json
import random
import socket
import time
from urllib.parse import unquote_to_bytes

import h11
import pytest

from tests.proxy.h11_upstream import H11Upstream

KEY = "sk-byts-fuzzkey-0123456789abcdef"
CLIENT_SECRET = b"sk-client-CANARY"
ALLOWED = (b"/v1/", b"/v1beta/", b"/api/v1/")
CREDENTIAL_HEADERS = {b"authorization", b"x-api-key", b"x-goog-api-key", b"api-key", b"anthropic-api-key",
                      b"cookie", b"proxy-authorization"}
CREDENTIAL_PARAMS = {b"key", b"api_key", b"apikey", b"api-key", b"access_token", b"token"}
REFUSAL_STATUSES = {400, 405, 431, 501}  # 405: a method the proxy never forwards
CASES = 300
SECONDS = 6.0


def seeds(port: int) -> list[bytes]:
    host = b"Host: 127.0.0.1:%d\r\n" % port
    body = b'{"model":"gpt-5-4-mini","messages":[{"role":"user","content":"hi"}]}'
    return [
        b"GET /v1/models HTTP/1.1\r\n" + host + b"Authorization: Bearer " + CLIENT_SECRET + b"\r\nConnection: close\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\n" + host + b"x-api-key: " + CLIENT_SECRET +
        b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body,
        b"POST /v1/messages HTTP/1.1\r\n" + host + b"Transfer-Encoding: chunked\r\nanthropic-version: 2023-06-01\r\n"
        b"Connection: close\r\n\r\n5\r\n{\"a\":\r\n3;x=y\r\n 1}\r\n0\r\n\r\n",
        b"GET /v1beta/models/gemini-3-flash:generateContent?alt=sse&key=" + CLIENT_SECRET + b" HTTP/1.1\r\n" + host +
        b"Connection: close\r\n\r\n",
        b"GET /v1/models HTTP/1.1\r\n" + host + b"\r\nGET /api/v1/me/usage?x=1 HTTP/1.1\r\n" + host +
        b"Connection: close\r\n\r\n",
        b"POST /v1/responses HTTP/1.1\r\n" + host + b"Content-Length: 5\r\nConnection: close\r\n\r\nhello",
    ]


TOKENS = [
    b"\n", b"\r", b"\x00", b"\x0b", b"\x0c", b"\x1b", b"\x7f", b" ", b"\t", b"\r\n", b"\r\n\r\n", b"\xff",
    b"Connection: content-length\r\n", b"Connection: transfer-encoding, close\r\n", b"Connection: host\r\n",
    b"Connection: close, Content-Length\r\n", b"Content-Length: 5\r\n", b"Content-Length: +5\r\n",
    b"Content-Length: 0x5\r\n", b"Content-Length: 5, 5\r\n", b"Transfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: gzip\r\n", b"Transfer-Encoding: chunked, chunked\r\n", b"Host: evil.example\r\n",
    b"/../", b"/..", b"%2e%2e/", b"%2F", b"%2e", b"/./", b"//", b";", b"%5c", b"\\", b"#frag",
    b"?key=" + CLIENT_SECRET, b"&KEY=" + CLIENT_SECRET, b"&%6Bey=" + CLIENT_SECRET, b";key=" + CLIENT_SECRET,
    b"api-key: " + CLIENT_SECRET + b"\r\n", b"Cookie: s=" + CLIENT_SECRET + b"\r\n",
    b"Anthropic-Api-Key: " + CLIENT_SECRET + b"\r\n", b"X_Api_Key: " + CLIENT_SECRET + b"\r\n",
    b"0\r\n\r\n", b"5\r\nhello\r\n", b"0\r\nAuthorization: Bearer " + CLIENT_SECRET + b"\r\n\r\n", b"5;a=\x01\r\nhello\r\n", b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n",
    b"X: a\r\n b\r\n", b"X : y\r\n", b"Expect: 100-continue\r\n", b"Upgrade: h2c\r\nConnection: Upgrade\r\n",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    for _ in range(rng.randint(1, 3)):
        roll = rng.random()
        if roll < 0.6:
            token = rng.choice(TOKENS)
            if rng.random() < 0.5:  # at a line start: header-shaped tokens become header lines
                starts = [i + 2 for i in range(len(data) - 1) if data[i:i + 2] == b"\r\n"] or [0]
                pos = rng.choice(starts)
            else:
                pos = rng.randrange(len(data) + 1)
            data = data[:pos] + token + data[pos:]
        elif roll < 0.8 and len(data) > 2:
            pos = rng.randrange(len(data) - 1)
            data = data[:pos] + data[pos + rng.randint(1, 8):]
        elif data:
            pos = rng.randrange(len(data))
            data = data[:pos] + bytes([rng.randrange(256)]) + data[pos + 1:]
    return data


def h11_reading(data: bytes) -> tuple[list[tuple[bytes, bytes]], bool]:
    """(request heads h11 reads in order, whether it rejected the bytes before reading any)."""
    conn = h11.Connection(h11.SERVER)
    conn.receive_data(data)
    heads: list[tuple[bytes, bytes]] = []
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError:
            return heads, not heads
        if event is h11.NEED_DATA:
            return heads, False
        if event is h11.PAUSED:
            if conn.our_state is h11.SEND_RESPONSE or conn.our_state is h11.IDLE:
                try:  # answer, so h11 goes on to a pipelined next request
                    conn.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                    conn.send(h11.EndOfMessage())
                    conn.start_next_cycle()
                    continue
                except h11.LocalProtocolError:
                    return heads, False
            return heads, False
        if isinstance(event, h11.Request):
            heads.append((event.method, event.target))
        if isinstance(event, h11.ConnectionClosed):
            return heads, False


def exchange_raw(port: int, data: bytes, quiet: float = 0.25) -> tuple[bytes, bool]:
    """Send ``data``; read until the proxy closes or stays quiet. (bytes read, closed by the proxy?)"""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    got = b""
    closed = False
    try:
        sock.sendall(data)
        sock.settimeout(quiet)
        while True:
            try:
                chunk = sock.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            got += chunk
    except (BrokenPipeError, ConnectionResetError):
        closed = True
    finally:
        sock.close()
    return got, closed


def first_status(raw: bytes) -> int | None:
    if not raw.startswith(b"HTTP/1.1 "):
        return None
    return int(raw[9:12])


def path_of(target: bytes) -> bytes:
    return target.split(b"?", 1)[0]


def check_forwarded(req, prefix: bytes) -> None:
    path = path_of(req.target)
    assert path.startswith(prefix), req.target
    path = path[len(prefix):]
    assert path.startswith(ALLOWED), req.target
    segments = unquote_to_bytes(path).split(b"/")
    assert b".." not in segments and b"." not in segments, req.target
    lowered = path.lower()
    assert b"%2f" not in lowered and b"%2e" not in lowered and b"%5c" not in lowered and b"//" not in path, req.target
    if b"?" in req.target:
        for part in req.target.split(b"?", 1)[1].replace(b";", b"&").split(b"&"):
            name = unquote_to_bytes(part.partition(b"=")[0]).strip().lower()
            assert name not in CREDENTIAL_PARAMS, req.target
    names = [k for k, _ in req.headers]
    creds = [(k, v) for k, v in req.headers if k in CREDENTIAL_HEADERS or b"api-key" in k.replace(b"_", b"-")]
    assert len(creds) == 1, creds
    name, value = creds[0]
    expected = {b"x-api-key": KEY.encode(), b"x-goog-api-key": KEY.encode(), b"authorization": b"Bearer " + KEY.encode()}
    assert expected.get(name) == value, (name, value)
    assert name == (b"x-api-key" if path.startswith(b"/v1/messages") else
                    b"x-goog-api-key" if path.startswith(b"/v1beta/") else b"authorization")
    assert names.count(b"host") == 1 and names.count(b"content-length") <= 1
    assert not (b"content-length" in names and b"transfer-encoding" in names)
    assert all(CLIENT_SECRET not in v for k, v in req.headers if k in CREDENTIAL_HEADERS)


@pytest.fixture
def rig(start_proxy):
    upstream = H11Upstream()
    proxy = start_proxy(upstream.url + "/prefix", key=KEY, log="json", head_timeout_s=2.0)
    yield proxy, upstream
    upstream.close()


def logged(proxy, since: int) -> list[dict]:
    proxy.proxy.server.log.flush()
    docs = [json.loads(line) for line in proxy.stream.getvalue().splitlines() if line.strip()]
    return [d for d in docs[since:] if d.get("event") == "request"]


def log_length(proxy) -> int:
    proxy.proxy.server.log.flush()
    return len([ln for ln in proxy.stream.getvalue().splitlines() if ln.strip()])


def run_case(proxy, upstream, data: bytes) -> None:
    upstream.reset()
    since = log_length(proxy)
    heads, rejected_early = h11_reading(data)
    # a refusal closes at once, so waiting long costs nothing there; elsewhere a short quiet ends the read
    raw, closed = exchange_raw(proxy.port, data, quiet=3.0 if rejected_early and b"\r\n\r\n" in data else 0.1)
    if not closed:
        time.sleep(0.03)  # a partly forwarded request: let the upstream thread read what it got
    forwarded = list(upstream.requests)
    if forwarded:
        time.sleep(0.015)  # the log's flush delay
    assert not upstream.errors, (data, upstream.errors)
    assert len(forwarded) <= len(heads), (data, [(r.method, r.target) for r in forwarded], heads)
    for req, (method, _target) in zip(forwarded, heads):
        assert req.method == method, (data, req.method, method)
        check_forwarded(req, b"/prefix")
    entries = logged(proxy, since)
    logged_pairs = [(e["method"].encode(), e["path"].encode()) for e in entries]
    for req in forwarded:
        assert (req.method, req.target[len(b"/prefix"):]) in logged_pairs, (data, req.target, logged_pairs)
    if rejected_early:
        assert forwarded == [], data
        if b"\r\n\r\n" in data:
            assert first_status(raw) in REFUSAL_STATUSES, (data, raw[:200])


def test_every_seed_goes_through_as_h11_reads_it(rig):
    proxy, upstream = rig
    for data in seeds(proxy.port):
        run_case(proxy, upstream, data)
        assert upstream.requests, data  # the unmutated seeds are all forwarded


@pytest.mark.parametrize("seed", range(6))
def test_every_token_after_the_request_line_and_before_the_body(rig, seed):
    """Systematic: each token at the start of the header block and at the end of the head."""
    proxy, upstream = rig
    data = seeds(proxy.port)[seed]
    first = data.index(b"\r\n") + 2
    last = data.index(b"\r\n\r\n") + 2
    for token in TOKENS:
        for pos in (first, last):
            run_case(proxy, upstream, data[:pos] + token + data[pos:])


def test_mutated_requests_are_forwarded_only_as_h11_reads_them(rig):
    proxy, upstream = rig
    rng = random.Random(20261130)
    base = seeds(proxy.port)
    deadline = time.monotonic() + SECONDS
    ran = refused = forwarded = 0
    for _ in range(CASES):
        if time.monotonic() > deadline:
            break
        data = mutate(rng.choice(base), rng)
        run_case(proxy, upstream, data)
        ran += 1
        forwarded += bool(upstream.requests)
        refused += not upstream.requests
    assert ran >= 50 and forwarded >= 5 and refused >= 5, (ran, forwarded, refused)
