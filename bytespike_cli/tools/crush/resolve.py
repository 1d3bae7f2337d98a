"""Crush, resolved the way Crush resolves it (charmbracelet/crush v0.90.0 ``internal/config/load.go``).

Layers, highest first: the workspace file ``.crush/crush.json`` (Crush's data directory in the project), the
project files from the current folder up to the git root (``.crush.json`` before ``crush.json`` in each folder),
the data file (``~/.local/share/crush/crush.json``: models picked in Crush's UI), the user file
(``~/.config/crush/crush.json``) and ``/etc/crush/crush.json``. Each setting is taken from the highest layer
that has it (Crush merges the files key by key). ``crushrc`` shell configs are run by Crush, never by us: when
one exists doctor says it cannot see what it sets.

The key: ``api_key`` is shell-expanded. ``$(bytespike print-key …)`` is run the way Crush runs it;
``$VAR`` reads ``CRUSH_VAR`` first (Crush swaps every ``CRUSH_*`` variable in while it loads providers), then a
value set in the config's ``env`` section, then the environment.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bytespike_cli.doctor.effective import ANTHROPIC, OPENAI, Candidate, Context, Effective, shown_path
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.tools.base import is_bytespike_command, profile_from_args

TOOL = "crush"
SETUP = "`bytespike setup crush`"


def layers(ctx: Context) -> list[Path]:
    """Crush's JSON config files, highest precedence first."""
    tool = ctx.integration(TOOL)
    folders = project_folders(ctx)
    workspace = next((f / ".crush" for f in folders if (f / ".crush").is_dir()), ctx.cwd / ".crush")
    found = [workspace / "crush.json"]
    for folder in folders:
        found += [folder / ".crush.json", folder / "crush.json"]
    found += [tool.data_path(), tool.config_path()]
    if not _windows(ctx):
        found.append(Path("/etc/crush/crush.json"))
    return found


def shell_configs(ctx: Context) -> list[Path]:
    tool = ctx.integration(TOOL)
    folders = project_folders(ctx)
    candidates = [f / name for f in folders for name in (".crushrc", "crushrc")] + [tool.config_dir() / "crushrc"]
    return [p for p in candidates if p.is_file()]


def project_folders(ctx: Context) -> list[Path]:
    """The current folder up to the git root (Crush's project boundary; only the current folder outside git)."""
    top = ctx.git_root()
    if top is None:
        return [ctx.cwd]
    found = []
    for folder in (ctx.cwd, *ctx.cwd.parents):
        found.append(folder)
        if folder == top:
            break
    return found


def _windows(ctx: Context) -> bool:
    import os

    return os.name == "nt"


def resolve(ctx: Context) -> list[Effective]:
    from bytespike_cli.tools.crush import ANTHROPIC_PROVIDER, PROVIDERS, command_of, variable_of

    files: list[tuple[Path, dict]] = []
    problems = []
    for path in layers(ctx):
        try:
            data = _read(path)
        except ConfigFileError as exc:
            problems.append(fail(TOOL, "config-unreadable", exc.message,
                                 exc.hint or f"fix {path}: Crush refuses to start with invalid JSON", 9))
            continue
        if data is not None:
            files.append((path, data))

    def setting(*keys: str) -> tuple[Any, Path | None]:
        for path, data in files:
            value = _dig(data, *keys)
            if value not in (None, ""):
                return value, path
        return None, None

    chosen: dict[str, tuple[dict, Path]] = {}
    for slot in ("large", "small"):
        value, where = setting("models", slot)
        if isinstance(value, dict) and where is not None:
            chosen[slot] = (value, where)
    referenced = []
    for slot in ("large", "small"):
        provider = chosen.get(slot, ({}, None))[0].get("provider")
        if provider and provider not in referenced:
            referenced.append(provider)
    present = [p for p in PROVIDERS if setting("providers", p, "base_url")[0] is not None]
    candidates = [p for p in referenced if p in present or p in PROVIDERS] or present

    if not candidates:
        eff = Effective(TOOL, "Crush", OPENAI, base_default=None, setup=SETUP, key_unknown="no bytespike provider")
        eff.findings += problems
        return [eff]

    results = []
    for provider in candidates:
        anthropic = provider == ANTHROPIC_PROVIDER or setting("providers", provider, "type")[0] == "anthropic"
        eff = Effective(TOOL, "Crush" if len(candidates) == 1 else f"Crush ({provider})",
                        ANTHROPIC if anthropic else OPENAI, base_default=None, setup=SETUP)
        eff.findings += problems
        problems = []
        base, base_where = setting("providers", provider, "base_url")
        if base is None:
            eff.key_unknown = f"provider {provider} is not defined"
            eff.findings.append(fail(TOOL, "missing-provider",
                                     f"models.large/small use provider '{provider}', which no Crush config defines: "
                                     "Crush falls back to another model", f"run {SETUP}", 5))
            results.append(eff)
            continue
        shown = shown_path(base_where, ctx.home)
        eff.base = [Candidate(f"{shown} providers.{provider}.base_url", base, f"edit base_url in {shown}")]
        if setting("providers", provider, "disable")[0] is True:
            eff.findings.append(fail(TOOL, "provider-disabled", f"providers.{provider} is disabled ({shown})",
                                     f"remove \"disable\" from providers.{provider}", 5))
        _resolve_key(ctx, eff, provider, setting, command_of, variable_of)
        models, models_where = setting("providers", provider, "models")
        listed = [str(m.get("id")) for m in models or [] if isinstance(m, dict) and m.get("id")]
        for slot in ("large", "small"):
            value, where = chosen.get(slot, ({}, None))
            if value.get("provider") != provider:
                continue
            model = str(value.get("model") or "")
            eff.models.append((model, f"{shown_path(where, ctx.home)} models.{slot}"))
            if model and listed and model not in listed:
                eff.findings.append(fail(TOOL, "unknown-model",
                                         f"models.{slot} '{model}' is not in providers.{provider}.models "
                                         f"({shown_path(models_where, ctx.home)})", f"run {SETUP}", 5))
        if not eff.models and listed:
            eff.models = [(m, f"providers.{provider}.models") for m in listed[:1]]
        if provider not in referenced:
            eff.findings.append(warn(TOOL, "not-selected",
                                     f"providers.{provider} is set up, but models.large uses "
                                     f"'{chosen.get('large', ({}, None))[0].get('provider', 'another provider')}'",
                                     "pick a ByteSpike model in Crush (ctrl+m), or run " + SETUP))
        results.append(eff)

    for slot, (value, where) in chosen.items():
        if where is not None and where == ctx.integration(TOOL).data_path() and value.get("provider") not in PROVIDERS:
            results[0].findings.append(warn(TOOL, "model-shadowed",
                                            f"{shown_path(where, ctx.home)} models.{slot} picks "
                                            f"{value.get('provider')}/{value.get('model')} (chosen in Crush's menu), "
                                            "which wins over ~/.config/crush/crush.json",
                                            "pick the ByteSpike model in Crush (ctrl+m) or remove that entry"))
    seen = set()  # both providers read the same api_key: say a problem with it once
    for eff in results:
        unique = [f for f in eff.findings if (f.code, f.detail) not in seen]
        seen.update((f.code, f.detail) for f in eff.findings)
        eff.findings[:] = unique
    for rc in shell_configs(ctx):
        results[0].findings.append(warn(TOOL, "shell-config",
                                        f"{shown_path(rc, ctx.home)} is a crushrc shell config: Crush runs it and "
                                        "it may override these settings; bytespike does not run it",
                                        f"check {shown_path(rc, ctx.home)} for provider or model lines"))
    return results


def _resolve_key(ctx: Context, eff: Effective, provider: str, setting, command_of, variable_of) -> None:
    template, where = setting("providers", provider, "api_key")
    if template is None:
        eff.key_unknown = "no api_key"
        eff.findings.append(fail(TOOL, "no-key", f"providers.{provider} has no api_key: Crush sends no key",
                                 f"run {SETUP}", 3))
        return
    shown = shown_path(where, ctx.home)
    command = command_of(template)
    variable = variable_of(template)
    if command is not None:
        if is_bytespike_command(command):
            eff.key, from_where = ctx.profile_key(profile_from_args(command))
            eff.key_source = f"{shown} api_key $(…) → {from_where}"
            eff.key_remove = f"edit api_key in {shown}"
            if eff.key is None:
                eff.key_unknown = f"the key command prints no key ({from_where})"
                eff.findings.append(fail(TOOL, "helper-no-key", f"the key command prints no key ({from_where})",
                                         "run `bytespike login`", 3))
        else:
            eff.key_unknown = f"{shown} api_key runs `{command}`, not bytespike: its key cannot be checked from here"
        return
    if variable is not None:
        shadow = ctx.env.get("CRUSH_" + variable)
        configured, env_where = setting("env", variable)
        if shadow:
            eff.key, eff.key_source = shadow, f"env CRUSH_{variable} (Crush reads it instead of {variable})"
            eff.key_remove = f"unset CRUSH_{variable}"
            if ctx.env.get(variable) and ctx.env.get(variable) != shadow:
                eff.findings.append(fail(TOOL, "key-shadowed",
                                         f"CRUSH_{variable} is set and shadows {variable}: Crush sends the key "
                                         f"from CRUSH_{variable}, not the one in {variable}",
                                         f"unset CRUSH_{variable} (and remove it from your shell profile)", 3))
            return
        if isinstance(configured, str) and configured:
            eff.key, eff.key_source = configured, f"{shown_path(env_where, ctx.home)} env.{variable}"
            eff.key_remove = f"remove env.{variable} from {shown_path(env_where, ctx.home)}"
            return
        value = ctx.env.get(variable)
        if value and value.strip():
            eff.key, eff.key_source = value.strip(), f"env {variable} ({shown} api_key ${variable})"
            eff.key_remove = f"unset {variable}"
            return
        eff.key_unknown = f"{variable} is not set"
        eff.findings.append(fail(TOOL, "key-env",
                                 f"Crush expands ${variable} ({shown} api_key), which is not set in this "
                                 "environment: Crush started from here sends no key (401)",
                                 f"export {variable}=\"$(bytespike print-key)\" in your shell profile, then open a "
                                 f"new terminal (or run `bytespike setup crush` for the key command)", 3))
        return
    if "$" in str(template):
        eff.key_unknown = f"{shown} api_key is a shell expression bytespike does not evaluate"
        return
    eff.key, eff.key_source = str(template), f"{shown} api_key (the key itself is in the file)"
    eff.key_remove = f"replace api_key in {shown} with $(bytespike print-key): run {SETUP}"
    eff.findings.append(warn(TOOL, "key-in-file", f"{shown} holds the key itself in api_key",
                             f"run {SETUP} (it writes a key command instead)"))


def _read(path: Path) -> dict | None:
    from bytespike_cli.formats import open_document
    from bytespike_cli.formats.common import decode_text
    from bytespike_cli.formats.safe_write import read_bytes

    raw = read_bytes(path)
    if raw is None or not raw.strip():
        return None
    data = open_document("json", decode_text(raw, path), path).data
    return data if isinstance(data, dict) else {}


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data
