"""Editor and AI-tool integrations: one module per tool behind one interface (``base.Integration``).

``REGISTRY`` is the explicit list of tools ``bytespike setup`` knows, in the order they are shown.
Modules are imported on first use so ``bytespike --help`` stays light.
"""

from __future__ import annotations

import importlib

from bytespike_cli.errors import UsageError

# tool name -> "module:Class"
REGISTRY: dict[str, str] = {
    "cursor": "bytespike_cli.tools.cursor:Cursor",
    "continue": "bytespike_cli.tools.continue_:Continue",
    "cline": "bytespike_cli.tools.cline:Cline",
    "aider": "bytespike_cli.tools.aider:Aider",
    "zed": "bytespike_cli.tools.zed:Zed",
    "jetbrains": "bytespike_cli.tools.jetbrains:JetBrains",
    "claude-code": "bytespike_cli.tools.claude_code:ClaudeCode",
    "codex": "bytespike_cli.tools.codex:Codex",
}


def names() -> list[str]:
    return list(REGISTRY)


def get(name: str, **kwargs):
    """An instance of the integration called ``name`` (UsageError for an unknown name)."""
    target = REGISTRY.get(name)
    if target is None:
        import difflib

        close = difflib.get_close_matches(name, REGISTRY, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise UsageError(f"unknown tool {name!r}", f"{hint}tools: {', '.join(REGISTRY)}")
    module_name, class_name = target.split(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**kwargs)
