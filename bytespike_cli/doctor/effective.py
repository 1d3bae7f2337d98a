"""What a tool will effectively use, resolved the way the tool itself resolves it.

Each resolver lists, for every setting, the places the tool reads it from in the tool's own order of
precedence (winner first), so a finding can name both the value that wins and the one it shadows,
and give the exact step that removes the winner.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from bytespike_cli.doctor.findings import Finding, warn
from bytespike_cli.errors import BytespikeError
from bytespike_cli.settings import Resolved

ANTHROPIC, OPENAI, RESPONSES = "anthropic", "openai", "responses"
GEMINI = "gemini"  # the gateway root; the tool adds /v1beta itself


@dataclass(frozen=True)
class Candidate:
    source: str  # "env ANTHROPIC_API_KEY", "~/.claude/settings.json env.ANTHROPIC_BASE_URL"
    value: Any
    remove: str = ""  # the step that takes this value away, e.g. "unset ANTHROPIC_API_KEY"


def winner(candidates: list[Candidate]) -> Candidate | None:
    """The first candidate with a non-empty value (candidates are in the tool's precedence order)."""
    return next((c for c in candidates if c.value not in (None, "")), None)


def env_candidate(env: Mapping[str, str], name: str) -> Candidate:
    return Candidate(f"env {name}", env.get(name) or None,
                     f"unset {name} (and remove it from your shell profile or .envrc)")


def file_candidate(path: Path, dotted: str, value: Any, home: Path) -> Candidate:
    shown = shown_path(path, home)
    return Candidate(f"{shown} {dotted}", value, f"remove {dotted} from {shown}")


def shown_path(path: Path, home: Path) -> str:
    try:
        return "~/" + str(Path(path).relative_to(home))
    except ValueError:
        return str(path)


@dataclass
class Effective:
    """The settings one tool (or one client of a tool) will use."""

    tool: str  # registry name, e.g. "claude-code"
    label: str  # what to call it in messages, e.g. "Claude Code", "the Cline CLI"
    protocol: str  # anthropic | openai | responses | gemini: the wire the tool speaks
    base: list[Candidate] = field(default_factory=list)  # winner first
    base_default: str | None = None  # what the tool calls when nothing is set
    key: str | None = None
    key_source: str = ""
    key_remove: str = ""
    key_unknown: str = ""  # why the key cannot be known from outside (then no probe)
    models: list[tuple[str, str]] = field(default_factory=list)  # (model id as the tool sends it, where it is set)
    model_protocols: dict[str, str] = field(default_factory=dict)  # a model sent on another wire than ``protocol``
    findings: list[Finding] = field(default_factory=list)
    setup: str = ""  # the command that sets the tool up, for "not set up" findings
    strip_model_prefix: str = ""  # "openai/" for Aider

    @property
    def base_url(self) -> str | None:
        chosen = winner(self.base)
        return str(chosen.value).rstrip("/") if chosen else self.base_default

    @property
    def base_source(self) -> str:
        chosen = winner(self.base)
        return chosen.source if chosen else "built-in default"


@dataclass
class Context:
    """Where the tools look: the environment, the home and project directories, running processes."""

    resolved: Resolved
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    home: Path = field(default_factory=lambda: Path(os.path.expanduser("~")))
    cwd: Path = field(default_factory=Path.cwd)
    processes: Callable[[], Any] | None = None  # injectable process lister, for tools that take one
    _keys: dict = field(default_factory=dict)

    def integration(self, name: str):
        import inspect

        from bytespike_cli import tools as registry

        cls = registry.tool_class(name)
        kwargs: dict[str, Any] = {"home": self.home, "env": dict(self.env)}
        if self.processes is not None and "processes" in inspect.signature(cls).parameters:
            kwargs["processes"] = self.processes
        return cls(**kwargs)

    def profile_key(self, profile: str | None) -> tuple[str | None, str]:
        """The key ``bytespike print-key --profile P`` prints in this environment, and its source."""
        if profile in self._keys:
            return self._keys[profile]
        from bytespike_cli.settings import resolve

        try:
            r = resolve(profile, offline=self.resolved.offline)
            found = (r.key, f"profile '{r.profile}' ({r.key_source})")
        except BytespikeError as exc:
            found = (None, f"profile '{profile}': {exc.message}")
        self._keys[profile] = found
        return found

    def gateway_roots(self) -> tuple[str, ...]:
        from bytespike_cli.tools.base import known_roots

        return tuple(sorted(set(known_roots()) | {self.resolved.base_url.rstrip("/")}))

    def is_gateway(self, url: str | None) -> bool:
        from bytespike_cli.tools.base import looks_like_bytespike_url

        return looks_like_bytespike_url(url, self.gateway_roots())

    def git_root(self) -> Path | None:
        for directory in (self.cwd, *self.cwd.parents):
            if (directory / ".git").exists():
                return directory
        return None


def read_data(fmt: str, path: Path) -> dict | None:
    """A settings file's data (None when it does not exist); ConfigFileError when it cannot be parsed."""
    from bytespike_cli.formats import open_document
    from bytespike_cli.formats.common import decode_text
    from bytespike_cli.formats.safe_write import read_bytes

    raw = read_bytes(path)
    if raw is None:
        return None
    data = open_document(fmt, decode_text(raw, path), path).data
    return data if isinstance(data, dict) else {}


def dig(data: Any, *path: str) -> Any:
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def running_findings(tool, label: str, code_tool: str, restart: str) -> list:
    try:
        busy = tool.running()
    except Exception:  # process tables can refuse us (containers, permissions): not a finding
        return []
    if not busy:
        return []
    return [warn(code_tool, "running",
                 f"{'; '.join(busy)} is running: {label} keeps its settings in memory, so it does not see changes "
                 f"made since it started, and may write its old settings back",
                 restart)]
