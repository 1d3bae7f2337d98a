"""Test data shared by the Cline, Cursor and JetBrains tests: models, requests, fake processes."""

from __future__ import annotations

import os
from pathlib import Path

from bytespike_cli.gateway import Model
from bytespike_cli.tools.base import SetupRequest
from bytespike_cli.tools.cline import RunningProcess
from bytespike_cli.setup.engine import Engine

KEY = "sk-byts-TESTKEY0123456789abcdefWXYZ"


def model(id, family, ctx, out, caps, inputs=("text",), low=False) -> Model:
    return Model(id=id, family=family, context_window=ctx, max_output_tokens=out, capabilities=caps,
                 input_modalities=inputs, low_latency=low)


SONNET = model("claude-sonnet-4-6", "claude", 200000, 8192, ("text", "vision", "tool_use", "streaming", "thinking"),
               ("text", "image"))
HAIKU = model("claude-haiku-4-5", "claude", 200000, 8192, ("text", "tool_use", "streaming"), low=True)
GPT = model("gpt-5-5", "gpt", 128000, 16384, ("text", "vision", "tool_use", "streaming"), ("text", "image"))
GPT_MINI = model("gpt-5-4-mini", "gpt", 128000, 16384, ("text", "tool_use", "streaming"), low=True)
KIMI = model("kimi-k2-6", "kimi", 256000, 16384, ("text", "tool_use", "streaming"))


def make_request(chat=(SONNET,), fast=HAIKU, key_mode=None, profile="default", key=KEY,
                 base_url="https://llm.bytespike.ai") -> SetupRequest:
    return SetupRequest(profile=profile, base_url=base_url, chat_models=tuple(chat), fast_model=fast,
                        key_mode=key_mode, key=key,
                        key_command=("/opt/bytespike/bin/bytespike", "print-key", "--profile", profile))


def no_processes() -> list[RunningProcess]:
    return []


def fake_executable(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    os.chmod(path, 0o755)
    return path


def history(engine: Engine) -> list:
    return engine.load_journal()["history"]


def backups(engine: Engine) -> list[str]:
    root = engine.root / "backups"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


def leaves(data, prefix=()):
    """Every (path, value) leaf of nested dicts; an empty dict is a leaf."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from leaves(value, prefix + (key,))
    else:
        yield prefix, data


def under_any(path: tuple, ours: list[tuple]) -> bool:
    return any(path[:len(p)] == p or p[:len(path)] == path for p in ours)
