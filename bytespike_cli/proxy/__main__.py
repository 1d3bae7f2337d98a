"""``python -m bytespike_cli.proxy [options]``: the same command as ``bytespike proxy``."""

from __future__ import annotations

import sys

import typer

from bytespike_cli.cli.proxy import proxy
from bytespike_cli.errors import BytespikeError


def main() -> None:
    app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
    app.command()(proxy)
    try:
        app(prog_name="bytespike proxy")
    except BytespikeError as exc:
        from bytespike_cli.cli import _ui

        _ui.error(exc.message, exc.hint)
        sys.exit(int(exc.exit_code))


if __name__ == "__main__":
    main()
