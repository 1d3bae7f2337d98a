"""The editors: Cursor, Cline, Continue, Zed, JetBrains (notes/editor-facts.md §3, §5–§8).

Each reads its own store through the integration's public functions (paths, ``open_state``,
``running``, ``old_vscode_only``) and says what the editor will call, with which key and model.
"""

from __future__ import annotations

import re

from bytespike_cli.doctor.effective.common import (
    OPENAI,
    Candidate,
    Context,
    Effective,
    dig,
    env_candidate,
    read_data,
    shown_path,
)
from bytespike_cli.doctor.findings import fail, skip, warn
from bytespike_cli.errors import ConfigFileError


def _running(tool, label: str, code_tool: str, restart: str) -> list:
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


# -- Cursor ------------------------------------------------------------------------------------------------
def cursor(ctx: Context) -> list[Effective]:
    from bytespike_cli.tools.cursor import APP_USER, KEY_ROW, SECRET_KEY_ROW

    tool = ctx.integration("cursor")
    eff = Effective("cursor", "Cursor", OPENAI, base_default="Cursor's own servers",
                    setup="`bytespike setup cursor` (with Cursor closed)")
    eff.findings += _running(tool, "Cursor", "cursor",
                             "quit Cursor completely before `bytespike setup cursor`, and start it again after it")
    if not tool.db_path().is_file():
        eff.key_unknown = "Cursor has no settings database yet"
        return [eff]
    try:
        doc = tool.open_state()
    except ConfigFileError as exc:
        eff.findings.append(fail("cursor", "state-unreadable", exc.message, exc.hint, 9))
        eff.key_unknown = "unreadable"
        return [eff]
    blob = doc.rows.get(APP_USER) or {}
    shown = shown_path(tool.db_path(), ctx.home)
    if blob.get("useOpenAIKey") is True:
        eff.base = [Candidate(f"{shown} openAIBaseUrl", blob.get("openAIBaseUrl"),
                              "Cursor Settings → Models → API Keys → Override OpenAI Base URL")]
        if not blob.get("openAIBaseUrl"):
            eff.base_default = "https://api.openai.com/v1"
    elif blob.get("openAIBaseUrl") and ctx.is_gateway(blob.get("openAIBaseUrl")):
        eff.findings.append(fail("cursor", "key-switched-off",
                                 "the ByteSpike base URL is set, but Cursor's own OpenAI key is switched off "
                                 "(useOpenAIKey false): Cursor ignores both",
                                 "Cursor Settings → Models → API Keys: turn the OpenAI API key on", 1))
    key = doc.rows.get(KEY_ROW)
    if isinstance(key, str) and key:
        eff.key, eff.key_source = key, f"{shown} (plain-text row, not yet moved into Cursor's encrypted store)"
        eff.findings.append(warn("cursor", "key-plaintext",
                                 "the key is still stored in plain text: Cursor moves it into its encrypted store "
                                 "at its next start", "start Cursor once, then run `bytespike doctor cursor` again"))
    elif SECRET_KEY_ROW in doc.rows:
        eff.key_unknown = ("Cursor keeps the key encrypted (OS keychain): check it with Verify in Cursor Settings "
                           "→ Models → API Keys")
    else:
        eff.key_unknown = "no OpenAI key stored in Cursor"
        if blob.get("useOpenAIKey") is True:
            eff.findings.append(fail("cursor", "no-key", "Cursor has the custom base URL but no API key",
                                     "Cursor Settings → Models → API Keys: paste the output of "
                                     "`bytespike print-key`", 3))
    for model in (dig(blob, "aiSettings", "userAddedModels") or []):
        if isinstance(model, str):
            if model.lower().startswith("claude"):
                eff.findings.append(warn("cursor", "claude-model",
                                         f"model '{model}': Cursor sends claude* ids to Anthropic itself, never "
                                         "to the custom base URL", "use another model id in Cursor for ByteSpike"))
            else:
                eff.models.append((model, f"{shown} aiSettings.userAddedModels"))
    base = eff.base_url or ""
    if base and re.match(r"^https?://(localhost|127\.|\[::1\]|0\.0\.0\.0|10\.|192\.168\.)", base):
        eff.findings.append(fail("cursor", "local-url",
                                 f"Cursor calls {base} from its own servers, not from this computer: a local "
                                 "address can never work", "point Cursor at the public gateway "
                                 "(`bytespike setup cursor` with a profile whose base URL is public)", 7))
    return [eff]


# -- Cline ---------------------------------------------------------------------------------------------------
def cline(ctx: Context) -> list[Effective]:
    from bytespike_cli.tools.cline import LEGACY_PROVIDER, SDK_PROVIDER

    tool = ctx.integration("cline")
    old = tool.old_vscode_only()
    if old:
        which = ", ".join(f"Cline {i.version_text} in {i.editor}" for i in old)
        eff = Effective("cline", "Cline", OPENAI, key_unknown="encrypted storage")
        eff.findings.append(warn("cline", "encrypted-storage",
                                 f"{which} keeps its settings in the editor's own storage and the key in its "
                                 "encrypted SecretStorage: bytespike cannot see what it uses",
                                 "update Cline to 3.66 or later (then `bytespike setup cline`), or check the "
                                 "provider, base URL and model in Cline's settings"))
        return [eff]
    found: list[Effective] = []
    running = _running(tool, "Cline", "cline", "quit every editor that has Cline (and `cline` sessions) and "
                                               "start them again")
    try:
        state = read_data("json", tool.global_state_path()) or {}
        secrets = read_data("json", tool.secrets_path()) or {}
        providers = read_data("json", tool.providers_path()) or {}
    except ConfigFileError as exc:
        eff = Effective("cline", "Cline", OPENAI, key_unknown="unreadable")
        eff.findings.append(fail("cline", "store-unreadable", exc.message, exc.hint, 9))
        return [eff]
    state_file = shown_path(tool.global_state_path(), ctx.home)
    secrets_file = shown_path(tool.secrets_path(), ctx.home)
    if state:
        eff = Effective("cline", "Cline (editor extension)", OPENAI, base_default=None, setup="`bytespike setup cline`")
        act = state.get("actModeApiProvider")
        if act == LEGACY_PROVIDER:
            eff.base = [Candidate(f"{state_file} openAiBaseUrl", state.get("openAiBaseUrl"),
                                  "Cline settings → API Configuration → Base URL")]
            key = secrets.get("openAiApiKey")
            if key:
                eff.key, eff.key_source = str(key), f"{secrets_file} openAiApiKey"
            else:
                eff.key_unknown = "no openAiApiKey"
                eff.findings.append(fail("cline", "no-key", f"{secrets_file} has no openAiApiKey",
                                         "run `bytespike setup cline`", 3))
            for slot in ("actModeOpenAiModelId", "planModeOpenAiModelId"):
                if state.get(slot):
                    eff.models.append((str(state[slot]), f"{state_file} {slot}"))
        else:
            eff.base_default = f"Cline's '{act or 'default'}' provider"
            eff.key_unknown = f"provider '{act}'"
            if ctx.is_gateway(state.get("openAiBaseUrl")):
                eff.findings.append(fail("cline", "provider-switched",
                                         f"Cline's Act mode uses the '{act}' provider, so the ByteSpike base URL "
                                         "set for 'OpenAI Compatible' is not used",
                                         "Cline settings → API Provider: OpenAI Compatible (or `bytespike setup "
                                         "cline`)", 1))
        eff.findings = running + eff.findings
        found.append(eff)
    entry = dig(providers, "providers", SDK_PROVIDER, "settings")
    if isinstance(entry, dict):
        shown = shown_path(tool.providers_path(), ctx.home)
        cli = Effective("cline", "the Cline CLI", OPENAI, base_default=None, setup="`bytespike setup cline`")
        cli.base = [Candidate(f"{shown} providers.{SDK_PROVIDER}.settings.baseUrl", entry.get("baseUrl"),
                              "`cline auth -p openai-compatible` or `bytespike setup cline`")]
        if entry.get("apiKey"):
            cli.key, cli.key_source = str(entry["apiKey"]), f"{shown} providers.{SDK_PROVIDER}.settings.apiKey"
        else:
            cli.key_unknown = "no apiKey"
        if entry.get("model"):
            cli.models.append((str(entry["model"]), f"{shown} providers.{SDK_PROVIDER}.settings.model"))
        last = providers.get("lastUsedProvider")
        if last and last != SDK_PROVIDER and ctx.is_gateway(entry.get("baseUrl")):
            cli.findings.append(warn("cline", "cli-provider", f"the Cline CLI last used the '{last}' provider, "
                                                              "not ByteSpike's openai-compatible one",
                                     "`cline auth -p openai-compatible`, or `bytespike setup cline`"))
        if not found:
            cli.findings = running + cli.findings
        found.append(cli)
    if not found:
        eff = Effective("cline", "Cline", OPENAI, base_default=None, key_unknown="not configured",
                        setup="`bytespike setup cline`")
        eff.findings = running
        found.append(eff)
    return found


# -- Continue ----------------------------------------------------------------------------------------------------
_SECRET_REF = re.compile(r"^\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}$")


def continue_(ctx: Context) -> list[Effective]:
    tool = ctx.integration("continue")
    eff = Effective("continue", "Continue", OPENAI, base_default=None, setup="`bytespike setup continue`")
    try:
        config = read_data("yaml", tool.yaml_path())
    except ConfigFileError as exc:
        eff.findings.append(fail("continue", "config-unreadable", exc.message, exc.hint, 9))
        eff.key_unknown = "unreadable"
        return [eff]
    if config is None:
        eff.key_unknown = "no config.yaml"
        if tool.json_path().exists():
            eff.findings.append(skip("continue", "legacy-config",
                                     f"Continue uses the legacy {shown_path(tool.json_path(), ctx.home)}: "
                                     "not checked", "convert it to config.yaml, then `bytespike setup continue`"))
        return [eff]
    shown = shown_path(tool.yaml_path(), ctx.home)
    models = [m for m in (config.get("models") or []) if isinstance(m, dict)]
    ours = [m for m in models if ctx.is_gateway(m.get("apiBase"))]
    if not ours:
        eff.key_unknown = "no ByteSpike model"
        return [eff]
    first = ours[0]
    eff.base = [Candidate(f"{shown} models[{first.get('name')}].apiBase", first.get("apiBase"),
                          f"edit apiBase in {shown}")]
    eff.models = [(str(m.get("model")), f"{shown} models[{m.get('name')}]") for m in ours
                  if m.get("apiBase") == first.get("apiBase") and m.get("model")]
    raw_key = str(first.get("apiKey") or "")
    ref = _SECRET_REF.match(raw_key)
    if ref:
        name = ref.group(1)
        # Continue's lookup order for a local config: ~/.continue/.env, the workspace .env, process env
        places = [(tool.env_path(), None), (ctx.cwd / ".env", None)]
        for path, _ in places:
            try:
                data = read_data("dotenv", path) or {}
            except ConfigFileError as exc:
                eff.findings.append(fail("continue", "dotenv-unreadable", exc.message, exc.hint, 9))
                continue
            if data.get(name):
                eff.key, eff.key_source = data[name], f"{shown_path(path, ctx.home)} {name}"
                break
        else:
            found = env_candidate(ctx.env, name)
            if found.value:
                eff.key, eff.key_source = found.value, f"{found.source} (the editor's environment)"
            else:
                eff.key_unknown = f"secret {name} not found"
                eff.findings.append(fail("continue", "secret-missing",
                                         f"{shown} uses ${{{{ secrets.{name} }}}}, but no {name} is in "
                                         f"{shown_path(tool.env_path(), ctx.home)}, ./.env or the environment",
                                         "run `bytespike setup continue` (it writes the key to ~/.continue/.env)", 3))
    elif raw_key:
        eff.key, eff.key_source = raw_key, f"{shown} models[{first.get('name')}].apiKey"
    else:
        eff.key_unknown = "no apiKey"
    return [eff]


# -- Zed -----------------------------------------------------------------------------------------------------------
def zed(ctx: Context) -> list[Effective]:
    from bytespike_cli.tools.zed import KEY_VAR, PROVIDER

    tool = ctx.integration("zed")
    eff = Effective("zed", "Zed", OPENAI, base_default=None, setup="`bytespike setup zed`")
    layers = []
    for path in (ctx.cwd / ".zed" / "settings.json", tool.settings_path()):
        try:
            data = read_data("jsonc", path)
        except ConfigFileError as exc:
            eff.findings.append(fail("zed", "settings-unreadable", exc.message, exc.hint, 9))
            continue
        if data is not None:
            layers.append((path, data))
    provider_layers = [(p, dig(d, "language_models", "openai_compatible", PROVIDER)) for p, d in layers]
    provider = next(((p, v) for p, v in provider_layers if isinstance(v, dict)), None)
    if provider is None:
        eff.key_unknown = "no bytespike provider"
        return [eff]
    path, table = provider
    shown = shown_path(path, ctx.home)
    eff.base = [Candidate(f"{shown} language_models.openai_compatible.{PROVIDER}.api_url", table.get("api_url"),
                          f"edit api_url in {shown}")]
    key = env_candidate(ctx.env, KEY_VAR)
    if key.value:
        eff.key, eff.key_source = key.value, f"{key.source} (Zed reads it from the environment it starts in)"
    else:
        eff.key_unknown = f"{KEY_VAR} not set"
        eff.findings.append(warn("zed", "key-env",
                                 f"{KEY_VAR} is not set in this environment: Zed started from here has no key "
                                 "(unless you typed one into Zed, which keeps it in the keychain)",
                                 f"export {KEY_VAR}=\"$(bytespike print-key)\" in your shell profile and restart Zed"))
    names = [str(m.get("name")) for m in table.get("available_models") or [] if isinstance(m, dict) and m.get("name")]
    eff.models = [(n, f"{shown} available_models") for n in names]
    for layer_path, data in layers:
        default = dig(data, "agent", "default_model")
        if isinstance(default, dict):
            where = shown_path(layer_path, ctx.home)
            if default.get("provider") != PROVIDER:
                eff.findings.append(warn("zed", "default-model",
                                         f"{where} agent.default_model uses provider '{default.get('provider')}', "
                                         "so the agent does not use ByteSpike by default",
                                         f"pick a ByteSpike model in Zed's agent panel, or fix {where}"))
            elif default.get("model") and default.get("model") not in names:
                eff.findings.append(fail("zed", "default-model",
                                         f"{where} agent.default_model '{default.get('model')}' is not in the "
                                         "bytespike provider's available_models", "run `bytespike setup zed`", 5))
            break
    return [eff]


# -- JetBrains -----------------------------------------------------------------------------------------------------
def jetbrains(ctx: Context) -> list[Effective]:
    eff = Effective("jetbrains", "JetBrains AI Assistant", OPENAI, base_default=None,
                    key_unknown="kept in the IDE's password safe")
    eff.findings.append(skip("jetbrains", "not-inspectable",
                             "AI Assistant keeps its provider in the IDE and the key in the IDE's password safe: "
                             "nothing to read from outside",
                             "in the IDE: Settings → Tools → AI Assistant → Providers & API keys → Test Connection"))
    return [eff]
