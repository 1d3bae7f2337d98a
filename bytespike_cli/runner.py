"""``bytespike run``: start a tool with ByteSpike configured for that one process.

Only the child's environment and its command line change; no file is written. The key travels in
the environment (never on the command line, where other users can read it with ``ps``), and every
line we show has it masked.

- Claude Code: ``ANTHROPIC_BASE_URL`` = the gateway root, the key as ``ANTHROPIC_AUTH_TOKEN`` (sent as a
  bearer token; ``ANTHROPIC_API_KEY`` would make Claude Code ask to approve a "custom API key" and is
  removed from the child's environment, because it would win at the gateway), model variables from the
  live catalogue.
- Codex: ``-c`` overrides that define a provider ``bytespike-run`` (base URL root + /v1, Responses wire,
  key from ``BYTESPIKE_API_KEY``) and select it; a separate id, so it never merges with a
  ``[model_providers.bytespike]`` table that ``bytespike setup codex`` wrote (Codex rejects ``auth`` next
  to ``env_key``).
- Aider: ``OPENAI_API_BASE``/``OPENAI_API_KEY`` (and Aider's own ``AIDER_`` forms, which beat its conf
  files) and ``--model openai/<id>``.
- ``--env-only``: any command, with the OpenAI and Anthropic variables set.
- ``--via-proxy``: the same, pointed at a running ``bytespike proxy`` with a placeholder key (the proxy
  adds the real one).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from bytespike_cli.errors import BytespikeError, NetworkError, UsageError
from bytespike_cli.redact import mask_key, redact

DEFAULT_PROXY = "http://127.0.0.1:8787"
PROXY_PLACEHOLDER_KEY = "sk-byts-via-local-proxy-placeholder"
CODEX_PROVIDER = "bytespike-run"
KEY_VAR = "BYTESPIKE_API_KEY"


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    executables: tuple[str, ...]
    install: str
    prefer_family: str | None = None


TOOLS: dict[str, ToolSpec] = {
    "claude": ToolSpec("claude", "Claude Code", ("claude",),
                       "install it with `npm install -g @anthropic-ai/claude-code`", "claude"),
    "codex": ToolSpec("codex", "Codex CLI", ("codex",), "install it with `npm install -g @openai/codex`", "gpt"),
    "aider": ToolSpec("aider", "Aider", ("aider",),
                      "install it with `python -m pip install aider-install && aider-install`"),
}
ALIASES = {"claude-code": "claude", "codex-cli": "codex"}


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

    def describe(self) -> str:
        """The ``running: …`` line: variables we set (keys masked), variables removed, the command."""
        shown = []
        for name, value in self.set_env.items():
            shown.append(f"{name}={mask_key(value) if value in self.secrets else value}")
        removed = "".join(f" -u {name}" for name in self.removed)
        return redact(f"env{removed} {' '.join(shown)} {shlex.join(self.argv)}", *self.secrets)


def normalise_tool(name: str) -> str:
    key = ALIASES.get(name.lower(), name.lower())
    if key not in TOOLS:
        import difflib

        close = difflib.get_close_matches(key, list(TOOLS) + list(ALIASES), n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise UsageError(f"bytespike run does not know the tool {name!r}",
                         f"{hint}tools: {', '.join(TOOLS)}; for any other program use "
                         f"`bytespike run --env-only {name} -- ARGS`")
    return key


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
                "its address: --via-proxy http://127.0.0.1:PORT") from None
        raise
    except BytespikeError as exc:
        if target.via_proxy:
            raise type(exc)(f"the proxy at {target.root} answered, but: {exc.message}", exc.hint) from None
        raise
    return models


def _settings_overrides(env: Mapping[str, str]) -> list[str]:
    """Claude Code applies ``env`` from its settings files over the environment it was started with."""
    from pathlib import Path

    from bytespike_cli.doctor.effective.common import read_data
    from bytespike_cli.integrations.claude_code import ClaudeCode

    user = ClaudeCode(env=dict(env)).settings_path()
    project = Path.cwd() / ".claude"
    warnings = []
    for path in (project / "settings.local.json", project / "settings.json", user):
        try:
            data = read_data("json", path) or {}
        except BytespikeError:
            continue
        values = data.get("env") if isinstance(data.get("env"), dict) else {}
        for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY", "ANTHROPIC_MODEL"):
            if values.get(name):
                warnings.append(f"{path} sets env.{name}, which Claude Code applies over this command's "
                                f"environment: this session uses that value (`bytespike doctor claude-code` "
                                "shows the effect)")
    return warnings


def _has_option(args: Sequence[str], *names: str) -> bool:
    return any(a in names or any(a.startswith(n + "=") for n in names if n.startswith("--")) for a in args)


def plan(tool: str, args: Sequence[str], target: Target, models: list, *, env: Mapping[str, str]) -> Launch:
    """The child's argv and environment for ``tool`` (one of TOOLS)."""
    from bytespike_cli.gateway import default_models

    spec = TOOLS[tool]
    exe = find_executable(spec.executables[0], env)
    if exe is None:
        raise UsageError(f"{spec.title} is not installed: `{spec.executables[0]}` is not on PATH", spec.install)
    chat, fast = default_models(models, prefer_family=spec.prefer_family)
    set_env: dict[str, str] = {}
    removed: list[str] = []
    argv: list[str] = [exe]
    warnings: list[str] = []
    if tool == "claude":
        set_env["ANTHROPIC_BASE_URL"] = target.root
        set_env["ANTHROPIC_AUTH_TOKEN"] = target.key
        removed.append("ANTHROPIC_API_KEY")
        if not _has_option(args, "--model"):
            set_env["ANTHROPIC_MODEL"] = chat.id
        set_env["ANTHROPIC_DEFAULT_SONNET_MODEL"] = chat.id
        set_env["ANTHROPIC_DEFAULT_OPUS_MODEL"] = chat.id
        set_env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = (fast or chat).id
        if chat.context_window and not chat.id.startswith("claude-"):
            set_env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] = str(chat.context_window)
        for cloud in ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY"):
            if env.get(cloud):
                removed.append(cloud)
        warnings += _settings_overrides(env)
    elif tool == "codex":
        set_env[KEY_VAR] = target.key
        table = f"model_providers.{CODEX_PROVIDER}"
        overrides = [f"model_provider={json.dumps(CODEX_PROVIDER)}",
                     f"{table}.name={json.dumps('ByteSpike (bytespike run)')}",
                     f"{table}.base_url={json.dumps(target.openai_base)}",
                     f"{table}.wire_api={json.dumps('responses')}",
                     f"{table}.env_key={json.dumps(KEY_VAR)}"]
        if not _has_option(args, "-m", "--model"):
            overrides.append(f"model={json.dumps(chat.id)}")
        for item in overrides:
            argv += ["-c", item]
    elif tool == "aider":
        for name in ("OPENAI_API_BASE", "AIDER_OPENAI_API_BASE"):
            set_env[name] = target.openai_base
        for name in ("OPENAI_API_KEY", "AIDER_OPENAI_API_KEY"):
            set_env[name] = target.key
        if not _has_option(args, "--model"):
            argv += ["--model", f"openai/{chat.id}"]
        if fast is not None and not _has_option(args, "--weak-model"):
            argv += ["--weak-model", f"openai/{fast.id}"]
    argv += list(args)
    return _launch(argv, env, set_env, removed, target, warnings)


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
