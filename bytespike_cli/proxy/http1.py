"""The little of HTTP/1.1 a byte-relaying proxy needs: heads, body framing, canned answers.

Bodies are never decoded. The relay only has to know where a message ends (Content-Length or
chunked framing) so that keep-alive connections stay in step; the bytes themselves, chunk framing
included, go through unchanged. Everything here works on ``bytes`` to avoid decoding on the hot path.
"""

from __future__ import annotations

import re

MAX_HEAD = 64 * 1024  # request or response head, like nginx's large_client_header_buffers
MAX_CHUNK_LINE = 4096  # a chunk-size line with extensions
_HEX = b"0123456789abcdefABCDEF"
_DIGITS = b"0123456789"

# Hop-by-hop headers (RFC 9110 §7.6.1) that are never passed on. Transfer-Encoding, Content-Length
# and Trailer are kept on purpose: the body goes through with its framing unchanged, so the framing
# headers stay true for the next hop.
HOP_BY_HOP = frozenset(
    (b"connection", b"keep-alive", b"proxy-connection", b"te", b"upgrade", b"proxy-authenticate",
     b"proxy-authorization")
)

REASONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
    413: "Content Too Large", 431: "Request Header Fields Too Large", 499: "Client Closed Request",
    500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
    504: "Gateway Timeout", 505: "HTTP Version Not Supported", 508: "Loop Detected",
}


class HeadError(ValueError):
    """A head we will not pass on (malformed, ambiguous framing)."""


Header = tuple  # (lowercase name, stripped value, the original line) — all bytes

# Every header line must be a field name (an RFC 9110 token) directly followed by a colon. No
# whitespace before the colon, no continuation lines (obs-fold): ambiguous heads are how request
# smuggling starts (RFC 9112 §5), so they are refused outright.
_BAD_LINE = re.compile(rb"\r\n(?![!#$%&'*+.^_`|~0-9A-Za-z-]+:)")


def split_head(head: bytes) -> tuple[bytes, list[Header]]:
    """Start line and headers of a head without its final CRLFCRLF."""
    if _BAD_LINE.search(head):
        raise HeadError("malformed header line")
    lines = head.split(b"\r\n")
    lowered = head.lower().split(b"\r\n")
    headers = []
    for i in range(1, len(lines)):
        low = lowered[i]
        colon = low.find(b":")
        line = lines[i]
        headers.append((low[:colon], line[colon + 1:].strip(), line))
    return lines[0], headers


def parse_content_length(value: bytes) -> int:
    if not value or value.strip(_DIGITS) or len(value) > 15:
        raise HeadError("invalid Content-Length")
    return int(value)


class ChunkedScanner:
    """Follows chunked framing across reads and says where the message ends.

    ``feed(data)`` returns -1 while the message goes on, else the offset in ``data`` just past the
    final CRLF (after any trailers). It keeps at most one partial chunk-size line between reads and
    copies nothing in the common case, so relaying a stream costs one scan per chunk header.
    """

    __slots__ = ("left", "tail", "trailers")

    def __init__(self) -> None:
        self.left = 0  # bytes of chunk data (+ its CRLF) still to skip
        self.tail = b""  # a chunk-size or trailer line cut by the end of the previous read
        self.trailers = False

    def feed(self, data: bytes) -> int:
        n = len(data)
        left = self.left
        if left >= n:
            self.left = left - n
            return -1
        tail = self.tail
        if tail:
            buf = tail + data
            self.tail = b""
            base = len(tail)
            n = len(buf)
        else:
            buf = data
            base = 0
        pos = left
        find = buf.find
        trailers = self.trailers
        try:
            while True:
                eol = find(b"\r\n", pos)
                if eol < 0:
                    rest = buf[pos:]
                    if len(rest) > MAX_CHUNK_LINE:
                        raise HeadError("chunk-size line too long")
                    self.tail = rest
                    self.left = 0
                    self.trailers = trailers
                    return -1
                if trailers:
                    if eol == pos:  # the empty line after the last chunk (and its trailers)
                        self.trailers = False
                        self.left = 0
                        return eol + 2 - base
                    pos = eol + 2
                    continue
                field = buf[pos:eol]
                # the common case is a bare hex size; extensions and odd spacing take the slow path.
                # Only hex digits: int() alone would also take "0x10", "1_0" or "+5" (smuggling risk).
                size = int(field, 16) if len(field) < 16 and field and not field.strip(_HEX) else _size_with_extensions(field)
                pos = eol + 2
                if size == 0:
                    trailers = True
                    continue
                pos += size + 2
                if pos >= n:
                    self.left = pos - n
                    return -1
        except ValueError:  # int() on a field that is not hex
            raise HeadError("invalid chunk size") from None


def _size_with_extensions(field: bytes) -> int:
    semi = field.find(b";")
    if semi >= 0:
        field = field[:semi].rstrip(b" \t")
    if not field or field.strip(_HEX) or len(field) > 15:
        raise HeadError("invalid chunk size")
    return int(field, 16)


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
