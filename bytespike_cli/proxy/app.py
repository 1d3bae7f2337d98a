"""The forwarding relay: HTTP/1.1 on asyncio protocols, bytes in, the same bytes out.

Why not a web framework: a framework parses every response into chunks and writes each one again
through several layers of Python; measured with ``../shared/bench`` that costs 6–10 µs of CPU per
streamed event (aiohttp) and far more on ASGI stacks. Here an upstream read is handed to the client
socket as it is: the only work per read is finding where the message ends (Content-Length, or a scan
of the chunk-size lines), so keep-alive connections on both sides stay in step. Heads are the only
thing parsed and rewritten (credentials out, the profile's key in, hop-by-hop headers out).

A client connection serves one exchange at a time (HTTP/1.1 has no multiplexing; pipelined
requests wait in a buffer). Each exchange borrows one upstream connection from a keep-alive pool,
and returns it only when the response ended cleanly; anything odd closes it instead.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import secrets
import socket
import ssl
import sys
import time
from dataclasses import dataclass
from time import perf_counter
from urllib.parse import unquote_to_bytes, urlsplit

from bytespike_cli.proxy.guard import Guard
from bytespike_cli.proxy.http1 import (
    HOP_BY_HOP,
    MAX_HEAD,
    ChunkedScanner,
    HeadError,
    parse_content_length,
    response_bytes,
    split_head,
)
from bytespike_cli.proxy.log import FLUSH_DELAY_S, Entry, RequestLog
from bytespike_cli.proxy.protocols import (
    ANTHROPIC,
    FORWARDED_PREFIXES,
    GEMINI,
    OPENAI,
    error_body,
    key_header_line,
    protocol_for,
)


@dataclass(frozen=True)
class ProxyConfig:
    upstream: str  # gateway root, e.g. https://llm.bytespike.ai (a path prefix is kept)
    key: str
    host: str = "127.0.0.1"
    port: int = 8787
    token: str | None = None
    allowed_origins: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    connect_retries: int = 2  # only before a single byte went upstream
    response_timeout: float = 600.0  # request sent → response head; a stream's body is never timed
    pool_idle_s: float = 30.0  # an idle upstream connection older than this is closed, not reused
    pool_max_idle: int = 1024
    shutdown_grace_s: float = 5.0


# Client states
S_HEAD, S_BODY, S_WAIT = 0, 1, 2
# Body framings
B_NONE, B_LENGTH, B_CHUNKED, B_CLOSE = 0, 1, 2, 3
# Why a client socket's reading is paused (a bit each)
P_UPSTREAM, P_PIPELINE, P_PENDING = 1, 2, 4

DNS_TTL_S = 60.0
MAX_PIPELINED = 256 * 1024
MAX_PENDING = 1024 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CRLF = b"\r\n"
_MODEL_RE = re.compile(rb'"model"\s*:\s*"([^"\\]{1,200})"')
_GEMINI_MODEL_RE = re.compile(rb"^/v1beta/(?:tunedModels|models)/([^/:?]+)")

# Request headers with a special role. Everything else is forwarded as sent.
_H_DROP, _H_HOST, _H_CONN, _H_CRED, _H_EXPECT, _H_CL, _H_TE, _H_ORIGIN, _H_FETCH, _H_VIA, _H_WARM = range(11)
_REQUEST_ROLES = {name: _H_DROP for name in HOP_BY_HOP}
_REQUEST_ROLES.update({
    b"host": _H_HOST, b"connection": _H_CONN, b"authorization": _H_CRED, b"x-api-key": _H_CRED,
    b"x-goog-api-key": _H_CRED, b"expect": _H_EXPECT, b"content-length": _H_CL, b"transfer-encoding": _H_TE,
    b"origin": _H_ORIGIN, b"sec-fetch-site": _H_FETCH, b"via": _H_VIA, b"x-bytespike-warm": _H_WARM,
})
_QUOTA_HEADER = b"x-quota-remaining-credits"
WARM_HEADER = "x-bytespike-warm"


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


class Relay:
    """What every connection of one proxy shares: config, upstream pool, guard, log."""

    def __init__(self, config: ProxyConfig, log: RequestLog | None, loop: asyncio.AbstractEventLoop) -> None:
        self.config = config
        self.loop = loop
        self.log = log
        self.upstream = Upstream(config.upstream)
        self.ssl = _ssl_context() if self.upstream.tls else None
        self.guard = Guard(port=config.port, bind_host=config.host, token=config.token,
                           allowed_origins=config.allowed_origins)
        self.key_lines = {p: key_header_line(p, config.key) for p in (OPENAI, ANTHROPIC, GEMINI)}
        self.instance = b"bytespike-" + secrets.token_hex(4).encode()
        self.via_line = b"Via: 1.1 " + self.instance
        self.pool = UpstreamPool(self)
        self.clients: set[ClientConn] = set()
        self.draining = False
        self.last_request = loop.time()
        if log is not None:
            log.bind(lambda flush: loop.call_later(FLUSH_DELAY_S, flush))

    def protocol(self) -> "ClientConn":
        return ClientConn(self)

    def close_idle_clients(self) -> None:
        for client in list(self.clients):
            if client.state == S_HEAD and not client.buf:
                client.transport.close()

    def abort_all(self) -> None:
        for client in list(self.clients):
            client.transport.abort()
        self.pool.close_all()


class ClientConn(asyncio.Protocol):
    """One connection from a local tool."""

    __slots__ = (
        "relay", "transport", "buf", "state", "up", "pending", "pending_size", "body_mode", "body_left", "scanner",
        "keep_alive", "paused", "closed", "protocol_name", "head_sent", "t0", "wall0", "method", "log_path", "model",
        "sent", "t_first", "status", "credits", "warm", "connecting",
    )

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.buf = b""
        self.state = S_HEAD
        self.up: UpstreamConn | None = None
        self.pending: list[bytes] | None = None
        self.pending_size = 0
        self.body_mode = B_NONE
        self.body_left = 0
        self.scanner: ChunkedScanner | None = None
        self.keep_alive = True
        self.paused = 0
        self.closed = False
        self.connecting: asyncio.Task | None = None
        self._reset_exchange()

    def _reset_exchange(self) -> None:
        self.protocol_name = OPENAI
        self.head_sent = False
        self.t0 = 0.0
        self.wall0 = 0.0
        self.method = b""
        self.log_path = b""
        self.model: bytes | None = None
        self.sent = 0
        self.t_first = 0.0
        self.status = 0
        self.credits: bytes | None = None
        self.warm = False

    # ---- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.relay.clients.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.relay.clients.discard(self)
        if self.connecting is not None:
            self.connecting.cancel()
            self.connecting = None
        up = self.up
        if up is not None:
            self.up = None
            up.abandon()  # the client hung up: stop the upstream request at once
        if self.state != S_HEAD or up is not None:
            self._log(499, "client_closed", "the client closed the connection before the response was complete")
            self.state = S_HEAD

    def eof_received(self) -> bool:
        # A client's FIN mid-exchange means it gave up (HTTP clients do not half-close after a
        # request), like nginx's 499: close, which aborts the upstream request in connection_lost.
        return False

    def pause_writing(self) -> None:
        up = self.up
        if up is not None and not up.read_paused:
            up.read_paused = True
            up.transport.pause_reading()

    def resume_writing(self) -> None:
        up = self.up
        if up is not None and up.read_paused:
            up.read_paused = False
            up.transport.resume_reading()

    def _pause(self, reason: int) -> None:
        if not self.paused:
            self.transport.pause_reading()
        self.paused |= reason

    def _resume(self, reason: int) -> None:
        if self.paused & reason:
            self.paused &= ~reason
            if not self.paused and not self.closed:
                self.transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        state = self.state
        if state == S_BODY:
            self._body_data(data)
        elif state == S_HEAD:
            if self.buf:
                data = self.buf + data
                self.buf = b""
            self._head_data(data)
        else:  # a pipelined request: it waits for the current response
            self.buf += data
            if len(self.buf) > MAX_PIPELINED:
                self._pause(P_PIPELINE)

    # ---- request

    def _head_data(self, buf: bytes) -> None:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                self._refuse(431, "head_too_large", "bytespike proxy: request head larger than 64 KiB")
            else:
                self.buf = buf
            return
        try:
            start, headers = split_head(buf[:end])
            method, target, version = start.split(b" ")
        except (HeadError, ValueError) as exc:
            self._refuse(400, "bad_request", f"bytespike proxy: malformed request ({exc})")
            return
        self._begin(method, target, version, headers, buf[end + 4:])

    def _begin(self, method: bytes, target: bytes, version: bytes, headers: list, rest: bytes) -> None:
        relay = self.relay
        self.t0 = perf_counter()
        self.method = method
        self.log_path = target
        path = target.split(b"?", 1)[0]
        self.protocol_name = protocol_for(path)

        host = origin = fetch_site = conn = expect = te = cl = None
        creds: list[bytes] = []
        kept: list[bytes] = []
        roles = _REQUEST_ROLES
        try:
            for name, value, line in headers:
                role = roles.get(name)
                if role is None:
                    kept.append(line)
                elif role == _H_CL:
                    length = parse_content_length(value)
                    if cl is not None and cl != length:
                        raise HeadError("conflicting Content-Length headers")
                    if cl is None:
                        kept.append(line)
                    cl = length
                elif role == _H_TE:
                    if te is not None:
                        raise HeadError("more than one Transfer-Encoding header")
                    te = value
                    kept.append(line)
                elif role == _H_CRED:
                    creds.append(value)
                elif role == _H_HOST:
                    if host is not None:
                        raise HeadError("more than one Host header")
                    host = value
                elif role == _H_ORIGIN:
                    origin = value
                    kept.append(line)
                elif role == _H_FETCH:
                    fetch_site = value
                    kept.append(line)
                elif role == _H_CONN:
                    conn = value.lower() if conn is None else conn + b"," + value.lower()
                elif role == _H_EXPECT:
                    expect = value.lower()
                elif role == _H_VIA:
                    if relay.instance in value:
                        self._refuse(508, "loop_detected",
                                     "bytespike proxy: this request already went through this proxy "
                                     "(--upstream points back at it)")
                        return
                    kept.append(line)
                elif role == _H_WARM:
                    self.warm = value == b"1"
                # _H_DROP: hop-by-hop, not forwarded
        except HeadError as exc:
            self._refuse(400, "bad_request", f"bytespike proxy: {exc}")
            return

        if version != b"HTTP/1.1":
            if version == b"HTTP/1.0":
                self._refuse(505, "http_version", "bytespike proxy: use HTTP/1.1 (every current SDK does)")
            else:
                self._refuse(400, "bad_request", "bytespike proxy: malformed request line")
            return
        self.keep_alive = conn is None or b"close" not in conn

        if target[:1] != b"/":
            hint = "set the tool's base URL to the proxy instead of HTTP_PROXY/HTTPS_PROXY" if method != b"*" else ""
            self._refuse(400, "use_base_url",
                         f"bytespike proxy: not a proxy for other hosts; {hint or 'send an origin-form request'}")
            return
        refusal = relay.guard.refuse(host, origin, fetch_site)
        if refusal is not None:
            self._refuse(refusal.status, refusal.code, refusal.message)
            return
        if b"key=" in target:
            target, query_key = _without_key_param(target)
            self.log_path = target
            if query_key is not None:
                creds.append(query_key)
        if relay.guard.token is not None and not relay.guard.token_ok(creds):
            self._refuse(401, "proxy_token_required",
                         "bytespike proxy: this proxy needs its token; set it as the client's API key")
            return
        if not path.startswith(FORWARDED_PREFIXES):
            base = f"http://127.0.0.1:{relay.guard.port}"
            self._refuse(404, "not_forwarded",
                         f"bytespike proxy: only /v1/, /v1beta/ and /api/v1/ are forwarded; base URLs: OpenAI "
                         f"{base}/v1, Anthropic {base}, Gemini {base}/v1beta")
            return
        if conn is not None and conn.replace(b" ", b"") not in (b"close", b"keep-alive"):
            nominated = {t.strip() for t in conn.split(b",")} - {b"close", b"keep-alive", b""}
            kept = [line for line in kept if line.split(b":", 1)[0].strip().lower() not in nominated]

        # body framing
        if te is not None:
            if te.lower() != b"chunked" or cl is not None:
                self._refuse(400 if cl is not None else 501, "bad_request",
                             "bytespike proxy: only 'Transfer-Encoding: chunked' request bodies are supported, "
                             "without Content-Length")
                return
            self.body_mode = B_CHUNKED
            self.scanner = ChunkedScanner()
        elif cl:
            self.body_mode = B_LENGTH
            self.body_left = cl
        else:
            self.body_mode = B_NONE
        if expect == b"100-continue" and self.body_mode != B_NONE:
            self.transport.write(CONTINUE)

        if relay.log is not None:
            self.wall0 = time.time()
            if self.protocol_name == GEMINI:
                m = _GEMINI_MODEL_RE.match(path)
                self.model = m.group(1) if m else None

        kept.append(relay.key_lines[self.protocol_name])
        kept.append(relay.via_line)
        up_head = b"".join((
            method, b" ", relay.upstream.prefix, target, b" HTTP/1.1\r\n", relay.upstream.host_line, CRLF,
            b"\r\n".join(kept), b"\r\n\r\n",
        ))

        # the part of the body that came with the head
        mode = self.body_mode
        if mode == B_NONE:
            body, self.buf, self.state = b"", rest, S_WAIT
        elif mode == B_LENGTH:
            if len(rest) >= cl:  # type: ignore[operator]
                body, self.buf, self.state = rest[:cl], rest[cl:], S_WAIT
            else:
                body, self.state = rest, S_BODY
                self.body_left = cl - len(rest)  # type: ignore[operator]
        else:
            try:
                end = self.scanner.feed(rest)  # type: ignore[union-attr]
            except HeadError as exc:
                self._refuse(400, "bad_request", f"bytespike proxy: {exc}")
                return
            if end >= 0:
                body, self.buf, self.state = rest[:end], rest[end:], S_WAIT
            else:
                body, self.state = rest, S_BODY
        if body and relay.log is not None:
            self._find_model(body)
        if self.buf and len(self.buf) > MAX_PIPELINED:
            self._pause(P_PIPELINE)

        if not self.warm:
            relay.last_request = relay.loop.time()
        up = relay.pool.take()
        if up is not None:
            up.attach(self)
            up.transport.write(up_head + body if body else up_head)
        else:
            self.pending = [up_head, body] if body else [up_head]
            self.pending_size = len(body)
            self.connecting = relay.pool.open_for(self)

    def _find_model(self, body: bytes) -> None:
        if self.model is None:
            m = _MODEL_RE.search(body)
            if m is not None:
                self.model = m.group(1)

    def _body_data(self, data: bytes) -> None:
        if self.body_mode == B_LENGTH:
            left = self.body_left
            n = len(data)
            if n < left:
                self.body_left = left - n
                self._send_up(data)
                return
            self.body_left = 0
            if n > left:
                self.buf = data[left:]
                data = data[:left]
        else:
            try:
                end = self.scanner.feed(data)  # type: ignore[union-attr]
            except HeadError as exc:
                self._fail(400, "bad_request", f"bytespike proxy: {exc}")
                return
            if end < 0:
                self._send_up(data)
                return
            if end < len(data):
                self.buf = data[end:]
                data = data[:end]
        self.state = S_WAIT
        self._send_up(data)
        if len(self.buf) > MAX_PIPELINED:
            self._pause(P_PIPELINE)

    def _send_up(self, data: bytes) -> None:
        if self.relay.log is not None and self.model is None:
            self._find_model(data)
        up = self.up
        if up is not None:
            up.transport.write(data)
        elif self.pending is not None:
            self.pending.append(data)
            self.pending_size += len(data)
            if self.pending_size > MAX_PENDING:
                self._pause(P_PENDING)

    # ---- upstream connection outcome

    def connected(self, up: "UpstreamConn") -> None:
        self.connecting = None
        if self.closed:
            self.relay.pool.release(up)  # nothing was sent on it yet
            return
        up.attach(self)
        pending, self.pending = self.pending or [], None
        up.transport.write(b"".join(pending))
        self.pending_size = 0
        self._resume(P_PENDING)

    def upstream_failed(self, status: int, code: str, message: str) -> None:
        """The exchange cannot go on: answer in the protocol's shape, or cut a response already started."""
        self.connecting = None
        self.up = None
        self.pending = None
        if self.closed:
            return
        if self.head_sent:
            self._log(self.status, code, message)
            self.state = S_HEAD
            self.transport.abort()  # the client sees a truncated response, never a forged ending
            return
        self._fail(status, code, message)

    # ---- response (called by UpstreamConn)

    def response_head(self, status: int, credits: bytes | None) -> None:
        self.head_sent = True
        self.status = status
        self.credits = credits
        self.t_first = perf_counter()

    def response_end(self, up_reusable: bool) -> None:
        """The upstream response is complete; this connection may take the next request."""
        up = self.up
        self.up = None
        if up is not None:
            if up_reusable and self.state == S_WAIT:
                self.relay.pool.release(up)
            else:
                up.transport.close()
        self._log(self.status, None, None)
        if self.state != S_WAIT or not self.keep_alive or self.relay.draining:
            # an early answer to a request whose body is still coming, or the client asked to close
            self.state = S_HEAD
            self.transport.close()
            return
        self.state = S_HEAD
        self._reset_exchange()
        self._resume(P_PIPELINE)
        if self.buf:
            buf, self.buf = self.buf, b""
            self._head_data(buf)

    # ---- the proxy's own answers

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Refuse before anything was forwarded."""
        if self.t0 == 0.0:
            self.t0 = perf_counter()
        if self.relay.log is not None and not self.wall0:
            self.wall0 = time.time()
        self._fail(status, code, message)

    def _fail(self, status: int, code: str, message: str) -> None:
        up = self.up
        if up is not None:
            self.up = None
            up.abandon()
        if self.connecting is not None:
            self.connecting.cancel()
            self.connecting = None
        self.pending = None
        payload = response_bytes(status, error_body(self.protocol_name, status, message, code))
        self.transport.write(payload)
        self.sent += len(payload)
        self._log(status, code, message)
        self.state = S_HEAD
        self.transport.close()  # the rest of the request (if any) was not read: start afresh

    def _log(self, status: int, error: str | None, detail: str | None) -> None:
        log = self.relay.log
        if log is None or not self.t0:
            return
        now = perf_counter()
        log.request(Entry(
            started=self.wall0 or time.time(),
            method=self.method.decode("latin-1") or "-",
            path=self.log_path.decode("latin-1")[:300] or "-",
            model=self.model.decode("latin-1") if self.model else None,
            status=status or 499,
            ttfb_ms=(self.t_first - self.t0) * 1000 if self.t_first else None,
            total_ms=(now - self.t0) * 1000,
            bytes=self.sent,
            credits=self.credits.decode("latin-1") if self.credits else None,
            error=error,
            detail=detail,
            warm=self.warm,
        ))
        self.t0 = 0.0


def _without_key_param(target: bytes) -> tuple[bytes, bytes | None]:
    """Drop ``key=`` from the query (Gemini's way to send a key): the proxy adds its own in a header."""
    path, _, query = target.partition(b"?")
    kept, key = [], None
    for part in query.split(b"&"):
        if part.startswith(b"key="):
            key = unquote_to_bytes(part[4:])
        elif part:
            kept.append(part)
    return (path + b"?" + b"&".join(kept)) if kept else path, key


class UpstreamConn(asyncio.Protocol):
    """One keep-alive connection to the gateway; relays a response's bytes to the attached client."""

    __slots__ = (
        "pool", "transport", "client", "cwrite", "head_buf", "head_done", "mode", "left", "scanner", "reusable",
        "timer", "idle_since", "closed", "read_paused", "no_body",
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
        self.scanner: ChunkedScanner | None = None
        self.reusable = True
        self.timer: asyncio.TimerHandle | None = None
        self.idle_since = 0.0
        self.closed = False
        self.read_paused = False
        self.no_body = False

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
                end = self.scanner.feed(data)  # type: ignore[union-attr]
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
        buf = self.head_buf + data if self.head_buf else data
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            if len(buf) > MAX_HEAD:
                self._protocol_error("response head larger than 64 KiB")
            else:
                self.head_buf = buf
            return
        self.head_buf = b""
        try:
            start, headers = split_head(buf[:end])
            if not start.startswith(b"HTTP/1.") or len(start) < 12:
                raise HeadError("not an HTTP/1.x status line")
            status = int(start[9:12])
        except (HeadError, ValueError):
            self._protocol_error("the gateway's answer is not HTTP/1.1")
            return
        body = buf[end + 4:]
        if status < 200 and status != 101:
            if body:  # an interim response (103 Early Hints): skip it
                self._head_data(body)
            return
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

        http10 = start[7:8] == b"0"
        out = [start]
        te = cl = conn = credits = None
        for name, value, line in headers:
            if name in HOP_BY_HOP:
                if name == b"connection":
                    conn = value.lower()
                continue
            if name == b"transfer-encoding":
                te = value.lower()
            elif name == b"content-length":
                if cl is not None:
                    continue
                try:
                    cl = int(value)
                except ValueError:
                    self._protocol_error("invalid Content-Length from the gateway")
                    return
            elif name == _QUOTA_HEADER:
                credits = value
            out.append(line)
        if self.no_body or status in (204, 304) or status == 101:
            self.mode = B_NONE
        elif te is not None:
            if te.endswith(b"chunked"):
                self.mode = B_CHUNKED
                self.scanner = ChunkedScanner()
                if cl is not None:  # chunked wins (RFC 9112 §6.3); a stale length must not reach the client
                    out = [line for line in out if not line[:15].lower() == b"content-length:"]
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
        self.head_done = True
        self._relay(body, head)

    def _end(self) -> None:
        client = self.client
        self.client = None
        self.cwrite = None
        self.head_done = False
        self.scanner = None
        if self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()
        if client is not None:
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
