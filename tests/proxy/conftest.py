"""Fixtures for the proxy tests: everything on real loopback sockets.

- ``gateway``: the offline fake gateway (a real aiohttp server in a thread).
- ``start_proxy(upstream, ...)``: the proxy in a background thread, its log captured.
- ``TcpTap``: a TCP relay between the proxy and its upstream that timestamps every byte, so a test
  can see exactly what the upstream sent and when, and when the proxy closed its side.
- ``ScriptedUpstream``: a raw socket server that answers with exact bytes (odd chunkings, trailers,
  early closes) — things a well-behaved framework server would never send.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import pytest

from bytespike_cli.fakegateway import DEMO_KEY
from bytespike_cli.proxy.app import ProxyConfig
from bytespike_cli.proxy.log import make_log
from bytespike_cli.proxy.server import ThreadedProxy

CANARY = "sk-byts-canary-3c1e9f7a0b5d4e2f"



class CapturedProxy:
    def __init__(self, proxy: ThreadedProxy, stream: io.StringIO) -> None:
        self.proxy = proxy
        self.stream = stream

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def port(self) -> int:
        return self.proxy.port

    def log_text(self) -> str:
        self.proxy.server.log.flush() if self.proxy.server.log else None
        return self.stream.getvalue()

    def wait_log_lines(self, n: int, timeout: float = 3.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while True:
            lines = [ln for ln in self.stream.getvalue().splitlines() if ln.strip()]
            if len(lines) >= n or time.monotonic() > deadline:
                return lines
            time.sleep(0.02)


@pytest.fixture
def start_proxy():
    started: list[ThreadedProxy] = []

    def start(upstream: str, *, key: str = DEMO_KEY, log: str = "pretty", warm_models: tuple[str, ...] = (),
              warm_every_s: float = 240.0, **config) -> CapturedProxy:
        stream = io.StringIO()
        config.setdefault("port", 0)
        cfg = ProxyConfig(upstream=upstream, key=key, **config)
        proxy = ThreadedProxy(cfg, make_log(log, stream, (key, config.get("token"))), warm_models=warm_models,
                              warm_every_s=warm_every_s)
        proxy.start()
        started.append(proxy)
        return CapturedProxy(proxy, stream)

    yield start
    for proxy in started:
        proxy.stop()


# --------------------------------------------------------------------------- raw HTTP


@dataclass
class RawResponse:
    status: int
    head: bytes
    headers: dict[str, str]  # lower-case names; last one wins
    header_names: list[str]
    raw_body: bytes  # exactly as on the wire, chunk framing included
    arrivals: list[tuple[float, bytes]] = field(default_factory=list)  # (perf_counter, bytes) per recv

    def body(self) -> bytes:
        """The payload (chunked framing removed), decoded independently of the proxy's own code."""
        if self.headers.get("transfer-encoding", "").lower() != "chunked":
            return self.raw_body
        out, pos, raw = [], 0, self.raw_body
        while True:
            eol = raw.index(b"\r\n", pos)
            size = int(raw[pos:eol].split(b";")[0], 16)
            pos = eol + 2
            if size == 0:
                return b"".join(out)
            out.append(raw[pos:pos + size])
            pos += size + 2


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def request_bytes(method: str, path: str, port: int, *, body: bytes = b"", headers: dict[str, str] | None = None,
                  host: str | None = None) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host or f'127.0.0.1:{port}'}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body and not any(k.lower() in ("content-length", "transfer-encoding") for k in (headers or {})):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class ResponseReader:
    """Reads consecutive responses from one connection, each cut exactly at the end of its framing.

    One recv() may return the end of one response and the start of the next (pipelined requests, or
    simply a reader that fell behind on a busy machine), so bytes past a response's end are kept for
    the next ``read()`` instead of being taken as part of its body.
    """

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.pending: list[tuple[float, bytes]] = []  # (perf_counter of the recv, bytes) not yet part of a response

    def _recv(self, arrivals: list[tuple[float, bytes]]) -> bytes:
        if self.pending:
            at, data = self.pending.pop(0)
        else:
            data = self.sock.recv(65536)
            if not data:
                return b""
            at = time.perf_counter()
        arrivals.append((at, data))
        return data

    def _keep(self, arrivals: list[tuple[float, bytes]], extra: int) -> None:
        """The last ``extra`` bytes belong to the next response (reading stops at the first recv that
        completes a response, so they all came with the last one)."""
        if extra <= 0:
            return
        at, data = arrivals[-1]
        arrivals[-1] = (at, data[:len(data) - extra])
        self.pending.insert(0, (at, data[len(data) - extra:]))

    def read(self, *, head_request: bool = False) -> RawResponse:
        """Read one response, honouring its framing, with the time each recv() returned."""
        buf = b""
        arrivals: list[tuple[float, bytes]] = []
        while b"\r\n\r\n" not in buf:
            data = self._recv(arrivals)
            if not data:
                raise ConnectionError(f"closed before a full head: {buf!r}")
            buf += data
        head, _, raw = buf.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        if 100 <= status < 200:
            raise AssertionError("interim responses are not expected here")
        headers, names = {}, []
        for line in lines[1:]:
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
            names.append(name.strip().lower())
        if head_request or status in (204, 304):
            end = 0
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while not _chunked_complete(raw):
                data = self._recv(arrivals)
                if not data:
                    raise ConnectionError("closed in the middle of a chunked body")
                raw += data
            end = _chunked_end(raw)
        elif "content-length" in headers:
            end = int(headers["content-length"])
            while len(raw) < end:
                data = self._recv(arrivals)
                if not data:
                    raise ConnectionError("closed in the middle of a body")
                raw += data
        else:  # delimited by the connection's end
            while data := self._recv(arrivals):
                raw += data
            end = len(raw)
        self._keep(arrivals, len(raw) - end)
        return RawResponse(status, head, headers, names, raw[:end], arrivals)


def read_response(sock: socket.socket, *, head_request: bool = False) -> RawResponse:
    """Read the one response a request got; any byte after its end is a framing error and fails the test.

    For pipelined requests (several responses outstanding on one connection) use ``ResponseReader``.
    """
    reader = ResponseReader(sock)
    response = reader.read(head_request=head_request)
    extra = b"".join(data for _, data in reader.pending)
    assert not extra, f"bytes after the end of the response (use ResponseReader when pipelining): {extra!r}"
    return response


def wait_until_received(sock: socket.socket, done: Callable[[bytes], bool], timeout: float = 10.0) -> bytes:
    """Wait until the bytes waiting in the socket (peeked, not consumed) satisfy ``done``."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = sock.recv(1 << 20, socket.MSG_PEEK)
        if done(waiting) or not waiting or time.monotonic() > deadline:
            return waiting
        time.sleep(0.01)


def _chunked_complete(raw: bytes) -> bool:
    pos = 0
    while True:
        eol = raw.find(b"\r\n", pos)
        if eol < 0:
            return False
        size = int(raw[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            # trailers end with an empty line
            while True:
                eol = raw.find(b"\r\n", pos)
                if eol < 0:
                    return False
                if eol == pos:
                    return True
                pos = eol + 2
        pos += size + 2
        if pos > len(raw):
            return False


def exchange(port: int, method: str, path: str, **kwargs) -> RawResponse:
    with connect(port) as sock:
        sock.sendall(request_bytes(method, path, port, **kwargs))
        return read_response(sock, head_request=method == "HEAD")


# --------------------------------------------------------------------------- the tap


class TcpTap:
    """Loopback TCP relay to ``target_port`` recording (time, connection, kind, bytes).

    kinds: ``up`` (bytes the proxy sent upstream), ``down`` (bytes the upstream sent back),
    ``proxy_closed`` (the proxy closed or reset its side), ``upstream_closed``.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.events: list[tuple[float, int, str, bytes]] = []
        self.lock = threading.Lock()
        self.connections = 0
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _record(self, conn: int, kind: str, data: bytes = b"") -> None:
        with self.lock:
            self.events.append((time.perf_counter(), conn, kind, data))

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                conn = self.connections
            target = socket.create_connection(("127.0.0.1", self.target_port))
            for s in (client, target):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._pump, args=(client, target, conn, "up", "proxy_closed"), daemon=True).start()
            threading.Thread(target=self._pump, args=(target, client, conn, "down", "upstream_closed"),
                             daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, conn: int, kind: str, closed_kind: str) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                self._record(conn, closed_kind)
                for s in (dst, src):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            self._record(conn, kind, data)
            try:
                dst.sendall(data)
            except OSError:
                self._record(conn, closed_kind)
                return

    def downstream_bytes(self, conn: int | None = None) -> bytes:
        with self.lock:
            return b"".join(d for _, c, k, d in self.events if k == "down" and (conn is None or c == conn))

    def upstream_bytes(self, conn: int | None = None) -> bytes:
        with self.lock:
            return b"".join(d for _, c, k, d in self.events if k == "up" and (conn is None or c == conn))

    def first(self, kind: str, conn: int | None = None) -> float | None:
        with self.lock:
            for t, c, k, _ in self.events:
                if k == kind and (conn is None or c == conn):
                    return t
        return None

    def close(self) -> None:
        self._closed = True
        self.listener.close()


@pytest.fixture
def tap_to():
    taps: list[TcpTap] = []

    def make(port: int) -> TcpTap:
        taps.append(TcpTap(port))
        return taps[-1]

    yield make
    for tap in taps:
        tap.close()


# --------------------------------------------------------------------------- scripted upstream


@dataclass
class SeenRequest:
    head: bytes
    body: bytes
    at: float

    @property
    def start_line(self) -> str:
        return self.head.split(b"\r\n", 1)[0].decode("latin-1")

    def header(self, name: str) -> list[str]:
        out = []
        for line in self.head.split(b"\r\n")[1:]:
            k, _, v = line.decode("latin-1").partition(":")
            if k.strip().lower() == name.lower():
                out.append(v.strip())
        return out


Responder = Callable[[SeenRequest, socket.socket], bool]  # returns: keep the connection open


class ScriptedUpstream:
    """A raw HTTP/1.1 server whose answers are written by the test, byte for byte."""

    def __init__(self, responder: Responder, port: int = 0, tls=None) -> None:
        self.responder = responder
        self.tls = tls  # an ssl.SSLContext: serve HTTPS
        self.requests: list[SeenRequest] = []
        self.connections = 0
        self.closed_by_peer: list[float] = []
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buf = b""
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            while True:
                while b"\r\n\r\n" not in buf:
                    data = sock.recv(65536)
                    if not data:
                        self.closed_by_peer.append(time.perf_counter())
                        return
                    buf += data
                head, _, buf = buf.partition(b"\r\n\r\n")
                length = 0
                chunked = False
                for line in head.split(b"\r\n")[1:]:
                    k, _, v = line.partition(b":")
                    if k.strip().lower() == b"content-length":
                        length = int(v.strip())
                    if k.strip().lower() == b"transfer-encoding" and b"chunked" in v.lower():
                        chunked = True
                if chunked:
                    while not _chunked_complete(buf):
                        buf += sock.recv(65536)
                    end = _chunked_end(buf)
                    body, buf = buf[:end], buf[end:]
                else:
                    while len(buf) < length:
                        data = sock.recv(65536)
                        if not data:
                            return
                        buf += data
                    body, buf = buf[:length], buf[length:]
                seen = SeenRequest(head, body, time.perf_counter())
                self.requests.append(seen)
                if not self.responder(seen, sock):
                    sock.close()
                    return
        except OSError:
            self.closed_by_peer.append(time.perf_counter())
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def close(self) -> None:
        self._stop = True
        self.listener.close()


def _chunked_end(raw: bytes) -> int:
    pos = 0
    while True:
        eol = raw.index(b"\r\n", pos)
        size = int(raw[pos:eol].split(b";")[0], 16)
        pos = eol + 2
        if size == 0:
            while True:
                eol = raw.index(b"\r\n", pos)
                if eol == pos:
                    return pos + 2
                pos = eol + 2
        pos += size + 2


@pytest.fixture
def scripted():
    servers: list[ScriptedUpstream] = []

    def make(responder: Responder, port: int = 0, tls=None) -> ScriptedUpstream:
        servers.append(ScriptedUpstream(responder, port, tls))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
