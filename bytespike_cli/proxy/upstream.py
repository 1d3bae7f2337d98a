"""The upstream side: where requests go, a keep-alive pool, and relaying each response's bytes.

A response is read by llhttp (strict: a Content-Length of digits only, no control bytes, no bare CR/LF,
CRLF after every chunk's data); the body is passed on as read, its chunk framing followed by the same
llhttp parser that read the head. Anything odd from the gateway is a 502 to the client (or, once the
response has begun, the client's connection closed) and the upstream connection is never reused.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import sys
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httptools

from bytespike_cli.proxy.http1 import (
    CONTENT_LENGTH,
    HOP_BY_HOP,
    MAX_HEAD,
    MAX_TRAILERS,
    HeadError,
    find_head_end,
)

if TYPE_CHECKING:
    from bytespike_cli.proxy.relay import ClientConn, Relay

# Response body framings
B_NONE, B_LENGTH, B_CHUNKED, B_CLOSE = 0, 1, 2, 3
P_UPSTREAM = 1  # ClientConn pause reason: the upstream socket cannot take more
DNS_TTL_S = 60.0
ERROR_CAPTURE = 4096
MAX_INTERIM = 16
_QUOTA_HEADER = b"x-quota-remaining-credits"


class Upstream:
    """Where requests go: parsed once from the configured root URL."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url.rstrip("/")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/").encode()
        try:
            ipaddress.ip_address(self.host)
            self.literal = True
        except ValueError:
            self.literal = False
        default_port = parts.port is None or parts.port == (443 if self.tls else 80)
        name = f"[{self.host}]" if ":" in self.host else self.host
        self.host_line = b"Host: " + (name if default_port else f"{name}:{self.port}").encode("idna")


def _ssl_context() -> ssl.SSLContext:
    """Verify like httpx does (certifi unless SSL_CERT_FILE / SSL_CERT_DIR say otherwise), HTTP/1.1 only."""
    import os

    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        ctx = ssl.create_default_context(cafile=os.environ.get("SSL_CERT_FILE"), capath=os.environ.get("SSL_CERT_DIR"))
    else:
        try:
            import certifi

            ctx = ssl.create_default_context(cafile=certifi.where())
        except ImportError:
            ctx = ssl.create_default_context()
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def display_url(url: str) -> str:
    """The URL without any user:password part, for banners and logs."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()


class _ResponseParse:
    """llhttp's callbacks for one response: its head's fields, then (chunked bodies) where the message ends.

    The body's chunk framing is followed by llhttp in C with no callback per chunk, which is what keeps a
    streamed event cheap; Python hears only of the end, of trailer fields and of anything after the end.
    """

    __slots__ = ("headers", "in_body", "complete", "trailer_bytes")

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.in_body = False
        self.complete = False
        self.trailer_bytes = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.in_body:  # a trailer field: checked by llhttp, passed on as it is, bounded here
            self.trailer_bytes += len(name) + len(value) + 4
            if self.trailer_bytes > MAX_TRAILERS:
                raise HeadError("trailer fields larger than 16 KiB")
            return
        self.headers.append((name, value.rstrip(b" \t")))  # llhttp drops leading OWS, keeps trailing

    def on_message_begin(self) -> None:
        if self.complete:  # a second message: bytes the gateway sent after the end of its response
            raise HeadError("bytes after the end of the response")

    def on_message_complete(self) -> None:
        self.complete = True


def parse_response_head(head: bytes) -> tuple[int, bool, _ResponseParse, "httptools.HttpResponseParser"]:
    """(status, HTTP/1.0?, fields, parser) of a response head without its final CRLFCRLF; ``fields.headers``
    are the header pairs. The parser has read the head and can go on with a chunked body (:class:`ChunkedBody`).
    HeadError if malformed.
    """
    if not head.startswith((b"HTTP/1.1 ", b"HTTP/1.0 ")):
        raise HeadError("not an HTTP/1.x status line")
    collected = _ResponseParse()
    parser = httptools.HttpResponseParser(collected)
    try:
        parser.feed_data(head + b"\r\n\r\n")
    except httptools.HttpParserUpgrade:
        pass
    except httptools.HttpParserError as exc:
        raise HeadError(str(exc)) from None
    collected.in_body = True
    return parser.get_status_code(), head[7:8] == b"0", collected, parser


class ChunkedBody:
    """Follows a chunked response body with the llhttp parser that read its head.

    ``feed(data)`` returns -1 while the body goes on, else the offset in ``data`` just past its end; it
    raises HeadError on framing llhttp refuses (strict: hex sizes, CRLF after every chunk's data, no bare
    CR/LF, extensions and trailers well formed) and on anything but empty lines after the end.
    """

    __slots__ = ("feed_data", "state", "last")

    def __init__(self, parser: "httptools.HttpResponseParser", state: _ResponseParse) -> None:
        self.feed_data = parser.feed_data
        self.state = state
        self.last = b""  # the last 4 bytes before this read: a body's end can straddle reads

    def feed(self, data: bytes) -> int:
        try:
            self.feed_data(data)
        except httptools.HttpParserError as exc:
            raise HeadError(str(exc)) from None
        if not self.state.complete:
            self.last = data[-4:] if len(data) >= 4 else (self.last + data)[-4:]
            return -1
        # llhttp passed the end: the body ends "X CRLF CRLF", X the last byte of the last-chunk line or of a
        # trailer; only empty lines (CR, LF) may follow it, and llhttp skips those.
        kept = data.rstrip(b"\r\n")
        if kept:
            return len(kept) + 4
        last = self.last
        return len((last + data).rstrip(b"\r\n")) + 4 - len(last)


class UpstreamConn(asyncio.Protocol):
    """One keep-alive connection to the gateway; relays a response's bytes to the attached client."""

    __slots__ = (
        "pool", "transport", "client", "cwrite", "head_buf", "head_done", "mode", "left", "chunks", "reusable",
        "timer", "idle_since", "closed", "read_paused", "no_body", "capture", "interim",
    )

    def __init__(self, pool: "UpstreamPool") -> None:
        self.pool = pool
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.client: ClientConn | None = None
        self.cwrite = None
        self.head_buf = b""
        self.head_done = False
        self.mode = B_NONE
        self.left = 0
        self.chunks: ChunkedBody | None = None
        self.reusable = True
        self.timer: asyncio.TimerHandle | None = None
        self.idle_since = 0.0
        self.closed = False
        self.read_paused = False
        self.no_body = False
        self.capture: bytearray | None = None  # the start of an error response's body, for the log line
        self.interim = 0  # 1xx responses before the real one

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def attach(self, client: ClientConn) -> None:
        self.client = client
        self.cwrite = client.transport.write
        client.up = self
        self.head_done = False
        self.head_buf = b""
        self.reusable = True
        self.no_body = client.method == b"HEAD"
        self.timer = self.pool.loop.call_later(self.pool.response_timeout, self._timed_out)

    def abandon(self) -> None:
        """The client went away mid-exchange: this connection's state is unknown, so it is closed."""
        self.client = None
        self.cwrite = None
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if not self.closed:
            self.transport.abort()

    def _timed_out(self) -> None:
        self.timer = None
        client = self.client
        if client is None or self.head_done:
            return
        self.client = None
        self.transport.abort()
        client.upstream_failed(
            504, "upstream_timeout",
            f"bytespike proxy: the gateway did not answer within {self.pool.response_timeout:g} s "
            "(nothing is retried: the request may have reached it)")

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        self.pool.forget(self)
        client = self.client
        if client is None:
            return
        self.client = None
        if self.head_done and self.mode == B_CLOSE:
            self.reusable = False
            client.response_end(False)  # a body delimited by the connection's end
            return
        where = "while sending the response" if self.head_done else "before answering"
        client.upstream_failed(
            502, "upstream_closed",
            f"bytespike proxy: the gateway closed the connection {where}"
            + (f" ({exc})" if exc else "") + " (not retried: the request had reached it)")

    def pause_writing(self) -> None:
        if self.client is not None:
            self.client._pause(P_UPSTREAM)

    def resume_writing(self) -> None:
        if self.client is not None:
            self.client._resume(P_UPSTREAM)

    def data_received(self, data: bytes) -> None:
        if self.head_done:
            self._relay(data, b"")
        else:
            self._head_data(data)

    def _relay(self, data: bytes, head: bytes) -> None:
        """Pass response bytes on as they are; notice the end of the message."""
        mode = self.mode
        if mode == B_CHUNKED:
            try:
                end = self.chunks.feed(data)  # type: ignore[union-attr]
            except HeadError:
                self._protocol_error("invalid chunked framing from the gateway")
                return
        elif mode == B_LENGTH:
            left = self.left - len(data)
            if left > 0:
                self.left = left
                end = -1
            else:
                self.left = 0
                end = len(data) + left
        elif mode == B_CLOSE:
            end = -1
        else:
            end = 0
        client = self.client
        if client is None:
            self.transport.abort()
            return
        if end >= 0 and end < len(data):
            data = data[:end]
            self.reusable = False  # bytes after the end of a response: never trust this connection again
        capture = self.capture
        if capture is not None and len(capture) < ERROR_CAPTURE:
            capture += data[:ERROR_CAPTURE - len(capture)]
        if head:
            data = head + data
        client.sent += len(data)
        self.cwrite(data)  # type: ignore[misc]
        if end >= 0:
            self._end()

    def _head_data(self, data: bytes) -> None:
        client = self.client
        if client is None:  # an idle connection talking: it is broken
            self.transport.abort()
            return
        if self.head_buf:
            searched = len(self.head_buf)
            buf = self.head_buf + data
        else:
            searched, buf = 0, data
        end = find_head_end(buf, searched)
        if end < 0 or end > MAX_HEAD:
            if len(buf) > MAX_HEAD:
                self._protocol_error("response head larger than 64 KiB")
            else:
                self.head_buf = buf
            return
        self.head_buf = b""
        try:
            status, http10, fields, parser = parse_response_head(buf[:end])
        except HeadError:
            self._protocol_error("the gateway's answer is not valid HTTP/1.1")
            return
        body = buf[end + 4:]
        if status == 101:  # the proxy never forwards an Upgrade: a switch now is a broken upstream
            self._protocol_error("the gateway switched protocols without being asked")
            return
        if status < 200:
            self.interim += 1
            if self.interim > MAX_INTERIM:
                self._protocol_error("too many interim (1xx) responses from the gateway")
                return
            if body:  # an interim response (103 Early Hints): skip it
                self.pool.loop.call_soon(self._head_data, body)  # not recursion: a flood must not blow the stack
            return
        self.interim = 0
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

        out = [buf[:buf.find(b"\r\n")]]
        te = cl = conn = credits = None
        for name, value in fields.headers:
            low = name.lower()
            if low in HOP_BY_HOP:
                if low == b"connection":  # every Connection header counts: a later one must not hide "close"
                    conn = value.lower() if conn is None else conn + b"," + value.lower()
                continue
            if low == b"transfer-encoding":
                te = value.lower()
            elif low == b"content-length":
                if CONTENT_LENGTH.match(value) is None:  # llhttp checks too; a sign or space must never pass
                    self._protocol_error("invalid Content-Length from the gateway")
                    return
                cl = int(value)
            elif low == _QUOTA_HEADER:
                credits = value
            out.append(name + b": " + value)
        if self.no_body or status in (204, 304):
            self.mode = B_NONE
        elif te is not None:
            if cl is not None:
                self._protocol_error("both Transfer-Encoding and Content-Length from the gateway")
                return
            if te.endswith(b"chunked"):
                self.mode = B_CHUNKED
                self.chunks = ChunkedBody(parser, fields)
            else:
                self.mode = B_CLOSE
        elif cl is not None:
            self.mode = B_LENGTH if cl else B_NONE
            self.left = cl
        else:
            self.mode = B_CLOSE
        if http10 and (conn is None or b"keep-alive" not in conn):
            self.reusable = False
        elif conn is not None and b"close" in conn:
            self.reusable = False
        if self.mode == B_CLOSE or not client.keep_alive or client.relay.draining:
            out.append(b"Connection: close")
            client.keep_alive = False
        head = b"\r\n".join(out) + b"\r\n\r\n"
        client.response_head(status, credits)
        self.capture = bytearray() if status >= 400 else None
        self.head_done = True
        self._relay(body, head)

    def _end(self) -> None:
        client = self.client
        self.client = None
        self.cwrite = None
        self.head_done = False
        self.chunks = None
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        if client is not None:
            if self.capture is not None:
                client.error_body = bytes(self.capture)
                self.capture = None
            client.response_end(self.reusable and not self.closed)

    def _protocol_error(self, what: str) -> None:
        client = self.client
        self.client = None
        self.transport.abort()
        if client is not None:
            client.upstream_failed(502, "upstream_protocol_error", f"bytespike proxy: {what}")


class UpstreamPool:
    """Keep-alive connections to the gateway, most recently used first."""

    def __init__(self, relay: Relay) -> None:
        cfg = relay.config
        self.relay = relay
        self.loop = relay.loop
        self.idle: list[UpstreamConn] = []
        self.response_timeout = cfg.response_timeout
        self.idle_s = cfg.pool_idle_s
        self.max_idle = cfg.pool_max_idle
        self.addresses: list[str] = []
        self.resolved_at = 0.0

    def take(self) -> UpstreamConn | None:
        idle = self.idle
        now = self.loop.time()
        while idle:
            up = idle.pop()
            if not up.closed and now - up.idle_since < self.idle_s:
                return up
            up.transport.close()
        return None

    def release(self, up: UpstreamConn) -> None:
        if up.closed or len(self.idle) >= self.max_idle or self.relay.draining:
            up.transport.close()
            return
        up.client = None
        up.idle_since = self.loop.time()
        self.idle.append(up)

    def forget(self, up: UpstreamConn) -> None:
        if up.client is None:
            try:
                self.idle.remove(up)
            except ValueError:
                pass

    def sweep(self) -> None:
        """Close connections idle for too long (a server or NAT may have dropped them silently)."""
        limit = self.loop.time() - self.idle_s
        stale = [up for up in self.idle if up.idle_since < limit]
        if stale:
            self.idle = [up for up in self.idle if up.idle_since >= limit]
            for up in stale:
                up.transport.close()

    def close_all(self) -> None:
        idle, self.idle = self.idle, []
        for up in idle:
            up.transport.close()

    def open_for(self, client: ClientConn) -> asyncio.Task:
        task = self.loop.create_task(self._open())
        task.add_done_callback(lambda t: _connect_done(client, t))
        return task

    async def resolve(self) -> None:
        """Look the gateway's name up once per ``DNS_TTL_S`` instead of once per new connection."""
        upstream = self.relay.upstream
        if upstream.literal:
            return
        infos = await self.loop.getaddrinfo(upstream.host, upstream.port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        if addresses:
            self.addresses = addresses
            self.resolved_at = self.loop.time()

    async def _open(self) -> UpstreamConn:
        cfg = self.relay.config
        upstream = self.relay.upstream
        delay = 0.2
        for attempt in range(cfg.connect_retries + 1):
            try:
                async with _timeout(cfg.connect_timeout):
                    if not upstream.literal and (not self.addresses or
                                                 self.loop.time() - self.resolved_at > DNS_TTL_S):
                        await self.resolve()
                    address = upstream.host if upstream.literal else self.addresses[attempt % len(self.addresses)]
                    _, proto = await self.loop.create_connection(
                        lambda: UpstreamConn(self), address, upstream.port, ssl=self.relay.ssl,
                        server_hostname=upstream.host if self.relay.ssl else None)
                return proto  # type: ignore[return-value]
            except (OSError, asyncio.TimeoutError) as exc:
                # Nothing was sent yet, so trying again cannot bill twice; a TLS failure will not fix itself.
                if isinstance(exc, ssl.SSLError) or attempt == cfg.connect_retries:
                    raise
                if not upstream.literal:
                    self.resolved_at = -DNS_TTL_S  # look the name up again: the address may have moved
                await asyncio.sleep(delay)
                delay *= 2.5
        raise AssertionError("unreachable")


if sys.version_info >= (3, 11):
    _timeout = asyncio.timeout  # a timer on the current task; wait_for would add a task per connect
else:  # pragma: no cover - Python 3.10
    import contextlib

    @contextlib.asynccontextmanager
    async def _timeout(seconds: float):
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        fired = []
        handle = loop.call_later(seconds, lambda: (fired.append(1), task.cancel()))
        try:
            yield
        except asyncio.CancelledError:
            if fired:
                raise asyncio.TimeoutError from None
            raise
        finally:
            handle.cancel()


def _connect_done(client: ClientConn, task: asyncio.Task) -> None:
    if task.cancelled():
        return
    exc = task.exception()
    if exc is None:
        client.connected(task.result())
        return
    upstream = client.relay.upstream
    status, code, what = _describe_connect_error(exc, upstream.host, upstream.port)
    client.upstream_failed(status, code, f"bytespike proxy: {what}")


def _describe_connect_error(exc: BaseException, host: str, port: int) -> tuple[int, str, str]:
    where = f"{host}:{port}"
    if isinstance(exc, asyncio.TimeoutError):
        return 504, "upstream_timeout", f"timed out connecting to the gateway at {where}; check your network"
    if isinstance(exc, socket.gaierror):
        return 502, "upstream_unreachable", f"cannot resolve {host}; check the --upstream URL and your DNS"
    if isinstance(exc, ssl.SSLError):
        return 502, "upstream_tls", (f"TLS handshake with {where} failed ({exc.__class__.__name__}); a corporate proxy "
                                     "may intercept TLS: point SSL_CERT_FILE at its CA bundle")
    if isinstance(exc, ConnectionRefusedError):
        return 502, "upstream_unreachable", (f"connection to the gateway at {where} refused; "
                                             "is the --upstream URL right?")
    return 502, "upstream_unreachable", (f"cannot reach the gateway at {where} ({exc.__class__.__name__}); "
                                         "check your network")
