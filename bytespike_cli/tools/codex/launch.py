"""What ``bytespike run codex`` sets for one Codex process (no file is written).

``-c`` overrides that define a provider ``bytespike-run`` (base URL root + /v1, Responses wire, key
from ``BYTESPIKE_API_KEY``) and select it. Codex 0.134 and newer (``codex --version``): top-level
overrides only, which outrank a ``--profile`` file (a ``-c profile=…`` is refused there). Older Codex:
through a profile of the same name (a profile's provider beats a top-level ``-c model_provider``);
with ``--profile NAME`` that profile's provider is switched instead. A separate id, so it never merges
with a ``[model_providers.bytespike]`` table that ``bytespike setup codex`` wrote (Codex rejects
``auth`` next to ``env_key``).
"""

from __future__ import annotations

import json
import re
from typing import Sequence

from bytespike_cli.errors import BytespikeError, UsageError
from bytespike_cli.tools.base import ENV_VAR, LaunchRequest, LaunchSpec, has_option, option_value

RUN_PROVIDER = "bytespike-run"
RUN_PROFILE = "bytespike-run"


def launch(tool, request: LaunchRequest) -> LaunchSpec:
    from bytespike_cli.tools.codex import executable_version, uses_profile_files

    build = _overrides_profile_files if uses_profile_files(executable_version(request.executable)) else _overrides
    overrides, warnings = build(tool, request.args, request.target, request.chat, request.models)
    argv: list[str] = []
    for item in overrides:
        argv += ["-c", item]
    return LaunchSpec(tuple(argv), {ENV_VAR: request.target.key}, (), tuple(warnings))


def _provider_overrides(target) -> list[str]:
    table = f"model_providers.{RUN_PROVIDER}"
    return [f"model_provider={json.dumps(RUN_PROVIDER)}",
            f"{table}.name={json.dumps('ByteSpike (bytespike run)')}",
            f"{table}.base_url={json.dumps(target.openai_base)}",
            f"{table}.wire_api={json.dumps('responses')}",
            f"{table}.env_key={json.dumps(ENV_VAR)}"]


def _config(tool) -> dict:
    """Codex's user config with the project's on top (enough to see the selected profile)."""
    from pathlib import Path

    from bytespike_cli.doctor.effective import read_data

    merged: dict = {}
    for path in (tool.config_path(), Path.cwd() / ".codex" / "config.toml"):
        try:
            data = read_data("toml", path) or {}
        except BytespikeError:
            continue
        profiles = {**(merged.get("profiles") or {}), **(data.get("profiles") or {})}
        merged.update(data)
        merged["profiles"] = profiles
    return merged


def _profile_file(tool, name: str) -> dict:
    """``$CODEX_HOME/<name>.config.toml`` (Codex >= 0.134), or {}."""
    from bytespike_cli.doctor.effective import read_data

    try:
        return read_data("toml", tool.codex_home() / f"{name}.config.toml") or {}
    except BytespikeError:
        return {}


def _overrides_profile_files(tool, args: Sequence[str], target, chat, models):
    """Codex >= 0.134: ``-c`` overrides outrank the ``--profile`` file, so top-level overrides are enough.

    A ``profile``/``profiles`` override would be refused ("legacy profile config is no longer supported"),
    so none is sent. With ``--profile NAME`` the profile's own model is kept when this key offers it.
    """
    overrides = _provider_overrides(target)
    warnings: list[str] = []
    named = option_value(args, "--profile", "-p")
    profile_model = _profile_file(tool, named).get("model") if named else None
    if not has_option(args, "-m", "--model"):
        if profile_model and profile_model in {m.id for m in models}:
            pass  # the user's profile picks a model ByteSpike offers: keep it
        else:
            overrides.append(f"model={json.dumps(chat.id)}")
            if profile_model:
                warnings.append(f"Codex profile '{named}' uses model '{profile_model}', which this ByteSpike key "
                                f"does not offer: this session uses {chat.id} (pass -m to choose)")
    legacy = _config(tool).get("profile")
    if legacy:
        warnings.append(f"your Codex config.toml has `profile = {legacy!r}`, which this Codex refuses at start; "
                        f"move [profiles.{legacy}] into {legacy}.config.toml and delete that line")
    return overrides, warnings


def _overrides(tool, args: Sequence[str], target, chat, models):
    """``-c`` overrides that send this Codex session to ByteSpike, and warnings (Codex before 0.134).

    Codex picks the provider as: a typed CLI flag (--oss) > the selected profile's model_provider >
    the top-level model_provider, where ``-c`` overrides join the top-level config (they outrank
    config.toml, but not a profile; openai/codex codex-rs/core/src/config/model_provider_resolution.rs).
    The profile is ``--profile`` > ``profile`` in the config, ``-c`` included. So: select our own
    profile with ``-c profile=…``, or, when the user names a profile, switch that profile's provider.
    """
    user_model = has_option(args, "-m", "--model")
    overrides = _provider_overrides(target)
    if not user_model:
        overrides.append(f"model={json.dumps(chat.id)}")
    warnings: list[str] = []
    config = _config(tool)
    named = option_value(args, "--profile", "-p")
    if named is not None:
        if not re.fullmatch(r"[A-Za-z0-9_-]+", named):
            raise UsageError(f"bytespike run cannot redirect the Codex profile {named!r}",
                             "use a profile name of letters, digits, - and _, or leave out --profile")
        overrides.append(f"profiles.{named}.model_provider={json.dumps(RUN_PROVIDER)}")
        profile_model = ((config.get("profiles") or {}).get(named) or {}).get("model")
        if profile_model and not user_model and profile_model not in {m.id for m in models}:
            overrides.append(f"profiles.{named}.model={json.dumps(chat.id)}")
            warnings.append(f"Codex profile '{named}' uses model '{profile_model}', which this ByteSpike key does "
                            f"not offer: this session uses {chat.id} (pass -m to choose)")
        return overrides, warnings
    overrides += [f"profile={json.dumps(RUN_PROFILE)}",
                  f"profiles.{RUN_PROFILE}.model_provider={json.dumps(RUN_PROVIDER)}"]
    if not user_model:
        overrides.append(f"profiles.{RUN_PROFILE}.model={json.dumps(chat.id)}")
    if config.get("profile"):
        warnings.append(f"your Codex config selects profile '{config['profile']}'; this session uses bytespike's own "
                        f"profile instead (pass `--profile {config['profile']}` after `codex` to keep its settings "
                        "with ByteSpike as the provider)")
    return overrides, warnings
