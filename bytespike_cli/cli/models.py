"""bytespike models: the live catalogue as a table."""

from __future__ import annotations

from typing import List, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt


def _tokens(value: Optional[int]) -> str:
    if not value:
        return "–"
    if value >= 1_000_000 and value % 1_000_000 == 0:
        return f"{value // 1_000_000}M"
    return f"{value // 1000}K" if value >= 1000 else str(value)


def models(
    ctx: typer.Context,
    family: Optional[str] = typer.Option(None, "--family", "-f", help="Only this family (claude, gpt, gemini, deepseek, …)."),
    capability: Optional[List[str]] = typer.Option(None, "--capability", "-c", help="Only models with this capability (repeatable)."),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """List the models your key can use, with context windows, capabilities and native protocol."""
    from rich.table import Table
    from rich.text import Text

    from bytespike_cli.gateway import GatewayClient
    from bytespike_cli.settings import resolve

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    with _ui.spinner(f"reading the model list from {r.base_url} …"), GatewayClient(r) as client:
        found, reply = client.list_models(family=family, capability=capability)
    if reply.elapsed_ms > 2000 and not json_out:
        from bytespike_cli.verify import slow_cause

        _ui.warn(f"the gateway took {reply.elapsed_ms / 1000:.1f} s to list the models: {slow_cause(r)}")
    if json_out:
        _ui.print_json([m.to_json() for m in found])
        return
    if not found:
        _ui.result("No models match.")
        _ui.info("drop --family/--capability, or check the key's group with `bytespike verify`")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    # Ids are what people copy: never cut or wrap them; capabilities wrap instead.
    table.add_column("ID", no_wrap=True, min_width=max(len(m.id) for m in found))
    for column, justify in (("FAMILY", "left"), ("CONTEXT", "right"), ("MAX OUT", "right"), ("NATIVE", "left")):
        table.add_column(column, justify=justify, no_wrap=True)
    table.add_column("CAPABILITIES", min_width=18, overflow="fold")
    table.add_column("FAST", justify="center", no_wrap=True)
    for m in found:
        table.add_row(Text(m.id), Text(m.family), _tokens(m.context_window), _tokens(m.max_output_tokens),
                      Text(" ".join(m.native_protocols)), Text(" ".join(c for c in m.capabilities if c != "text")),
                      "⚡" if m.low_latency else "")
    _ui.rich_result(table)
    _ui.info("NATIVE: the protocol served without translation (others are translated routes). "
             "⚡ low latency: good for tab-complete and background calls.")
