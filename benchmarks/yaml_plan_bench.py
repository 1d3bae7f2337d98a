"""How long `bytespike setup continue` takes to *plan* on a 5 MB Continue config.yaml (issue 15).

Planning = the tool reads its config, chooses the edits, and the engine computes the new bytes and the
diff (nothing is written). Two shapes of 5 MB file:

- ``prompts``: a realistic large config (long prompt/rule texts as block scalars, a few models);
- ``models``: the worst case, thousands of entries in the ``models`` list we edit.

    .venv/bin/python benchmarks/yaml_plan_bench.py [--runs 3] [--mb 5]

Target (issue 15): under 2 s for the 5 MB file.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path


def prompts_file(size: int) -> str:
    head = "name: Big Config\nversion: 1.0.0\nschema: v1\nmodels:\n  - name: Llama\n    provider: ollama\n" \
           "    model: llama3\n    roles: [chat, edit]\n"
    parts = [head, "prompts:\n"]
    line = "      Explain the code step by step, then suggest a refactoring that keeps behaviour.\n"
    n = 0
    while sum(map(len, parts)) < size:
        parts.append(f"  - name: prompt-{n}\n    description: prompt number {n}\n    prompt: |\n" + line * 40)
        n += 1
    parts.append("rules:\n  - Always answer in English\n")
    return "".join(parts)


def models_file(size: int) -> str:
    parts = ["name: Big Config\nversion: 1.0.0\nschema: v1\nmodels:\n"]
    n = 0
    while sum(map(len, parts)) < size:
        parts.append(f"  - name: local-{n}\n    provider: ollama\n    model: llama3-{n}\n    roles:\n"
                     "      - chat\n    defaultCompletionOptions:\n      contextLength: 8192\n")
        n += 1
    return "".join(parts)


def plan_once(home: Path) -> float:
    from bytespike_cli import tools as registry
    from bytespike_cli.gateway import Model
    from bytespike_cli.tools.base import SetupRequest
    from bytespike_cli.setup.engine import Engine, diff

    chat = Model(id="claude-sonnet-4-6", family="claude", context_window=200000, max_output_tokens=64000, capabilities=("tool_use",))
    request = SetupRequest(profile="default", base_url="https://llm.bytespike.ai", chat_models=(chat,),
                           key="sk-byts-" + "x" * 40, key_command=("bytespike", "print-key"))
    from bytespike_cli.formats import yaml as yaml_format

    yaml_format._PARSED.clear()  # every run starts cold, as a new `bytespike setup` process does
    start = time.perf_counter()
    tool = registry.get("continue")
    plan = tool.plan(request)
    changes = Engine(home / "state").changes(plan)
    diff(changes, plan.secrets)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--mb", type=float, default=5.0)
    args = parser.parse_args()
    size = int(args.mb * 1_000_000)
    for name, build in (("prompts", prompts_file), ("models", models_file)):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp)
            os.environ["HOME"] = str(home)
            os.environ["BYTESPIKE_HOME"] = str(home / "bytespike")
            config = home / ".continue" / "config.yaml"
            config.parent.mkdir()
            config.write_text(build(size))
            times = [plan_once(home) for _ in range(args.runs)]
            print(f"{name:8} {config.stat().st_size / 1e6:.1f} MB: plan median {statistics.median(times):.2f} s "
                  f"(min {min(times):.2f}, max {max(times):.2f}, {args.runs} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
