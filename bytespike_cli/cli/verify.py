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
    model: Optional[str] = typer.Option(None, "--model", "-m", metavar="MODEL", help="Also check this model id (and use it for --chat)."),
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

    with _ui.spinner("checking …") as spin:
        outcome = run_checks(r, model=model, chat=chat, on_check=show, on_step=spin.update)
    from bytespike_cli.cli.auth import quota_json

    quota = quota_json(outcome.quota) if outcome.quota else None
    if json_out:
        failed = next((c for c in outcome.checks if c.status == "fail"), None)
        problem = None
        if outcome.exit_code:
            from bytespike_cli.errors import BytespikeError, ExitCode

            problem = BytespikeError(f"{failed.name}: {failed.detail}" if failed else "a check failed",
                                     failed.hint if failed else None, exit_code=ExitCode(outcome.exit_code))
        _ui.print_json({"ok": outcome.exit_code == 0, "profile": r.profile, "base_url": r.base_url,
                        "checks": [c.to_json() for c in outcome.checks], "quota": quota,
                        "verdict": _verdict(outcome, r, chat)[0]}, error=problem)
    else:
        # The failure was printed once, with its fix, as the ✗ line above: end with the verdict only.
        verdict, next_step = _verdict(outcome, r, chat)
        _ui.stdout().print()
        _ui.stdout().print(verdict, style="bold red" if outcome.exit_code else "bold green", markup=False)
        if next_step:
            _ui.result(f"next: {next_step}")
    if outcome.exit_code:
        raise typer.Exit(outcome.exit_code)


def _verdict(outcome, r, chat: bool) -> tuple[str, str | None]:
    """One line that says whether the key is ready, and the one thing to do next."""
    failed = next((c for c in outcome.checks if c.status == "fail"), None)
    if failed:
        return (f"✗ not ready: {failed.name} failed (exit {failed.exit_code})",
                "do what the fix above says, then run `bytespike verify` again" if failed.hint else
                "run `bytespike doctor` for a closer look")
    warned = [c for c in outcome.checks if c.status == "warn"]
    what = f"the key works: {len(outcome.models)} models" + (", a streamed answer" if chat else "")
    if warned:
        verdict = f"! ready, with {len(warned)} warning{'s' * (len(warned) != 1)}: {what}"
    else:
        verdict = f"✓ ready: {what}"
    profile = f" --profile {r.profile}" if r.profile_source == "--profile" else ""
    if chat:
        return verdict, f"`bytespike setup{profile}` to wire your editors"
    return verdict, f"`bytespike chat{profile} \"hello\"` for a first real answer, or `bytespike setup{profile}` for your editors"
