"""A recording upstream built on h11: the independent judge of what the proxy sends.

Every byte the proxy forwards is parsed by h11 (strict, pure Python, written by other people);
what h11 reads is recorded per connection, and anything h11 cannot parse is recorded as an error.
Each complete request is answered with a small 200 so the proxy keeps relaying.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

import h11


@dataclass
class Received:
    connection: int
    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]  # lower-case names, as h11 normalises them
    body: bytes = b""
    complete: bool = False

    def values(self, name: bytes) -> list[bytes]:
        return [v for k, v in self.headers if k == name]


@dataclass
class H11Upstream:
    requests: list[Received] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)  # every byte received, per connection

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self._stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def reset(self) -> None:
        with self.lock:
            self.requests.clear()
            self.errors.clear()

    def _accept(self) -> None:
        n = 0
        while not self._stop:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            n += 1
            with self.lock:
                self.raw.append(b"")
            threading.Thread(target=self._serve, args=(sock, n, len(self.raw) - 1), daemon=True).start()

    def _serve(self, sock: socket.socket, number: int, raw_index: int) -> None:
        conn = h11.Connection(h11.SERVER)
        current: Received | None = None
        try:
            while True:
                data = sock.recv(65536)
                if not data:
                    return
                with self.lock:
                    self.raw[raw_index] += data
                conn.receive_data(data)
                while True:
                    try:
                        event = conn.next_event()
                    except h11.RemoteProtocolError as exc:
                        with self.lock:
                            self.errors.append(f"h11 could not parse what the proxy sent: {exc}")
                        return
                    if event is h11.NEED_DATA or event is h11.PAUSED:
                        break
                    if isinstance(event, h11.Request):
                        current = Received(number, event.method, event.target, list(event.headers))
                        with self.lock:
                            self.requests.append(current)
                    elif isinstance(event, h11.Data) and current is not None:
                        current.body += event.data
                    elif isinstance(event, h11.EndOfMessage) and current is not None:
                        current.complete = True
                        out = conn.send(h11.Response(status_code=200, headers=[
                            ("Content-Type", "application/json"), ("Content-Length", "11")]))
                        out += conn.send(h11.Data(data=b'{"ok":true}')) + conn.send(h11.EndOfMessage())
                        sock.sendall(out)
                        current = None
                        if conn.our_state is h11.DONE and conn.their_state is h11.DONE:
                            conn.start_next_cycle()
                if conn.our_state is h11.MUST_CLOSE or conn.their_state is h11.MUST_CLOSE:
                    return
        except OSError:
            return
        finally:
            sock.close()

    def close(self) -> None:
        self._stop = True
        self.listener.close()
