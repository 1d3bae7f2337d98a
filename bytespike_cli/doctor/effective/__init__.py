"""Per-tool resolvers: ``RESOLVERS[tool](context) -> list[Effective]``."""

from __future__ import annotations

from typing import Callable

from bytespike_cli.doctor.effective import aider, claude_code, codex, editors
from bytespike_cli.doctor.effective.common import Context, Effective

RESOLVERS: dict[str, Callable[[Context], list[Effective]]] = {
    "claude-code": claude_code.resolve,
    "codex": codex.resolve,
    "aider": aider.resolve,
    "cursor": editors.cursor,
    "cline": editors.cline,
    "continue": editors.continue_,
    "zed": editors.zed,
    "jetbrains": editors.jetbrains,
}

__all__ = ["RESOLVERS", "Context", "Effective"]
