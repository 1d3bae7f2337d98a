"""The little of HTTP/1.1 a byte-relaying proxy needs: strict framing, head search, canned answers.

Heads are parsed by llhttp (``httptools``, see request.py / upstream.py), and so is a response's chunk
framing (upstream.py: llhttp runs in C with no callback per chunk, the cheapest way to follow a stream).
What stays hand-written is the scanner for chunked *request* bodies, which runs beside llhttp (relay.py:
the two must agree on where a body ends) and takes no trailers: a strict scanner that accepts only what
RFC 9112 allows (the tests hold it to agree with h11 and llhttp on generated and mutated inputs). Bodies
are never decoded: the bytes, chunk framing included, go through unchanged once their framing is checked.
"""

from __future__ import annotations

import re

MAX_HEAD = 64 * 1024  # request or response head, like nginx's large_client_header_buffers
MAX_CHUNK_LINE = 4096  # a chunk-size line with extensions, or one trailer line
MAX_TRAILERS = 16 * 1024
_HEX = b"0123456789abcdefABCDEF"

# Hop-by-hop headers (RFC 9110 §7.6.1) that are never passed on. Transfer-Encoding, Content-Length
# and Trailer are kept on purpose: the body goes through with its framing unchanged, so the framing
# headers stay true for the next hop.
HOP_BY_HOP = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade", b"proxy-authenticate",
     b"proxy-authorization", b"http2-settings")
)

REASONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    408: "Request Timeout", 413: "Content Too Large", 429: "Too Many Requests",
    431: "Request Header Fields Too Large", 499: "Client Closed Request", 500: "Internal Server Error",
    501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
    505: "HTTP Version Not Supported", 508: "Loop Detected",
}


class HeadError(ValueError):
    """A message we will not pass on (malformed, ambiguous framing)."""


# A chunk-size line: hex digits, then optional extensions written as tokens or quoted strings with no
# whitespace at all (RFC 9112 §7.1.1 allows BWS; nobody sends it, and h11 and llhttp disagree on it).
_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_QUOTED = rb'"(?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*"'
_CHUNK_LINE = re.compile(rb"([0-9A-Fa-f]{1,15})((?:;" + _TOKEN + rb"(?:=(?:" + _TOKEN + rb"|" + _QUOTED + rb"))?)*)\Z")
# A trailer field: token ":" OWS value OWS, the value visible characters, spaces and tabs only.
FIELD_LINE = re.compile(rb"(" + _TOKEN + rb"):[ \t]*((?:[!-~\x80-\xff](?:[ \t]*[!-~\x80-\xff])*)?)[ \t]*\Z")
CONTENT_LENGTH = re.compile(rb"[0-9]{1,15}\Z")


def parse_content_length(value: bytes) -> int:
    """1*DIGIT, nothing else: no sign, space, underscore, comma list or hex (both directions)."""
    if CONTENT_LENGTH.match(value) is None:
        raise HeadError("invalid Content-Length")
    return int(value)


def find_head_end(buf: bytes | bytearray, start: int) -> int:
    """Offset of the CRLFCRLF ending a head, searching only from ``start`` (linear over a dripped head)."""
    return buf.find(b"\r\n\r\n", max(0, start - 3))


# Scanner states
_SIZE, _DATA, _DATA_END, _TRAILER = 0, 1, 2, 3


class ChunkedScanner:
    """Follows chunked framing across reads, checks it strictly and says where the message ends.

    ``feed(data)`` returns -1 while the message goes on, else the offset in ``data`` just past the
    final CRLF (after any trailers); it raises HeadError on anything RFC 9112 does not allow, before
    the caller passes a byte of ``data`` on. It keeps at most one partial line between reads and
    copies nothing in the common case, so relaying a stream costs one scan per chunk header.
    """

    __slots__ = ("state", "left", "tail", "trailer_bytes", "trailers_allowed")

    def __init__(self, *, trailers: bool = True) -> None:
        self.trailers_allowed = trailers  # False for requests: a trailer could carry a credential or a Host
        self.state = _SIZE
        self.left = 0  # _DATA: chunk bytes still to pass; _DATA_END: how much of the CRLF after them was seen
        self.tail = b""  # a line cut by the end of the previous read
        self.trailer_bytes = 0

    def feed(self, data: bytes) -> int:
        state = self.state
        if state == _DATA_END or state == _TRAILER or self.tail:
            return self._scan(data, 0)
        # The hot path (streamed events, however the reads split them): chunk data skipped by count, the
        # CRLF after it checked inline, bare hex sizes parsed inline; anything else goes to _scan.
        n = len(data)
        pos = 0
        if state == _DATA:
            left = self.left
            if left >= n:
                self.left = left - n
                return -1
            if left + 2 > n:
                return self._scan(data, 0)
            if not data.startswith(b"\r\n", left):
                raise HeadError("chunk data not followed by CRLF")
            pos = left + 2
            self.state = _SIZE
        find = data.find
        while pos < n:
            eol = find(b"\r\n", pos)
            if eol < 0 or eol - pos > 15:
                break
            line = data[pos:eol]
            if not line or line.strip(_HEX):
                break
            size = int(line, 16)
            if size == 0:
                break
            end = eol + 2 + size
            if end + 2 > n:
                if end >= n:  # the chunk goes on in the next read
                    self.state, self.left = _DATA, end - n
                    return -1
                break  # its CRLF is cut by the end of this read
            if not data.startswith(b"\r\n", end):
                raise HeadError("chunk data not followed by CRLF")
            pos = end + 2
        else:
            return -1
        return self._scan(data, pos)

    def _scan(self, data: bytes, pos: int) -> int:
        """Every case, from ``pos`` on: lines cut between reads, extensions, trailers, the last chunk."""
        n = len(data)
        state = self.state
        seen = 0
        if state == _DATA:
            left = self.left
            if left >= n:
                self.left = left - n
                return -1
            pos = left
            state = _DATA_END
        elif state == _DATA_END:
            seen = self.left
        tail = self.tail
        base = 0
        if tail:  # only ever in _SIZE / _TRAILER: a line needs its whole text
            data = tail + data
            base = len(tail)
            n = len(data)
            self.tail = b""
        find = data.find
        while True:
            if state == _DATA_END:
                # exactly CRLF after the chunk data (h11's CVE-2025-43859: never skip two bytes unseen)
                need = b"\r\n"[seen:]
                got = data[pos:pos + len(need)]
                if need[:len(got)] != got:
                    raise HeadError("chunk data not followed by CRLF")
                if len(got) < len(need):
                    self.state, self.left = _DATA_END, seen + len(got)
                    return -1
                pos += len(got)
                state = _SIZE
                seen = 0
                continue
            eol = find(b"\r\n", pos)
            if eol < 0:
                rest = data[pos:]
                if len(rest) > MAX_CHUNK_LINE or b"\n" in rest or b"\r" in rest[:-1]:
                    raise HeadError("invalid chunk line" if len(rest) <= MAX_CHUNK_LINE else "chunk line too long")
                self.tail = rest
                self.state = state
                return -1
            if eol - pos > MAX_CHUNK_LINE:
                raise HeadError("chunk line too long")
            line = data[pos:eol]
            pos = eol + 2
            if state == _TRAILER:
                if not line:  # the empty line after the last chunk (and its trailers)
                    self.state = _SIZE
                    self.trailer_bytes = 0
                    return pos - base
                if not self.trailers_allowed:
                    raise HeadError("trailer fields are not accepted in requests")
                self.trailer_bytes += len(line) + 2
                if self.trailer_bytes > MAX_TRAILERS or FIELD_LINE.match(line) is None:
                    raise HeadError("invalid trailer field")
                continue
            if line and len(line) < 16 and not line.strip(_HEX):
                size = int(line, 16)
            else:
                m = _CHUNK_LINE.match(line)
                if m is None:
                    raise HeadError("invalid chunk size")
                size = int(m.group(1), 16)
            if size == 0:
                state = _TRAILER
                continue
            end = pos + size
            if end >= n:
                self.state, self.left = _DATA, end - n
                return -1
            pos = end
            state = _DATA_END


def response_bytes(status: int, body: bytes, *, content_type: bytes = b"application/json",
                   close: bool = True, extra: tuple[bytes, ...] = ()) -> bytes:
    """A complete small response the proxy writes itself (errors, guard refusals)."""
    lines = [
        b"HTTP/1.1 %d %s" % (status, REASONS.get(status, "Error").encode()),
        b"Content-Type: " + content_type,
        b"Content-Length: %d" % len(body),
        b"Cache-Control: no-store",
        *extra,
    ]
    if close:
        lines.append(b"Connection: close")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body
