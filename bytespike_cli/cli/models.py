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


def model_json(m) -> dict:
    """A catalogue entry in JSON: the id under "model", like every other command."""
    data = m.to_json()
    return {"model": data.pop("id"), **data}


def model_cache_file():
    from bytespike_cli import paths

    return paths.cache_dir() / "model-ids.txt"


def remember_model_ids(ids: list[str]) -> None:
    """The ids shell completion offers (completion itself never calls the network)."""
    import os

    path = model_cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + f".{os.getpid()}.tmp")
        temp.write_text("".join(f"{i}\n" for i in ids), encoding="utf-8")
        os.replace(temp, path)
    except OSError:
        pass  # a read-only cache only costs completion its model ids


def models(
    ctx: typer.Context,
    family: Optional[str] = typer.Option(None, "--family", "-f", metavar="FAMILY", help="Only this family (claude, gpt, gemini, deepseek, …)."),
    capability: Optional[List[str]] = typer.Option(None, "--capability", "-C", metavar="CAPABILITY",
                                                   help="Only models with this capability (repeatable), e.g. thinking, vision."),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """List the models your key can use, with context windows, capabilities and native protocol."""
    from bytespike_cli.gateway import GatewayClient
    from bytespike_cli.settings import resolve

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    with _ui.spinner(f"reading the model list from {r.base_url} …"), GatewayClient(r) as client:
        found, reply = client.list_models(family=family, capability=capability)
    if reply.elapsed_ms > 2000 and not json_out:
        from bytespike_cli.verify import slow_cause

        _ui.warn(f"the gateway took {reply.elapsed_ms / 1000:.1f} s to list the models: {slow_cause(r)}")
    if not family and not capability:
        remember_model_ids([m.id for m in found])
    if json_out:
        _ui.print_json({"models": [model_json(m) for m in found]})
        return
    if not found and (family or capability):
        _no_such_filter(r, family, capability)
    if not found:
        _ui.result("No models match.")
        _ui.info("drop --family/--capability, or check the key's group with `bytespike verify`")
        return
    # priority 0 is never dropped on a narrow terminal; ids and numbers are never cut
    columns = [("ID", "left", 0), ("FAMILY", "left", 4), ("CONTEXT", "right", 1), ("MAX OUT", "right", 3),
               ("NATIVE", "left", 2), ("CAPABILITIES", "left", 5), ("FAST", "center", 1)]
    rows = [[m.id, m.family, _tokens(m.context_window), _tokens(m.max_output_tokens), " ".join(m.native_protocols),
             " ".join(c for c in m.capabilities if c != "text"), ("⚡" if _ui.is_tty() else "fast") if m.low_latency else ""]
            for m in found]
    _ui.table(columns, rows, fold="CAPABILITIES")
    _ui.info("NATIVE: the protocol served without translation (others are translated routes). "
             "⚡ low latency: good for tab-complete and background calls.")


def _no_such_filter(r, family, capability) -> None:
    """A --family or --capability no model has is a typo more often than not: say the close one."""
    import difflib

    from bytespike_cli.errors import UsageError
    from bytespike_cli.gateway import GatewayClient

    with GatewayClient(r) as client:
        everything, _ = client.list_models()
    families = sorted({m.family for m in everything if m.family})
    capabilities = sorted({c for m in everything for c in m.capabilities})
    wanted = [("--family", family, families)] if family else []
    wanted += [("--capability", cap, capabilities) for cap in capability or ()]
    for flag, value, known in wanted:
        if value.lower() not in known:
            near = difflib.get_close_matches(value.lower(), known, n=1)
            raise UsageError(f"no model has {flag} {value} (known: {', '.join(known)})",
                             f"did you mean {flag} {near[0]}?" if near else f"pick one of: {', '.join(known)}")
