"""bytespike verify: check key, reachability, catalogue, balance (and a tiny chat) the way editors do."""

from __future__ import annotations

from typing import Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt

_MARKS = {"ok": ("✓", "green"), "warn": ("!", "yellow"), "fail": ("✗", "red")}


def verify(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Also check this model id (and use it for --chat)."),
    chat: bool = typer.Option(False, "--chat", help="Send one tiny billed chat completion (max_tokens 1), like editors' Verify buttons."),
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Check the key, the network path, the model list, the balance and (with --chat) one tiny request."""
    from bytespike_cli.settings import resolve
    from bytespike_cli.verify import run_checks

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    if chat and not json_out:
        _ui.info("--chat sends one billed request (max_tokens 1, a fraction of a cent)")

    def show(check) -> None:
        if json_out:
            return
        mark, style = _MARKS[check.status]
        _ui.stdout().print(f"{mark} ", style=style, end="")
        _ui.result(f"{check.name}: {check.detail}")
        if check.hint and check.status != "ok":
            _ui.stdout().print("  fix: ", style="cyan", end="")
            _ui.result(check.hint)

    outcome = run_checks(r, model=model, chat=chat, on_check=show)
    quota = outcome.quota.to_json() if outcome.quota and outcome.quota.present else None
    if json_out:
        _ui.print_json({"ok": outcome.exit_code == 0, "profile": r.profile, "base_url": r.base_url,
                        "checks": [c.to_json() for c in outcome.checks], "quota": quota})
    elif quota:
        shown = ", ".join(f"{k}={v}" for k, v in quota.items() if v is not None)
        _ui.result(f"quota headers: {shown}")
    if outcome.exit_code:
        failed = next(c for c in outcome.checks if c.status == "fail")
        if not json_out:
            _ui.error(failed.detail, failed.hint)
        raise typer.Exit(outcome.exit_code)
