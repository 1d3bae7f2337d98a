"""The framing scanner decides where a relayed message ends: it must never be fooled by payload bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bytespike_cli.proxy.http1 import ChunkedScanner, HeadError
from bytespike_cli.proxy.refusals import Refused
from bytespike_cli.proxy.request import parse_head

payloads = st.lists(st.one_of(st.binary(min_size=1, max_size=300),
                              st.sampled_from([b"0\r\n\r\n", b"\r\n", b"data: x\n\n", b"5\r\nhello\r\n"])),
                    min_size=0, max_size=12)


def _encode(chunks, extensions, trailers) -> bytes:
    out = []
    for i, chunk in enumerate(chunks):
        ext = b";n=%d" % i if extensions and i % 2 else b""
        out.append(b"%x%s\r\n%s\r\n" % (len(chunk), ext, chunk))
    out.append(b"0\r\n" + b"".join(b"X-T%d: v\r\n" % i for i in range(trailers)) + b"\r\n")
    return b"".join(out)


@settings(max_examples=300, deadline=None)
@given(payloads, st.booleans(), st.integers(0, 2), st.lists(st.integers(1, 5000), max_size=20),
       st.binary(max_size=20))
def test_the_end_of_a_chunked_body_is_found_however_it_is_split(chunks, extensions, trailers, cuts, after):
    body = _encode(chunks, extensions, trailers)
    wire = body + after  # bytes after the end belong to the next message
    scanner = ChunkedScanner()
    points = sorted({c % len(wire) for c in cuts if c % len(wire)}) + [len(wire)]
    start, found = 0, None
    for point in points:
        end = scanner.feed(wire[start:point])
        if end >= 0:
            found = start + end
            break
        start = point
    assert found == len(body)


@pytest.mark.parametrize("bad", [b"-5\r\n", b"zz\r\n", b"1_0\r\n", b"0x5\r\n", b"+5\r\n", b"0X5\r\n", b" 5\r\n", b"5 x\r\n", b"\r\n",
                                 b"1" * 20 + b"\r\n"])
def test_invalid_chunk_sizes_are_refused(bad):
    with pytest.raises(HeadError):
        ChunkedScanner().feed(bad + b"hello\r\n0\r\n\r\n")


@pytest.mark.parametrize("head", [
    b"GET /v1/x HTTP/1.1\r\nHost : a",  # space before the colon
    b"GET /v1/x HTTP/1.1\r\nHost: a\r\n folded",  # obs-fold
    b"GET /v1/x HTTP/1.1\r\nHost: a\r\nno colon",
    b"GET /v1/x HTTP/1.1\r\nHost: a\r\n: empty-name",
    b"GET /v1/x HTTP/1.1\r\nHost: a\r\nBad\x00Name: x",
])
def test_ambiguous_heads_are_refused(head):
    with pytest.raises(Refused) as caught:
        parse_head(head)
    assert caught.value.refusal.status == 400


def test_a_head_is_forwarded_in_canonical_form_with_its_names_and_values_kept():
    req = parse_head(b"POST /v1/x HTTP/1.1\r\nHost: 127.0.0.1:1\r\nX-Mixed-Case:  value with  spaces \r\nEmpty:")
    assert (req.method, req.path, req.target, req.host) == (b"POST", b"/v1/x", b"/v1/x", b"127.0.0.1:1")
    assert req.header_lines == [b"X-Mixed-Case: value with  spaces", b"Empty: "]


# ---- the hand-written scanner agrees with h11 and llhttp on every input it accepts ----------------------

import h11  # noqa: E402
import httptools  # noqa: E402

_RESPONSE_HEAD = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
_NASTY = [b"\r", b"\n", b"\r\n", b" ", b"\t", b";", b"=", b"\"", b"\x00", b"\x0b", b"0", b"a", b"Z", b"x",
          b"-", b"+", b"_", b"\x7f", b"\xff", b":", b"0\r\n\r\n"]


def _h11_end(body: bytes) -> int | None:
    """Offset where h11 (reading a response) finds the end of the chunked body; None if it rejects it."""
    conn = h11.Connection(h11.CLIENT)
    conn.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))
    conn.send(h11.EndOfMessage())
    conn.receive_data(_RESPONSE_HEAD)
    fed = 0
    for i in range(len(body)):  # byte by byte: the end is where EndOfMessage first appears
        conn.receive_data(body[i:i + 1])
        fed = i + 1
        while True:
            try:
                event = conn.next_event()
            except h11.RemoteProtocolError:
                return None
            if event is h11.NEED_DATA:
                break
            if isinstance(event, h11.EndOfMessage):
                return fed
    return -1


def _llhttp_end(body: bytes) -> int | None:
    done = []

    class Callbacks:
        def on_message_complete(self):
            done.append(True)

    parser = httptools.HttpResponseParser(Callbacks())
    parser.feed_data(_RESPONSE_HEAD)
    for i in range(len(body)):
        try:
            parser.feed_data(body[i:i + 1])
        except httptools.HttpParserError:
            return None
        if done:
            return i + 1
    return -1


def _scanner_end(body: bytes, cuts: list[int]) -> int | None:
    scanner = ChunkedScanner()
    points = sorted({c % (len(body) + 1) for c in cuts} | {len(body)})
    start = 0
    try:
        for point in points:
            end = scanner.feed(body[start:point])
            if end >= 0:
                return start + end
            start = point
    except HeadError:
        return None
    return -1


@settings(max_examples=400, deadline=None)
@given(payloads, st.booleans(), st.integers(0, 2),
       st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(_NASTY), st.booleans()), max_size=3),
       st.lists(st.integers(0, 5000), max_size=6))
def test_the_scanner_accepts_only_what_h11_and_llhttp_accept_and_ends_where_they_do(chunks, ext, trailers,
                                                                                      edits, cuts):
    body = _encode(chunks, ext, trailers)
    for pos, token, replace in edits:
        pos %= len(body) + 1
        body = body[:pos] + token + body[pos + (1 if replace else 0):]
    ours = _scanner_end(body, cuts)
    if ours is None:
        return  # stricter than the others is allowed
    if ours == -1:  # not finished: neither may have finished earlier either
        assert _h11_end(body) in (-1, None) and _llhttp_end(body) in (-1, None)
        return
    assert _h11_end(body) == ours, body
    assert _llhttp_end(body) == ours, body


# ---- response bodies: llhttp follows the framing, ChunkedBody says where the response ends --------------

from bytespike_cli.proxy.upstream import ChunkedBody, parse_response_head  # noqa: E402

_AFTER = [b"", b"\r\n", b"\r\n\r\n", b"\n", b"junk", b"\r\nHTTP/1.1 200 OK\r\n", b"0\r\n\r\n"]


def _llhttp_end_bytewise(wire: bytes) -> int | None:
    """Where llhttp, fed one byte at a time, completes the response: the truth ChunkedBody must match."""
    return _llhttp_end(wire)


def _response_body_end(wire: bytes, points: list[int]) -> tuple[int | None, int]:
    """(ChunkedBody's end offset or None if it refused or -1, the end of the read it stopped in)."""
    _, _, fields, parser = parse_response_head(_RESPONSE_HEAD[:-4])
    body = ChunkedBody(parser, fields)
    start = 0
    for point in points:
        try:
            end = body.feed(wire[start:point])
        except HeadError:
            return None, point
        if end >= 0:
            assert 0 <= end <= point - start
            return start + end, point
        start = point
    return -1, len(wire)


@settings(max_examples=400, deadline=None)
@given(payloads, st.booleans(), st.integers(0, 2),
       st.lists(st.tuples(st.integers(0, 10_000), st.sampled_from(_NASTY), st.booleans()), max_size=2),
       st.lists(st.integers(0, 5000), max_size=6), st.sampled_from(_AFTER))
def test_a_response_body_ends_where_llhttp_and_h11_end_it_however_the_reads_split_it(chunks, ext, trailers,
                                                                                     edits, cuts, after):
    body = _encode(chunks, ext, trailers)
    for pos, token, replace in edits:
        pos %= len(body) + 1
        body = body[:pos] + token + body[pos + (1 if replace else 0):]
    wire = body + after
    points = sorted({c % (len(wire) + 1) for c in cuts} - {0} | {len(wire)})
    ours, read_end = _response_body_end(wire, points)
    truth = _llhttp_end_bytewise(wire)
    if truth is None or truth == -1:
        assert ours == truth, (wire, ours, truth)
        return
    if wire[truth:read_end].strip(b"\r\n"):  # the gateway sent more than its response in that read
        assert ours is None, wire
    else:
        assert ours == truth, (wire, ours, truth)
    clean = _h11_end(body)  # an independent parser: where it accepts the body alone, the end is the same
    if clean not in (None, -1) and not body[clean:].strip(b"\r\n"):
        alone, _ = _response_body_end(body, sorted({c % (len(body) + 1) for c in cuts} - {0} | {len(body)}))
        assert alone == clean, body


def test_a_response_body_end_is_found_when_its_last_bytes_come_one_read_at_a_time():
    wire = b"5\r\nhello\r\n7\r\n0\r\n\r\n\r\n\r\n0\r\nX-T: v\r\n\r\n"  # chunk data that looks like an end
    for split in range(1, len(wire)):
        points = list(range(split, len(wire) + 1))  # one read up to `split`, then a byte per read
        ours, _ = _response_body_end(wire, points)
        assert ours == len(wire), split


@pytest.mark.parametrize("bad", [b"5\r\nhelloXX0\r\n\r\n", b"5\r\nhello\n0\r\n\r\n", b"5\nhello\r\n0\r\n\r\n",
                                 b"0x5\r\nhello\r\n0\r\n\r\n", b"5 \r\nhello\r\n0\r\n\r\n",
                                 b"5;a b\r\nhello\r\n0\r\n\r\n", b"0\r\nX: \x01\r\n\r\n", b"0\r\nX y\r\n\r\n",
                                 b"0\r\n" + b"X-Big: " + b"v" * 17_000 + b"\r\n\r\n"])
def test_response_framing_llhttp_refuses_is_refused(bad):
    assert _response_body_end(bad, [len(bad)])[0] is None
