"""The request side: read a client's head with a proven parser, decide what may be forwarded.

A request is forwarded only if it is exactly one unambiguous HTTP/1.1 request on an allowed,
normalised API path. llhttp (``httptools``, uvicorn's parser) reads the head in strict mode: CRLF
everywhere, no control bytes, no obs-fold, one Content-Length made of digits, Transfer-Encoding and
Content-Length never together. On top of that we refuse what h11 refuses and llhttp lets through
(two spaces in the request line, a missing or repeated Host, a Transfer-Encoding other than
``chunked``), and whatever could make the next hop read the request differently from us:
``Connection`` naming a framing header, percent-encoded ``/`` ``.`` ``\\``, a ``;`` or a fragment in
the path. The path is normalised (RFC 3986 remove_dot_segments after decoding unreserved escapes)
and the allowlist applies to the normalised form, which is also what goes upstream — so neither
the allowlist nor an ``--upstream`` prefix can be escaped.

Every credential the client sends (headers and query parameters, in any spelling) is taken out;
their values are kept only to check the proxy's own ``--token``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote_to_bytes

import httptools

from bytespike_cli.proxy.http1 import CONTENT_LENGTH, HOP_BY_HOP
from bytespike_cli.proxy.refusals import Refused

# What an API client sends. TRACE would echo the injected key back; CONNECT switches the connection
# to a tunnel that neither side would read as HTTP any more.
FORWARDED_METHODS = frozenset((b"GET", b"POST", b"PUT", b"PATCH", b"DELETE", b"HEAD", b"OPTIONS"))

# Body framings
B_NONE, B_LENGTH, B_CHUNKED = 0, 1, 2

_REQUEST_LINE = re.compile(rb"([!#$%&'*+.^_`|~0-9A-Za-z-]+) ([!-~]+) (HTTP/\d\.\d)\Z")
# Connection may nominate hop-by-hop headers, but never the ones that frame or route the message:
# stripping those while the body still goes through is how a request is smuggled.
_NEVER_NOMINATED = frozenset((b"content-length", b"transfer-encoding", b"host", b"trailer"))
# Credential headers: the exact names clients use, and any name that says it carries one.
_CREDENTIAL_NAMES = frozenset((b"authorization", b"proxy-authorization", b"cookie", b"x-api-key", b"api-key",
                               b"x-goog-api-key", b"anthropic-api-key", b"openai-api-key"))
_CREDENTIAL_HINT = re.compile(rb"api-?key|token|secret|passw|auth|cookie")
_CREDENTIAL_PARAMS = frozenset((b"key", b"api_key", b"apikey", b"api-key", b"x-api-key", b"access_token",
                                b"token", b"x-goog-api-key"))
# any of these means the slow, careful path: escapes, dot segments, doubled slashes, odd separators, a key
_PLAIN_TARGET = re.compile(rb"[%#\\;]|//|/\.|(?i:key|token)")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~")
_HEXDIGITS = frozenset(b"0123456789abcdefABCDEF")


@dataclass(slots=True)
class RequestHead:
    method: bytes
    target: bytes  # normalised path + query without credentials: what goes upstream after the prefix
    path: bytes  # normalised path, no query
    header_lines: list[bytes]  # "Name: value" lines to forward (hop-by-hop, credentials, Host taken out)
    host: bytes | None = None
    origin: bytes | None = None
    fetch_site: bytes | None = None
    via: bytes | None = None
    credentials: list[bytes] = field(default_factory=list)
    framing: int = B_NONE
    length: int = 0
    keep_alive: bool = True
    expect_continue: bool = False
    warm: bytes | None = None  # the x-bytespike-warm value: a warm-up only if it is this proxy's own secret


class _Collector:
    """llhttp callbacks: the URL and header pairs, exactly as llhttp split them."""

    __slots__ = ("url", "headers")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[bytes, bytes]] = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value.rstrip(b" \t")))  # llhttp drops leading OWS, keeps trailing


# What a request header is to the proxy, by its name as sent (cached: clients send the same names every time)
_KEEP, _HOST, _CL, _TE, _CONN, _CRED, _HOP, _EXPECT, _WARM, _ORIGIN, _FETCH, _VIA = range(12)
_SPECIAL = {b"host": _HOST, b"content-length": _CL, b"transfer-encoding": _TE, b"connection": _CONN,
            b"expect": _EXPECT, b"x-bytespike-warm": _WARM, b"origin": _ORIGIN, b"sec-fetch-site": _FETCH,
            b"via": _VIA}
_ROLES: dict[bytes, int] = {}


def _role_of(name: bytes) -> int:
    low = name.lower()
    role = _SPECIAL.get(low)
    if role is None:
        if low in _CREDENTIAL_NAMES or _CREDENTIAL_HINT.search(low.replace(b"_", b"-")):
            role = _CRED
        elif low in HOP_BY_HOP:
            role = _HOP
        else:
            role = _KEEP
    if len(_ROLES) < 2048:
        _ROLES[name] = role
    return role


def bad(reason: str) -> Refused:
    return Refused(400, "bad_request", f"bytespike proxy: malformed request ({reason})")


def parse_head(head: bytes) -> RequestHead:
    """Validate and take apart a request head (without its final CRLFCRLF); raise Refused when it may not go on."""
    eol = head.find(b"\r\n")
    start = head if eol < 0 else head[:eol]
    m = _REQUEST_LINE.match(start)
    if m is None:
        raise bad("request line")
    method, target, version = m.groups()
    if version != b"HTTP/1.1":
        if version == b"HTTP/1.0":
            raise Refused(505, "http_version", "bytespike proxy: use HTTP/1.1 (every current SDK does)")
        raise bad("HTTP version")
    if method not in FORWARDED_METHODS:
        raise Refused(405, "method_not_allowed",
                      f"bytespike proxy: {method.decode('latin-1')[:20]} is not forwarded (only "
                      + ", ".join(m.decode() for m in sorted(FORWARDED_METHODS)) + ")")
    if target[:1] != b"/":
        hint = "send an origin-form request" if target == b"*" else \
            "set the tool's base URL to the proxy instead of HTTP_PROXY/HTTPS_PROXY"
        raise Refused(400, "use_base_url", f"bytespike proxy: not a proxy for other hosts; {hint}")

    collected = _Collector()
    parser = httptools.HttpRequestParser(collected)
    try:
        parser.feed_data(head + b"\r\n\r\n")
    except httptools.HttpParserUpgrade:
        pass  # an optional upgrade offer (h2c): the head itself parsed; Upgrade is hop-by-hop and dropped
    except httptools.HttpParserError as exc:
        raise bad(str(exc) or type(exc).__name__) from None
    if collected.url != target:
        raise bad("request target")

    req = RequestHead(method=method, target=b"", path=b"", header_lines=[])
    kept: list[tuple[bytes, bytes]] = []  # (name, value) as sent
    connection: list[bytes] = []
    te = cl = None
    roles = _ROLES
    for name, value in collected.headers:
        role = roles.get(name)
        if role is None:
            role = _role_of(name)
        if role == _KEEP:
            kept.append((name, value))
        elif role == _HOST:
            if req.host is not None:
                raise bad("more than one Host header")
            req.host = value
        elif role == _CL:
            if cl is not None or CONTENT_LENGTH.match(value) is None:
                raise bad("Content-Length")
            cl = int(value)
            kept.append((name, value))
        elif role == _TE:
            if te is not None:
                raise bad("more than one Transfer-Encoding header")
            te = value
            kept.append((name, value))
        elif role == _CONN:
            connection.extend(t.strip().lower() for t in value.split(b","))
        elif role == _CRED:
            req.credentials.append(value)
        elif role == _EXPECT:
            req.expect_continue = value.lower() == b"100-continue"
        elif role == _WARM:
            req.warm = value
        elif role == _ORIGIN:
            req.origin = value
            kept.append((name, value))
        elif role == _FETCH:
            req.fetch_site = value
            kept.append((name, value))
        elif role == _VIA:
            req.via = value if req.via is None else req.via + b", " + value
            kept.append((name, value))
        # _HOP: hop-by-hop, never forwarded
    if req.host is None:
        raise bad("no Host header")

    nominated = {t for t in connection if t and t not in (b"close", b"keep-alive")}
    if nominated & _NEVER_NOMINATED:
        raise Refused(400, "bad_request", "bytespike proxy: malformed request (Connection names a framing header)")
    req.keep_alive = b"close" not in connection
    if nominated:
        kept = [k for k in kept if k[0].lower() not in nominated]

    if te is not None:
        if cl is not None:
            raise bad("both Transfer-Encoding and Content-Length")
        if te.lower() != b"chunked":
            raise Refused(501, "bad_request", "bytespike proxy: only 'Transfer-Encoding: chunked' request bodies "
                                              "are supported")
        req.framing = B_CHUNKED
    elif cl:
        req.framing, req.length = B_LENGTH, cl

    req.path, req.target = normalise_target(target, req.credentials)
    req.header_lines = [name + b": " + value for name, value in kept]
    return req


def normalise_target(target: bytes, credentials: list[bytes]) -> tuple[bytes, bytes]:
    """(path, target to forward): dot segments resolved, credential query parameters moved to ``credentials``."""
    if not _PLAIN_TARGET.search(target):
        return target, target  # the common case: nothing to normalise, no credential-looking parameter
    if b"#" in target:
        raise bad("fragment in the request target")
    raw_path, sep, query = target.partition(b"?")
    path = _normalise_path(raw_path)
    if sep:
        kept = []
        for part in re.split(rb"[&;]", query):
            if not part:
                continue
            name, _, value = part.partition(b"=")
            if unquote_to_bytes(name).strip().lower() in _CREDENTIAL_PARAMS:
                credentials.append(unquote_to_bytes(value))
            else:
                kept.append(part)
        if kept:
            return path, path + b"?" + b"&".join(kept)
    return path, path


def _normalise_path(raw: bytes) -> bytes:
    if b"\\" in raw or b";" in raw:
        raise bad("'\\' or ';' in the path")
    if b"%" in raw:
        out = bytearray()
        i, n = 0, len(raw)
        while i < n:
            c = raw[i]
            if c != 0x25:
                out.append(c)
                i += 1
                continue
            esc = raw[i + 1:i + 3]
            if len(esc) != 2 or esc[0] not in _HEXDIGITS or esc[1] not in _HEXDIGITS:
                raise bad("invalid percent-escape in the path")
            value = int(esc, 16)
            if value in _UNRESERVED:
                out.append(value)
            elif value in (0x2E, 0x2F, 0x5C, 0x3B) or value < 0x20 or value == 0x7F:
                raise bad("encoded '.', '/', '\\', ';' or control byte in the path")
            else:
                out += b"%" + esc.upper()
            i += 3
        raw = bytes(out)
    raw = re.sub(rb"/{2,}", b"/", raw)
    if b"/." in raw:
        raw = remove_dot_segments(raw)
    return raw


def remove_dot_segments(path: bytes) -> bytes:
    """RFC 3986 §5.2.4 for an absolute path."""
    out: list[bytes] = []
    segments = path.split(b"/")[1:]
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == b".":
            if last:
                out.append(b"")
        elif seg == b"..":
            if out:
                out.pop()
            if last:
                out.append(b"")
        else:
            out.append(seg)
    return b"/" + b"/".join(out)
