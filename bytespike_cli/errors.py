"""One error hierarchy and one exit-code table.

Core code raises these; the CLI's error boundary (``cli/app.py``) is the only place that turns them
into ``error:`` / ``hint:`` lines and an exit code. Keep this module free of heavy imports: it is
loaded for ``bytespike --help``.
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """Documented in README.md ("Exit codes"); scripts may rely on these numbers."""

    OK = 0
    FAILURE = 1  # a check failed (verify/doctor found a problem), or an unexpected internal error
    USAGE = 2  # bad flags or arguments (also what Typer/Click use)
    AUTH = 3  # no key, malformed key, 401
    BUDGET = 4  # 402: wallet empty or the key's quota reached
    PERMISSION = 5  # 403 and model errors: IP denied, model outside the key's group, unknown model
    RATE_LIMIT = 6  # 429: spend window or concurrency limit
    NETWORK = 7  # DNS, refused, TLS, proxy, timeout
    GATEWAY = 8  # 5xx or an answer we cannot understand
    CONFIG = 9  # a settings file we cannot read, parse or write
    BUSY = 10  # another program holds the file (an editor that would overwrite us, a lock)
    FILE_CHANGED = 11  # undo refused: a file changed since bytespike wrote it (--force restores anyway)
    INTERRUPTED = 130  # Ctrl-C
    PIPE_CLOSED = 141  # the reader of our output went away (128 + SIGPIPE, as shells report it)


class BytespikeError(Exception):
    """An error a user can act on: what happened, and how to fix it."""

    exit_code: ExitCode = ExitCode.FAILURE
    status: int | None = None  # the HTTP status behind the error, when there was one

    def __init__(self, message: str, hint: str | None = None, *, exit_code: ExitCode | None = None,
                 status: int | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class UsageError(BytespikeError):
    exit_code = ExitCode.USAGE


class AuthError(BytespikeError):
    exit_code = ExitCode.AUTH


class BudgetError(BytespikeError):
    exit_code = ExitCode.BUDGET


class PermissionDenied(BytespikeError):
    exit_code = ExitCode.PERMISSION


class RateLimited(BytespikeError):
    exit_code = ExitCode.RATE_LIMIT

    def __init__(self, message: str, hint: str | None = None, *, reset_at: float | None = None):
        super().__init__(message, hint)
        self.reset_at = reset_at


class NetworkError(BytespikeError):
    exit_code = ExitCode.NETWORK


class GatewayError(BytespikeError):
    exit_code = ExitCode.GATEWAY


class ConfigFileError(BytespikeError):
    """A file we cannot parse or write. Names the file (and line when known)."""

    exit_code = ExitCode.CONFIG

    def __init__(self, path: Path | str, problem: str, hint: str | None = None, *, line: int | None = None):
        where = f"{path}:{line}" if line else f"{path}"
        super().__init__(f"{where}: {problem}{_quoted_line(path, line)}", hint)
        self.path = Path(path)
        self.line = line


def _quoted_line(path: Path | str, line: int | None) -> str:
    """`` — line N reads: …`` so that "fix the line shown" shows one (credentials in it masked)."""
    if not line:
        return ""
    try:
        with open(path, encoding="utf-8-sig", errors="replace") as handle:
            for number, text in enumerate(handle, 1):
                if number == line:
                    break
            else:
                return f" — the file ends before line {line}"
    except OSError:
        return ""
    from bytespike_cli.redact import redact_settings

    shown = redact_settings(text.rstrip("\r\n").strip())
    if len(shown) > 80:
        shown = shown[:79] + "…"
    return f" — line {line} reads: {shown}" if shown else f" — line {line} is empty"


class ToolBusy(BytespikeError):
    exit_code = ExitCode.BUSY


class FileChanged(BytespikeError):
    """undo refuses: files changed since bytespike wrote them (the user's edits would be lost)."""

    exit_code = ExitCode.FILE_CHANGED


class CheckFailed(BytespikeError):
    """A diagnostic command found problems; the details were already reported."""

    exit_code = ExitCode.FAILURE
