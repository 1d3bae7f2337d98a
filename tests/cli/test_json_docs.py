"""docs/json.md shows what the commands print: same fields, same types, same schema ids (issue 13)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "json.md"
SECTION = re.compile(r"^## `bytespike ([^`\n]*) --json`\n.*?```(json|ndjson)\n(.*?)```", re.M | re.S)


def documented() -> list[tuple[str, str, str]]:
    return SECTION.findall(DOC.read_text(encoding="utf-8"))


def shape(value):
    """Field names and JSON types, recursively; a list by the shape of its first item."""
    if isinstance(value, dict):
        return {key: shape(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    if isinstance(value, bool) or value is None:
        return type(value).__name__
    if isinstance(value, (int, float)):
        return "number"
    return "string"


def loosely_equal(doc, real, where="") -> list[str]:
    """Differences between two shapes; a null on one side matches any type on the other."""
    if "NoneType" in (doc, real) and not (isinstance(doc, (dict, list)) and isinstance(real, (dict, list))):
        return []
    if isinstance(doc, dict) and isinstance(real, dict):
        problems = [f"{where}.{k}: documented, not printed" for k in doc.keys() - real.keys()]
        problems += [f"{where}.{k}: printed, not documented" for k in real.keys() - doc.keys()]
        for key in doc.keys() & real.keys():
            problems += loosely_equal(doc[key], real[key], f"{where}.{key}")
        return problems
    if isinstance(doc, list) and isinstance(real, list):
        return loosely_equal(doc[0], real[0], where + "[]") if doc and real else []
    return [] if doc == real else [f"{where}: documented {doc}, printed {real}"]


def test_every_json_command_is_documented():
    commands = {cmd.split()[0] for cmd, _lang, _body in documented()}
    assert commands >= {"status", "verify", "models", "warm", "usage", "balance", "profiles", "tools", "doctor",
                        "setup", "undo", "chat"}


@pytest.mark.parametrize("command, lang, body", documented(), ids=[c for c, _l, _b in documented()])
def test_documented_example_matches_the_real_output(tmp_path, command, lang, body):
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BYTESPIKE_")},
           "BYTESPIKE_HOME": str(tmp_path / "bs"), "HOME": str(tmp_path)}
    subprocess.run([sys.executable, "-m", "bytespike_cli", "login", "--offline"], env=env, check=True,
                   capture_output=True, timeout=120)
    out = subprocess.run([sys.executable, "-m", "bytespike_cli", *command.split(), "--json"], env=env,
                         capture_output=True, text=True, timeout=180).stdout
    if lang == "ndjson":
        doc = {json.loads(line)["event"]: json.loads(line) for line in body.strip().splitlines()}
        real = {}
        for line in out.splitlines():
            event = json.loads(line)
            real.setdefault(event["event"], event)
    else:
        doc, real = json.loads(body), json.loads(out)
    assert doc.get("schema", None) == real.get("schema", None) or all(
        d["schema"] == r["schema"] for d, r in zip(doc.values(), real.values()))
    problems = loosely_equal(shape(doc), shape(real))
    assert not problems, problems
