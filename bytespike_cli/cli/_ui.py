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
