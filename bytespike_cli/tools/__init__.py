"""Everything bytespike knows about each AI tool: one module (or small package) per tool, one registry.

``REGISTRY`` is the explicit list of tools, by canonical name, in the order they are shown. Each entry
is a :class:`bytespike_cli.tools.base.Integration`: detect, files, plan (setup), resolve (doctor) and,
for the tools ``bytespike run`` can start, launch. ``ALIASES`` are other names accepted on the command
line (``claude`` → ``claude-code``). Modules are imported on first use so ``bytespike --help`` stays
light: this file must not import any tool module.
"""

from __future__ import annotations

import importlib

from bytespike_cli.errors import UsageError

# canonical tool name -> "module:Class"
REGISTRY: dict[str, str] = {
    "cursor": "bytespike_cli.tools.cursor:Cursor",
    "continue": "bytespike_cli.tools.continue_:Continue",
    "cline": "bytespike_cli.tools.cline:Cline",
    "aider": "bytespike_cli.tools.aider:Aider",
    "zed": "bytespike_cli.tools.zed:Zed",
    "jetbrains": "bytespike_cli.tools.jetbrains:JetBrains",
    "claude-code": "bytespike_cli.tools.claude_code:ClaudeCode",
    "codex": "bytespike_cli.tools.codex:Codex",
    "crush": "bytespike_cli.tools.crush:Crush",
    "vscode-copilot": "bytespike_cli.tools.vscode_copilot:VSCodeCopilot",
    "opencode": "bytespike_cli.tools.opencode:Opencode",
    "kilo": "bytespike_cli.tools.kilo:Kilo",
    "gemini-cli": "bytespike_cli.tools.gemini_cli:GeminiCli",
    "qwen-code": "bytespike_cli.tools.qwen_code:QwenCode",
}

# other names accepted on the command line -> canonical name
ALIASES: dict[str, str] = {
    "claude": "claude-code",
    "codex-cli": "codex",
    "copilot-vscode": "vscode-copilot",
    "github-copilot": "vscode-copilot",
    "kilocode": "kilo",
    "kilo-code": "kilo",
    "gemini": "gemini-cli",
    "qwen": "qwen-code",
}


def names() -> list[str]:
    return list(REGISTRY)


def canonical(name: str) -> str | None:
    """The canonical name for ``name`` or one of its aliases (any case), or None."""
    lowered = name.lower()
    lowered = ALIASES.get(lowered, lowered)
    return lowered if lowered in REGISTRY else None


def suggestion(name: str, among: list[str] | None = None) -> str:
    """``did you mean `x`? `` for a near miss among canonical names and aliases, else ""."""
    import difflib

    pool = among if among is not None else [*REGISTRY, *ALIASES]
    lowered = name.lower()
    # a name the user shortened (`vscode`, `gemini`) is a prefix or a part of the real one; difflib would
    # rather pick a name of similar length (`codex`)
    partial = [p for p in pool if len(lowered) >= 3 and lowered in p.split("-") + [p[:len(lowered)]]]
    close = sorted(partial, key=len)[:1] or difflib.get_close_matches(lowered, pool, n=1)
    return f"did you mean `{close[0]}`? " if close else ""


def tool_class(name: str) -> type:
    """The class registered as ``name`` (canonical or alias); UsageError for an unknown name."""
    found = canonical(name)
    if found is None:
        raise UsageError(f"unknown tool {name!r}", f"{suggestion(name)}tools: {', '.join(REGISTRY)}")
    module_name, class_name = REGISTRY[found].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def get(name: str, **kwargs):
    """An instance of the tool called ``name`` (canonical or alias; UsageError for an unknown name)."""
    return tool_class(name)(**kwargs)


def runnable() -> list[str]:
    """Canonical names of the tools ``bytespike run`` can start (those that implement ``launch``)."""
    return [name for name in REGISTRY if tool_class(name).supports_run()]
