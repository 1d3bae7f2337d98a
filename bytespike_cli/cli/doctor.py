"""bytespike doctor: find what is really wrong (network, key, and every installed tool), with the fix.

``bytespike doctor --json`` prints one object (field names as in ``bytespike verify --json``)::

    {
      "schema": "bytespike.doctor/1",
      "ok": false,                  # true when no finding failed (then the exit status is 0, else 1)
      "failed": 1, "warnings": 2,   # how many findings have status "fail" / "warn"
      "profile": "default", "base_url": "https://llm.bytespike.ai", "offline": false,
      "findings": [
        {"area": "claude-code",                    # "network", "key", "tools" or a tool name
         "code": "claude-code.credential-shadowed", # stable id: "<area>.<check>"; scripts match on it
         "status": "fail",                         # ok | warn | fail | skip | info
         "detail": "…",                            # for people; wording may change
         "hint": "unset ANTHROPIC_API_KEY …",      # the fix, or null
         "exit_code": 1,                           # for a failure, the exit code the same error has
         "tool": "claude-code"}                    # (only on a tool's findings) elsewhere (3 key, 5 …)
      ],
      "error": {"code": "failure", "message": "…", "hint": "…", "exit_code": 1}   # when the exit is not 0
    }

All shapes: docs/json.md.

Findings come in the order they are checked: network, key, then one area per tool. In a tool's
area the first finding ("info", code ``<tool>.effective``) says what the tool uses; its ``detail``
has one setting per line. Keys are always masked. An unknown tool name is a usage error (text on
stderr, exit 2), even with --json.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt

_MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red"), "skip": ("–", "dim"),
          "info": ("•", "cyan")}
_AREAS = {"network": "Network path to the gateway", "key": "Key and account", "tools": "Tools"}


def _title(area: str) -> str:
    if area in _AREAS:
        return _AREAS[area]
    from bytespike_cli import tools as registry

    try:
        return registry.get(area).title
    except Exception:
        return area


def _width() -> int:
    if not _ui.is_tty():  # a pipe gets whole lines, whatever COLUMNS says
        return 10_000
    return max(40, min(_ui.stdout().width, 100))


def _wrapped(text: str, first: str, later: str) -> list[str]:
    """``text`` wrapped to the terminal with a hanging indent; its own lines become indented lines.
    Long URLs and paths are never cut in the middle."""
    import textwrap

    out: list[str] = []
    for index, line in enumerate(text.splitlines() or [""]):
        lead = first if index == 0 else later + "  "
        follow = later if index == 0 else lead + " " * 10  # under the value of a "model     …" line
        out += textwrap.wrap(line, width=_width(), initial_indent=lead, subsequent_indent=follow,
                             break_long_words=False, break_on_hyphens=False) or [lead]
    return out


def _summary(report) -> None:
    """Last on the screen: the verdict, then each failure again with its fix, so nothing scrolls away."""
    out = _ui.stdout()
    out.print()
    failed, warned = report.failed, report.warnings
    if not failed:
        if warned:
            out.print(f"! no problems, {len(warned)} warning{'s' * (len(warned) != 1)}", style="bold yellow",
                      markup=False)
        else:
            out.print("✓ all checks passed", style="bold green", markup=False)
        return
    out.print(f"✗ {len(failed)} problem{'s' * (len(failed) != 1)}"
              + (f", {len(warned)} warning{'s' * (len(warned) != 1)}" if warned else "") + ":",
              style="bold red", markup=False)
    shown_fixes: set[str] = set()
    for finding in failed:  # one line each: the details are above
        line = f"  ✗ {_title(finding.area)}: {finding.detail.splitlines()[0]}"
        _ui.result(line if len(line) <= _width() else line[:_width() - 1] + "…")
        if finding.fix and finding.fix not in shown_fixes:
            shown_fixes.add(finding.fix)
            for line in _wrapped(finding.fix, "    fix: ", "         "):
                _ui.result(line)


def _print_finding(finding, last_area: list[str]) -> None:
    """One finding under its area's title (printed when the area changes; ``last_area`` remembers it)."""
    if not last_area or last_area[-1] != finding.area:
        if last_area:
            _ui.stdout().print()
        _ui.stdout().print(_title(finding.area), style="bold", markup=False, highlight=False)
        last_area.append(finding.area)
    mark, style = _MARKS[finding.status]
    first, *rest = _wrapped(finding.detail, "  " + "  ", "    ")
    _ui.stdout().print(f"  {mark} ", style=style, end="")
    _ui.result(first[4:])
    for line in rest:
        _ui.result(line)
    if finding.fix and finding.status not in ("ok", "info"):
        first, *rest = _wrapped(finding.fix, "    fix: ", "         ")
        _ui.stdout().print("    fix: ", style="cyan", end="")
        _ui.result(first[9:])
        for line in rest:
            _ui.result(line)


def doctor(
    ctx: typer.Context,
    tools: Optional[List[str]] = typer.Argument(
        None, metavar="TOOL", help="Only these tools (default: every installed one), e.g. claude-code codex.",
        show_default=False),
    chat: bool = typer.Option(False, "--chat", help="Also send one tiny billed request per tool (max 1–16 tokens)."),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Find what is wrong: network path, key and balance, and what each installed tool really uses.

    Every finding is ✓ (fine), ! (worth fixing) or ✗ (broken), with the exact fix; • says what a tool
    uses. Exit status 0 when
    nothing is broken, 1 otherwise; --json for scripts and CI.
    """
    from bytespike_cli.doctor import run_doctor
    from bytespike_cli.settings import resolve

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    if chat and not json_out:
        _ui.info("--chat sends one billed request per tool (a fraction of a cent each)")
    last_area: list[str] = []

    def show(finding) -> None:
        if not json_out:
            _print_finding(finding, last_area)

    with _ui.spinner(f"checking the network path to {r.base_url} …") as spin:
        def progress(finding) -> None:
            show(finding)
            spin.update(f"checking {_title(finding.area)} …" if finding.area not in ("network", "key") else
                        "checking the key and the account …" if finding.area == "network" else "checking your tools …")

        report = run_doctor(r, tools, chat=chat, on_finding=progress)
    if json_out:
        problem = None
        if report.exit_code:
            from bytespike_cli.errors import BytespikeError, ExitCode

            failed = next((f for f in report.findings if f.status == "fail"), None)
            problem = BytespikeError(failed.detail.splitlines()[0] if failed else "doctor found a problem",
                                     failed.fix if failed else None, exit_code=ExitCode(report.exit_code))
        data = report.to_json()
        for finding in data.get("findings", []):  # a tool's findings name it the way every command does
            if finding.get("area") not in ("network", "key", "tools"):
                finding["tool"] = finding["area"]
        _ui.print_json({**data, "profile": r.profile, "base_url": r.base_url, "offline": r.offline}, error=problem)
    else:
        _summary(report)
    if report.exit_code:
        raise typer.Exit(report.exit_code)
