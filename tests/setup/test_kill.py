"""SIGKILL at random moments of a multi-tool setup (issue 15): never a torn file, never a half setup.

A forked child runs one `setup zed codex claude-code continue` transaction (five files, two of them
created) and is killed after a seeded random delay spread over the whole run. After every kill each
file holds its old bytes or its new bytes; then the next run's start-up sweep (``Engine.recover``)
leaves no temp file behind and either every file old or every file new, with no pending journal entry.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import time
from pathlib import Path

import pytest

from bytespike_cli import tools as registry
from bytespike_cli.setup.engine import Engine

from tests.tools.helpers import GPT, GPT_MINI, HAIKU, SONNET, make_request

ITERATIONS = 100
TOOLS = ("zed", "codex", "claude-code", "continue")

ZED = '// my zed settings\n{\n  "theme": "One Dark",\n  "agent": null,\n  "vim_mode": true\n}'
CODEX = 'model = "o3"  # mine\n\n[features]\nweb_search = true\n'
CLAUDE = '{\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-ant-api03-PLACEHOLDER0000"\n  },\n  "theme": "dark"\n}\n'
CONTINUE = "name: Mine\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: Llama\n    provider: ollama\n    model: llama3\n"


def _layout(home: Path) -> dict[str, Path]:
    tools = {name: registry.get(name) for name in TOOLS}
    files = {
        "zed": (tools["zed"].settings_path(), ZED),
        "codex": (tools["codex"].config_path(), CODEX),
        "claude-code": (tools["claude-code"].settings_path(), CLAUDE),
        "continue": (tools["continue"].yaml_path(), CONTINUE),
    }
    for path, text in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    targets = {name: path for name, (path, _) in files.items()}
    targets["continue-env"] = tools["continue"].env_path()
    return targets


def _snapshot(targets: dict[str, Path]) -> dict[str, bytes | None]:
    return {name: (path.read_bytes() if path.exists() else None) for name, path in targets.items()}


def _plans():
    items = []
    for name in TOOLS:
        tool = registry.get(name)
        request = make_request(chat=(GPT,), fast=GPT_MINI) if name == "codex" else make_request(chat=(SONNET,),
                                                                                                fast=HAIKU)
        items.append((tool, tool.plan(request), "default"))
    return items


def _run_setup() -> None:
    Engine().apply_many(_plans())


def _temp_files(home: Path) -> list[Path]:
    return [p for p in home.rglob("*.bytespike-tmp")]


def _reset(home: Path, state: Path) -> dict[str, Path]:
    shutil.rmtree(state, ignore_errors=True)
    for name in TOOLS:
        for path in registry.get(name).files():
            if path.exists():
                path.unlink()
    return _layout(home)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_sigkill_anywhere_leaves_old_or_new_bytes_and_the_next_run_settles_it(isolated_home):
    home = isolated_home
    state = Path(os.environ["BYTESPIKE_HOME"])
    targets = _layout(home)
    old = _snapshot(targets)
    _run_setup()  # warm: every module imported before the children fork
    new = _snapshot(targets)
    timings = []
    for _ in range(3):  # how long one run takes in a forked child, start to exit
        targets = _reset(home, state)
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            try:
                _run_setup()
            finally:
                os._exit(0)
        os.waitpid(pid, 0)
        timings.append(time.perf_counter() - started)
    duration = sorted(timings)[1]
    assert all(new[n] != old[n] for n in targets)  # every file changes (two are created)

    rng = random.Random(15)
    outcomes = {"old": 0, "new": 0, "settled-back": 0, "settled-forward": 0}
    for _ in range(ITERATIONS):
        targets = _reset(home, state)
        # the files are written in the last part of a run: aim more kills there
        delay = duration * (rng.uniform(0.6, 1.0) if rng.random() < 0.6 else rng.uniform(0, 1.0))
        pid = os.fork()
        if pid == 0:  # the child: one setup run, killed somewhere in it
            try:
                _run_setup()
            finally:
                os._exit(0)
        time.sleep(delay)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)

        now = _snapshot(targets)
        for name in targets:  # never a torn file
            assert now[name] in (old[name], new[name]), f"{name} holds neither its old nor its new bytes"
        mixed = any(now[n] == new[n] for n in targets) and any(now[n] == old[n] for n in targets)

        recovered = Engine().recover()  # the start-up sweep of the next run
        assert _temp_files(home) == [], "a temp file survived the sweep"
        after = _snapshot(targets)
        all_old, all_new = after == old, after == new
        assert all_old or all_new, f"half a setup left after the sweep: {recovered}"
        assert not [e for e in Engine().load_journal()["history"] if e.get("state") == "pending"]
        if mixed:
            outcomes["settled-forward" if all_new else "settled-back"] += 1
        else:
            outcomes["new" if all_new else "old"] += 1
    # the delays must really have hit the write window, not only before or after it
    print("kill outcomes:", outcomes)
    assert outcomes["old"] > 0 and outcomes["new"] + outcomes["settled-forward"] > 0, outcomes
