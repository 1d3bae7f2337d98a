"""``bytespike run``: start a tool with ByteSpike configured for that one process.

Only the child's environment and its command line change; no file is written. The key travels in
the environment (never on the command line, where other users can read it with ``ps``), and every
line we show has it masked. This module is the process handling only: what each tool needs (its
variables, flags, temporary files) is that tool's ``launch`` in ``tools/`` (Claude Code, Codex, Aider).

- ``--env-only``: any command, with the OpenAI and Anthropic variables set.
- ``--via-proxy``: the same, pointed at a running ``bytespike proxy`` with a placeholder key (the proxy
  adds the real one).
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Sequence

from bytespike_cli.errors import BytespikeError, NetworkError, UsageError
from bytespike_cli.redact import mask_key, redact

DEFAULT_PROXY = "http://127.0.0.1:8787"
PROXY_PLACEHOLDER_KEY = "sk-byts-via-local-proxy-placeholder"


class _RunnableTools(Mapping):
    """The tools ``run`` can start, by canonical name, from the one registry in ``tools/``.

    Values are the tool classes (``title``, ``executables``, ``install``, ``prefer_family``).
    """

    def _names(self) -> list[str]:
        from bytespike_cli import tools

        return tools.runnable()

    def __getitem__(self, name: str):
        from bytespike_cli import tools

        if name not in self._names():
            raise KeyError(name)
        return tools.tool_class(name)

    def __iter__(self):
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


TOOLS: Mapping[str, type] = _RunnableTools()


@dataclass(frozen=True)
class Target:
    """Where the child's requests go, and with which key."""

    root: str  # gateway (or proxy) root, no /v1
    key: str
    via_proxy: bool = False

    @property
    def openai_base(self) -> str:
        return self.root.rstrip("/") + "/v1"


@dataclass(frozen=True)
class Launch:
    argv: tuple[str, ...]
    env: dict[str, str]  # the child's whole environment
    set_env: dict[str, str]  # what we added or changed
    removed: tuple[str, ...] = ()  # what we took out
    secrets: tuple[str, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # (path, text): written (0600) just before the child starts and deleted when it ends
    temp_files: tuple[tuple[str, str], ...] = ()

    def describe(self) -> str:
        """The ``running: …`` line: variables we set (keys masked), variables removed, the command."""
        shown = []
        for name, value in self.set_env.items():
            shown.append(f"{name}={mask_key(value) if value in self.secrets else value}")
        removed = "".join(f" -u {name}" for name in self.removed)
        return redact(f"env{removed} {' '.join(shown)} {shlex.join(self.argv)}", *self.secrets)


def normalise_tool(name: str) -> str:
    """The canonical name of a tool ``run`` can start (aliases such as ``claude`` accepted)."""
    from bytespike_cli import tools

    found = tools.canonical(name)
    runnable = tools.runnable()
    if found not in runnable:
        shown = [*runnable, *(alias for alias, target in tools.ALIASES.items() if target in runnable)]
        listed = ", ".join(f"{n} (or {', '.join(a for a, c in tools.ALIASES.items() if c == n)})"
                           if n in tools.ALIASES.values() else n for n in runnable)
        if found is not None:  # a tool bytespike sets up, that takes its gateway from its settings files only
            raise UsageError(f"bytespike run cannot start {tools.tool_class(found).title}: it reads the gateway "
                             "from its settings files only", f"use `bytespike setup {found}`; run starts: {listed}")
        raise UsageError(f"bytespike run does not know the tool {name!r}",
                         f"{tools.suggestion(name, shown)}tools: {listed}; for any other program use "
                         f"`bytespike run --env-only {name} -- ARGS`")
    return found


def proxy_url(value: str) -> str:
    """``8787`` → ``http://127.0.0.1:8787``; ``host:port`` → ``http://host:port``; URLs as given."""
    value = value.strip().rstrip("/")
    if value.isdigit():
        return f"http://127.0.0.1:{value}"
    if "://" not in value:
        value = "http://" + value
    return value.removesuffix("/v1")


def looks_like_proxy_url(value: str) -> bool:
    return value.isdigit() or "://" in value or ":" in value or value.startswith(("localhost", "127."))


def find_executable(name: str, env: Mapping[str, str]) -> str | None:
    return shutil.which(name, path=env.get("PATH", os.defpath))


def catalogue(resolved, target: Target):
    """The models the child will see (through the proxy when there is one). Also proves the path works."""
    import dataclasses

    from bytespike_cli.gateway import GatewayClient

    r = dataclasses.replace(resolved, base_url=target.root, key=target.key)
    try:
        with GatewayClient(r, timeout=15.0, key=target.key) as client:
            models, _reply = client.list_models()
    except NetworkError as exc:
        if target.via_proxy:
            raise NetworkError(
                f"no bytespike proxy answers at {target.root} ({exc.message})",
                "start it in another terminal with `bytespike proxy` (it listens on 127.0.0.1:8787), or pass "
                "its address: --via-proxy --proxy-url http://127.0.0.1:PORT") from None
        raise
    except BytespikeError as exc:
        if target.via_proxy:
            raise type(exc)(f"the proxy at {target.root} answered, but: {exc.message}", exc.hint) from None
        raise
    return models


def plan(tool: str, args: Sequence[str], target: Target, models: list, *, env: Mapping[str, str]) -> Launch:
    """The child's argv and environment for ``tool`` (a canonical name in TOOLS): the tool's ``launch``."""
    from bytespike_cli import tools
    from bytespike_cli.gateway import default_models
    from bytespike_cli.tools.base import LaunchRequest

    integration = tools.get(tool, env=dict(env))
    exe = find_executable(integration.executables[0], env)
    if exe is None:
        raise UsageError(f"{integration.title} is not installed: `{integration.executables[0]}` is not on PATH",
                         integration.install)
    integration.check_catalogue(models)
    chat, fast = default_models(models, prefer_family=integration.prefer_family)
    spec = integration.launch(LaunchRequest(exe, tuple(args), target, tuple(models), chat, fast, env))
    argv = [exe, *spec.argv, *args]
    launch = _launch(argv, env, dict(spec.set_env), list(spec.removed), target, list(spec.warnings))
    if spec.temp_files:
        import dataclasses

        launch = dataclasses.replace(launch, temp_files=tuple(spec.temp_files))
    return launch


def plan_env_only(command: str, args: Sequence[str], target: Target, *, env: Mapping[str, str]) -> Launch:
    exe = find_executable(command, env) if os.sep not in command else (command if os.access(command, os.X_OK) else None)
    if exe is None:
        raise UsageError(f"`{command}` is not installed or not on PATH", "check the name, or give its full path")
    set_env = {
        "OPENAI_BASE_URL": target.openai_base,
        "OPENAI_API_KEY": target.key,
        "ANTHROPIC_BASE_URL": target.root,
        "ANTHROPIC_API_KEY": target.key,
    }
    return _launch([exe, *args], env, set_env, ["ANTHROPIC_AUTH_TOKEN"], target, [])


def prepare(tool: str, args: Sequence[str], *, env_only: bool, proxy: str | None, profile: str | None,
            offline: bool, env: Mapping[str, str]) -> Launch:
    """What `bytespike run` will start: the tool (or, with ``env_only``, any command) pointed at the
    gateway or at a running proxy (``proxy``: where it listens). A typo or a missing tool is said before
    anything needs the key; no proxy answering is said before anything starts."""
    from bytespike_cli.settings import resolve

    name = None
    if not env_only:
        name = normalise_tool(tool)
        spec = TOOLS[name]
        if find_executable(spec.executables[0], env) is None:
            raise UsageError(f"{spec.title} is not installed: `{spec.executables[0]}` is not on PATH", spec.install)
    if proxy is not None:
        token = env.get("BYTESPIKE_PROXY_TOKEN")
        target = Target(proxy_url(proxy), token or PROXY_PLACEHOLDER_KEY, via_proxy=True)
        r = resolve(profile, offline=False)
    else:
        r = resolve(profile, offline=offline)
        target = Target(r.base_url, r.require_key())
    if name is None:
        if proxy is not None:
            catalogue(r, target)  # says clearly when no proxy answers
        return plan_env_only(tool, args, target, env=env)
    return plan(name, args, target, catalogue(r, target), env=env)


def _launch(argv: list[str], env: Mapping[str, str], set_env: dict[str, str], removed: list[str], target: Target,
            warnings: list[str]) -> Launch:
    child = {k: v for k, v in env.items() if k not in removed}
    child.update(set_env)
    gone = tuple(name for name in removed if name in env)
    secrets = () if target.key == PROXY_PLACEHOLDER_KEY else (target.key,)
    return Launch(tuple(argv), child, set_env, gone, secrets, tuple(warnings))


def execute(launch: Launch) -> int:
    """Run the child and return its exit status (128 + N when a signal N ended it).

    SIGTERM is passed on to the child. So is SIGINT, unless the terminal already delivered it to the
    child (same foreground process group): a second Ctrl-C would make Claude Code quit at once.
    """
    for path, text in launch.temp_files:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    try:
        return _execute(launch)
    finally:
        for path, _text in launch.temp_files:
            try:
                os.unlink(path)
            except OSError:
                pass


def _execute(launch: Launch) -> int:
    try:
        proc = subprocess.Popen(list(launch.argv), env=launch.env)
    except OSError as exc:
        raise UsageError(f"cannot start {launch.argv[0]}: {exc.strerror or exc}",
                         "check that the file is an executable program") from None

    def forward(signum, _frame) -> None:
        if signum == signal.SIGINT and _terminal_delivers_sigint():
            return
        try:
            proc.send_signal(signum)
        except (ProcessLookupError, OSError):
            pass

    previous = {}
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            previous[sig] = signal.signal(sig, forward)
        except (ValueError, OSError):  # not the main thread, or a platform without it
            pass
    try:
        while True:
            try:
                code = proc.wait()
                break
            except KeyboardInterrupt:  # Windows delivers Ctrl-C here; the child got it from the console too
                continue
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code


def _terminal_delivers_sigint() -> bool:
    try:
        fd = sys.stdin.fileno()
        return os.isatty(fd) and os.tcgetpgrp(fd) == os.getpgrp()
    except (AttributeError, OSError, ValueError):
        return False
