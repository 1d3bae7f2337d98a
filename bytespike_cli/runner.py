"""``bytespike run``: start a tool with ByteSpike configured for that one process.

Only the child's environment and its command line change; no file is written. The key travels in
the environment (never on the command line, where other users can read it with ``ps``), and every
line we show has it masked.

- Claude Code: ``ANTHROPIC_BASE_URL`` = the gateway root, the key as ``ANTHROPIC_AUTH_TOKEN`` (sent as a
  bearer token; ``ANTHROPIC_API_KEY`` would make Claude Code ask to approve a "custom API key" and is
  removed from the child's environment, because it would win at the gateway), model variables from the
  live catalogue. The base URL and models also go in ``--settings '{"env": …}'``, the command-line
  settings layer, because Claude Code applies its settings files' ``env`` over the process environment
  (a ``bytespike setup claude-code`` file would otherwise win).
- Codex: ``-c`` overrides that define a provider ``bytespike-run`` (base URL root + /v1, Responses wire,
  key from ``BYTESPIKE_API_KEY``) and select it. Codex 0.134 and newer (``codex --version``): top-level
  overrides only, which outrank a ``--profile`` file (a ``-c profile=…`` is refused there). Older Codex:
  through a profile of the same name (a profile's provider beats a top-level ``-c model_provider``); with
  ``--profile NAME`` that profile's provider is switched instead. A separate id, so it never merges with a ``[model_providers.bytespike]`` table that
  ``bytespike setup codex`` wrote (Codex rejects ``auth`` next to ``env_key``).
- Aider: ``OPENAI_API_BASE``/``OPENAI_API_KEY`` (and Aider's own ``AIDER_`` forms, which beat its conf
  files), ``--model openai/<id>`` and ``--model-metadata-file`` with the models' context windows (a
  private temporary file that lives as long as the child), so Aider does not warn about unknown models.
- ``--env-only``: any command, with the OpenAI and Anthropic variables set.
- ``--via-proxy``: the same, pointed at a running ``bytespike proxy`` with a placeholder key (the proxy
  adds the real one).
"""

from __future__ import annotations

import json
import os
import re
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
CODEX_PROFILE = "bytespike-run"
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


CLAUDE_CLOUD_SWITCHES = ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY")


def _claude_settings_env(env: Mapping[str, str]) -> list[tuple[str, dict]]:
    """``env`` of each Claude Code settings file that applies here (highest precedence first)."""
    from pathlib import Path

    from bytespike_cli.doctor.effective import read_data
    from bytespike_cli.tools.claude_code import ClaudeCode

    user = ClaudeCode(env=dict(env)).settings_path()
    project = Path.cwd() / ".claude"
    found = []
    for path in (project / "settings.local.json", project / "settings.json", user):
        try:
            data = read_data("json", path) or {}
        except BytespikeError:
            continue
        values = data.get("env")
        if isinstance(values, dict):
            found.append((_home_relative(path, env), values))
    return found


def _home_relative(path, env: Mapping[str, str]) -> str:
    home = env.get("HOME") or os.path.expanduser("~")
    text = str(path)
    return "~" + text[len(home):] if home and text.startswith(home.rstrip("/") + "/") else text


def _truthy(value: object) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _claude_settings(set_env: dict[str, str], target: Target, files: list[tuple[str, dict]],
                     own_settings: bool) -> tuple[list[str], list[str]]:
    """``--settings`` JSON for Claude Code, and warnings.

    Claude Code applies the ``env`` of its settings files over the environment it was started with,
    but settings given on the command line outrank every settings file (managed policy aside):
    so the base URL and models go there. The key stays in the environment (never on a command line);
    a settings file that sets its own key variable is only reported, when its value really differs.
    """
    warnings: list[str] = []
    for path, values in files:
        for name in ("ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_API_KEY"):
            value = values.get(name)
            if value and value != target.key:
                warnings.append(f"{path} sets env.{name} ({mask_key(str(value))}), which Claude Code applies over "
                                f"this command's environment: this session sends that key instead of "
                                f"{mask_key(target.key)}; remove it from {path} (`bytespike doctor claude-code` "
                                "shows the effect)")
    overrides = {name: value for name, value in set_env.items() if name not in ("ANTHROPIC_AUTH_TOKEN",)}
    for switch in CLAUDE_CLOUD_SWITCHES:
        if any(_truthy(values.get(switch)) for _path, values in files):
            overrides[switch] = "0"
    if own_settings:  # the user's --settings wins; say where the files disagree with this session
        for path, values in files:
            for name, value in values.items():
                if name in overrides and str(value) != overrides[name]:
                    warnings.append(f"{path} sets env.{name} = {value!r}, and your own --settings replaces "
                                    f"bytespike's: this session uses {value!r}, not {overrides[name]!r}")
        return [], warnings
    return ["--settings", json.dumps({"env": overrides}, separators=(",", ":"))], warnings


def _option_value(args: Sequence[str], *names: str) -> str | None:
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


def _codex_config(env: Mapping[str, str]) -> dict:
    """Codex's user config with the project's on top (enough to see the selected profile)."""
    from pathlib import Path

    from bytespike_cli.doctor.effective import read_data

    home = Path(env.get("CODEX_HOME") or Path(env.get("HOME") or os.path.expanduser("~")) / ".codex")
    merged: dict = {}
    for path in (home / "config.toml", Path.cwd() / ".codex" / "config.toml"):
        try:
            data = read_data("toml", path) or {}
        except BytespikeError:
            continue
        profiles = {**(merged.get("profiles") or {}), **(data.get("profiles") or {})}
        merged.update(data)
        merged["profiles"] = profiles
    return merged


def _codex_profile_file(env: Mapping[str, str], name: str) -> dict:
    """``$CODEX_HOME/<name>.config.toml`` (Codex >= 0.134), or {}."""
    from pathlib import Path

    from bytespike_cli.doctor.effective import read_data

    home = Path(env.get("CODEX_HOME") or Path(env.get("HOME") or os.path.expanduser("~")) / ".codex")
    try:
        return read_data("toml", home / f"{name}.config.toml") or {}
    except BytespikeError:
        return {}


def _codex_overrides_profile_files(args: Sequence[str], target: Target, chat, models: list,
                                   env: Mapping[str, str]):
    """Codex >= 0.134: ``-c`` overrides outrank the ``--profile`` file, so top-level overrides are enough.

    A ``profile``/``profiles`` override would be refused ("legacy profile config is no longer supported"),
    so none is sent. With ``--profile NAME`` the profile's own model is kept when this key offers it.
    """
    table = f"model_providers.{CODEX_PROVIDER}"
    overrides = [f"model_provider={json.dumps(CODEX_PROVIDER)}",
                 f"{table}.name={json.dumps('ByteSpike (bytespike run)')}",
                 f"{table}.base_url={json.dumps(target.openai_base)}",
                 f"{table}.wire_api={json.dumps('responses')}",
                 f"{table}.env_key={json.dumps(KEY_VAR)}"]
    warnings: list[str] = []
    named = _option_value(args, "--profile", "-p")
    profile_model = _codex_profile_file(env, named).get("model") if named else None
    if not _has_option(args, "-m", "--model"):
        if profile_model and profile_model in {m.id for m in models}:
            pass  # the user's profile picks a model ByteSpike offers: keep it
        else:
            overrides.append(f"model={json.dumps(chat.id)}")
            if profile_model:
                warnings.append(f"Codex profile '{named}' uses model '{profile_model}', which this ByteSpike key "
                                f"does not offer: this session uses {chat.id} (pass -m to choose)")
    legacy = _codex_config(env).get("profile")
    if legacy:
        warnings.append(f"your Codex config.toml has `profile = {legacy!r}`, which this Codex refuses at start; "
                        f"move [profiles.{legacy}] into {legacy}.config.toml and delete that line")
    return overrides, warnings


def _codex_overrides(args: Sequence[str], target: Target, chat, models: list, env: Mapping[str, str]):
    """``-c`` overrides that send this Codex session to ByteSpike, and warnings.

    Codex picks the provider as: a typed CLI flag (--oss) > the selected profile's model_provider >
    the top-level model_provider, where ``-c`` overrides join the top-level config (they outrank
    config.toml, but not a profile; openai/codex codex-rs/core/src/config/model_provider_resolution.rs).
    The profile is ``--profile`` > ``profile`` in the config, ``-c`` included. So: select our own
    profile with ``-c profile=…``, or, when the user names a profile, switch that profile's provider.
    """
    table = f"model_providers.{CODEX_PROVIDER}"
    user_model = _has_option(args, "-m", "--model")
    overrides = [f"model_provider={json.dumps(CODEX_PROVIDER)}",
                 f"{table}.name={json.dumps('ByteSpike (bytespike run)')}",
                 f"{table}.base_url={json.dumps(target.openai_base)}",
                 f"{table}.wire_api={json.dumps('responses')}",
                 f"{table}.env_key={json.dumps(KEY_VAR)}"]
    if not user_model:
        overrides.append(f"model={json.dumps(chat.id)}")
    warnings: list[str] = []
    config = _codex_config(env)
    named = _option_value(args, "--profile", "-p")
    if named is not None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", named):
            raise UsageError(f"bytespike run cannot redirect the Codex profile {named!r}",
                             "use a profile name of letters, digits, - and _, or leave out --profile")
        overrides.append(f"profiles.{named}.model_provider={json.dumps(CODEX_PROVIDER)}")
        profile_model = ((config.get("profiles") or {}).get(named) or {}).get("model")
        if profile_model and not user_model and profile_model not in {m.id for m in models}:
            overrides.append(f"profiles.{named}.model={json.dumps(chat.id)}")
            warnings.append(f"Codex profile '{named}' uses model '{profile_model}', which this ByteSpike key does "
                            f"not offer: this session uses {chat.id} (pass -m to choose)")
        return overrides, warnings
    overrides += [f"profile={json.dumps(CODEX_PROFILE)}",
                  f"profiles.{CODEX_PROFILE}.model_provider={json.dumps(CODEX_PROVIDER)}"]
    if not user_model:
        overrides.append(f"profiles.{CODEX_PROFILE}.model={json.dumps(chat.id)}")
    if config.get("profile"):
        warnings.append(f"your Codex config selects profile '{config['profile']}'; this session uses bytespike's own "
                        f"profile instead (pass `--profile {config['profile']}` after `codex` to keep its settings "
                        "with ByteSpike as the provider)")
    return overrides, warnings


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
    temp_files: list[tuple[str, str]] = []
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
        if chat.max_output_tokens and not _has_option(args, "--model"):
            # Claude Code asks for 32000 output tokens; the gateway refuses more than the model's limit
            set_env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] = str(chat.max_output_tokens)
        for cloud in CLAUDE_CLOUD_SWITCHES:
            if env.get(cloud):
                removed.append(cloud)
        settings, found = _claude_settings(set_env, target, _claude_settings_env(env),
                                           own_settings=_has_option(args, "--settings"))
        argv += settings
        warnings += found
    elif tool == "codex":
        from bytespike_cli.tools.codex import executable_version, uses_profile_files

        set_env[KEY_VAR] = target.key
        build = (_codex_overrides_profile_files if uses_profile_files(executable_version(exe))
                 else _codex_overrides)
        overrides, found = build(args, target, chat, models, env)
        for item in overrides:
            argv += ["-c", item]
        warnings += found
    elif tool == "aider":
        for name in ("OPENAI_API_BASE", "AIDER_OPENAI_API_BASE"):
            set_env[name] = target.openai_base
        for name in ("OPENAI_API_KEY", "AIDER_OPENAI_API_KEY"):
            set_env[name] = target.key
        if not _has_option(args, "--model"):
            argv += ["--model", f"openai/{chat.id}"]
        if fast is not None and not _has_option(args, "--weak-model"):
            argv += ["--weak-model", f"openai/{fast.id}"]
        if not _has_option(args, "--model-metadata-file"):
            metadata = _aider_metadata([chat] + ([fast] if fast is not None else []))
            if metadata:
                import tempfile
                import uuid

                path = os.path.join(tempfile.gettempdir(), f"bytespike-run-aider-{uuid.uuid4().hex}.json")
                temp_files.append((path, json.dumps(metadata, indent=2)))
                argv += ["--model-metadata-file", path]
    argv += list(args)
    launch = _launch(argv, env, set_env, removed, target, warnings)
    if temp_files:
        import dataclasses

        launch = dataclasses.replace(launch, temp_files=tuple(temp_files))
    return launch


def _aider_metadata(models: list) -> dict:
    """Aider's (litellm's) model metadata for ``openai/<id>``: the same entries `setup aider` writes."""
    metadata = {}
    for model in models:
        if not model.context_window:
            continue
        out = model.max_output_tokens or model.context_window
        metadata[f"openai/{model.id}"] = {
            "max_input_tokens": model.context_window, "max_output_tokens": out, "max_tokens": out,
            "input_cost_per_token": 0, "output_cost_per_token": 0, "litellm_provider": "openai", "mode": "chat"}
    return metadata


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
