"""The root Typer app: mounts one module per command and holds the single error boundary.

Keep imports here light: ``bytespike --help`` loads this module and every command module, so
those import httpx, aiohttp, questionary and the proxy stack only inside their command bodies.
"""

from __future__ import annotations

from typing import Optional

import typer

from bytespike_cli import __version__
from bytespike_cli.cli import _ui
from bytespike_cli.cli._framework import RootGroup

ErrorBoundaryGroup = RootGroup  # the name older tests and notes use


app = typer.Typer(
    name="bytespike",
    cls=RootGroup,
    help="Use the ByteSpike LLM gateway from your terminal and your editors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # bytespike draws its own help (cli/_framework.py)
    add_completion=False,  # one mechanism: `bytespike completion bash|zsh|fish`
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bytespike {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    offline: bool = typer.Option(
        False, "--offline", help="Use the built-in offline gateway for this command (no key, no network).",
        envvar="BYTESPIKE_OFFLINE",
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Hide progress and hints; errors still show."),
    profile: Optional[str] = typer.Option(None, "--profile", "-p", metavar="PROFILE", show_default=False,
                                          help="Profile to use (default: $BYTESPIKE_PROFILE or the active one)."),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output, for commands that have it."),
    insecure: bool = typer.Option(
        False, "--insecure", help="Allow plain http:// to a gateway that is not on this computer (the key is sent unencrypted).",
        envvar="BYTESPIKE_INSECURE",
    ),
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    from bytespike_cli.settings import allow_plain_http

    ctx.obj = {"offline": offline, "profile": profile, "json_out": json_out}
    if quiet:
        _ui.set_quiet(True)
    allow_plain_http(insecure)


def _mount() -> None:
    from bytespike_cli.cli import commands  # noqa: F401  (each module registers itself)

    commands.register(app)


_mount()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="bytespike")
