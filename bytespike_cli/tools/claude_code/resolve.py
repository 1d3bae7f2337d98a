"""Claude Code, resolved the way Claude Code resolves it (notes/editor-facts.md §1).

- Settings layers, highest first: ``.claude/settings.local.json`` and ``.claude/settings.json`` in the
  project, then ``~/.claude/settings.json`` (or ``$CLAUDE_CONFIG_DIR``). A variable in a layer's ``env``
  wins over the same variable inherited from the shell.
- Credential precedence: cloud-provider switches > ``ANTHROPIC_AUTH_TOKEN`` > ``ANTHROPIC_API_KEY`` >
  ``apiKeyHelper`` > the claude.ai login. ``ANTHROPIC_API_KEY`` goes out as ``x-api-key`` even next to a
  bearer token, and the gateway reads ``x-api-key`` first, so that key is the one the gateway sees.
- Model: ``ANTHROPIC_MODEL`` > the settings ``model``; the alias variables pick the sonnet/opus/haiku
  slots and background tasks.
"""

from __future__ import annotations

from pathlib import Path

from bytespike_cli.doctor.effective import (
    ANTHROPIC,
    Candidate,
    Context,
    Effective,
    dig,
    env_candidate,
    file_candidate,
    read_data,
    winner,
)
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.tools.base import is_bytespike_command, profile_from_args
from bytespike_cli.redact import mask_key

TOOL = "claude-code"
CLOUD_SWITCHES = {"CLAUDE_CODE_USE_BEDROCK": "Amazon Bedrock", "CLAUDE_CODE_USE_VERTEX": "Google Vertex AI",
                  "CLAUDE_CODE_USE_FOUNDRY": "Microsoft Foundry"}
MODEL_VARS = ("ANTHROPIC_DEFAULT_SONNET_MODEL", "ANTHROPIC_DEFAULT_OPUS_MODEL", "ANTHROPIC_DEFAULT_HAIKU_MODEL",
              "CLAUDE_CODE_SUBAGENT_MODEL")
DEFAULT_BASE = "https://api.anthropic.com"


def layers(ctx: Context) -> list[Path]:
    """Settings files, highest precedence first."""
    user = ctx.integration(TOOL).settings_path()
    project = ctx.cwd / ".claude"
    return [project / "settings.local.json", project / "settings.json", user]


def resolve_effective(ctx: Context) -> list[Effective]:
    eff = Effective(TOOL, "Claude Code", ANTHROPIC, base_default=DEFAULT_BASE,
                    setup="`bytespike setup claude-code` (or `bytespike run claude` for one session)")
    files: list[tuple[Path, dict]] = []
    for path in layers(ctx):
        try:
            data = read_data("json", path)
        except ConfigFileError as exc:
            eff.findings.append(fail(TOOL, "settings-unreadable", exc.message,
                                     exc.hint or f"fix or move {path}: Claude Code stops reading it too"))
            continue
        if data is not None:
            files.append((path, data))

    def var(name: str) -> list[Candidate]:
        found = [file_candidate(p, f"env.{name}", dig(d, "env", name), ctx.home) for p, d in files]
        return [c for c in found if c.value not in (None, "")] + [env_candidate(ctx.env, name)]

    def top(name: str) -> list[Candidate]:
        return [c for c in (file_candidate(p, name, d.get(name), ctx.home) for p, d in files)
                if c.value not in (None, "")]

    for switch, cloud in CLOUD_SWITCHES.items():
        on = winner(var(switch))
        if on and str(on.value).strip().lower() not in ("0", "false", ""):
            eff.findings.append(fail(TOOL, "cloud-provider",
                                     f"{switch} ({on.source}) sends Claude Code to {cloud}, not to ByteSpike",
                                     on.remove))
    eff.base = var("ANTHROPIC_BASE_URL")

    token, api_key, helper = winner(var("ANTHROPIC_AUTH_TOKEN")), winner(var("ANTHROPIC_API_KEY")), winner(top("apiKeyHelper"))
    helper_key = helper_source = None
    if helper is not None:
        if is_bytespike_command(str(helper.value)):
            profile = profile_from_args(str(helper.value))
            helper_key, where = ctx.profile_key(profile)
            helper_source = f"apiKeyHelper in {helper.source.rsplit(' ', 1)[0]} → {where}"
        else:
            helper_source = f"apiKeyHelper `{helper.value}` ({helper.source.rsplit(' ', 1)[0]})"

    sent = api_key or token  # x-api-key wins at the gateway when both are sent
    if sent is not None:
        eff.key, eff.key_source, eff.key_remove = str(sent.value), sent.source, sent.remove
        if token is not None and api_key is not None and token.value != api_key.value:
            eff.findings.append(fail(
                TOOL, "two-keys",
                f"both ANTHROPIC_AUTH_TOKEN ({token.source}) and ANTHROPIC_API_KEY ({api_key.source}) are set: "
                f"Claude Code sends both, and the gateway uses the x-api-key one ({mask_key(str(api_key.value))})",
                api_key.remove))
        if helper is not None:
            loses = f"{sent.source} outranks apiKeyHelper, so Claude Code never runs the helper"
            if helper_key and helper_key != eff.key:
                eff.findings.append(fail(
                    TOOL, "credential-shadowed",
                    f"{loses}: it sends {mask_key(eff.key)} ({sent.source}) instead of the ByteSpike key "
                    f"{mask_key(helper_key)}", sent.remove))
            else:
                eff.findings.append(warn(TOOL, "credential-shadowed", f"{loses} (it holds the same key)",
                                         sent.remove))
    elif helper is not None:
        eff.key_source = helper_source or "apiKeyHelper"
        if helper_key:
            eff.key = helper_key
            eff.key_remove = f"remove apiKeyHelper from {helper.source.rsplit(' ', 1)[0]}"
        elif is_bytespike_command(str(helper.value)):
            eff.key_unknown = f"{helper_source}: no key"
            eff.findings.append(fail(TOOL, "helper-no-key", f"the apiKeyHelper prints no key ({helper_source})",
                                     "run `bytespike login` (with the helper's --profile)", 3))
        else:
            eff.key_unknown = f"{helper_source} is not bytespike: the key it prints cannot be checked from here"
    else:
        eff.key_unknown = "no ANTHROPIC_AUTH_TOKEN, ANTHROPIC_API_KEY or apiKeyHelper: Claude Code uses its claude.ai login"

    model = winner(var("ANTHROPIC_MODEL")) or winner(top("model"))
    if model is not None:
        eff.models.append((str(model.value), model.source))
    for name in MODEL_VARS:
        chosen = winner(var(name))
        if chosen is not None:
            eff.models.append((str(chosen.value), chosen.source))
    deprecated = winner(var("ANTHROPIC_SMALL_FAST_MODEL"))
    if deprecated is not None:
        eff.models.append((str(deprecated.value), deprecated.source))
        eff.findings.append(warn(TOOL, "deprecated-variable",
                                 f"ANTHROPIC_SMALL_FAST_MODEL ({deprecated.source}) is deprecated",
                                 "use ANTHROPIC_DEFAULT_HAIKU_MODEL instead (`bytespike setup claude-code` writes it)"))
    return [eff]
