"""The root Typer app: mounts one module per command and holds the single error boundary.

Keep imports here light: ``bytespike --help`` loads this module and every command module, so
those import httpx, aiohttp, questionary and the proxy stack only inside their command bodies.
"""

from __future__ import annotations

from typing import Optional

import typer
from typer.core import TyperGroup

from bytespike_cli import __version__
from bytespike_cli.cli import _ui
from bytespike_cli.errors import BytespikeError, ExitCode


class ErrorBoundaryGroup(TyperGroup):
    """Turns every error raised below into ``error:``/``hint:`` lines and an exit code.

    It lives on the group (not in ``main``) so that CliRunner tests see exactly what a user sees.
    """

    def parse_args(self, ctx, args):
        # Before Click can echo it back in "Got unexpected extra argument(s) (…)": a key typed as an
        # argument is already in the shell history, so say that, masked, and how to recover.
        from bytespike_cli.redact import _KEY_RE, mask_key

        pasted = next((m.group(0) for arg in args for m in [_KEY_RE.search(arg)] if m), None)
        if pasted:
            _ui.error(
                f"a key was typed as a command-line argument ({mask_key(pasted)}): it is now in your shell "
                "history and visible to other programs on this computer",
                "rotate that key at https://console.bytespike.ai/keys, then run `bytespike login` and paste the "
                "new one at the prompt (or pipe it: `bytespike login --key-stdin`); clear it from your history "
                "(e.g. `history -d` in bash)",
            )
            raise typer.Exit(int(ExitCode.USAGE))
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except BytespikeError as exc:
            _ui.error(exc.message, exc.hint)
            raise typer.Exit(int(exc.exit_code)) from None
        except (KeyboardInterrupt, typer.Abort):
            _ui.stderr().print("interrupted", markup=False)
            raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
        except BrokenPipeError:
            # The reader went away (`bytespike models | head`): stop quietly, like other Unix tools.
            _silence_stdout()
            raise typer.Exit(int(ExitCode.PIPE_CLOSED)) from None
        except Exception as exc:
            if _is_framework_signal(exc) or _ui.debug_enabled():
                raise
            # A bug: one line, no traceback (a traceback's locals could hold a key).
            _ui.error(
                f"unexpected internal error: {type(exc).__name__}: {exc}",
                "run again with BYTESPIKE_DEBUG=1 for a traceback, and report it",
            )
            raise typer.Exit(int(ExitCode.FAILURE)) from None


def _silence_stdout() -> None:
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file descriptor (CliRunner)
        pass


def _is_framework_signal(exc: BaseException) -> bool:
    """Typer's own exits and usage errors (its vendored Click's classes) pass through untouched."""
    module = type(exc).__module__
    return module.startswith(("typer", "click"))


app = typer.Typer(
    name="bytespike",
    cls=ErrorBoundaryGroup,
    help="Use the ByteSpike LLM gateway from your terminal and your editors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
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
    insecure: bool = typer.Option(
        False, "--insecure", help="Allow plain http:// to a gateway that is not on this computer (the key is sent unencrypted).",
        envvar="BYTESPIKE_INSECURE",
    ),
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    from bytespike_cli.settings import allow_plain_http

    ctx.obj = {"offline": offline}
    _ui.set_quiet(quiet)
    allow_plain_http(insecure)


def _mount() -> None:
    from bytespike_cli.cli import commands  # noqa: F401  (each module registers itself)

    commands.register(app)


_mount()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="bytespike")
