"""What Cline will effectively use, read from its own store (for `bytespike doctor`)."""

from __future__ import annotations

from bytespike_cli.doctor.effective import (
    OPENAI,
    Candidate,
    Context,
    Effective,
    dig,
    read_data,
    running_findings,
    shown_path,
)
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import ConfigFileError


def resolve_effective(ctx: Context) -> list[Effective]:
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
    running = running_findings(tool, "Cline", "cline", "quit every editor that has Cline (and `cline` sessions) and "
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
