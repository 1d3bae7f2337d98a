"""tests/realclients/drift.py turns the suite's JUnit report into the tool × version × path matrix."""

from __future__ import annotations

import importlib.util
from pathlib import Path

REALCLIENTS = Path(__file__).resolve().parents[1] / "realclients"


def load(name: str):
    spec = importlib.util.spec_from_file_location(f"realclients_{name}", REALCLIENTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    import sys

    sys.path.insert(0, str(REALCLIENTS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(REALCLIENTS))
    return module


JUNIT = """<?xml version="1.0"?><testsuites><testsuite>
<testcase name="test_setup_then_the_client_answers_and_doctor_is_clean[codex-0.171.0]"/>
<testcase name="test_through_the_proxy[codex-0.171.0]"><failure message="x"/></testcase>
<testcase name="test_run_answers_and_writes_no_file[cline-3.0.65]"><skipped message="n/a"/></testcase>
<testcase name="test_setup_then_the_client_answers_and_doctor_is_clean[claude-code-2.1.400]"/>
<testcase name="test_lock_names_every_tool_with_a_version"/>
<testcase name="test_tools_without_a_real_client_say_why[crush]"><skipped message="Crush: no binary here"/></testcase>
<testcase name="test_tools_without_a_real_client_say_why[vscode-copilot]"><skipped message="a GUI editor"/></testcase>
<testcase name="test_gemini_family_doctor_names_a_missing_or_shadowed_key[qwen-code-0.24.4]"/>
</testsuite></testsuites>"""


def test_matrix_and_render(tmp_path):
    drift = load("drift")
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    cells = drift.matrix(junit)
    assert cells[("codex", "0.171.0")] == {"setup": "passed", "doctor": "passed", "proxy": "failed"}
    assert cells[("cline", "3.0.65")] == {"run": "skipped"}
    assert cells[("qwen-code", "0.24.4")] == {"key missing/shadowed": "passed"}
    assert not any(tool in ("crush", "vscode") for tool, _ in cells)
    unrun = drift.not_run(junit)
    assert unrun == {"crush": "Crush: no binary here", "vscode-copilot": "a GUI editor"}
    lock = {"codex": {"versions": ["0.171.0"]}, "cline": {"versions": ["3.0.65"]},
            "claude-code": {"versions": ["2.1.197"]}}
    text = drift.render(cells, lock, title="T", seconds=12, unrun=unrun)
    assert "| codex | 0.171.0 | ✓ | ✗ |  |  | ✓ |  |  |  |" in text
    assert "- crush: Crush: no binary here" in text
    assert "| claude-code | 2.1.400 (not pinned) | ✓ |" in text
    assert "| cline | 3.0.65 |  |  | – |" in text


def test_write_lock_round_trips(tmp_path):
    install = load("install")
    drift = load("drift")
    lock = install.read_lock()
    path = tmp_path / "latest.lock"
    drift.write_lock(lock, {tool: ["9.9.9"] for tool in lock}, path)
    again = install.read_lock(path)
    assert set(again) == set(lock)
    assert all(spec["versions"] == ["9.9.9"] and spec["bin"] == lock[tool]["bin"] for tool, spec in again.items())
