"""bytespike run: start Claude Code, Codex, Aider (or any command) with ByteSpike set for that process only."""

from __future__ import annotations

from typing import Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import OfflineOpt, ProfileOpt

DEFAULT_PROXY = "http://127.0.0.1:8787"  # same as runner.DEFAULT_PROXY (kept here so --help stays light)


def run(
    ctx: typer.Context,
    tool: Optional[str] = typer.Argument(
        None, metavar="TOOL",
        help="claude, codex, aider, opencode, kilo, gemini, qwen (with --env-only, any command); everything after it goes "
             "to the tool.",
        show_default=False),
    env_only: bool = typer.Option(
        False, "--env-only", help="Run any command with OPENAI_BASE_URL/OPENAI_API_KEY/ANTHROPIC_BASE_URL/"
                                  "ANTHROPIC_API_KEY set."),
    via_proxy: bool = typer.Option(
        False, "--via-proxy",
        help=f"Go through a running `bytespike proxy` (at {DEFAULT_PROXY} unless --proxy-url says otherwise); "
             "the tool gets a placeholder key."),
    proxy_url: Optional[str] = typer.Option(
        None, "--proxy-url", metavar="URL", show_default=False,
        help="Where that proxy listens: a URL, host:port or a port (implies --via-proxy)."),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
) -> None:
    """Start a tool with the gateway configured for this one process: no file is written.

    bytespike's own options go before the tool; everything after the tool goes to it unchanged, e.g.
    `bytespike run claude -p "explain this"` or `bytespike run codex --profile fast`. The tool's exit
    status is passed through.
    """
    import os

    from bytespike_cli import runner
    from bytespike_cli.errors import UsageError

    args = list(ctx.args)
    proxy = proxy_url or (DEFAULT_PROXY if via_proxy else None)
    if args[:1] == ["--"]:  # `run TOOL -- ARGS` (the separator is optional)
        args.pop(0)
    if tool is None:
        raise UsageError("name the tool to run", "e.g. `bytespike run claude`, `bytespike run codex`, "
                                                 "`bytespike run aider`, or `bytespike run --env-only CMD ARGS`")
    if tool.startswith("-"):
        raise UsageError(f"{tool} is not a tool", "bytespike's own options go before the tool name; everything "
                                                  "after the tool name goes to the tool")
    launch = runner.prepare(tool, args, env_only=env_only, proxy=proxy, profile=profile,
                            offline=offline or bool((ctx.obj or {}).get("offline")), env=dict(os.environ))
    for warning in launch.warnings:
        _ui.warn(warning)
    _ui.info("running: " + launch.describe())
    code = runner.execute(launch)
    if code:
        raise typer.Exit(code)
