"""The explicit list of commands. Each module keeps its heavy imports inside its command bodies."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
