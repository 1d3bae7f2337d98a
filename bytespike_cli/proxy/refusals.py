"""The proxy's own answers when it will not forward a request, and the limits around them.

- ``Refused``: raised anywhere on the request side; the client gets the status in its protocol's
  error shape and the connection is closed (the rest of the request was not read).
- ``TokenThrottle``: wrong ``--token`` guesses from one address are cut off for a while.
- ``RefusalLogLimiter``: a flood of refused requests must not flood the operator's terminal.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Refusal:
    status: int
    code: str
    message: str


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.refusal = Refusal(status, code, message)


class TokenThrottle:
    """After ``limit`` wrong tokens from one address within ``window_s``, refuse it for ``block_s``."""

    MAX_TRACKED = 4096

    def __init__(self, limit: int = 5, window_s: float = 60.0, block_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self.block_s = block_s
        self._failures: dict[str, tuple[int, float]] = {}  # address → (count, first failure time)
        self._blocked: dict[str, float] = {}  # address → blocked until

    def blocked(self, address: str, now: float) -> float:
        """Seconds left on a block (0 when the address may try)."""
        until = self._blocked.get(address)
        if until is None:
            return 0.0
        if now >= until:
            del self._blocked[address]
            return 0.0
        return until - now

    def failed(self, address: str, now: float, guesses: int = 1) -> None:
        count, first = self._failures.get(address, (0, now))
        if now - first > self.window_s:
            count, first = 0, now
        count += guesses
        if count >= self.limit:
            self._failures.pop(address, None)
            if len(self._blocked) >= self.MAX_TRACKED:
                self._blocked.pop(next(iter(self._blocked)))
            self._blocked[address] = now + self.block_s
            return
        if len(self._failures) >= self.MAX_TRACKED and address not in self._failures:
            self._failures.pop(next(iter(self._failures)))
        self._failures[address] = (count, first)


class RefusalLogLimiter:
    """At most ``per_second`` log lines a second for refused requests; the rest are counted, then summed up."""

    def __init__(self, per_second: int = 10) -> None:
        self.per_second = per_second
        self.second = -1
        self.count = 0
        self.suppressed = 0

    def allow(self, now: float) -> tuple[bool, int]:
        """(log this one?, how many were suppressed in the previous second — to report now)."""
        second = int(now)
        dropped = 0
        if second != self.second:
            dropped, self.suppressed = self.suppressed, 0
            self.second, self.count = second, 0
        self.count += 1
        if self.count > self.per_second:
            self.suppressed += 1
            return False, dropped
        return True, dropped

    def pending(self, now: float) -> int:
        """Suppressed lines of a second that is over (the sweep reports them when traffic stops)."""
        if self.suppressed and int(now) != self.second:
            dropped, self.suppressed = self.suppressed, 0
            return dropped
        return 0
