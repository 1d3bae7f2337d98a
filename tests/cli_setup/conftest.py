"""The setup commands as a user runs them: bytespike's real root app (a command that is not mounted fails)."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner


def _build_app() -> typer.Typer:
    from bytespike_cli.cli import app as root_module

    mounted = {c.name for c in root_module.app.registered_commands}
    missing = {"setup", "undo", "tools"} - mounted
    assert not missing, f"not mounted in the root CLI: {sorted(missing)}"
    return root_module.app


@pytest.fixture
def cli(isolated_home):
    app = _build_app()
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return run
