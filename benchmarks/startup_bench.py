"""How long `bytespike --help` takes, against a bare Typer app with the same commands and options.

Target (issue 3): within 1.3x of the bare app, and httpx / questionary / aiohttp / the proxy stack
not imported. Run: .venv/bin/python benchmarks/startup_bench.py [--runs 21]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FORBIDDEN = ("httpx", "questionary", "aiohttp", "bytespike_cli.proxy", "bytespike_cli.fakegateway", "uvloop")


def bare_app_source(plain: bool = False) -> str:
    """A Typer app with our command tree and options, and no bodies (``plain``: Typer's help without
    Rich, the fairer baseline since bytespike draws its own plain help)."""
    from bytespike_cli.cli.completions import command_tree

    nodes = {n.path: n for n in command_tree()}
    mode = ", rich_markup_mode=None" if plain else ""
    lines = ["import typer", "from typing import Optional", f"app = typer.Typer(no_args_is_help=True{mode})"]

    def params(node) -> str:
        out = []
        for i, opts in enumerate(node.options):
            if opts[0] in ("--help",):
                continue
            spellings = ", ".join(repr(o) for o in opts)
            out.append(f"p{i}: Optional[str] = typer.Option(None, {spellings}, help={node.option_help[i]!r})")
        return ", ".join(out)

    def emit(path, parent_var):
        node = nodes[path]
        for child in node.children:
            sub = nodes[path + (child,)]
            name = "_".join(path + (child,)).replace("-", "_")
            if sub.children:
                lines.append(f"{name}_app = typer.Typer({mode.lstrip(', ')})")
                lines.append(f"{parent_var}.add_typer({name}_app, name={child!r}, help={sub.help!r})")
                emit(path + (child,), f"{name}_app")
            else:
                lines.append(f"@{parent_var}.command({child!r}, help={sub.help!r})")
                lines.append(f"def {name}({params(sub)}): pass")

    root = nodes[()]
    lines.append(f"@app.callback()\ndef root({params(root)}): pass")
    emit((), "app")
    lines.append("app(prog_name='bytespike')")
    return "\n".join(lines) + "\n"


CHECK = """
import sys
sys.argv = ['bytespike', '--help']
from bytespike_cli.cli.app import main
try:
    main()
except SystemExit:
    pass
bad = [m for m in {forbidden!r} if m in sys.modules]
print('FORBIDDEN', bad, file=sys.stderr)
"""


_ENV: dict[str, str] = {}


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=_ENV or None)
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # An installed package runs from .pyc files; a source checkout with PYTHONDONTWRITEBYTECODE=1
        # would recompile bytespike on every run (~25 ms) while Typer's site-packages .pyc are used.
        import os

        _ENV.update({k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"})
        _ENV["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        bare = Path(tmp) / "bare_app.py"
        bare.write_text(bare_app_source())
        plain = Path(tmp) / "bare_plain_app.py"
        plain.write_text(bare_app_source(plain=True))
        ours = [sys.executable, "-m", "bytespike_cli", "--help"]
        theirs = [sys.executable, str(bare), "--help"]
        theirs_plain = [sys.executable, str(plain), "--help"]
        for cmd in (ours, theirs, theirs_plain):  # warm the OS file cache and .pyc files
            timed(cmd)
        mine, base, base_plain = [], [], []
        for _ in range(args.runs):  # alternate so machine drift hits all alike
            mine.append(timed(ours))
            base.append(timed(theirs))
            base_plain.append(timed(theirs_plain))
    check = subprocess.run([sys.executable, "-c", CHECK.format(forbidden=FORBIDDEN)], capture_output=True, text=True)
    forbidden = check.stderr.strip().splitlines()[-1]
    m, b, p = statistics.median(mine), statistics.median(base), statistics.median(base_plain)
    print(f"bytespike --help              median {m:7.1f} ms   min {min(mine):7.1f} ms   ({args.runs} runs)")
    print(f"bare Typer app (Rich help)    median {b:7.1f} ms   min {min(base):7.1f} ms")
    print(f"bare Typer app (plain help)   median {p:7.1f} ms   min {min(base_plain):7.1f} ms")
    print(f"ratio vs Rich help            {m / b:.2f}x")
    print(f"ratio vs plain help           {m / p:.2f}x   (target <= 1.30x)")
    print(f"heavy modules imported by --help: {forbidden.removeprefix('FORBIDDEN ')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
