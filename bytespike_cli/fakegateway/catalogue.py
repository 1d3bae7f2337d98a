"""The offline gateway's model catalogue and routing groups (gateway-api.md §2.2, §3.3, §6.1).

Values marked "guess" are not in the reference; they are plausible numbers so every field is filled.
Contexts are written as the reference's example payloads write them (200K -> 200000).
"""

from __future__ import annotations

from dataclasses import dataclass, field

@dataclass(frozen=True)
class CatalogueModel:
    id: str
    family: str  # claude | gpt | gemini | deepseek | kimi | glm | minimax | doubao
    owned_by: str  # anthropic | openai | google | deepseek | moonshot | zhipu | minimax | bytedance
    context_window: int
    max_output_tokens: int
    capabilities: tuple[str, ...]
    input_modalities: tuple[str, ...] = ("text",)
    output_modalities: tuple[str, ...] = ("text",)
    native_protocols: tuple[str, ...] = ("openai",)
    low_latency: bool = False
    # USD per 1M tokens (input, output); used only to move the offline wallet a little.
    price_per_mtok: tuple[float, float] = (1.0, 5.0)
    created: int = 1714003200
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def is_text(self) -> bool:
        return "text" in self.capabilities

    def payload(self) -> dict:
        """One entry of ``GET /v1/models`` exactly as the reference example shapes it."""
        return {
            "id": self.id,
            "object": "model",
            "owned_by": self.owned_by,
            "family": self.family,
            "capabilities": list(self.capabilities),
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "input_modalities": list(self.input_modalities),
            "output_modalities": list(self.output_modalities),
            "pricing_url": f"https://bytespike.ai/pricing#{self.id}",
            "created": self.created,
        }


_CLAUDE_CAPS = ("text", "vision", "tool_use", "streaming", "cache_control", "thinking")
_GPT_CAPS = ("text", "vision", "tool_use", "streaming", "json_schema", "logprobs", "thinking")
_GEMINI_CAPS = ("text", "vision", "tool_use", "streaming", "json_schema", "thinking")
_IMG = ("text", "image")

CLAUDE_GROUP, GEMINI_GROUP, DEFAULT_GROUP = "claude-default", "gemini-default", "default"
GROUPS = (CLAUDE_GROUP, GEMINI_GROUP, DEFAULT_GROUP)
_CLAUDE_ONLY = frozenset({CLAUDE_GROUP, DEFAULT_GROUP})
_GEMINI_ONLY = frozenset({GEMINI_GROUP, DEFAULT_GROUP})
_DEFAULT_ONLY = frozenset({DEFAULT_GROUP})


def _claude(id: str, created: int, *, max_out=32768, caps=_CLAUDE_CAPS, low=False, price=(15.0, 75.0)):
    return CatalogueModel(id, "claude", "anthropic", 200000, max_out, caps, _IMG, ("text",), ("anthropic",),
                          low, price, created, _CLAUDE_ONLY)


def _gpt(id: str, created: int, *, ctx=128000, max_out=16384, low=False, price=(2.5, 15.0), native=("openai",)):
    return CatalogueModel(id, "gpt", "openai", ctx, max_out, _GPT_CAPS, _IMG, ("text",), native, low, price, created,
                          _DEFAULT_ONLY)


def _gemini(id: str, created: int, *, ctx=1000000, max_out=8192, low=False, price=(0.5, 3.0), caps=_GEMINI_CAPS,
            inputs=("text", "image", "video", "audio")):
    return CatalogueModel(id, "gemini", "google", ctx, max_out, caps, inputs, ("text",), ("gemini",), low, price,
                          created, _GEMINI_ONLY)


# claude-default also reaches the DeepSeek models that speak Anthropic natively (Claude Code page; the
# quickstart disagrees - see the report).
_DEEPSEEK_ANTHROPIC = frozenset({CLAUDE_GROUP, DEFAULT_GROUP})

CATALOGUE: tuple[CatalogueModel, ...] = (
    _claude("claude-opus-4-8", 1777593600),
    _claude("claude-opus-4-7", 1772323200),
    _claude("claude-opus-4-6", 1767225600),
    _claude("claude-opus-4-5", 1761955200),
    _claude("claude-sonnet-4-6", 1714003200, max_out=8192, price=(3.0, 15.0)),
    _claude("claude-sonnet-4-5", 1759276800, max_out=8192, price=(3.0, 15.0)),  # context/max out: guess
    _claude("claude-haiku-4-5", 1760486400, max_out=8192, low=True, price=(1.0, 5.0),
            caps=("text", "vision", "tool_use", "streaming", "cache_control")),
    _gpt("gpt-5-5", 1776384000, price=(5.0, 30.0)),  # max out: guess
    _gpt("gpt-5-4", 1772668800, price=(2.5, 15.0), native=("openai",)),
    _gpt("gpt-5-4-mini", 1772668800, low=True, price=(0.75, 4.5)),
    _gpt("gpt-5-4-nano", 1772668800, price=(0.2, 1.25)),  # price: guess
    _gpt("gpt-5-4-pro", 1772668800, max_out=32768, price=(15.0, 120.0)),  # price: guess
    _gpt("gpt-5-2", 1765152000, price=(1.75, 14.0)),  # price: guess
    _gemini("gemini-3-1-pro", 1771891200, max_out=32768, price=(2.0, 12.0)),
    _gemini("gemini-3-5-flash", 1777593600, price=(1.5, 9.0)),  # max out: guess
    _gemini("gemini-3-flash", 1765843200, ctx=200000, price=(0.5, 3.0)),
    _gemini("gemini-2-5-flash", 1750118400, low=True, price=(0.5, 3.0)),  # max out: guess
    CatalogueModel("deepseek-v4-pro", "deepseek", "deepseek", 64000, 16384,
                   ("text", "tool_use", "streaming", "thinking"), ("text",), ("text",), ("anthropic", "openai"),
                   False, (0.435, 0.87), 1776902400, _DEEPSEEK_ANTHROPIC),
    CatalogueModel("deepseek-v4-flash", "deepseek", "deepseek", 64000, 8192,
                   ("text", "tool_use", "streaming"), ("text",), ("text",), ("anthropic", "openai"),
                   True, (0.14, 0.28), 1776902400, _DEEPSEEK_ANTHROPIC),
    CatalogueModel("deepseek-v3-anthropic", "deepseek", "deepseek", 64000, 8192,  # window/max out: guess
                   ("text", "tool_use", "streaming"), ("text",), ("text",), ("anthropic",),
                   False, (0.28, 0.42), 1759190400, _DEEPSEEK_ANTHROPIC),
    CatalogueModel("deepseek-v3-2", "deepseek", "deepseek", 64000, 8192,  # window/max out: guess
                   ("text", "tool_use", "streaming"), ("text",), ("text",), ("openai",),
                   False, (0.28, 0.42), 1759190400, _DEFAULT_ONLY),
    CatalogueModel("deepseek-r1", "deepseek", "deepseek", 64000, 8192,  # window/max out: guess
                   ("text", "streaming", "thinking"), ("text",), ("text",), ("openai",),
                   False, (0.55, 2.19), 1737331200, _DEFAULT_ONLY),
    CatalogueModel("doubao-seed-2.0-pro", "doubao", "bytedance", 200000, 16384,  # max out: guess
                   ("text", "vision", "tool_use", "streaming"), _IMG, ("text",), ("openai",),
                   False, (0.45, 2.2), 1770854400, _DEFAULT_ONLY),
    CatalogueModel("glm-5-1", "glm", "zhipu", 128000, 16384,
                   ("text", "vision", "tool_use", "streaming"), _IMG, ("text",), ("openai",),
                   False, (0.8, 2.8), 1774137600, _DEFAULT_ONLY),
    CatalogueModel("kimi-k2-6", "kimi", "moonshot", 256000, 16384,  # window/max out: guess
                   ("text", "tool_use", "streaming"), ("text",), ("text",), ("openai",),
                   False, (0.6, 2.5), 1776124800, _DEFAULT_ONLY),
    CatalogueModel("minimax-m2.7", "minimax", "minimax", 200000, 16384,
                   ("text", "tool_use", "streaming"), ("text",), ("text",), ("openai",),
                   False, (0.3, 1.2), 1773705600, _DEFAULT_ONLY),
    CatalogueModel("minimax-m2.5", "minimax", "minimax", 128000, 8192,
                   ("text", "tool_use", "streaming"), ("text",), ("text",), ("openai",),
                   False, (0.3, 1.2), 1766880000, _DEFAULT_ONLY),
    # Not text models: listed by /v1/models like the real catalogue, refused by the text endpoints.
    CatalogueModel("gpt-image-2", "gpt", "openai", 32000, 0, ("image_generation",), _IMG, ("image",), ("openai",),
                   False, (0.0, 0.0), 1772668800, _DEFAULT_ONLY),
    CatalogueModel("veo-3.1", "gemini", "google", 0, 0, ("video_generation",), _IMG, ("video",), ("gemini",),
                   False, (0.0, 0.0), 1768435200, _DEFAULT_ONLY),
)

BY_ID: dict[str, CatalogueModel] = {m.id: m for m in CATALOGUE}

# Legacy DeepSeek aliases, retired on 2026-07-24 (§6.1): answered with 400 unsupported_model.
RETIRED = {"deepseek-chat": "deepseek-v4-flash", "deepseek-reasoner": "deepseek-v4-pro"}

# `family` filter: the reference lists both the payload's family names and vendor names for the query.
_FAMILY_ALIASES = {
    "anthropic": "claude", "openai": "gpt", "google": "gemini", "moonshot": "kimi",
    "zhipu": "glm", "bytedance": "doubao",
}


def normalise_family(value: str) -> str:
    value = value.strip().lower()
    return _FAMILY_ALIASES.get(value, value)


def models_for_group(group: str) -> list[CatalogueModel]:
    return [m for m in CATALOGUE if group in m.groups]


def filter_models(models: list[CatalogueModel], families: list[str], capabilities: list[str]) -> list[CatalogueModel]:
    """Families are OR-ed, capabilities AND-ed (every asked capability must be present)."""
    wanted_families = {normalise_family(f) for value in families for f in value.split(",") if f.strip()}
    wanted_caps = {c.strip().lower() for value in capabilities for c in value.split(",") if c.strip()}
    return [
        m for m in models
        if (not wanted_families or m.family in wanted_families) and wanted_caps.issubset(m.capabilities)
    ]
