"""bytespike doctor: find what is really wrong (network, key, and every installed tool), with the fix."""

from __future__ import annotations

from typing import List, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt

_MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red"), "skip": ("–", "dim")}
_AREAS = {"network": "Network path to the gateway", "key": "Key and account", "tools": "Tools"}


def _title(area: str) -> str:
    if area in _AREAS:
        return _AREAS[area]
    from bytespike_cli import integrations

    try:
        return integrations.get(area).title
    except Exception:
        return area


def doctor(
    ctx: typer.Context,
    tools: Optional[List[str]] = typer.Argument(
        None, metavar="[TOOL]...", help="Only these tools (default: every installed one), e.g. claude-code codex.",
        show_default=False),
    chat: bool = typer.Option(False, "--chat", help="Also send one tiny billed request per tool (max 1–16 tokens)."),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Find what is wrong: network path, key and balance, and what each installed tool really uses.

    Every finding is ✓ (fine), ! (worth fixing) or ✗ (broken), with the exact fix. Exit status 0 when
    nothing is broken, 1 otherwise; --json for scripts and CI.
    """
    from bytespike_cli.doctor import run_doctor
    from bytespike_cli.settings import resolve

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    if chat and not json_out:
        _ui.info("--chat sends one billed request per tool (a fraction of a cent each)")
    last_area: list[str] = []

    def show(finding) -> None:
        if json_out:
            return
        if not last_area or last_area[-1] != finding.area:
            if last_area:
                _ui.stdout().print()
            _ui.stdout().print(_title(finding.area), style="bold", markup=False, highlight=False)
            last_area.append(finding.area)
        mark, style = _MARKS[finding.status]
        _ui.stdout().print(f"  {mark} ", style=style, end="")
        _ui.result(finding.detail)
        if finding.fix and finding.status != "ok":
            _ui.stdout().print("    fix: ", style="cyan", end="")
            _ui.result(finding.fix)

    report = run_doctor(r, tools, chat=chat, on_finding=show)
    if json_out:
        _ui.print_json({**report.to_json(), "profile": r.profile, "base_url": r.base_url, "offline": r.offline})
    else:
        _ui.stdout().print()
        failed, warned = len(report.failed), len(report.warnings)
        if failed:
            _ui.stdout().print(f"✗ {failed} problem{'s' * (failed != 1)}"
                               + (f", {warned} warning{'s' * (warned != 1)}" if warned else ""),
                               style="bold red", markup=False)
        elif warned:
            _ui.stdout().print(f"! no problems, {warned} warning{'s' * (warned != 1)}", style="bold yellow",
                               markup=False)
        else:
            _ui.stdout().print("✓ all checks passed", style="bold green", markup=False)
    if report.exit_code:
        raise typer.Exit(report.exit_code)
