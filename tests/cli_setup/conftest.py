"""A root app with bytespike's real error boundary and the setup commands mounted on it.

Uses the real root app when the lead has mounted the commands there; until then, an app built the
same way (same group class, same root callback) so tests see what a user sees.
"""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner


def _build_app() -> typer.Typer:
    from bytespike_cli.cli import app as root_module
    from bytespike_cli.cli import setup as setup_cli

    mounted = {c.name for c in root_module.app.registered_commands}
    if {"setup", "undo", "tools"} <= mounted:
        return root_module.app
    app = typer.Typer(cls=root_module.ErrorBoundaryGroup, pretty_exceptions_enable=False, no_args_is_help=True)
    app.callback()(root_module.root)
    app.command("setup")(setup_cli.setup)
    app.command("undo")(setup_cli.undo)
    app.command("tools")(setup_cli.tools)
    return app


@pytest.fixture
def cli(isolated_home):
    app = _build_app()
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run
