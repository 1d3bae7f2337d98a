"""Faults on demand: ``x-bytespike-fault`` header, ``FakeGateway.set_fault`` or a key bound to a fault.

Grammar: comma-separated ``name=value`` items::

    status=429|500|502|503|504   answer with that error in the calling protocol's envelope
    reset=S                      with status=429: X-RateLimit-Reset this many seconds ahead (default 1)
    times=N                      with status/delay: only the first N requests carrying this spec fail
    delay=MS                     wait before the response headers (client timeout tests)
    slow-stream=MS               wait before each streamed event (headers still go out at once)
    drop-after=N                 close the TCP connection abruptly after N streamed events
    error-after=N                send the protocol's mid-stream error event after N events, then close
    model-error=400              a model outside the key's group is 400 model_not_allowed (not 403)
    cold=MS                      this request pays a cold start if its model is still cold
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

FAULT_HEADER = "x-bytespike-fault"

_STATUSES = (429, 500, 502, 503, 504)
_INT_FIELDS = {
    "status": "status", "reset": "reset_s", "times": "times", "delay": "delay_ms", "slow-stream": "slow_stream_ms",
    "drop-after": "drop_after", "error-after": "error_after", "model-error": "model_error", "cold": "cold_ms",
}


class FaultSpecError(ValueError):
    pass


@dataclass(frozen=True)
class Fault:
    status: int | None = None
    reset_s: int = 1
    times: int | None = None
    delay_ms: int = 0
    slow_stream_ms: int = 0
    drop_after: int | None = None
    error_after: int | None = None
    model_error: int | None = None
    cold_ms: int | None = None
    spec: str = ""

    def merged(self, other: "Fault") -> "Fault":
        """``other`` wins for every field it sets (header > setting > key)."""
        changes = {
            f.name: getattr(other, f.name)
            for f in fields(other)
            if f.name != "spec" and getattr(other, f.name) != getattr(NO_FAULT, f.name)
        }
        spec = ",".join(s for s in (self.spec, other.spec) if s)
        return replace(self, **changes, spec=spec)


NO_FAULT = Fault()


def parse_fault(spec: str | None) -> Fault:
    if not spec or not spec.strip():
        return NO_FAULT
    values: dict[str, int] = {}
    for item in spec.split(","):
        item = item.strip()
        if not item:
            continue
        name, sep, raw = item.partition("=")
        name = name.strip().lower()
        if not sep or name not in _INT_FIELDS:
            raise FaultSpecError(f"unknown fault {item!r}; known: {', '.join(_INT_FIELDS)} (as name=value)")
        try:
            value = int(raw.strip())
        except ValueError:
            raise FaultSpecError(f"fault {name} needs a whole number, got {raw!r}") from None
        if value < 0:
            raise FaultSpecError(f"fault {name} cannot be negative")
        values[_INT_FIELDS[name]] = value
    if "status" in values and values["status"] not in _STATUSES:
        raise FaultSpecError(f"status fault must be one of {', '.join(map(str, _STATUSES))}")
    if "model_error" in values and values["model_error"] not in (400, 403):
        raise FaultSpecError("model-error must be 400 or 403")
    return Fault(**values, spec=spec.strip())
