"""Shared test data for integration tests: a model catalogue, requests, schema validation."""

from __future__ import annotations

import json
from pathlib import Path

from bytespike_cli.gateway import Model
from bytespike_cli.tools.base import SetupRequest

KEY = "sk-byts-TESTKEY0123456789abcdefWXYZ"
SCHEMAS = Path(__file__).parent / "schemas"

def model(id, family, ctx, out, caps, inputs=("text",), native=("openai",), low=False) -> Model:
    return Model(id=id, family=family, context_window=ctx, max_output_tokens=out, capabilities=caps,
                 input_modalities=inputs, native_protocols=native, low_latency=low)


SONNET = model("claude-sonnet-4-6", "claude", 200000, 8192, ("text", "vision", "tool_use", "streaming"),
               ("text", "image"), ("anthropic",))
HAIKU = model("claude-haiku-4-5", "claude", 200000, 8192, ("text", "tool_use", "streaming"),
              native=("anthropic",), low=True)
GPT = model("gpt-5-5", "gpt", 128000, 16384, ("text", "vision", "tool_use", "streaming"), ("text", "image"))
GPT_MINI = model("gpt-5-4-mini", "gpt", 128000, 16384, ("text", "tool_use", "streaming"), low=True)
GEMINI_PRO = model("gemini-3-1-pro", "gemini", 1000000, 32768, ("text", "vision", "tool_use", "streaming"),
                   ("text", "image"), ("gemini",))
GEMINI_FLASH = model("gemini-2-5-flash", "gemini", 1000000, 8192, ("text", "tool_use", "streaming"),
                     native=("gemini",), low=True)
DEEPSEEK = model("deepseek-v4-pro", "deepseek", 64000, 16384, ("text", "tool_use", "streaming"),
                 native=("anthropic", "openai"))


def make_request(chat=(SONNET,), fast=HAIKU, key_mode=None, profile="default",
                 base_url="https://llm.bytespike.ai") -> SetupRequest:
    return SetupRequest(
        profile=profile, base_url=base_url, chat_models=tuple(chat), fast_model=fast, key_mode=key_mode,
        key=KEY, key_command=("/opt/bytespike/bin/bytespike", "print-key", "--profile", profile),
    )


def load_schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


def validate(instance, schema_name: str) -> None:
    import jsonschema

    schema = load_schema(schema_name)
    validator_cls = jsonschema.validators.validator_for(schema)
    # Continue's legacy config_schema.json says "type": "str" in one place (upstream typo): read it as "string"
    checker = validator_cls.TYPE_CHECKER.redefine("str", lambda _, value: isinstance(value, str))
    validator_cls = jsonschema.validators.extend(validator_cls, type_checker=checker)
    validator_cls(schema).validate(instance)
