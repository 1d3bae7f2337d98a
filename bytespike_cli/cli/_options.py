"""Options shared by several commands, defined once."""

from __future__ import annotations

from typing import Optional

import typer
from typing import Annotated

ProfileOpt = Annotated[
    Optional[str],
    typer.Option("--profile", "-p", metavar="PROFILE", help="Profile to use (default: $BYTESPIKE_PROFILE or the active one).", show_default=False),
]
OfflineOpt = Annotated[
    bool,
    typer.Option("--offline", help="Use the built-in offline gateway: no key, no network.", show_default=False),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
BaseUrlOpt = Annotated[
    Optional[str],
    typer.Option("--base-url", metavar="URL", help="Gateway root URL, e.g. https://llm.bytespike.ai", show_default=False),
]
