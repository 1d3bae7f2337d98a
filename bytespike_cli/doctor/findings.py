"""What doctor reports: one finding per check, with the exact fix, and the report that collects them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK, WARN, FAIL, SKIP, INFO = "ok", "warn", "fail", "skip", "info"


@dataclass(frozen=True)
class Finding:
    area: str  # "key", "network", or a tool name such as "claude-code"
    code: str  # stable id for scripts and tests, e.g. "claude-code.credential-shadowed"
    status: str  # ok | warn | fail | skip | info (a statement of fact, not a check)
    detail: str
    fix: str | None = None  # the exact step (a command where there is one)
    exit_code: int = 0  # for a failure: the exit code the matching error has elsewhere (see errors.ExitCode)

    def to_json(self) -> dict[str, Any]:
        # "hint", as in `bytespike verify --json` and the `hint:` lines of every error
        return {"area": self.area, "code": self.code, "status": self.status, "detail": self.detail,
                "hint": self.fix, "exit_code": self.exit_code}


def ok(area: str, code: str, detail: str) -> Finding:
    return Finding(area, f"{area}.{code}", OK, detail)


def warn(area: str, code: str, detail: str, fix: str | None = None) -> Finding:
    return Finding(area, f"{area}.{code}", WARN, detail, fix)


def fail(area: str, code: str, detail: str, fix: str | None = None, exit_code: int = 1) -> Finding:
    return Finding(area, f"{area}.{code}", FAIL, detail, fix, int(exit_code))


def info(area: str, code: str, detail: str) -> Finding:
    return Finding(area, f"{area}.{code}", INFO, detail)


def skip(area: str, code: str, detail: str, fix: str | None = None) -> Finding:
    return Finding(area, f"{area}.{code}", SKIP, detail, fix)


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> list[Finding]:
        return [f for f in self.findings if f.status == FAIL]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.status == WARN]

    @property
    def exit_code(self) -> int:
        """0 when nothing failed, 1 otherwise (warnings do not fail the run)."""
        return 1 if self.failed else 0

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": not self.failed,
            "failed": len(self.failed),
            "warnings": len(self.warnings),
            "findings": [f.to_json() for f in self.findings],
        }
