"""How long `bytespike print-key` takes, against a bare `python -c pass` of the same interpreter.

print-key runs at the start of every Claude Code and Codex session (their credential helper), so it
must stay close to the interpreter's own start-up. Target (issue 14): within 2x of `python -c pass`.
Both run alternately so that load on the machine hits both. Also runs the full CLI path
(`python -m bytespike_cli.cli.app print-key`, Typer + Rich) for comparison.

Run: .venv/bin/python benchmarks/print_key_bench.py [--runs 31]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

KEY = "sk-byts-bench-0123456789abcdef"
FULL = "import sys; sys.argv=['bytespike','print-key']; from bytespike_cli.cli.app import main; main()"


def timed(cmd: list[str], env: dict) -> float:
    started = time.perf_counter()
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, check=True)
    elapsed = (time.perf_counter() - started) * 1000
    if cmd[-1] == "print-key" or "print-key" in cmd[-1]:
        assert out.stdout.decode().strip() == KEY, out.stdout
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=31)
    args = parser.parse_args()
    exe = Path(sys.executable).with_name("bytespike")
    if not exe.exists():
        print(f"no console script at {exe}: pip install -e . first", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as home:
        keys = Path(home) / "keys"
        keys.mkdir(mode=0o700)
        (keys / "default.key").write_text(KEY + "\n")
        os.chmod(keys / "default.key", 0o600)
        (Path(home) / "config.toml").write_text('active_profile = "default"\n\n[profiles.default]\n'
                                                'base_url = "https://llm.bytespike.ai"\n')
        env = {k: v for k, v in os.environ.items() if not k.startswith("BYTESPIKE_")}
        env["BYTESPIKE_HOME"] = home
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "bytespike print-key": [str(exe), "print-key"],
            "full CLI print-key": [sys.executable, "-c", FULL],
        }
        for cmd in commands.values():  # warm the page cache and .pyc files
            timed(cmd, env)
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, cmd in commands.items():
                samples[name].append(timed(cmd, env))
    base = statistics.median(samples["python -c pass"])
    print(f"{'command':<22} {'median':>9} {'min':>9}  ratio to python -c pass ({args.runs} runs each)")
    for name, values in samples.items():
        median = statistics.median(values)
        print(f"{name:<22} {median:>7.1f}ms {min(values):>7.1f}ms  {median / base:.2f}x")
    ratio = statistics.median(samples["bytespike print-key"]) / base
    print(f"print-key ratio: {ratio:.2f}x (target <= 2.0x) -> {'ok' if ratio <= 2.0 else 'TOO SLOW'}")
    return 0 if ratio <= 2.0 else 1


if __name__ == "__main__":
    sys.exit(main())
