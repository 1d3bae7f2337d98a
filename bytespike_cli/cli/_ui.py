"""The one renderer: human output on stdout, chatter on stderr, JSON when asked.

Rich is imported lazily so that ``bytespike --help`` stays light. Text that came from a server or
a file is always printed with markup off, and every line is passed through :func:`redact`.
"""

from __future__ import annotations

import json
import os
import sys
from functools import lru_cache
from typing import Any

from bytespike_cli.redact import redact

_quiet = False


def set_quiet(value: bool) -> None:
    global _quiet
    _quiet = value


@lru_cache(maxsize=None)
def _console(stderr: bool):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=True)


def stdout():
    return _console(False)


def stderr():
    return _console(True)


def is_tty(stream=None) -> bool:
    stream = stream or sys.stdout
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def stdin_is_tty() -> bool:
    return is_tty(sys.stdin)


def result(text: str, *, style: str | None = None) -> None:
    """A line of the command's result (stdout)."""
    stdout().print(redact(text), style=style, markup=False)


def rich_result(renderable: Any) -> None:
    stdout().print(renderable)


def print_json(data: Any) -> None:
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


def info(text: str) -> None:
    """Progress and context (stderr); hidden by -q."""
    if not _quiet:
        stderr().print(redact(text), markup=False, style="dim")


def warn(text: str) -> None:
    stderr().print("warning: " + redact(text), markup=False, style="yellow")


def error(message: str, hint: str | None = None) -> None:
    """The only way errors reach a person (never hidden by -q)."""
    stderr().print("error: " + redact(message), markup=False, style="bold red")
    if hint:
        stderr().print("hint: " + redact(hint), markup=False, style="cyan")


def debug_enabled() -> bool:
    return os.environ.get("BYTESPIKE_DEBUG") == "1"


class spinner:
    """A transient spinner on stderr naming the current step: only on a terminal, never with -q.

    ``with spinner("reaching …") as step: step.update("reading …")``; ``step.stop()`` ends it early
    (before streaming an answer). Lines printed meanwhile (on either stream) appear above it and it
    leaves nothing behind; when stdout is redirected, its lines go straight to the file.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._live = None
        self._spin = None

    def __enter__(self) -> "spinner":
        if _quiet or not is_tty(sys.stderr) or os.environ.get("TERM") == "dumb":
            return self
        from rich.live import Live
        from rich.spinner import Spinner
        from rich.text import Text

        self._spin = Spinner("dots", text=Text(redact(self.text), style="dim"), style="cyan")
        self._live = Live(self._spin, console=stderr(), transient=True, refresh_per_second=12,
                          redirect_stdout=is_tty(sys.stdout), redirect_stderr=True)
        self._live.start()
        return self

    def update(self, text: str) -> None:
        if self._spin is not None:
            from rich.text import Text

            self._spin.update(text=Text(redact(text), style="dim"))

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None
            self._spin = None

    def __exit__(self, *exc: object) -> None:
        self.stop()
