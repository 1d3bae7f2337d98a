"""`bytespike gateway`: run the built-in offline gateway in the foreground."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from bytespike_cli.errors import UsageError

from bytespike_cli.cli._framework import BytespikeGroup

app = typer.Typer(
    cls=BytespikeGroup,
    help="The built-in offline gateway: a local stand-in for ByteSpike that SDKs and editors can use without a key.",
    no_args_is_help=True,
)

_LOOPBACK = ("127.0.0.1", "::1", "localhost")


@app.callback()
def gateway() -> None:
    """The built-in offline gateway (a group even with one command, so `gateway serve` stays stable)."""


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (keep it on loopback)."),
    port: int = typer.Option(8790, "--port", help="Port to listen on; 0 picks a free port.", min=0, max=65535),
    cold_start_ms: int = typer.Option(0, "--cold-start-ms", metavar="MS", min=0,
                                      help="Delay the first request to each model by this many milliseconds."),
    fault: Optional[str] = typer.Option(None, "--fault", metavar="SPEC", show_default=False,
                              help="Apply a fault to every request, e.g. 'status=503' or 'slow-stream=200'."),
) -> None:
    """Serve the offline gateway until Ctrl-C. Prints one line with the base URLs and the demo key."""
    from bytespike_cli.fakegateway import DEMO_KEY, FaultSpecError
    from bytespike_cli.fakegateway.faults import parse_fault
    from bytespike_cli.fakegateway.server import run_foreground

    try:
        parse_fault(fault)
    except FaultSpecError as exc:
        raise UsageError(f"--fault: {exc}", "example: --fault status=503,times=2") from None
    if host not in _LOOPBACK:
        typer.echo(f"warning: listening on {host}: other machines can reach this gateway", err=True)

    def ready(base_url: str) -> None:
        # The demo key is public (it only opens this offline gateway), so it is printed whole on purpose.
        typer.echo(
            f"offline gateway ready: {base_url}  (OpenAI {base_url}/v1 · Anthropic {base_url} · "
            f"Gemini {base_url}/v1beta)  key {DEMO_KEY}  — Ctrl-C to stop"
        )
        sys.stdout.flush()

    import signal

    try:
        stopped_by = run_foreground(host, port, ready=ready, cold_start_ms=cold_start_ms, fault=fault)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                         "pick another port with --port, or --port 0 for a free one") from None
    except KeyboardInterrupt:  # where the loop cannot take signals (Windows), Ctrl-C arrives as this
        stopped_by = signal.SIGINT
    typer.echo("offline gateway stopped", err=True)
    if stopped_by == signal.SIGINT:  # Ctrl-C exits 130 like every interrupted command; SIGTERM is a normal stop
        raise typer.Exit(130)
