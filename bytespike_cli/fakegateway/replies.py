"""Deterministic replies shared by every protocol: an echo of the prompt, or a tool call.

Each protocol module turns its request body into a :class:`Conversation`; :func:`compose` decides
the reply once, and the protocol module renders that :class:`Reply` in its own shapes.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

IMAGE_TOKENS = 85  # what one image adds to the prompt's token count (a low-detail tile in OpenAI's scheme)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    schema: dict


@dataclass
class Conversation:
    model: str
    last_text: str = ""  # the text of the last user (or tool-result) turn; images appear as "[image]"
    last_is_tool_result: bool = False
    prompt_chars: int = 0
    images: int = 0
    max_tokens: int | None = None
    tools: list[ToolSpec] = field(default_factory=list)
    forced_tool: str | None = None  # a specific tool the caller demands
    any_tool: bool = False  # tool_choice required/any: some tool must be called
    no_tools: bool = False  # tool_choice none
    stream: bool = False
    include_usage: bool = False  # OpenAI chat stream_options.include_usage
    request: dict = field(default_factory=dict)  # the raw body, for protocols that echo settings back
    created_at: int = 0


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: str  # JSON text

    @property
    def argument_pieces(self) -> list[str]:
        """The arguments JSON cut in small pieces, the way models stream them."""
        return [self.arguments[i:i + 8] for i in range(0, len(self.arguments), 8)] or [""]


@dataclass(frozen=True)
class Reply:
    text_pieces: tuple[str, ...] = ()
    tool_call: ToolCall | None = None
    truncated: bool = False  # stopped by max_tokens
    input_tokens: int = 1
    output_tokens: int = 1

    @property
    def text(self) -> str:
        return "".join(self.text_pieces)


def estimate_tokens(chars: int) -> int:
    return max(1, math.ceil(chars / 4))


def input_tokens(conv: Conversation) -> int:
    return estimate_tokens(conv.prompt_chars) + conv.images * IMAGE_TOKENS


_CALL_RE = re.compile(r"\bcall\s+([A-Za-z_][\w.-]*)(?:\s+with\s+(\{.*\}))?", re.IGNORECASE | re.DOTALL)
_WORD_RE = re.compile(r"\s*\S+")


def compose(conv: Conversation) -> Reply:
    tokens_in = input_tokens(conv)
    tool = _choose_tool(conv)
    if tool is not None:
        return Reply(tool_call=tool, input_tokens=tokens_in, output_tokens=estimate_tokens(len(tool.arguments)) + 5)
    pieces = _WORD_RE.findall(f"echo: {conv.last_text}".rstrip())
    truncated = conv.max_tokens is not None and len(pieces) > conv.max_tokens
    if truncated:
        pieces = pieces[: max(conv.max_tokens, 0)]
    return Reply(tuple(pieces), None, truncated, tokens_in, max(1, len(pieces)))


def _choose_tool(conv: Conversation) -> ToolCall | None:
    if not conv.tools or conv.no_tools:
        return None
    by_name = {t.name: t for t in conv.tools}
    match = None if conv.last_is_tool_result else _CALL_RE.search(conv.last_text)
    named = match.group(1) if match and match.group(1) in by_name else None
    if conv.forced_tool in by_name:
        name = conv.forced_tool
    elif named:
        name = named
    elif conv.any_tool and not conv.last_is_tool_result:
        name = conv.tools[0].name
    else:
        return None
    arguments = None
    if match and match.group(1) == name and match.group(2):
        try:
            arguments = json.loads(match.group(2))
        except ValueError:
            arguments = None
    if not isinstance(arguments, dict):
        arguments = example_for_schema(by_name[name].schema)
    return ToolCall(name, json.dumps(arguments, separators=(",", ":")))


def example_for_schema(schema: dict | None) -> object:
    """A small deterministic value that satisfies a JSON schema (the common subset)."""
    schema = schema or {}
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type", "object")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    kind = str(kind).lower()  # Gemini writes OBJECT/STRING
    if kind == "object":
        props = schema.get("properties") or {}
        names = schema.get("required") or list(props)
        return {name: example_for_schema(props.get(name)) for name in names}
    if kind == "array":
        return [example_for_schema(schema.get("items"))] if schema.get("minItems") else []
    return {"string": "test", "integer": 1, "number": 1.5, "boolean": True, "null": None}.get(kind, "test")
