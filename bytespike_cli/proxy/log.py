"""One line per request, Stripe ``listen`` style, or NDJSON; the key is masked in every line.

Lines are queued and written at most every few milliseconds, so a burst of requests costs one write.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Callable, TextIO

from bytespike_cli.redact import KEY_PREFIX, mask_key, redact

FLUSH_DELAY_S = 0.01  # short enough to read as live, long enough to batch a busy proxy's lines

# Client-controlled text (method, path, model, a refused Host) must never reach the operator's
# terminal as escape sequences or forged extra lines: C0, DEL and C1 controls print as \xNN.
_ESCAPES = {c: f"\\x{c:02x}" for c in (*range(0x20), *range(0x7F, 0xA0))}
_ESCAPES[ord("\\")] = "\\\\"


def printable(text: str) -> str:
    # the common case costs one C call; a backslash is left as is when nothing else needs escaping
    return text if text.isprintable() else text.translate(_ESCAPES)


@dataclass(slots=True)
class Entry:
    started: float  # Unix time the request head arrived
    method: str
    path: str  # as forwarded: the client's ``key`` query parameter is already gone
    model: str | None
    status: int  # 499 = the client hung up first
    ttfb_ms: float | None  # request head in → first response byte from the upstream
    total_ms: float
    bytes: int  # response bytes sent to the client (head and body)
    credits: str | None  # X-Quota-Remaining-Credits as the gateway sent it
    error: str | None = None  # a short code: upstream_unreachable, client_closed, host_not_allowed, …
    detail: str | None = None  # the sentence the client got (JSON log only)
    warm: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "event": "request",
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.started))
            + f".{int(self.started % 1 * 1000):03d}Z",
            "method": self.method, "path": self.path, "model": self.model, "status": self.status,
            "ttfb_ms": _r(self.ttfb_ms), "total_ms": _r(self.total_ms), "bytes": self.bytes,
            "credits_remaining": _number(self.credits), "error": self.error, "detail": self.detail, "warm": self.warm,
        }


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _duration(ms: float | None) -> str:
    if ms is None:
        return "-"
    if ms < 10:
        return f"{ms:.1f}ms"
    if ms < 1000:
        return f"{ms:.0f}ms"
    return f"{ms / 1000:.2f}s"


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n / 1048576:.1f} MiB"


_COLORS = {2: "\x1b[32m", 3: "\x1b[36m", 4: "\x1b[33m", 5: "\x1b[31m"}


class RequestLog:
    """Base: formats entries, masks secrets, batches writes."""

    def __init__(self, stream: TextIO, secrets: tuple[str | None, ...] = ()) -> None:
        self.stream = stream
        self.secrets = tuple(s for s in secrets if s and len(s) >= 8)
        self._queue: list[str] = []
        self._schedule: Callable[[Callable[[], None]], Any] | None = None

    def bind(self, schedule: Callable[[Callable[[], None]], Any] | None) -> None:
        """``schedule(fn)`` runs fn a little later on the event loop (see ``FLUSH_DELAY_S``); None: write at once."""
        self._schedule = schedule

    def format(self, entry: Entry) -> str:
        raise NotImplementedError

    def request(self, entry: Entry) -> None:
        self.emit(self.format(entry))

    def emit(self, line: str) -> None:
        for secret in self.secrets:
            if secret in line:
                line = line.replace(secret, mask_key(secret))
        if KEY_PREFIX in line:
            line = redact(line)
        self._queue.append(line)
        if len(self._queue) == 1:
            if self._schedule is None:
                self.flush()
            else:
                self._schedule(self.flush)

    def note(self, text: str) -> None:
        """A line that is not a request (suppressed refusals, limits hit)."""
        self.emit(text)

    def flush(self) -> None:
        if not self._queue:
            return
        text = "\n".join(self._queue) + "\n"
        self._queue.clear()
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            pass  # stdout closed (a pipe reader went away): keep proxying


class PrettyLog(RequestLog):
    def __init__(self, stream: TextIO, secrets: tuple[str | None, ...] = (), *, color: bool = False) -> None:
        super().__init__(stream, secrets)
        self.color = color
        self._second = -1
        self._clock = ""

    def format(self, e: Entry) -> str:
        second = int(e.started)
        if second != self._second:
            self._second, self._clock = second, time.strftime("%H:%M:%S", time.localtime(second))
        status = str(e.status)
        if self.color:
            status = _COLORS.get(e.status // 100, "") + status + "\x1b[0m"
        parts = [self._clock, f"{e.method:<6} {e.path}", e.model or "-", status,
                 f"ttfb {_duration(e.ttfb_ms)}", f"total {_duration(e.total_ms)}", _size(e.bytes)]
        if e.credits is not None:
            parts.append(f"credits {e.credits}")
        if e.warm:
            parts.append("(warm-up)")
        if e.error:
            detail = e.detail or ""
            if len(detail) > 160:
                detail = detail[:159] + "…"
            parts.append(f"! {e.error}: {detail}" if detail else f"! {e.error}")
        return "  ".join(parts)


class JsonLog(RequestLog):
    def format(self, e: Entry) -> str:
        return json.dumps(e.to_json(), ensure_ascii=False, separators=(",", ":"))

    def event(self, doc: dict[str, Any]) -> None:
        self.emit(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))

    def note(self, text: str) -> None:
        self.event({"event": "note", "message": text})


def make_log(kind: str, stream: TextIO, secrets: tuple[str | None, ...], *, color: bool = False) -> RequestLog | None:
    if kind == "off":
        return None
    if kind == "json":
        return JsonLog(stream, secrets)
    return PrettyLog(stream, secrets, color=color)
