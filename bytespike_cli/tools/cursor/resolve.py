"""What Cursor will effectively use, read from its own store (for `bytespike doctor`)."""

from __future__ import annotations

import re

from bytespike_cli.doctor.effective import (
    OPENAI,
    Candidate,
    Context,
    Effective,
    dig,
    running_findings,
    shown_path,
)
from bytespike_cli.doctor.findings import fail, warn
from bytespike_cli.errors import ConfigFileError


def resolve_effective(ctx: Context) -> list[Effective]:
    from bytespike_cli.tools.cursor import APP_USER, KEY_ROW, SECRET_KEY_ROW

    tool = ctx.integration("cursor")
    eff = Effective("cursor", "Cursor", OPENAI, base_default="Cursor's own servers",
                    setup="`bytespike setup cursor` (with Cursor closed)")
    eff.findings += running_findings(tool, "Cursor", "cursor",
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
