"""What ``bytespike run claude-code`` sets for one Claude Code process (no file is written).

``ANTHROPIC_BASE_URL`` = the gateway root, the key as ``ANTHROPIC_AUTH_TOKEN`` (sent as a bearer token;
``ANTHROPIC_API_KEY`` would make Claude Code ask to approve a "custom API key" and is removed from the
child's environment, because it would win at the gateway), model variables from the live catalogue.
The base URL and models also go in ``--settings '{"env": …}'``, the command-line settings layer,
because Claude Code applies its settings files' ``env`` over the process environment (a
``bytespike setup claude-code`` file would otherwise win).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Mapping

from bytespike_cli.errors import BytespikeError
from bytespike_cli.redact import mask_key
from bytespike_cli.tools.base import LaunchRequest, LaunchSpec, has_option

CLOUD_SWITCHES = ("CLAUDE_CODE_USE_BEDROCK", "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CODE_USE_FOUNDRY")


def launch(tool, request: LaunchRequest) -> LaunchSpec:
    args, target, chat, fast, env = request.args, request.target, request.chat, request.fast, request.env
    set_env: dict[str, str] = {}
    removed: list[str] = []
    set_env["ANTHROPIC_BASE_URL"] = target.root
    set_env["ANTHROPIC_AUTH_TOKEN"] = target.key
    removed.append("ANTHROPIC_API_KEY")
    if not has_option(args, "--model"):
        set_env["ANTHROPIC_MODEL"] = chat.id
    set_env["ANTHROPIC_DEFAULT_SONNET_MODEL"] = chat.id
    set_env["ANTHROPIC_DEFAULT_OPUS_MODEL"] = chat.id
    set_env["ANTHROPIC_DEFAULT_HAIKU_MODEL"] = (fast or chat).id
    if chat.context_window and not chat.id.startswith("claude-"):
        set_env["CLAUDE_CODE_MAX_CONTEXT_TOKENS"] = str(chat.context_window)
    if chat.max_output_tokens and not has_option(args, "--model"):
        # Claude Code asks for 32000 output tokens; the gateway refuses more than the model's limit
        set_env["CLAUDE_CODE_MAX_OUTPUT_TOKENS"] = str(chat.max_output_tokens)
    for cloud in CLOUD_SWITCHES:
        if env.get(cloud):
            removed.append(cloud)
    settings, warnings = _settings_argument(set_env, target, _settings_env(tool, env),
                                            own_settings=has_option(args, "--settings"))
    return LaunchSpec(tuple(settings), set_env, tuple(removed), tuple(warnings))


def _settings_env(tool, env: Mapping[str, str]) -> list[tuple[str, dict]]:
    """``env`` of each Claude Code settings file that applies here (highest precedence first)."""
    from bytespike_cli.doctor.effective import read_data

    project = Path.cwd() / ".claude"
    found = []
    for path in (project / "settings.local.json", project / "settings.json", tool.settings_path()):
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


def _settings_argument(set_env: dict[str, str], target, files: list[tuple[str, dict]],
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
    for switch in CLOUD_SWITCHES:
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
