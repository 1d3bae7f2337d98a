"""bytespike warm: warm cold routes and show time to first byte and first token."""

from __future__ import annotations

from typing import List, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt


def _ms(value: Optional[float]) -> str:
    return f"{value:.0f} ms" if value is not None else "–"


_COLUMNS = [("MODEL", "left", 0), ("PROTOCOL", "left", 4), ("DONE", "right", 3), ("COLD TTFB", "right", 2),
            ("COLD TTFT", "right", 1), ("WARM TTFT (p50)", "right", 1), ("STATUS", "left", 0)]


def _rows(models, samples, count) -> list[list[str]]:
    from bytespike_cli.warm import summarize

    rows = []
    for summary in summarize(models, samples):
        done = len(samples.get(summary.model, []))
        state = summary.errors[-1] if summary.errors else ("ok" if done >= count else "…")
        cold = summary.cold
        rows.append([summary.model, summary.protocol, f"{done}/{count}", _ms(cold.ttfb_ms if cold else None),
                     _ms(cold.ttft_ms if cold else None), _ms(summary.warm_ttft_ms), state])
    return rows


def _table(models, samples, count):
    """The live display (stderr, a terminal only)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column, justify, _priority in _COLUMNS:
        table.add_column(column, justify=justify, no_wrap=column == "MODEL")
    for row in _rows(models, samples, count):
        table.add_row(*[Text(cell) for cell in row])
    return table


def _warm_live(r, chosen: list, samples: dict[str, list], *, count: int, concurrency: int,
               keep_warm: float | None, show: bool) -> bool:
    """Run the warm-up, the table updating live on a terminal (``show``); True when interrupted."""
    import asyncio

    from bytespike_cli import warm as core

    live = None
    if show:
        from rich.live import Live

        live = Live(_table(chosen, samples, count), console=_ui.stderr(), refresh_per_second=8, transient=True)

    def on_sample(sample) -> None:
        samples[sample.model].append(sample)
        if live is not None:
            live.update(_table(chosen, samples, count))

    try:
        if live is not None:
            live.start()
        asyncio.run(core.warm(r, chosen, count=count, concurrency=concurrency, keep_warm_s=keep_warm, on_sample=on_sample))
    except KeyboardInterrupt:
        return True
    finally:
        if live is not None:
            live.stop()
    return False


def warm(
    ctx: typer.Context,
    model_ids: List[str] = typer.Argument(..., metavar="MODEL", help="Model ids to warm (see `bytespike models`)."),
    count: int = typer.Option(3, "--count", "-n", metavar="N", min=1, max=100, help="Requests per model; the first is the cold one."),
    concurrency: int = typer.Option(4, "--concurrency", "-j", metavar="N", min=1, max=64, help="Models warmed at the same time."),
    keep_warm: Optional[float] = typer.Option(None, "--keep-warm", min=10, help="Then send one request per model every SECONDS until Ctrl-C.", metavar="SECONDS"),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Send the smallest billed request (streamed, max_tokens 1) per model and time the first token."""
    from bytespike_cli.settings import resolve
    from bytespike_cli import warm as core

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    r.require_key()
    with _ui.spinner(f"reading the model list from {r.base_url} …"):
        chosen = core.models_to_warm(r, model_ids)
    total = len(chosen) * count
    more = f", then {len(chosen)} every {keep_warm:.0f} s until Ctrl-C" if keep_warm else ""
    _ui.info(f"each request is billed (tiny: max_tokens 1): {total} requests{more}")
    samples: dict[str, list] = {m.id: [] for m in chosen}
    interrupted = _warm_live(r, chosen, samples, count=count, concurrency=concurrency, keep_warm=keep_warm,
                             show=not json_out and _ui.is_tty(_ui.stderr().file))
    summaries = core.summarize(chosen, samples)
    failures = [s for s in summaries if s.errors]
    problem = None
    if interrupted:
        from bytespike_cli.errors import BytespikeError, ExitCode

        problem = BytespikeError("interrupted", None, exit_code=ExitCode.INTERRUPTED)
    elif failures:
        problem = _first_error(failures)
    if json_out:
        _ui.print_json({"models": [s.to_json() for s in summaries], "interrupted": interrupted}, error=problem)
    else:
        _ui.table(_COLUMNS, _rows(chosen, samples, count))
    if interrupted:
        _ui.stderr().print("interrupted", markup=False)
        raise typer.Exit(130)
    if problem:
        raise problem


def _first_error(failures):
    from bytespike_cli.errors import BytespikeError, ExitCode

    first = failures[0].failed[0]
    return BytespikeError(
        f"{len(failures)} of the models could not be warmed; {first.model}: {first.error}",
        f"run `bytespike verify --model {first.model} --chat` for the cause and its fix",
        exit_code=ExitCode(first.exit_code or ExitCode.GATEWAY),
    )
