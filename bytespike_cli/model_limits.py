"""A model's context window and output limit, wherever the catalogue puts them — or the documented table.

The ByteSpike catalogue says ``context_window`` / ``max_output_tokens`` (gateway-api.md §3.3). Gateways
that grew out of other projects say it differently: LiteLLM ``max_input_tokens`` / ``max_tokens``,
vLLM ``max_model_len``, OpenRouter ``context_length`` and ``top_provider.max_completion_tokens``,
Gemini ``inputTokenLimit`` / ``outputTokenLimit``; an older gateway may say nothing at all. Without a
window, Aider warns "Unknown context window size", and Zed, Continue, Cline and Codex get no limits.

So: the first known field wins; failing that, the per-model table of gateway-api.md §6.1 (the docs'
figures, "128K" read as 128000); failing that, nothing. ``source`` says which, so setup can tell.
This module is the only place limits are read (``gateway.Model.from_api`` calls it); it imports
nothing heavy, so tool modules may use it too.
"""

from __future__ import annotations

from typing import Any, Mapping

CATALOGUE = "catalogue"
DOCUMENTED = "documented"  # gateway-api.md §6.1

CONTEXT_FIELDS = ("context_window", "max_input_tokens", "max_model_len", "context_length", "max_context_length",
                  "context_size", "inputTokenLimit", "input_token_limit")
OUTPUT_FIELDS = ("max_output_tokens", "max_completion_tokens", "outputTokenLimit", "output_token_limit",
                 "max_tokens")

# gateway-api.md §6.1 "Text models" (context, max out); ids exactly as the docs write them.
# Where the docs disagree (gpt-5-4: 128K vs the /v1/models example's 256000) the table's figure is used.
DOCUMENTED_LIMITS: dict[str, tuple[int | None, int | None]] = {
    "claude-opus-4-8": (200_000, 32_768),
    "claude-opus-4-7": (200_000, 32_768),
    "claude-opus-4-6": (200_000, 32_768),
    "claude-opus-4-5": (200_000, 32_768),
    "claude-sonnet-4-6": (200_000, 8_192),
    "claude-haiku-4-5": (200_000, 8_192),
    "gpt-5-5": (128_000, None),
    "gpt-5-4": (128_000, 16_384),
    "gpt-5-4-mini": (128_000, 16_384),
    "gpt-5-4-nano": (128_000, None),
    "gpt-5-4-pro": (128_000, 32_768),
    "gpt-5-2": (128_000, None),
    "gemini-3-1-pro": (1_000_000, 32_768),
    "gemini-3-5-flash": (1_000_000, None),
    "gemini-3-flash": (200_000, 8_192),
    "gemini-2-5-flash": (1_000_000, None),
    "deepseek-v4-pro": (64_000, 16_384),
    "deepseek-v4-flash": (64_000, 8_192),
    "doubao-seed-2.0-pro": (200_000, None),
    "glm-5-1": (128_000, 16_384),
    "minimax-m2.7": (200_000, 16_384),
    "minimax-m2.5": (128_000, 8_192),
}


def _positive_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _first(item: Mapping[str, Any], fields: tuple[str, ...]) -> tuple[int | None, str | None]:
    places: list[Mapping[str, Any]] = [item]
    for nested in ("top_provider", "model_info", "limits", "limit"):  # OpenRouter, LiteLLM, others
        if isinstance(item.get(nested), Mapping):
            places.append(item[nested])
    for place in places:
        for name in fields:
            value = _positive_int(place.get(name))
            if value is not None:
                return value, name
    return None, None


def limits(item: Mapping[str, Any]) -> tuple[int | None, int | None, str | None]:
    """(context window, max output tokens, source) for one catalogue entry.

    ``source`` is ``"catalogue"`` for the gateway's own ``context_window``, ``"catalogue:<field>"`` for an
    alias, ``"documented"`` when the window came from the docs' table, None when nobody knows.
    A LiteLLM ``max_tokens`` is an output limit when ``max_input_tokens`` is there too, otherwise
    ambiguous: it is then used for neither.
    """
    context, context_field = _first(item, CONTEXT_FIELDS)
    output_fields = OUTPUT_FIELDS if context_field == "max_input_tokens" else OUTPUT_FIELDS[:-1]
    output, _ = _first(item, output_fields)
    documented_context, documented_output = DOCUMENTED_LIMITS.get(str(item.get("id", "")), (None, None))
    if context is not None:
        source = CATALOGUE if context_field == "context_window" else f"{CATALOGUE}:{context_field}"
        return context, output or documented_output, source
    if documented_context is not None:
        return documented_context, output or documented_output, DOCUMENTED
    return None, output, None


def describe_source(source: str | None) -> str:
    """Words for a ``source`` value, for setup notes."""
    if source is None:
        return "unknown (the catalogue has no window and the docs' table does not list the model)"
    if source == CATALOGUE:
        return "the gateway's catalogue"
    if source.startswith(CATALOGUE + ":"):
        return f"the catalogue's `{source.split(':', 1)[1]}` field"
    return "the documented per-model table (gateway-api.md §6.1): the catalogue has no window"
