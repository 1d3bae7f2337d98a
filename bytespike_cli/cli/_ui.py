"""The one renderer: human output on stdout, chatter on stderr, JSON when asked.

Rich is imported lazily so that ``bytespike --help`` stays light. Text that came from a server or
a file is always printed with markup off, and every line is passed through :func:`redact`.
"""

from __future__ import annotations

import os
import sys
from functools import lru_cache
from typing import Any

from bytespike_cli.redact import redact

_quiet = False
# The running command ("models", "profiles use") and whether it was asked for --json: the JSON
# schema id and the error object under --json come from here.
_command = ""
_json_requested = False
_json_emitted = False
_jq: str | None = None  # --jq EXPR: print only what the expression selects from the JSON document


def set_jq(expression: str) -> None:
    global _jq, _json_requested
    _jq_steps(expression)  # a bad expression is a usage error before anything runs
    _jq, _json_requested = expression, True


def _jq_steps(expression: str) -> list[tuple[str, Any]]:
    """``.models[].model`` → [("field", "models"), ("each", None), ("field", "model")]."""
    import re

    from bytespike_cli.errors import UsageError

    text = expression.strip()
    token = re.compile(r"\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\[\]|\.")
    steps, position = [], 0
    while position < len(text):
        match = token.match(text, position)
        if not match or (position == 0 and not text.startswith(".")):
            raise UsageError(f"--jq {expression!r}: bytespike understands a small part of jq",
                             "use ., .field, .list[], .list[0] and chains of them, e.g. --jq '.models[].model'; "
                             "or pipe --json into jq")
        if match.group(1):
            steps.append(("field", match.group(1)))
        elif match.group(2):
            steps.append(("index", int(match.group(2))))
        elif match.group(0) == "[]":
            steps.append(("each", None))
        position = match.end()
    if not text:
        raise UsageError("--jq needs an expression", "e.g. --jq '.models[].model'")
    return steps


def select(expression: str, document: Any) -> list:
    """A small subset of jq: ``.``, ``.field``, ``.list[]``, ``.list[N]``, chained (``.models[].model``)."""
    from bytespike_cli.errors import UsageError

    values = [document]
    for kind, arg in _jq_steps(expression):
        out: list = []
        for value in values:
            if kind == "field":
                if not isinstance(value, dict) and value is not None:
                    raise UsageError(f"--jq {expression!r}: .{arg} needs an object, found {type(value).__name__}",
                                     "see the shapes in docs/json.md")
                out.append(value.get(arg) if value is not None else None)
            elif kind == "index":
                if not isinstance(value, list):
                    raise UsageError(f"--jq {expression!r}: [{arg}] needs a list", "see the shapes in docs/json.md")
                out.append(value[arg] if -len(value) <= arg < len(value) else None)
            else:
                if not isinstance(value, (list, dict)):
                    raise UsageError(f"--jq {expression!r}: [] needs a list", "see the shapes in docs/json.md")
                out.extend(value if isinstance(value, list) else value.values())
        values = out
    return values


def set_quiet(value: bool) -> None:
    global _quiet
    _quiet = value


def reset(*, json_in_args: bool = False) -> None:
    global _quiet, _command, _json_requested, _json_emitted, _jq
    _quiet, _command, _json_requested, _json_emitted, _jq = False, "", json_in_args, False, None


def begin_command(words: str, *, json_out: bool) -> None:
    global _command, _json_requested
    _command = words
    _json_requested = _json_requested or json_out


def json_requested() -> bool:
    return _json_requested


def json_emitted() -> bool:
    return _json_emitted


def schema_id(command: str | None = None) -> str:
    words = (command if command is not None else _command) or "bytespike"
    return f"bytespike.{words.replace(' ', '.')}/1"


@lru_cache(maxsize=None)
def _console(stderr: bool):
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            # Rich's own answer is SystemExit(1); the boundary makes a closed pipe exit 141 everywhere
            self.quiet = True
            raise BrokenPipeError(32, "Broken pipe")

    return _Console(stderr=stderr, highlight=False, soft_wrap=True)


def stdout():
    return _console(False)


def stderr():
    return _console(True)


def is_tty(stream=None) -> bool:
    """Is ``stream`` (stdout by default) a terminal? BYTESPIKE_FORCE_TTY=1 says yes for stdout (like
    GH_FORCE_TTY: tables for a pager that shows colours, and for tests)."""
    stream = stream or sys.stdout
    if stream is sys.stdout and os.environ.get("BYTESPIKE_FORCE_TTY") == "1":
        return True
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


def error_json(exc) -> dict:
    """The JSON error object: {code, message, hint, exit_code}."""
    from bytespike_cli.cli._framework import ERROR_CODES

    code = int(exc.exit_code)
    return {"code": ERROR_CODES.get(code, "failure"), "message": exc.message, "hint": exc.hint, "exit_code": code}


def print_json(data: dict, *, error=None, command: str | None = None) -> None:
    """One JSON document on stdout: {"schema": "bytespike.<command>/1", ...data, "error": ...}.

    ``error`` (a BytespikeError) is set whenever the command then exits non-zero."""
    global _json_emitted
    import json

    document = {"schema": schema_id(command), **data}
    if error is not None:
        document["error"] = error_json(error)
    text = json.dumps(document, indent=2, ensure_ascii=False, default=str)
    picked = None
    if _jq is not None:  # like `jq -r`: strings raw, everything else as JSON, one value per line
        from bytespike_cli.errors import UsageError

        try:
            picked = select(_jq, json.loads(text))
        except UsageError:
            if error is None:
                raise
            # the document is an error report (perhaps --jq's own): it goes out whole, not lost to a second error
    if picked is not None:
        text = "\n".join(v if isinstance(v, str) else json.dumps(v, indent=2 if isinstance(v, (dict, list)) else None,
                                                                   ensure_ascii=False) for v in picked)
    _json_emitted = True
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


def write_stdout(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def iso_time(epoch: float | None) -> str | None:
    """Epoch seconds as ISO-8601 UTC ("2026-11-30T17:00:00Z"); JSON never carries epoch floats."""
    if epoch is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(float(epoch), tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def table(columns: list[tuple[str, str, int]], rows: list[list[str]], *, fold: str | None = None) -> None:
    """The one table rule. ``columns``: (header, justify, priority) — priority 0 is never dropped.

    On a terminal: aligned columns; when the line is too narrow, the columns of highest priority
    number are dropped first, and ids and numbers are never cut (only the ``fold`` column wraps).
    Not a terminal: one record per line, tab-separated, no header, nothing wrapped or cut (like gh).
    """
    if not is_tty(sys.stdout):
        for row in rows:
            sys.stdout.write(redact("\t".join(" ".join(str(cell).split()) for cell in row)) + "\n")
        sys.stdout.flush()
        return
    width = stdout().width
    keep = list(range(len(columns)))

    def needed(index: int) -> int:
        header = columns[index][0]
        cells = [len(line) for row in rows for line in str(row[index]).split("\n")]
        if header and header == fold:
            return max(len(header), 12)
        return max([len(header)] + cells)

    while sum(needed(i) for i in keep) + 2 * (len(keep) - 1) > width:
        droppable = [i for i in keep if columns[i][2] > 0]
        if not droppable:
            break
        keep.remove(max(droppable, key=lambda i: (columns[i][2], i)))
    widths = {i: needed(i) for i in keep}
    if fold is not None:
        folding = [i for i in keep if columns[i][0] == fold]
        if folding:
            rest = sum(w for i, w in widths.items() if i != folding[0]) + 2 * (len(keep) - 1)
            content = max([len(fold)] + [len(line) for row in rows for line in str(row[folding[0]]).split("\n")])
            widths[folding[0]] = max(12, min(content, width - rest))

    def lines_of(index: int, cell: str) -> list[str]:
        if columns[index][0] != fold:
            return str(cell).split("\n")
        return [piece for line in str(cell).split("\n") for piece in _fold_line(line, widths[index])]

    def emit(cells: list[list[str]], style: str | None) -> None:
        height = max(len(c) for c in cells)
        for n in range(height):
            parts = []
            for i, lines in zip(keep, cells):
                text = lines[n] if n < len(lines) else ""
                parts.append(text.rjust(widths[i]) if columns[i][1] == "right" else
                             text.center(widths[i]) if columns[i][1] == "center" else text.ljust(widths[i]))
            stdout().print("  ".join(parts).rstrip(), style=style, markup=False, highlight=False)

    emit([[columns[i][0]] for i in keep], "bold")
    for row in rows:
        emit([lines_of(i, redact(str(row[i]))) for i in keep], None)


def _fold_line(line: str, width: int) -> list[str]:
    """A cell's line in pieces of at most ``width``, broken after a space or "/" where possible."""
    import re

    out, current = [], ""
    for part in re.findall(r"[^/ ]+/?|/| ", line):
        if current and len(current) + len(part) > width:
            out.append(current.rstrip())
            current = part.lstrip() if not out or part != " " else ""
        else:
            current += part
        while len(current) > width:
            out.append(current[:width])
            current = current[width:]
    if current or not out:
        out.append(current.rstrip())
    return out


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
