"""The relay: one ClientConn per local tool's connection, all sharing one Relay (pool, guard, log, limits).

Why not a web framework: a framework parses every response into chunks and writes each one again
through several layers of Python; measured with ``../shared/bench`` that costs 6–10 µs of CPU per
streamed event (aiohttp) and far more on ASGI stacks. Here an upstream read is handed to the client
socket as it is: the only work per read is following the framing (Content-Length, or a strict scan
of the chunk lines), so keep-alive connections on both sides stay in step. Heads are parsed by
llhttp and rebuilt: credentials out, the profile's key in, hop-by-hop headers out (request.py).

A client connection serves one exchange at a time (HTTP/1.1 has no multiplexing; pipelined
requests wait in a buffer). Each exchange borrows one upstream connection from a keep-alive pool,
and returns it only when the response ended cleanly; anything odd closes it instead.

Bounds: a head must arrive whole within ``head_timeout_s``, an idle keep-alive connection is closed
after ``idle_timeout_s``, a request body may not stall for ``body_timeout_s``, and at most
``max_clients`` connections are open — when full, the oldest connection that has no request in
flight makes room, and only if there is none is the newcomer told 503.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
from time import perf_counter

import httptools

from bytespike_cli.proxy.config import ProxyConfig
from bytespike_cli.proxy.guard import Guard
from bytespike_cli.proxy.http1 import MAX_HEAD, ChunkedScanner, HeadError, find_head_end, response_bytes
from bytespike_cli.proxy.log import FLUSH_DELAY_S, Entry, RequestLog, printable
from bytespike_cli.proxy.protocols import ANTHROPIC, FORWARDED_PREFIXES, GEMINI, OPENAI, error_body, \
    key_header_line, protocol_for
from bytespike_cli.proxy.refusals import RefusalLogLimiter, Refused, TokenThrottle
from bytespike_cli.proxy.request import B_CHUNKED, B_LENGTH, B_NONE, RequestHead, parse_head
from bytespike_cli.proxy.upstream import P_UPSTREAM, Upstream, UpstreamConn, UpstreamPool, _ssl_context

# Client states
S_HEAD, S_BODY, S_WAIT = 0, 1, 2
# Why a client socket's reading is paused (a bit each); P_UPSTREAM = 1 comes from upstream.py
P_PIPELINE, P_PENDING = 2, 4

MAX_PIPELINED = 256 * 1024
MIN_BODY_RATE = 1024  # bytes a second a request body must average once body_timeout_s has passed
MAX_CREDENTIALS = 4  # credentials one request may present for --token; more is guessing
MAX_PENDING = 1024 * 1024
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CRLF = b"\r\n"
_MODEL_RE = re.compile(rb'"model"\s*:\s*"([^"\\]{1,200})"')
_GEMINI_MODEL_RE = re.compile(rb"^/v1beta/(?:tunedModels|models)/([^/:?]+)")
WARM_HEADER = "x-bytespike-warm"


class Relay:
    """What every connection of one proxy shares: config, upstream pool, guard, log, limits."""

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
        self.warm_secret = secrets.token_hex(16)  # marks the proxy's own --warm requests; clients cannot guess it
        self.pool = UpstreamPool(self)
        self.clients: set[ClientConn] = set()
        self.max_clients = config.max_clients
        self.accepted = 0
        self.requests = 0  # exchanges that reached the upstream
        self.refusals = 0  # requests the proxy answered itself without forwarding
        self.throttle = TokenThrottle()
        self.refusal_log = RefusalLogLimiter()
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

    def make_room(self) -> bool:
        """At the connection cap: close the longest-quiet connection with no request in flight."""
        victim = None
        for client in self.clients:  # uvloop's clock ticks in ms: the connection's serial breaks ties
            if client.state == S_HEAD and (victim is None or (client.last_active, client.serial) <
                                           (victim.last_active, victim.serial)):
                victim = client
        if victim is None:
            return False
        victim.timed_out(silent=True)
        return True

    def sweep_clients(self) -> None:
        """Enforce the head, idle and body timeouts (called every ``sweep_every_s``)."""
        now = self.loop.time()
        cfg = self.config
        for client in list(self.clients):
            quiet = now - client.last_active
            if client.state == S_HEAD:
                if client.buf:
                    if now - client.head_started > cfg.head_timeout_s:
                        client.timed_out(silent=False)
                elif quiet > cfg.idle_timeout_s:
                    client.timed_out(silent=True)
            elif client.state == S_BODY:
                # silence, or a trickle: a body dripped a byte per timeout must not hold a slot forever
                elapsed = now - client.body_started
                if quiet > cfg.body_timeout_s or (elapsed > cfg.body_timeout_s and
                                                  client.body_bytes < MIN_BODY_RATE * elapsed):
                    client.timed_out(silent=False)
        if self.log is not None:
            self.log_suppressed(self.refusal_log.pending(time.time()))

    def log_suppressed(self, count: int) -> None:
        if count and self.log is not None:
            self.log.note(f"… {count} more refused requests in the last second were not logged")


class _BodyCheck:
    """llhttp reading a chunked request body beside the scanner: both must agree on where it ends."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = False

    def on_message_complete(self) -> None:
        self.done = True


class ClientConn(asyncio.Protocol):
    """One connection from a local tool."""

    __slots__ = (
        "relay", "transport", "buf", "state", "up", "pending", "pending_size", "body_mode", "body_left", "scanner",
        "checker", "check", "keep_alive", "paused", "closed", "protocol_name", "head_sent", "t0", "wall0", "method",
        "log_path", "model", "sent", "t_first", "status", "credits", "warm", "connecting", "last_active",
        "head_started", "refused", "serial", "error_body", "write_paused", "deferred", "body_started",
        "body_bytes",
    )

    def __init__(self, relay: Relay) -> None:
        self.relay = relay
        self.transport: asyncio.Transport = None  # type: ignore[assignment]
        self.buf = bytearray()
        self.state = S_HEAD
        self.up: UpstreamConn | None = None
        self.pending: list[bytes] | None = None
        self.pending_size = 0
        self.body_mode = B_NONE
        self.body_left = 0
        self.scanner: ChunkedScanner | None = None
        self.checker: httptools.HttpRequestParser | None = None
        self.check: _BodyCheck | None = None
        self.keep_alive = True
        self.paused = 0
        self.closed = False
        self.connecting: asyncio.Task | None = None
        self.last_active = relay.loop.time()
        self.head_started = 0.0
        self.refused = False
        self.write_paused = False  # the client reads slower than we write: no next exchange until it catches up
        self.deferred = False  # a pipelined request waits for that
        self.body_started = 0.0
        self.body_bytes = 0
        relay.accepted += 1
        self.serial = relay.accepted
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
        self.error_body: bytes | None = None
        self.warm = False
        self.scanner = None
        self.checker = None
        self.check = None

    # ---- asyncio callbacks

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        relay = self.relay
        if len(relay.clients) >= relay.max_clients and not relay.make_room():
            self.closed = True
            transport.write(response_bytes(503, error_body(OPENAI, 503, _FULL, "too_many_connections")))  # type: ignore[attr-defined]
            transport.close()
            self.t0 = perf_counter()
            self._log(503, "too_many_connections", _FULL, refusal=True)
            return
        relay.clients.add(self)

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
        self.write_paused = True
        up = self.up
        if up is not None and not up.read_paused:
            up.read_paused = True
            up.transport.pause_reading()

    def resume_writing(self) -> None:
        self.write_paused = False
        up = self.up
        if up is not None and up.read_paused:
            up.read_paused = False
            up.transport.resume_reading()
        if self.deferred and not self.closed:
            self.deferred = False
            self._next_exchange()

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
        if self.refused:
            return  # a refusal is on its way out; nothing after it is read
        self.last_active = self.relay.loop.time()
        state = self.state
        if state == S_BODY:
            self._body_data(data)
        elif state == S_HEAD:
            self._head_data(data)
        else:  # a pipelined request: it waits for the current response
            self.buf += data
            if len(self.buf) > MAX_PIPELINED:
                self._pause(P_PIPELINE)

    def timed_out(self, *, silent: bool) -> None:
        """Head, idle or body timeout, or evicted to make room: close, with a 408 if a request was started."""
        if self.closed:
            return
        if silent:
            self.transport.abort()
            return
        self._refuse(408, "request_timeout", "bytespike proxy: the request did not arrive in time")

    # ---- request

    def _head_data(self, data: bytes) -> None:
        buf = self.buf
        searched = len(buf)
        if not searched:
            self.head_started = self.last_active
        buf += data
        end = find_head_end(buf, searched)
        if end < 0 or end > MAX_HEAD:
            if len(buf) > MAX_HEAD:
                self._refuse(431, "head_too_large", "bytespike proxy: request head larger than 64 KiB")
            return
        head = bytes(buf[:end])
        rest = bytes(buf[end + 4:])
        self.buf = bytearray()
        self.t0 = perf_counter()
        try:
            req = parse_head(head)
        except Refused as refused:
            self.method, _, target = head.partition(b" ")
            self.method = self.method[:20]
            path, query, _ = target.split(b" ", 1)[0].partition(b"?")
            self.log_path = path + (b"?..." if query else b"")  # the query may hold a credential
            self.protocol_name = protocol_for(self.log_path)
            r = refused.refusal
            self._refuse(r.status, r.code, r.message)
            return
        self._begin(req, head, rest)

    def _begin(self, req: RequestHead, head: bytes, rest: bytes) -> None:
        relay = self.relay
        self.method = req.method
        self.log_path = req.target
        self.protocol_name = protocol_for(req.path)
        self.warm = req.warm is not None and secrets.compare_digest(req.warm, relay.warm_secret.encode())
        self.keep_alive = req.keep_alive

        if req.via is not None and relay.instance in req.via:
            self._refuse(508, "loop_detected", "bytespike proxy: this request already went through this proxy "
                                               "(--upstream points back at it)")
            return
        refusal = relay.guard.refuse(req.host, req.origin, req.fetch_site)
        if refusal is not None:
            self._refuse(refusal.status, refusal.code, refusal.message)
            return
        if relay.guard.token is not None and not self._token_ok(req.credentials):
            return
        if not req.path.startswith(FORWARDED_PREFIXES):
            base = f"http://127.0.0.1:{relay.guard.port}"
            self._refuse(404, "not_forwarded",
                         f"bytespike proxy: only /v1/, /v1beta/ and /api/v1/ are forwarded; base URLs: OpenAI "
                         f"{base}/v1, Anthropic {base}, Gemini {base}/v1beta")
            return

        mode = self.body_mode = req.framing
        if mode == B_CHUNKED:
            self.scanner = ChunkedScanner(trailers=False)
            self.check = _BodyCheck()
            self.checker = httptools.HttpRequestParser(self.check)
            try:
                self.checker.feed_data(head + b"\r\n\r\n")
            except httptools.HttpParserUpgrade:
                self._refuse(400, "bad_request", "bytespike proxy: an upgrade offer with a request body")
                return
        elif mode == B_LENGTH:
            self.body_left = req.length
        if req.expect_continue and mode != B_NONE:
            self.transport.write(CONTINUE)

        if relay.log is not None:
            self.wall0 = time.time()
            if self.protocol_name == GEMINI:
                m = _GEMINI_MODEL_RE.match(req.path)
                self.model = m.group(1) if m else None

        lines = req.header_lines
        lines.append(relay.key_lines[self.protocol_name])
        lines.append(relay.via_line)
        up_head = b"".join((
            req.method, b" ", relay.upstream.prefix, req.target, b" HTTP/1.1\r\n", relay.upstream.host_line, CRLF,
            b"\r\n".join(lines), b"\r\n\r\n",
        ))

        # the part of the body that came with the head
        if mode == B_NONE:
            body, self.state = b"", S_WAIT
            self.buf += rest
        elif mode == B_LENGTH:
            length = req.length
            if len(rest) >= length:
                body, self.state = rest[:length], S_WAIT
                self.buf += rest[length:]
            else:
                body, self.state = rest, S_BODY
                self.body_left = length - len(rest)
                self.body_started, self.body_bytes = self.last_active, len(rest)
        else:
            try:
                end = self._scan_chunked(rest)
            except HeadError as exc:
                self._refuse(400, "bad_request", f"bytespike proxy: malformed request ({exc})")
                return
            if end >= 0:
                body, self.state = rest[:end], S_WAIT
                self.buf += rest[end:]
            else:
                body, self.state = rest, S_BODY
                self.body_started, self.body_bytes = self.last_active, len(rest)
        if body and relay.log is not None:
            self._find_model(body)
        if len(self.buf) > MAX_PIPELINED:
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

    def _token_ok(self, credentials: list[bytes]) -> bool:
        relay = self.relay
        peer = self.transport.get_extra_info("peername")
        address = str(peer[0]) if peer else "?"
        now = relay.loop.time()
        wait = relay.throttle.blocked(address, now)
        if wait:
            self._refuse(429, "proxy_token_throttled",
                         f"bytespike proxy: too many wrong tokens from {address}; try again in {wait:.0f} s")
            return False
        if len(credentials) > MAX_CREDENTIALS:  # one request must not carry a list of guesses
            relay.throttle.failed(address, now, len(credentials))
            self._refuse(401, "proxy_token_required",
                         f"bytespike proxy: {len(credentials)} credentials in one request; send the token once")
            return False
        if relay.guard.token_ok(credentials):
            return True
        relay.throttle.failed(address, now, max(1, len(credentials)))
        self._refuse(401, "proxy_token_required",
                     "bytespike proxy: this proxy needs its token; set it as the client's API key")
        return False

    def _scan_chunked(self, data: bytes) -> int:
        """Where the chunked body ends in ``data`` (-1: not yet); the scanner and llhttp must agree."""
        end = self.scanner.feed(data)  # type: ignore[union-attr]
        check = self.check
        try:
            self.checker.feed_data(data if end < 0 else data[:end])  # type: ignore[union-attr]
        except httptools.HttpParserError as exc:
            raise HeadError(str(exc)) from None
        if check.done != (end >= 0):  # type: ignore[union-attr]
            raise HeadError("ambiguous chunked framing")
        return end

    def _find_model(self, body: bytes) -> None:
        if self.model is None:
            m = _MODEL_RE.search(body)
            if m is not None:
                self.model = m.group(1)

    def _body_data(self, data: bytes) -> None:
        self.body_bytes += len(data)
        if self.body_mode == B_LENGTH:
            left = self.body_left
            n = len(data)
            if n < left:
                self.body_left = left - n
                self._send_up(data)
                return
            self.body_left = 0
            if n > left:
                self.buf += data[left:]
                data = data[:left]
        else:
            try:
                end = self._scan_chunked(data)
            except HeadError as exc:
                self._fail(400, "bad_request", f"bytespike proxy: malformed request ({exc})")
                return
            if end < 0:
                self._send_up(data)
                return
            if end < len(data):
                self.buf += data[end:]
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

    def connected(self, up: UpstreamConn) -> None:
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
        self._resume(P_UPSTREAM)
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
        self._resume(P_UPSTREAM)  # that upstream connection is gone from this client: so is its pause
        self._resume(P_PIPELINE)
        self.last_active = self.relay.loop.time()
        if self.write_paused:  # the client is not reading: the next pipelined answer would pile up in memory
            self.deferred = True
            return
        self._next_exchange()

    def _next_exchange(self) -> None:
        if self.buf:
            buf, self.buf = bytes(self.buf), bytearray()
            self._head_data(buf)

    # ---- the proxy's own answers

    def _refuse(self, status: int, code: str, message: str) -> None:
        """Refuse before anything was forwarded."""
        if self.t0 == 0.0:
            self.t0 = perf_counter()
        if self.relay.log is not None and not self.wall0:
            self.wall0 = time.time()
        self._fail(status, code, message, refusal=True)

    def _fail(self, status: int, code: str, message: str, *, refusal: bool = False) -> None:
        up = self.up
        if up is not None:
            self.up = None
            up.abandon()
        if self.connecting is not None:
            self.connecting.cancel()
            self.connecting = None
        self.pending = None
        self.refused = True
        payload = response_bytes(status, error_body(self.protocol_name, status, message, code))
        self.transport.write(payload)
        self.sent += len(payload)
        self._log(status, code, message, refusal=refusal)
        self.state = S_HEAD
        self.buf = bytearray()
        self.transport.close()  # the rest of the request (if any) was not read: start afresh

    def _log(self, status: int, error: str | None, detail: str | None, *, refusal: bool = False) -> None:
        relay = self.relay
        if not self.t0:
            return
        if refusal:
            relay.refusals += 1
        else:
            relay.requests += 1
        log = relay.log
        if log is None:
            self.t0 = 0.0
            return
        now = perf_counter()
        if error is None and self.error_body:
            error, detail = describe_error(self.error_body)
            error = printable(error) if error else None
        if refusal:  # refused before anything was forwarded: anyone can cause these, so they are rate-limited
            allowed, dropped = relay.refusal_log.allow(time.time())
            relay.log_suppressed(dropped)
            if not allowed:
                self.t0 = 0.0
                return
        log.request(Entry(
            started=self.wall0 or time.time(),
            method=printable(self.method.decode("latin-1")) or "-",
            path=printable(self.log_path.decode("latin-1")[:300]) or "-",
            model=printable(self.model.decode("latin-1")) if self.model else None,
            status=status or 499,
            ttfb_ms=(self.t_first - self.t0) * 1000 if self.t_first else None,
            total_ms=(now - self.t0) * 1000,
            bytes=self.sent,
            credits=printable(self.credits.decode("latin-1")) if self.credits else None,
            error=error,
            detail=printable(detail) if detail else None,
            warm=self.warm,
        ))
        self.t0 = 0.0


def describe_error(body: bytes) -> tuple[str | None, str | None]:
    """(type, message) of a gateway error body in any of the three envelopes; (None, None) if it is not one."""
    start = body.find(b"{")
    if start < 0:
        return None, None
    try:
        doc, _ = json.JSONDecoder().raw_decode(body[start:].decode("utf-8", "replace"))
    except (ValueError, RecursionError):  # a deeply nested body (a validation error echoing input) is no reason
        return None, None
    err = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(err, str):
        return "error", err[:300]
    if not isinstance(err, dict):
        return None, None
    kind = err.get("type") or err.get("status") or err.get("code") or "error"
    message = err.get("message")
    return str(kind)[:80], (str(message)[:300] if message else None)


_FULL = "bytespike proxy: too many open connections; try again shortly"
