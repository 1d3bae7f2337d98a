"""What opencode (or Kilo) will effectively use, in its own order (``bytespike doctor``).

Layers, lowest first (opencode-ai 1.18.33 ``Config.loadInstanceState``; Kilo 7.7.7 the same with its own
names): the global files; ``<PREFIX>_CONFIG``; project files from the git root down to the working
directory (unless ``<PREFIX>_DISABLE_PROJECT_CONFIG``); files in ``.opencode`` folders (project, then
``~/.opencode``) and in ``<PREFIX>_CONFIG_DIR``; ``<PREFIX>_CONFIG_CONTENT``. Measured with the real
clients, not read: a project file that defines any ``provider`` is not applied at all (its ``model``
neither), so it is reported and left out. Objects merge deeply, so each
setting is won by the last layer that sets it. ``{env:VAR}`` becomes the variable (empty when unset) and
``{file:PATH}`` the file's trimmed text (a missing file stops the tool). Without ``options.apiKey`` the key
of the provider id in ``auth.json`` (``opencode auth login``) is used.
"""

from __future__ import annotations

import re
from pathlib import Path

from bytespike_cli.doctor.effective import ANTHROPIC, OPENAI, RESPONSES, Candidate, Context, Effective, dig, read_data, shown_path
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import ConfigFileError, ExitCode
from bytespike_cli.tools.opencode import ANTHROPIC_SDK, OPENAI_COMPATIBLE, PROVIDER

# what each AI SDK package sends (opencode-ai 1.18.33, seen on the offline gateway): /v1/messages, /v1/responses,
# /v1/chat/completions
SDK_PROTOCOLS = {ANTHROPIC_SDK: ANTHROPIC, "@ai-sdk/openai": RESPONSES, OPENAI_COMPATIBLE: OPENAI}

_REFERENCE = re.compile(r"\{(env|file):([^}]+)\}")


def layers(tool, ctx: Context) -> tuple[list[tuple[str, Path | None, dict]], list]:
    """[(label, path, data)] lowest precedence first, and findings for files that cannot be read."""
    prefix = tool.env_prefix
    env = ctx.env
    found: list[tuple[str, Path | None, dict]] = []
    problems: list = []

    def add(path: Path, project: bool = False) -> None:
        try:
            data = read_data("jsonc", path)
        except ConfigFileError as exc:
            problems.append(fail(tool.name, "config-unreadable", exc.message,
                                 exc.hint or f"fix {shown_path(path, ctx.home)}", ExitCode.CONFIG))
            return
        if data is None:
            return
        if project and "provider" in data:
            # measured with the real opencode 1.18.33 and Kilo 7.7.7 (tests/realclients): a project file that
            # defines any provider is not applied at all, not even its `model`
            problems.append(warn(tool.name, "project-provider-ignored",
                                 f"{shown_path(path, ctx.home)} defines `provider`: {tool.title} does not apply a "
                                 "project file that does, so none of its settings are used",
                                 f"move the provider settings to {shown_path(tool.settings_path(), ctx.home)}"))
            return
        found.append((shown_path(path, ctx.home), path, data))

    for path in tool.global_files():
        add(path)
    custom = env.get(f"{prefix}_CONFIG")
    if custom:
        add(Path(custom).expanduser())
    disabled = str(env.get(f"{prefix}_DISABLE_PROJECT_CONFIG", "")).lower() in ("1", "true")
    git = ctx.git_root()
    chain = [ctx.cwd, *ctx.cwd.parents]
    if git is not None and git in chain:
        chain = chain[:chain.index(git) + 1]
    else:
        chain = [ctx.cwd]
    if not disabled:
        for directory in reversed(chain):  # the nearest folder is read last and wins
            for stem in tool.project_stems:
                for suffix in (".json", ".jsonc"):
                    add(directory / f"{stem}{suffix}", project=True)
    folders = [] if disabled else [(d / name, True) for d in reversed(chain) for name in tool.project_dirs]
    folders += [(ctx.home / name, False) for name in tool.project_dirs]
    if env.get(f"{prefix}_CONFIG_DIR"):
        folders.append((Path(env[f"{prefix}_CONFIG_DIR"]).expanduser(), False))
    seen: set[Path] = set()
    for folder, in_project in folders:
        if folder in seen or folder == tool.config_dir():
            continue
        seen.add(folder)
        for stem in tool.project_stems:
            for suffix in (".json", ".jsonc"):
                add(folder / f"{stem}{suffix}", project=in_project)
    content = env.get(f"{prefix}_CONFIG_CONTENT")
    if content:
        from bytespike_cli.formats import open_document

        try:
            data = open_document("jsonc", content, f"{prefix}_CONFIG_CONTENT").data
        except ConfigFileError as exc:
            problems.append(fail(tool.name, "config-unreadable", exc.message, f"fix or unset {prefix}_CONFIG_CONTENT",
                                 ExitCode.CONFIG))
        else:
            if isinstance(data, dict):
                found.append((f"env {prefix}_CONFIG_CONTENT", None, data))
    return found, problems


def _remove_step(label: str, setting: str) -> str:
    if label.startswith("env "):
        return f"unset {label[4:]}"
    return f"remove {setting} from {label}"


def _winners(found, *path: str) -> list[Candidate]:
    """Candidates for one setting, winner first."""
    dotted = ".".join(path)
    return [Candidate(f"{label} {dotted}", dig(data, *path), _remove_step(label, dotted))
            for label, _path, data in reversed(found) if dig(data, *path) not in (None, "")]


def substitute(text: str, layer_path: Path | None, ctx: Context) -> tuple[str, list[str], list[str]]:
    """(the value the tool sees, variables that are unset, files that are missing)."""
    unset: list[str] = []
    missing: list[str] = []

    def replace(match: re.Match) -> str:
        kind, name = match.group(1), match.group(2)
        if kind == "env":
            value = ctx.env.get(name) or ""
            if not value:
                unset.append(name)
            return value
        target = ctx.home / name[2:] if name.startswith("~/") else Path(name)
        if not target.is_absolute():
            target = (layer_path.parent if layer_path is not None else ctx.cwd) / target
        try:
            return target.read_text(encoding="utf-8").strip()
        except OSError:
            missing.append(str(target))
            return ""

    return _REFERENCE.sub(replace, text), unset, missing


def resolve_effective(tool, ctx: Context) -> list[Effective]:
    area = tool.name
    eff = Effective(area, tool.title, OPENAI, base_default=None, setup=f"`bytespike setup {tool.name}`")
    found, problems = layers(tool, ctx)
    eff.findings.extend(problems)
    if not any(isinstance(dig(data, "provider", PROVIDER), dict) for _label, _path, data in found):
        eff.key_unknown = f"no {PROVIDER} provider"
        return [eff]
    eff.base = _winners(found, "provider", PROVIDER, "options", "baseURL")
    models = {}
    for _label, _path, data in found:
        table = dig(data, "provider", PROVIDER, "models")
        if isinstance(table, dict):
            models.update(table)
    for slot in ("model", "small_model"):
        chosen = next(iter(_winners(found, slot)), None)
        if chosen is None:
            continue
        value = str(chosen.value)
        provider, _, model = value.partition("/")
        if provider != PROVIDER:
            if slot == "model":
                eff.findings.append(warn(area, "model-not-bytespike",
                                         f"{chosen.source} is '{value}': {tool.title} uses provider '{provider}' "
                                         "by default, not ByteSpike", chosen.remove))
            continue
        eff.models.append((model, chosen.source))
        package = dig(models, model, "provider", "npm")
        if package in SDK_PROTOCOLS:  # the model's own AI SDK package decides its wire (setup's Claude models)
            eff.model_protocols[model] = SDK_PROTOCOLS[package]
        if model not in models:
            eff.findings.append(fail(area, "model-unknown",
                                     f"{chosen.source} is '{value}', but provider.{PROVIDER}.models has no '{model}': "
                                     f"{tool.title} stops with \"model not found\"",
                                     f"run {eff.setup}", ExitCode.CONFIG))
    _resolve_key(tool, ctx, eff, found)
    return [eff]


def _resolve_key(tool, ctx: Context, eff: Effective, found) -> None:
    area = tool.name
    candidates = _winners(found, "provider", PROVIDER, "options", "apiKey")
    key = next(iter(candidates), None)
    if key is None:
        auth = _auth_key(tool, ctx)
        if auth:
            eff.key, eff.key_source = auth, f"{shown_path(tool.auth_path(), ctx.home)} {PROVIDER}"
            eff.key_remove = f"`{tool.executables[0]} auth logout` ({PROVIDER})"
        else:
            eff.key_unknown = "no options.apiKey"
            eff.findings.append(fail(area, "no-key", f"{tool.title} has no key for the {PROVIDER} provider "
                                                     "(no options.apiKey, nothing in auth.json)",
                                     f"run {eff.setup}", ExitCode.AUTH))
        return
    label = key.source.rsplit(" ", 1)[0]
    layer_path = next((p for lbl, p, _d in found if lbl == label), None)
    value, unset, missing = substitute(str(key.value), layer_path, ctx)
    for name in unset:
        eff.findings.append(fail(area, "key-env-missing",
                                 f"{key.source} is {key.value!r}, but {name} is not set in this environment: "
                                 f"{tool.title} started from here sends an empty key",
                                 f"export {name}=\"$(bytespike print-key)\" in your shell profile (or run "
                                 f"{eff.setup}, which needs no export)", ExitCode.AUTH))
    for path in missing:
        eff.findings.append(fail(area, "key-file-missing",
                                 f"{key.source} reads {path}, which does not exist: {tool.title} refuses to start "
                                 "(\"bad file reference\")", f"run `bytespike login`, then {eff.setup}",
                                 ExitCode.AUTH))
    if unset or missing:
        eff.key_unknown = "its key reference is empty"
        return
    eff.key = value
    references = ", ".join(m.group(0) for m in _REFERENCE.finditer(str(key.value)))
    eff.key_source = f"{key.source} ({references})" if references else key.source
    eff.key_remove = key.remove
    written = dig(next((d for _l, p, d in found if p == tool.settings_path()), {}), "provider", PROVIDER, "options",
                  "apiKey")
    if written not in (None, "") and layer_path != tool.settings_path():
        eff.findings.append(warn(area, "key-shadowed",
                                 f"{key.source} wins over the key bytespike wrote in "
                                 f"{shown_path(tool.settings_path(), ctx.home)}", key.remove))


def _auth_key(tool, ctx: Context) -> str | None:
    try:
        data = read_data("json", tool.auth_path()) or {}
    except ConfigFileError:
        return None
    entry = data.get(PROVIDER)
    if isinstance(entry, dict) and entry.get("type") == "api" and entry.get("key"):
        return str(entry["key"])
    return None
