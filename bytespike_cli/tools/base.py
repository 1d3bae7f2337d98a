"""The one small interface every tool implements, and the types it shares with the engine, doctor and run.

A tool module is everything bytespike knows about one tool. It opens with the facts it relies on (the
tool's source or docs, at the version read) and implements:

- ``files()``: the settings files the tool reads on this OS, honouring the tool's own overrides
  (``CLAUDE_CONFIG_DIR``, ``CODEX_HOME``, …);
- ``detect()``: installed? configured for ByteSpike, and with which profile? (reads, never writes);
- ``plan(request)``: the keys to set or delete for a setup, per key mode and tool version. It only
  *chooses settings*: the engine (``setup/engine.py``) turns a :class:`Plan` into diffs, backups, atomic
  writes, an ownership journal and undo, the same way for every tool;
- ``resolve(ctx)``: what the tool will effectively use (base URL, key and its source, models), in the
  tool's own order of precedence, for ``bytespike doctor``;
- ``launch(request)``: what ``bytespike run`` sets for one process (only tools ``run`` supports).

Adding a tool: one module (see README "Adding a tool"), one line in ``tools/__init__.py``'s REGISTRY;
``tests/tools/test_contract.py`` then fails until every part is there and consistent.

``plan_remove`` is only a fallback for when bytespike's journal of what it wrote is gone; ``running``
lists processes that would overwrite our edits (the engine refuses to write while any runs).
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Mapping, Sequence, Union

from bytespike_cli.errors import UsageError
from bytespike_cli.formats.common import KeyPath

if TYPE_CHECKING:  # gateway imports httpx; tools only need the Model's fields
    from bytespike_cli.doctor.effective import Context, Effective
    from bytespike_cli.gateway import Model
    from bytespike_cli.runner import Target

KEY_MODES = ("helper", "env", "inline", "file")
ENV_VAR = "BYTESPIKE_API_KEY"


# -- what a setup asks for ---------------------------------------------------------------------------
@dataclass(frozen=True)
class SetupRequest:
    profile: str
    base_url: str  # the gateway root, e.g. https://llm.bytespike.ai (no /v1)
    chat_models: tuple["Model", ...]  # the first is the default chat model
    fast_model: "Model | None" = None
    key_mode: str | None = None  # None: the integration's default
    key: str | None = None  # only needed (and only written) with key_mode "inline"
    key_command: tuple[str, ...] = ()  # argv that prints the key, e.g. (/usr/bin/bytespike, print-key, --profile, p)

    @property
    def openai_base(self) -> str:
        return self.base_url.rstrip("/") + "/v1"

    @property
    def anthropic_base(self) -> str:
        return self.base_url.rstrip("/")

    @property
    def chat(self) -> "Model":
        return self.chat_models[0]

    @property
    def all_models(self) -> tuple["Model", ...]:
        """Chat models then the fast model, without duplicates."""
        seen: dict[str, Model] = {m.id: m for m in self.chat_models}
        if self.fast_model is not None:
            seen.setdefault(self.fast_model.id, self.fast_model)
        return tuple(seen.values())

    @property
    def key_command_line(self) -> str:
        """The key command as one shell command line (Claude Code runs apiKeyHelper through a shell)."""
        if os.name == "nt":
            import subprocess

            return subprocess.list2cmdline(list(self.key_command))
        return shlex.join(self.key_command)


def key_command(profile: str) -> tuple[str, ...]:
    """How another program runs ``bytespike print-key``: an absolute path when one can be found,
    because GUI-launched editors often do not have the user's shell PATH."""
    exe = shutil.which("bytespike")
    if not exe:
        argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
        if argv0 is not None and argv0.name in ("bytespike", "bytespike.exe") and argv0.exists():
            exe = str(argv0.resolve())
    return (exe or "bytespike", "print-key", "--profile", profile)


# -- what a plan contains ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Set:
    path: KeyPath
    value: Any


@dataclass(frozen=True)
class Delete:
    path: KeyPath
    only_if_ours: bool = False  # delete only if bytespike wrote it (else leave it and warn with `reason`)
    reason: str = ""
    # say so when the value is the user's (not one bytespike wrote): the journal keeps it for --remove/undo
    announce: bool = False


Edit = Union[Set, Delete]


@dataclass(frozen=True)
class FilePlan:
    path: Path
    format: str  # json | jsonc | yaml | toml | dotenv
    edits: tuple[Edit, ...]
    secret: bool = False  # the file will hold a key: keep it 0600
    # entries the tool names as bytespike's (a provider table, a "(ByteSpike)" model): one that exists but
    # that bytespike did not write is the user's, and setup stops instead of merging into it
    claims: tuple[KeyPath, ...] = ()


@dataclass(frozen=True)
class Plan:
    tool: str
    files: tuple[FilePlan, ...] = ()
    notes: tuple[str, ...] = ()  # what the user has to do next (export a variable, restart the tool)
    warnings: tuple[str, ...] = ()
    secrets: tuple[str, ...] = ()  # strings to mask wherever the plan is shown
    manual_steps: tuple[str, ...] = ()  # for tools with no writable file (JetBrains): what to click
    key_mode: str | None = None  # the key mode the plan really uses, when it differs from the request's


# -- what detect reports -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Detection:
    tool: str
    title: str
    installed: bool
    evidence: str  # why we think so: "claude on PATH", "~/.config/zed exists", "not found"
    files: tuple[Path, ...]  # the files the tool reads on this OS
    configured: bool  # the files point at ByteSpike now
    profile: str | None = None  # which bytespike profile, when the files say so
    details: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "title": self.title,
            "installed": self.installed,
            "evidence": self.evidence,
            "files": [str(p) for p in self.files],
            "configured": self.configured,
            "profile": self.profile,
            "details": list(self.details),
        }


# -- what `bytespike run` asks a tool for ----------------------------------------------------------------
@dataclass(frozen=True)
class LaunchRequest:
    executable: str  # the tool's program, found on PATH
    args: tuple[str, ...]  # the user's arguments for the tool, unchanged
    target: "Target"  # where requests go (gateway or proxy root) and with which key
    models: tuple["Model", ...]  # the key's catalogue
    chat: "Model"  # the default chat model for this tool
    fast: "Model | None"
    env: Mapping[str, str]  # the environment the child would inherit


@dataclass(frozen=True)
class LaunchSpec:
    """What the tool adds for one process: the runner builds and starts the child from it."""

    argv: tuple[str, ...] = ()  # inserted between the executable and the user's arguments
    set_env: dict[str, str] = field(default_factory=dict)
    removed: tuple[str, ...] = ()  # variables taken out of the child's environment
    warnings: tuple[str, ...] = ()
    temp_files: tuple[tuple[str, str], ...] = ()  # (path, text): written 0600 for the child's lifetime


def has_option(args: Sequence[str], *names: str) -> bool:
    """Whether a tool's arguments already give one of ``names`` (``--name``, ``--name=VALUE``)."""
    return any(a in names or any(a.startswith(n + "=") for n in names if n.startswith("--")) for a in args)


def option_value(args: Sequence[str], *names: str) -> str | None:
    """The value of ``--name VALUE`` / ``--name=VALUE`` / ``-n VALUE`` in a tool's arguments."""
    for index, arg in enumerate(args):
        if arg == "--":
            return None
        if arg in names and index + 1 < len(args):
            return args[index + 1]
        for name in names:
            if name.startswith("--") and arg.startswith(name + "="):
                return arg.split("=", 1)[1]
    return None


class Integration(ABC):
    name: ClassVar[str]
    title: ClassVar[str]
    key_modes: ClassVar[tuple[str, ...]] = KEY_MODES  # supported; the first is the default
    prefer_family: ClassVar[str | None] = None  # model family the tool works best with (default model choice)
    writes_files: ClassVar[bool] = True
    executables: ClassVar[tuple[str, ...]] = ()  # program names on PATH, for tools with a command
    install: ClassVar[str] = ""  # how to install it, for "not installed" errors
    # the command whose `--version` names the installed release (Continue: its CLI, `cn`), and the oldest and
    # newest releases the real-client suite verified (tests/realclients/clients.lock; a test keeps them in step)
    version_program: ClassVar[str | None] = None
    verified_versions: ClassVar[tuple[str, str] | None] = None

    def __init__(self, home: Path | None = None, env: dict[str, str] | None = None):
        self._home = home
        self._env = env

    # -- environment, injectable for tests ------------------------------------------------------
    def home(self) -> Path:
        from bytespike_cli import paths

        return self._home or paths.user_home()

    def env(self, name: str) -> str | None:
        source = self._env if self._env is not None else os.environ
        value = source.get(name)
        return value if value else None

    def which(self, *names: str) -> str | None:
        for name in names:
            found = shutil.which(name)
            if found:
                return found
        return None

    # -- the interface ----------------------------------------------------------------------------
    @abstractmethod
    def files(self) -> tuple[Path, ...]:
        """The settings files this tool reads on this OS (whether they exist or not)."""

    @abstractmethod
    def detect(self) -> Detection:
        """Installed? Configured for ByteSpike (and which profile)? Reads files, never writes."""

    @abstractmethod
    def plan(self, request: SetupRequest) -> Plan:
        """The keys to set/delete for ``request``. Pure: no I/O besides reading the tool's version."""

    def resolve(self, ctx: "Context") -> list["Effective"]:
        """What the tool will effectively use, one entry per client (the Cline extension and CLI are two).

        Every registered tool implements it (the contract test checks); only the engine's test
        stand-ins, which never meet doctor, leave it out.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement resolve")

    def launch(self, request: LaunchRequest) -> LaunchSpec:
        """What ``bytespike run`` sets for one process. Only tools with ``supports_run()`` implement it."""
        raise NotImplementedError(f"bytespike run does not start {self.title}")

    @classmethod
    def supports_run(cls) -> bool:
        return cls.launch is not Integration.launch

    def check_catalogue(self, catalogue: list["Model"]) -> None:
        """Raise a BytespikeError when the key's catalogue cannot serve this tool at all (Gemini CLI without
        a Gemini model), before any model is chosen or file planned."""

    def plan_remove(self) -> Plan:
        """Fallback for ``--remove`` when bytespike's journal has no record: delete what is recognisably ours."""
        return Plan(self.name)

    def running(self) -> list[str]:
        """Processes that would overwrite our edits from memory (the engine refuses while any run)."""
        return []

    # -- helpers for subclasses -------------------------------------------------------------------
    def key_mode(self, request: SetupRequest) -> str:
        mode = request.key_mode or self.key_modes[0]
        if mode not in self.key_modes:
            offered = ", ".join(self.key_modes)
            raise UsageError(
                f"{self.title} cannot take the key by '{mode}'",
                f"use --key-mode {self.key_modes[0]} (it supports: {offered})",
            )
        if mode == "inline" and not request.key:
            raise UsageError(f"--key-mode inline needs a key for {self.title}", "run `bytespike login` first")
        return mode


def running_processes(*names: str) -> list[str]:
    """Names of running processes whose executable name is one of ``names`` (case-insensitive)."""
    import psutil

    wanted = {n.lower() for n in names}
    found: list[str] = []
    for proc in psutil.process_iter(["name", "pid"]):
        try:
            name = (proc.info.get("name") or "").lower()
        except (psutil.Error, OSError):
            continue
        if name in wanted or name.removesuffix(".exe") in wanted:
            found.append(f"{proc.info.get('name')} (pid {proc.info.get('pid')})")
    return found


def profile_from_args(args: list[str] | tuple[str, ...] | str | None) -> str | None:
    """The value after ``--profile``/``-p`` in a bytespike command line."""
    if not args:
        return None
    parts = shlex.split(args) if isinstance(args, str) else list(args)
    for index, part in enumerate(parts):
        if part in ("--profile", "-p") and index + 1 < len(parts):
            return parts[index + 1]
        if part.startswith("--profile="):
            return part.split("=", 1)[1]
    return None


def is_bytespike_command(command: str | None) -> bool:
    if not command:
        return False
    try:
        first = shlex.split(command)[0] if " " in command.strip() else command.strip()
    except ValueError:
        first = command.split()[0]
    return Path(first).name.lower() in ("bytespike", "bytespike.exe")


OFFICIAL_ORIGIN = ("https", "llm.bytespike.ai", 443)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def url_origin(url: Any) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL, or None for anything ambiguous.

    URLs with credentials, backslashes or whitespace are refused outright: parsers disagree about
    where their host ends (``https://llm.bytespike.ai\\@evil.io``), and a key must never follow that.
    """
    from urllib.parse import urlsplit

    if not isinstance(url, str) or not url or "\\" in url or any(c.isspace() for c in url.strip()):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".").lower()
    if scheme not in _DEFAULT_PORTS or not host or "@" in parts.netloc:
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme]


def looks_like_bytespike_url(url: Any, known_roots: tuple[str, ...] = ()) -> bool:
    """True only when ``url`` is on exactly the origin (scheme, host, port) of a known gateway root
    or of the official gateway: a key may be sent there. Never a substring test: a URL that merely
    mentions bytespike (``https://llm.bytespike.ai.evil.io``, ``http://x/bytespike``) is not ours."""
    origin = url_origin(url)
    if origin is None:
        return False
    return origin == OFFICIAL_ORIGIN or origin in {url_origin(root) for root in known_roots}


def known_roots() -> tuple[str, ...]:
    """Gateway roots of every bytespike profile (to recognise our entries in a tool's file)."""
    try:
        from bytespike_cli import config

        doc = config.load()
        roots = {config.DEFAULT_BASE_URL}
        roots.update(str(p["base_url"]) for p in config.profiles(doc).values() if p.get("base_url"))
        return tuple(sorted(r.rstrip("/") for r in roots))
    except Exception:  # a broken config must not break detection
        return ("https://llm.bytespike.ai",)


def model_context(model: "Model") -> int | None:
    return model.context_window if model.context_window and model.context_window > 0 else None


def context_notes(models: tuple["Model", ...]) -> tuple[str, ...]:
    """Say where context windows came from when it was not the catalogue's own ``context_window``."""
    from bytespike_cli.model_limits import CATALOGUE, describe_source

    by_source: dict[str, list[str]] = {}
    for model in models:
        source = getattr(model, "context_source", CATALOGUE)
        if source != CATALOGUE:
            by_source.setdefault(describe_source(source), []).append(model.id)
    return tuple(f"context window of {', '.join(ids)}: from {where}" for where, ids in by_source.items())


def supports_images(model: "Model") -> bool:
    return "vision" in model.capabilities or "image" in model.input_modalities


def supports_tools(model: "Model") -> bool:
    return "tool_use" in model.capabilities or "tools" in model.capabilities or not model.capabilities


Tool = Integration  # the name the design uses; both are the same interface
