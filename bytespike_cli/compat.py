"""Which version of each tool is installed, and whether the real-client suite verified that version.

The ranges (each tool module's ``verified_versions``) are the oldest and newest pins of ``tests/realclients/clients.lock`` (a test keeps
the two in step): the suite ran ``bytespike setup``, ``run``, the proxy, ``--remove`` and ``doctor``
against those exact releases. Outside the range bytespike still writes what it knows, and says that
this version was not checked. Core only: returns data, never prints.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Mapping



def verified() -> dict[str, tuple[str, str]]:
    """tool -> (oldest, newest) release verified by tests/realclients (each tool module states its own)."""
    return {name: cls.verified_versions for name, cls in _tool_classes() if cls.verified_versions}


def programs() -> dict[str, str]:
    """tool -> the command-line program whose ``--version`` names the release."""
    return {name: cls.version_program for name, cls in _tool_classes() if cls.version_program}


def _tool_classes():
    from bytespike_cli import tools

    return [(name, tools.tool_class(name)) for name in tools.names()]


_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")


def parse(text: str | None) -> tuple[int, int, int] | None:
    match = _VERSION.search(text or "")
    return tuple(int(x) for x in match.groups()) if match else None  # type: ignore[return-value]


@dataclass(frozen=True)
class ToolVersion:
    tool: str
    program: str | None  # None: bytespike has no version rule for this tool
    version: str | None  # None: not on PATH, or it did not answer
    verified: tuple[str, str] | None

    @property
    def in_range(self) -> bool | None:
        """True/False when both the version and a verified range are known, else None."""
        found = parse(self.version)
        if found is None or self.verified is None:
            return None
        oldest, newest = (parse(v) for v in self.verified)
        return oldest <= found <= newest  # type: ignore[operator]

    @property
    def verified_text(self) -> str | None:
        if self.verified is None:
            return None
        oldest, newest = self.verified
        return oldest if oldest == newest else f"{oldest} – {newest}"

    def warning(self) -> str | None:
        """A sentence when the installed version is outside what the real-client suite verified."""
        if self.in_range is not False:
            return None
        return (f"{self.program} {self.version} is outside the versions bytespike's real-client suite verified "
                f"({self.verified_text}): what setup writes may not be what this version reads")

    def to_json(self) -> dict:
        return {"program": self.program, "version": self.version, "verified": self.verified_text,
                "in_verified_range": self.in_range}


def installed_version(tool: str, env: Mapping[str, str] | None = None, timeout: float = 10.0) -> ToolVersion:
    """``PROGRAM --version`` of one tool (never raises: a tool that hangs or fails has no version)."""
    from bytespike_cli import tools

    cls = tools.tool_class(tool)
    program, verified = cls.version_program, cls.verified_versions
    if program is None:
        return ToolVersion(tool, None, None, verified)
    environ = dict(env if env is not None else os.environ)
    exe = shutil.which(program, path=environ.get("PATH", os.defpath))
    if exe is None:
        return ToolVersion(tool, program, None, verified)
    from_package = npm_package_version(exe, program)
    if from_package is not None:  # read, not run: `gemini --version` writes files under ~/.gemini
        return ToolVersion(tool, program, from_package, verified)
    environ.setdefault("NO_COLOR", "1")
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=timeout, check=False,
                             stdin=subprocess.DEVNULL, env=environ)
    except (OSError, subprocess.SubprocessError):
        return ToolVersion(tool, program, None, verified)
    found = parse(out.stdout) or parse(out.stderr)
    return ToolVersion(tool, program, ".".join(map(str, found)) if found else None, verified)


def npm_package_version(exe: str, program: str) -> str | None:
    """The version in the package.json of the npm package ``exe`` belongs to (the one whose ``bin`` names
    ``program``), without running anything; None when ``exe`` is not such a file (a wrapper script, pip, a binary)."""
    import json
    from pathlib import Path

    try:
        path = Path(exe).resolve()
    except OSError:
        return None
    for folder in list(path.parents)[:4]:
        manifest = folder / "package.json"
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict):
            return None
        bins = data.get("bin")
        if isinstance(bins, str):  # "bin": "cli.js" names the command after the package
            bins = {str(data.get("name", "")).rsplit("/", 1)[-1]: bins}
        found = parse(data.get("version")) if isinstance(data.get("version"), str) else None
        if isinstance(bins, dict) and program in bins and found:
            return ".".join(map(str, found))
        return None  # the nearest package.json is another package's: do not guess further up
    return None


def installed_versions(tools: list[str], env: Mapping[str, str] | None = None) -> dict[str, ToolVersion]:
    """Versions of several tools at once (each `--version` runs in parallel: Aider alone takes a second)."""
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(tools)))) as pool:
        return dict(zip(tools, pool.map(lambda t: installed_version(t, env), tools)))
