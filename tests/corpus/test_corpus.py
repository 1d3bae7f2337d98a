"""Setup on 63 real-world settings files (tests/corpus/files, sources in SOURCES): issue 15's proof.

For every file: after setup the file parses with the tool's own reader (strict JSON as Claude Code's
JSON.parse reads it, JSONC for Zed, tomllib for Codex, PyYAML/YAML 1.1 for Aider, ruamel/YAML 1.2 for
Continue), every value outside our keys is what it was, a second setup writes nothing, ``--remove``
gives back the original bytes, and so does ``undo``.
"""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import pytest

from bytespike_cli import tools as registry
from bytespike_cli.formats.common import Match, data_get
from bytespike_cli.formats.jsonc import parse as parse_jsonc
from bytespike_cli.tools.base import Delete, Set
from bytespike_cli.gateway import Model
from bytespike_cli.tools.base import SetupRequest
from bytespike_cli.setup.engine import Engine

KEY = "sk-byts-CORPUSKEY0123456789abcdefWXYZ"
SONNET = Model(id="claude-sonnet-4-6", family="claude", context_window=200000, max_output_tokens=8192,
               capabilities=("text", "vision", "tool_use"), input_modalities=("text", "image"),
               native_protocols=("anthropic",))
HAIKU = Model(id="claude-haiku-4-5", family="claude", context_window=200000, max_output_tokens=8192,
              capabilities=("text", "tool_use"), native_protocols=("anthropic",), low_latency=True)
GPT = Model(id="gpt-5-5", family="gpt", context_window=128000, max_output_tokens=16384,
            capabilities=("text", "tool_use"))
GPT_MINI = Model(id="gpt-5-4-mini", family="gpt", context_window=128000, max_output_tokens=16384,
                 capabilities=("text", "tool_use"), low_latency=True)


def make_request(chat, fast) -> SetupRequest:
    return SetupRequest(profile="default", base_url="https://llm.bytespike.ai", chat_models=chat, fast_model=fast,
                        key=KEY, key_command=("/opt/bytespike/bin/bytespike", "print-key", "--profile", "default"))

FILES = Path(__file__).parent / "files"
CORPUS = sorted(p for p in FILES.glob("*/*") if p.is_file())


def tool_reads(tool: str, raw: bytes):
    """The file's data exactly as the tool's own reader sees it (raises if the tool would reject it)."""
    text = raw.decode("utf-8")
    if tool == "claude-code":
        # JSON.parse: no BOM, no comments, no trailing commas, no raw control characters in strings
        return json.loads(text)
    if tool == "zed":
        return parse_jsonc(text)
    if tool == "codex":
        return tomllib.loads(text)
    if tool == "aider":
        import yaml

        return yaml.safe_load(text)
    from ruamel.yaml import YAML

    return YAML(typ="safe", pure=True).load(io.StringIO(text))  # YAML 1.2 unless the file says %YAML 1.1


def place(tool, source: Path) -> Path:
    target = {
        "claude-code": lambda t: t.settings_path(), "zed": lambda t: t.settings_path(),
        "codex": lambda t: t.config_path(), "aider": lambda t: t.conf_path(), "continue": lambda t: t.yaml_path(),
    }[tool.name](tool)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(source.read_bytes())
    return target


def leaves(data, prefix=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, prefix + (key,))
    elif isinstance(data, list) and data and all(isinstance(v, dict) and "name" in v for v in data):
        for value in data:  # lists of named entries (Continue's models): by name, as setup addresses them
            yield from leaves(value, prefix + (Match("name", value["name"]),))
    else:
        yield prefix, data


def ours(plan) -> list[tuple]:
    return [tuple(e.path) for f in plan.files for e in f.edits if isinstance(e, (Set, Delete))]


def request_for(name: str):
    return make_request(chat=(GPT,), fast=GPT_MINI) if name == "codex" else make_request(chat=(SONNET,), fast=HAIKU)


def test_the_corpus_is_big_enough():
    by_tool = {}
    for path in CORPUS:
        by_tool[path.parent.name] = by_tool.get(path.parent.name, 0) + 1
    assert len(CORPUS) >= 60 and set(by_tool) == {"zed", "claude-code", "codex", "aider", "continue"}, by_tool
    listed = {line.split("\t")[0] for line in (Path(__file__).parent / "SOURCES").read_text().splitlines()
              if line and not line.startswith("#")}
    assert listed == {f"{p.parent.name}/{p.name}" for p in CORPUS}  # every file has its source


@pytest.mark.parametrize("source", CORPUS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_setup_remove_undo_on_a_real_file(source, isolated_home):
    name = source.parent.name
    tool = registry.get(name)
    path = place(tool, source)
    original = path.read_bytes()
    before = tool_reads(name, original)
    engine = Engine()
    request = request_for(name)

    plan = tool.plan(request)
    result = engine.apply(tool, plan, profile="default")
    assert path in result.written
    written = path.read_bytes()
    after = tool_reads(name, written)  # the tool can still read it

    # only our keys differ
    mine = ours(plan)
    for key_path, value in leaves(before):
        if not any(key_path[:len(p)] == p or p[:len(key_path)] == key_path for p in mine):
            assert data_get(after, key_path) == value, f"{key_path} changed"
    # the edges of the file are the user's: BOM, line endings, the final newline or its absence
    assert written.endswith(b"\n") == original.endswith(b"\n")
    assert (b"\r\n" in written) == (b"\r\n" in original)

    # a second setup writes nothing
    again = engine.apply(tool, tool.plan(request), profile="default")
    assert again.written == () and path.read_bytes() == written

    # --remove: byte for byte what it was; every file setup created is gone
    engine.remove(tool)
    assert path.read_bytes() == original
    assert [p for p in tool.files() if p != path and p.exists()] == []

    # undo straight after a setup: byte for byte too
    engine.apply(tool, tool.plan(request), profile="default")
    assert path.read_bytes() != original
    undone = engine.undo()
    assert undone is not None and path in undone.restored and not undone.skipped
    assert path.read_bytes() == original
    assert [p for p in tool.files() if p != path and p.exists()] == []
