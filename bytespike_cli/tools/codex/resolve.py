"""Codex CLI, resolved the way Codex resolves it (notes/editor-facts.md §2, openai/codex source).

- ``$CODEX_HOME/config.toml`` (default ``~/.codex``), with the project's ``.codex/config.toml`` on top
  (Codex reads it for trusted projects).
- Provider: the selected profile's ``model_provider`` > top-level ``model_provider`` > ``openai``.
  Built-in ids (``openai``, ``ollama``, ``lmstudio``, ``amazon-bedrock``) cannot be redefined: a
  ``[model_providers.openai]`` table is a hard configuration error in current Codex.
- Credential of a custom provider: exactly one of ``auth`` (a command, Codex 0.118+), ``env_key``,
  ``experimental_bearer_token``; ``requires_openai_auth`` no longer passes auth.json keys to
  custom providers (Codex 0.149+). The built-in ``openai`` provider reads ``OPENAI_BASE_URL`` /
  ``openai_base_url`` and ``OPENAI_API_KEY``.
"""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

from bytespike_cli.doctor.effective import (
    RESPONSES,
    Candidate,
    Context,
    Effective,
    env_candidate,
    read_data,
    shown_path,
)
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.tools.base import is_bytespike_command, profile_from_args

TOOL = "codex"
RESERVED = ("openai", "ollama", "lmstudio", "amazon-bedrock")
CREDENTIALS = ("auth", "env_key", "experimental_bearer_token")
AUTH_MIN_VERSION = (0, 118, 0)


def _merge(base: dict, top: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _where(key: str, user: tuple[Path, dict] | None, project: tuple[Path, dict] | None, home: Path,
           lookup) -> str:
    """Which file a merged value comes from (the project file wins)."""
    for found in (project, user):
        if found is not None and lookup(found[1]) is not None:
            return f"{shown_path(found[0], home)} {key}"
    return key


def trusted(ctx: Context, url: str | None) -> bool:
    from bytespike_cli.doctor.probe import trusted as may_send_key

    return may_send_key(ctx, url)


def resolve_effective(ctx: Context) -> list[Effective]:
    integration = ctx.integration(TOOL)
    eff = Effective(TOOL, "Codex", RESPONSES, base_default="https://api.openai.com/v1",
                    setup="`bytespike setup codex` (or `bytespike run codex` for one session)")
    loaded: dict[str, tuple[Path, dict] | None] = {}
    for name, path in (("user", integration.config_path()), ("project", ctx.cwd / ".codex" / "config.toml")):
        try:
            data = read_data("toml", path)
        except ConfigFileError as exc:
            eff.findings.append(fail(TOOL, "config-unreadable", exc.message, exc.hint or f"fix {path}: Codex "
                                     "refuses to start with it too", 9))
            data = None
        loaded[name] = (path, data) if data is not None else None
    user, project = loaded["user"], loaded["project"]
    merged = _merge(user[1] if user else {}, project[1] if project else {})

    def where(key: str, lookup) -> str:
        return _where(key, user, project, ctx.home, lookup)

    providers = merged.get("model_providers") if isinstance(merged.get("model_providers"), dict) else {}
    for reserved in RESERVED:
        if reserved in providers:
            eff.findings.append(fail(
                TOOL, "reserved-provider",
                f"{where(f'[model_providers.{reserved}]', lambda d: (d.get('model_providers') or {}).get(reserved))} "
                f"redefines a built-in provider: current Codex refuses to start (\"Built-in providers cannot be "
                f"overridden\"), older ones ignore the table",
                f"rename the table (e.g. [model_providers.bytespike]) and set model_provider to it, or run "
                f"`bytespike setup codex`", 9))

    profile_name = merged.get("profile")
    profile: dict = {}
    if profile_name:
        from bytespike_cli.tools.codex import PROFILE_FILES_VERSION, executable_version

        version = executable_version(shutil.which("codex", path=ctx.env.get("PATH")))
        if version is not None and version >= PROFILE_FILES_VERSION:  # openai/codex PR #24051, release 0.134
            eff.findings.append(fail(
                TOOL, "legacy-profile",
                f"{where('profile', lambda d: d.get('profile'))} selects profile '{profile_name}': Codex "
                f"{'.'.join(map(str, version))} refuses to start (\"legacy profile config is no longer supported\")",
                f"delete that line; move [profiles.{profile_name}] into {profile_name}.config.toml beside "
                f"config.toml and run `codex --profile {profile_name}`", 9))
        profile = (merged.get("profiles") or {}).get(profile_name)
        if not isinstance(profile, dict):
            eff.findings.append(fail(TOOL, "missing-profile",
                                     f"{where('profile', lambda d: d.get('profile'))} selects profile "
                                     f"'{profile_name}', which is not defined: Codex refuses to start",
                                     f"add [profiles.{profile_name}] or remove the `profile` line", 9))
            profile = {}
    profile_where = where("profile", lambda d: d.get("profile"))
    if profile.get("model_provider"):
        provider_id = str(profile["model_provider"])
        provider_source = f"profile '{profile_name}' model_provider (selected by {profile_where})"
    elif merged.get("model_provider"):
        provider_id = str(merged["model_provider"])
        provider_source = where("model_provider", lambda d: d.get("model_provider"))
    else:
        provider_id, provider_source = "openai", "Codex's default provider"
    # A selected profile that switches the provider shadows the top-level one (Codex: profile's
    # model_provider > top-level model_provider, codex-rs/core/src/config/model_provider_resolution.rs).
    shadowed: list[Candidate] = []
    top_id = merged.get("model_provider")
    if profile.get("model_provider") and top_id and str(top_id) != provider_id:
        top_table = providers.get(str(top_id))
        if isinstance(top_table, dict) and top_table.get("base_url"):
            top_where = where(f"[model_providers.{top_id}]",
                              lambda d: (d.get("model_providers") or {}).get(str(top_id)))
            shadowed.append(Candidate(f"{top_where} base_url (model_provider = \"{top_id}\")",
                                      top_table.get("base_url")))
    profile_remove = (f"remove `profile = \"{profile_name}\"` from {profile_where.rsplit(' ', 1)[0]} (or set "
                      f"model_provider = \"{top_id}\" in [profiles.{profile_name}])")

    model = profile.get("model") or merged.get("model")
    if model:
        source = f"profile '{profile_name}' model" if profile.get("model") else where("model", lambda d: d.get("model"))
        eff.models.append((str(model), source))

    if provider_id == "openai":
        eff.label = "Codex (built-in openai provider)"
        eff.base = [env_candidate(ctx.env, "OPENAI_BASE_URL"),
                    Candidate(where("openai_base_url", lambda d: d.get("openai_base_url")),
                              merged.get("openai_base_url"), "remove openai_base_url from config.toml")]
        if shadowed:
            eff.base += [Candidate(provider_source, eff.base_default, profile_remove), *shadowed]
        key = env_candidate(ctx.env, "OPENAI_API_KEY")
        if key.value:
            eff.key, eff.key_source, eff.key_remove = key.value, key.source, key.remove
        else:
            eff.key_unknown = "no OPENAI_API_KEY: Codex uses its ChatGPT login or ~/.codex/auth.json"
        return [eff]
    if provider_id in RESERVED:
        eff.label = f"Codex ({provider_id} provider)"
        eff.base_default = f"Codex's built-in {provider_id} provider"
        if shadowed:
            eff.base = [Candidate(provider_source, eff.base_default, profile_remove), *shadowed]
        eff.key_unknown = f"the built-in {provider_id} provider"
        return [eff]

    table = providers.get(provider_id)
    if not isinstance(table, dict):
        eff.findings.append(fail(TOOL, "missing-provider",
                                 f"{provider_source} = \"{provider_id}\", but there is no [model_providers."
                                 f"{provider_id}] table: Codex refuses to start",
                                 "run `bytespike setup codex`", 9))
        eff.key_unknown = "no provider table"
        eff.base_default = None
        return [eff]
    eff.label = f"Codex (provider '{provider_id}')"
    table_where = where(f"[model_providers.{provider_id}]", lambda d: (d.get("model_providers") or {}).get(provider_id))
    eff.base = [Candidate(f"{table_where} base_url" + (f" via {provider_source}" if shadowed else ""),
                          table.get("base_url"), profile_remove if shadowed else f"fix base_url in {table_where}"),
                *shadowed]
    eff.base_default = None
    ours = trusted(ctx, eff.base_url)  # only then is the credential ByteSpike's business
    wire = table.get("wire_api", "responses")
    if wire != "responses":
        eff.findings.append(fail(TOOL, "wire-api", f"{table_where} has wire_api = \"{wire}\": current Codex only "
                                                   "speaks \"responses\" and refuses the value",
                                 f"set wire_api = \"responses\" in {table_where}", 9))
    used = [name for name in CREDENTIALS if table.get(name)]
    if table.get("requires_openai_auth") is True:
        used.append("requires_openai_auth")
    if "auth" in used and len(used) > 1:
        eff.findings.append(fail(TOOL, "credential-conflict",
                                 f"{table_where} combines auth with {', '.join(u for u in used if u != 'auth')}: "
                                 "Codex rejects that (\"provider auth cannot be combined\")",
                                 f"keep one of them in {table_where} (`bytespike setup codex` writes auth only)", 9))
    auth = table.get("auth") if isinstance(table.get("auth"), dict) else None
    if auth is not None:
        command = str(auth.get("command") or "")
        if is_bytespike_command(command):
            eff.key, where_key = ctx.profile_key(profile_from_args(auth.get("args")))
            eff.key_source = f"{table_where} auth → {where_key}"
            eff.key_remove = f"fix the auth table in {table_where}"
            if eff.key is None:
                eff.key_unknown = f"{table_where} auth prints no key ({where_key})"
                eff.findings.append(fail(TOOL, "helper-no-key", f"the auth command prints no key ({where_key})",
                                         "run `bytespike login`", 3))
            version = integration.version()
            if version is not None and version < AUTH_MIN_VERSION:
                eff.findings.append(fail(TOOL, "auth-unsupported",
                                         f"Codex {'.'.join(map(str, version))} ignores the provider auth command "
                                         "(added in 0.118) and sends no key: every request is refused (401)",
                                         "upgrade Codex (`npm install -g @openai/codex`), or run `bytespike setup "
                                         "codex --key-mode env`", 3))
        else:
            eff.key_unknown = f"{table_where} auth runs `{command}`, not bytespike: its key cannot be checked from here"
    elif table.get("env_key"):
        name = str(table["env_key"])
        found = env_candidate(ctx.env, name)
        if found.value and str(found.value).strip():
            eff.key, eff.key_source, eff.key_remove = str(found.value).strip(), f"env {name} ({table_where} env_key)", found.remove
        elif not ours:  # another provider's variable: never suggest putting the ByteSpike key in it
            eff.key_unknown = f"{name} is not set"
        else:
            eff.key_unknown = f"{name} is not set"
            eff.findings.append(fail(TOOL, "env-key-missing",
                                     f"Codex reads the key from ${name} ({table_where} env_key), which is not set "
                                     "in this environment: every request fails",
                                     f"export {name}=\"$(bytespike print-key)\" in your shell profile, then open a "
                                     "new terminal (or use `bytespike run codex`)", 3))
    elif table.get("experimental_bearer_token"):
        eff.key = str(table["experimental_bearer_token"])
        eff.key_source = f"{table_where} experimental_bearer_token"
        eff.key_remove = f"remove experimental_bearer_token from {table_where}"
    elif table.get("requires_openai_auth") is True:
        eff.key_unknown = "requires_openai_auth"
        if ours:
            eff.findings.append(fail(TOOL, "openai-auth",
                                     f"{table_where} relies on requires_openai_auth: Codex 0.149+ no longer sends "
                                     "the auth.json key to custom providers",
                                     "run `bytespike setup codex` (it uses a key command instead)", 3))
    else:
        eff.key_unknown = "no credential"
        if ours:
            eff.findings.append(fail(TOOL, "no-credential", f"{table_where} has no auth, env_key or token: Codex "
                                                            "sends no key", "run `bytespike setup codex`", 3))
    if shadowed and ours:  # both point at ByteSpike: worth knowing, not broken
        eff.findings.append(warn(TOOL, "profile-overrides",
                                 f"profile '{profile_name}' ({profile_where}) sets model_provider = "
                                 f"\"{provider_id}\" over the top-level \"{top_id}\"", profile_remove))
    return [eff]
