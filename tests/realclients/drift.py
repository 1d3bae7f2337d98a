#!/usr/bin/env python3
"""Run the real-client suite against the latest release of every tool and print the matrix.

    python tests/realclients/drift.py            # latest releases from npm / PyPI
    python tests/realclients/drift.py --pinned   # the pins of clients.lock (what CI runs)
    python tests/realclients/drift.py --markdown benchmarks/realclients.md

A tool whose latest release differs from its pin is marked; when the latest fails, the matrix shows
which path broke (setup, proxy, run, remove, doctor, …) on the day the tool changed. Bumping a pin is
then one line in clients.lock plus whatever the new version needs. Exit status: 0 when every cell
passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
import install  # noqa: E402

# test function -> the matrix columns it proves
PATHS = {
    "test_setup_then_the_client_answers_and_doctor_is_clean": ("setup", "doctor"),
    "test_through_the_proxy": ("proxy",),
    "test_run_answers_and_writes_no_file": ("run",),
    "test_remove_gives_the_client_back_its_own_provider": ("remove",),
    "test_codex_fast_profile_works_in_the_form_this_version_reads": ("fast profile",),
    "test_aider_without_context_window_in_the_catalogue": ("no context_window",),
    "test_opencode_family_doctor_names_a_missing_or_shadowed_key": ("key missing/shadowed",),
    "test_gemini_family_doctor_names_a_missing_or_shadowed_key": ("key missing/shadowed",),
}
COLUMNS = ("setup", "proxy", "run", "remove", "doctor", "key missing/shadowed", "fast profile", "no context_window")
NOT_RUN = "test_tools_without_a_real_client_say_why"  # tools the suite cannot run: skipped with the reason
MARK = {"passed": "✓", "failed": "✗", "skipped": "–"}


def write_lock(lock: dict[str, dict], versions: dict[str, list[str]], path: Path) -> None:
    lines = []
    for tool, spec in lock.items():
        lines.append(f"[{tool}]")
        for key, value in spec.items():
            if key != "versions":
                lines.append(f'{key} = "{value}"')
        lines.append("versions = [" + ", ".join(f'"{v}"' for v in versions[tool]) + "]")
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")


def run_suite(lock_path: Path, junit: Path, python: str) -> int:
    env = {**os.environ, "BYTESPIKE_REALCLIENTS": "1", "BYTESPIKE_REALCLIENTS_LOCK": str(lock_path)}
    return subprocess.call([python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/realclients",
                            f"--junitxml={junit}"], cwd=ROOT, env=env)


def matrix(junit: Path) -> dict[tuple[str, str], dict[str, str]]:
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        if "[" not in name:
            continue
        function, param = name[:-1].split("[", 1)
        if function not in PATHS:
            continue
        tool, version = param.rsplit("-", 1)
        state = "passed"
        if case.find("failure") is not None or case.find("error") is not None:
            state = "failed"
        elif case.find("skipped") is not None:
            state = "skipped"
        row = cells.setdefault((tool, version), {})
        for column in PATHS.get(function, ()):
            if row.get(column) != "failed":  # one failing test marks its column
                row[column] = state
    return cells


def not_run(junit: Path) -> dict[str, str]:
    """Registered tools the suite cannot run, with the reason it gives."""
    found = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = case.get("name", "")
        skipped = case.find("skipped")
        if name.startswith(NOT_RUN + "[") and skipped is not None:
            found[name[len(NOT_RUN) + 1:-1]] = skipped.get("message", "").removeprefix("Skipped: ")
    return found


def render(cells, lock, *, title: str, seconds: float, unrun: dict[str, str] | None = None) -> str:
    today = dt.date.today().isoformat()
    pinned = {(t, v) for t, spec in lock.items() for v in spec["versions"]}
    out = [f"### {title} — {today}", "",
           f"Suite time {seconds:.0f} s on this machine. ✓ passed · ✗ failed · – not applicable "
           "(`bytespike run` does not launch Continue or Cline: their settings live in files only) · blank: no such "
           "test for the tool.",
           "", "| tool | version | " + " | ".join(COLUMNS) + " |",
           "|---|---|" + "---|" * len(COLUMNS)]
    for (tool, version), row in sorted(cells.items()):
        shown = version + ("" if (tool, version) in pinned else " (not pinned)")
        out.append(f"| {tool} | {shown} | " + " | ".join(MARK.get(row.get(c, ""), "") for c in COLUMNS) + " |")
    if unrun:
        out += ["", "Not run by the suite (proven by schema, harness and doctor tests only):"]
        out += [f"- {tool}: {reason}" for tool, reason in sorted(unrun.items())]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pinned", action="store_true", help="the versions of clients.lock, not the latest")
    parser.add_argument("--markdown", type=Path, help="also write the matrix to this file")
    parser.add_argument("--python", default=sys.executable, help="the Python with bytespike and pytest installed")
    args = parser.parse_args(argv)
    lock = install.read_lock()
    with tempfile.TemporaryDirectory() as tmp:
        if args.pinned:
            lock_path, title = install.LOCK, "Real clients at their pins"
        else:
            latest = {tool: [install.latest_version(spec)] for tool, spec in lock.items()}
            lock_path, title = Path(tmp) / "latest.lock", "Real clients at their latest release"
            write_lock(lock, latest, lock_path)
            for tool, versions in latest.items():
                if versions[0] not in lock[tool]["versions"]:
                    print(f"drift: {tool} {versions[0]} is out; the pins are {lock[tool]['versions']}",
                          file=sys.stderr)
        started = time.monotonic()
        if install.main(["--lock", str(lock_path)]) != 0:
            print("some clients did not install; their tests fail below", file=sys.stderr)
        junit = Path(tmp) / "junit.xml"
        code = run_suite(lock_path, junit, args.python)
        text = render(matrix(junit), lock, title=title, seconds=time.monotonic() - started, unrun=not_run(junit))
    print(text)
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
