#!/usr/bin/env python3
"""Install the real clients of tests/realclients into a cache outside the repository.

    python tests/realclients/install.py                 # every pin in clients.lock
    python tests/realclients/install.py --tool codex    # one tool (all its pinned versions)
    python tests/realclients/install.py --latest        # the registry's latest release of every tool
    python tests/realclients/install.py --print-path codex 0.171.0

Layout: ``$BYTESPIKE_REALCLIENTS_CACHE`` (default ``${XDG_CACHE_HOME:-~/.cache}/bytespike-realclients``)
``/<tool>/<version>/bin/<executable>``: npm packages go in with ``npm install --prefix``, Aider in its
own venv. A ``.complete`` marker is written last, so an interrupted install is redone, and a cached one
costs nothing. Only the standard library is used: the script runs before any venv exists.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomlkit as tomllib  # type: ignore[no-redef]

LOCK = Path(__file__).with_name("clients.lock")
NPM_TIMEOUT = 600


def cache_root() -> Path:
    override = os.environ.get("BYTESPIKE_REALCLIENTS_CACHE")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "bytespike-realclients"


def read_lock(path: Path = LOCK) -> dict[str, dict]:
    return dict(tomllib.loads(path.read_text(encoding="utf-8")))


def install_dir(tool: str, version: str) -> Path:
    return cache_root() / tool / version


def executable(tool: str, version: str, spec: dict) -> Path:
    return install_dir(tool, version) / "bin" / spec["bin"]


def is_installed(tool: str, version: str) -> bool:
    return (install_dir(tool, version) / ".complete").is_file()


def latest_version(spec: dict) -> str:
    if "npm" in spec:
        out = subprocess.run(["npm", "view", spec["npm"], "version"], capture_output=True, text=True,
                             timeout=120, check=True)
        return out.stdout.strip()
    out = subprocess.run([sys.executable, "-m", "pip", "index", "versions", spec["pypi"]],
                         capture_output=True, text=True, timeout=120, check=True)
    for line in out.stdout.splitlines():
        if line.startswith(spec["pypi"]):
            return line.split("(", 1)[1].split(")", 1)[0]
    raise RuntimeError(f"pip index versions {spec['pypi']} printed no version")


def node_major() -> int | None:
    try:
        out = subprocess.run(["node", "--version"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return int(out.stdout.strip().lstrip("v").split(".")[0])


def node_needed(spec: dict, version: str) -> int | None:
    """The Node major a release asks for in ``engines.node`` when the one on PATH is older (else None)."""
    out = subprocess.run(["npm", "view", f"{spec['npm']}@{version}", "engines.node"], capture_output=True,
                         text=True, timeout=120, check=False)
    digits = "".join(c if c.isdigit() else " " for c in out.stdout).split()
    wanted = int(digits[0]) if digits else None
    current = node_major()
    return wanted if wanted is not None and current is not None and wanted > current else None


def install_node(major: int) -> Path:
    """Node from the npm registry's `node` package (its binary ships in a platform package there too)."""
    target = cache_root() / "node" / str(major)
    if not (target / ".complete").is_file():
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        _run(["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", "--no-save",
              "--loglevel=error", f"node@{major}"], timeout=NPM_TIMEOUT)
        (target / ".complete").write_text("{}")
    return target / "node_modules" / ".bin"


def node_dir(tool: str, version: str) -> Path | None:
    """Where the Node this install needs lives, when it is not the one on PATH."""
    marker = install_dir(tool, version) / ".complete"
    try:
        found = json.loads(marker.read_text()).get("node_bin")
    except (OSError, ValueError):
        return None
    return Path(found) if found else None


def _run(argv: list[str], **kw) -> None:
    print("+", " ".join(argv), file=sys.stderr, flush=True)
    subprocess.run(argv, check=True, **kw)


def install(tool: str, version: str, spec: dict, *, quiet: bool = False) -> Path:
    """Install one tool at one version (no-op when cached). Returns the executable's path."""
    target = install_dir(tool, version)
    exe = executable(tool, version, spec)
    if is_installed(tool, version):
        return exe
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    started = time.monotonic()
    record: dict = {}
    if "npm" in spec:
        needed = node_needed(spec, version)
        if needed is not None:  # e.g. Claude Code >= 2.1.2xx wants Node 22; the machine may have 20
            record["node_bin"] = str(install_node(needed))
            print(f"{tool} {version} needs Node {needed}: installed it from npm beside the client", file=sys.stderr)
        # --ignore-scripts is not used: several clients place their native binary in a postinstall step
        _run(["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", "--no-save",
              "--loglevel=error", f"{spec['npm']}@{version}"], timeout=NPM_TIMEOUT,
             env={**os.environ, "npm_config_update_notifier": "false"})
        (target / "bin").mkdir(exist_ok=True)
        link = target / "bin" / spec["bin"]
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(target / "node_modules" / ".bin" / spec["bin"])
    else:
        _run([sys.executable, "-m", "venv", str(target / "venv")])
        pip = [str(target / "venv" / "bin" / "python"), "-m", "pip"]
        _run(pip + ["install", "-q", "--disable-pip-version-check", f"{spec['pypi']}=={version}"],
             timeout=NPM_TIMEOUT)
        (target / "bin").mkdir(exist_ok=True)
        (target / "bin" / spec["bin"]).symlink_to(target / "venv" / "bin" / spec["bin"])
    if not exe.exists():
        raise RuntimeError(f"{tool} {version} installed, but {exe} is missing")
    record["seconds"] = round(time.monotonic() - started, 1)
    (target / ".complete").write_text(json.dumps(record))
    if not quiet:
        print(f"installed {tool} {version} in {time.monotonic() - started:.0f}s", file=sys.stderr)
    return exe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tool", action="append", help="only this tool (repeatable)")
    parser.add_argument("--latest", action="store_true", help="install the latest release instead of the pins")
    parser.add_argument("--print-path", nargs=2, metavar=("TOOL", "VERSION"))
    parser.add_argument("--lock", type=Path, default=LOCK)
    args = parser.parse_args(argv)
    lock = read_lock(args.lock)
    if args.print_path:
        tool, version = args.print_path
        print(executable(tool, version, lock[tool]))
        return 0
    started = time.monotonic()
    failed = []
    for tool, spec in lock.items():
        if args.tool and tool not in args.tool:
            continue
        versions = [latest_version(spec)] if args.latest else list(spec["versions"])
        for version in versions:
            try:
                exe = install(tool, version, spec)
            except (subprocess.SubprocessError, OSError, RuntimeError) as exc:
                print(f"FAILED {tool} {version}: {exc}", file=sys.stderr)
                failed.append(f"{tool} {version}")
                continue
            print(f"{tool}\t{version}\t{exe}")
    print(f"clients ready in {time.monotonic() - started:.0f}s (cache {cache_root()})", file=sys.stderr)
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
