"""What Gemini CLI and its fork Qwen Code share: settings scopes, folder trust, and variables from .env files.

Read in the npm bundles of the pinned releases (``@google/gemini-cli@0.61.0`` ``bundle/chunk-2YTYPKEZ.js``,
``chunk-JDPZ4CE3.js``; ``@qwen-code/qwen-code@0.24.4`` ``chunks/chunk-DYLGEL4Y.js``, ``chunk-IDS7MSUP.js``), and
in google-gemini/gemini-cli ``packages/cli/src/config/settings.ts`` at commit 5411f113:

- settings are merged from four JSON-with-comments files (``JSON.parse(stripJsonComments(text))``), lowest
  first: system defaults, the user's ``settings.json``, the workspace's ``<cwd>/.<tool>/settings.json`` (only
  in a trusted folder), then the system settings file, which overrides everything. Each tool names the
  system files by its own variables (``GEMINI_CLI_SYSTEM_SETTINGS_PATH``, ``QWEN_CODE_SYSTEM_SETTINGS_PATH``, …).
- folder trust: ``security.folderTrust.enabled`` (default true); ``trustedFolders.json`` maps a path to
  ``TRUST_FOLDER`` / ``TRUST_PARENT`` / ``DO_NOT_TRUST`` and the longest matching rule wins
  (``LoadedTrustedFolders.isPathTrusted``); the tool's environment switch decides first.
- a variable from a .env file never replaces one the process already has (Gemini: set at all; Qwen: set
  and not empty). Which files count differs (each tool module says how), and is why each tool lists its
  own files; reading them and naming what wins is the same.

Shared here so both tools resolve them the same way; everything tool-specific stays in ``gemini_cli.py``
and ``qwen_code.py``.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from bytespike_cli.doctor.effective import Candidate, dig, read_data, shown_path
from bytespike_cli.doctor.findings import Finding, fail
from bytespike_cli.errors import ConfigFileError

TRUST_FOLDER, TRUST_PARENT, DO_NOT_TRUST = "TRUST_FOLDER", "TRUST_PARENT", "DO_NOT_TRUST"


def system_settings_path(env_value: str | None, linux: str, macos: str, windows: str) -> Path:
    if env_value:
        return Path(env_value)
    if sys.platform == "darwin":
        return Path(macos)
    if os.name == "nt":
        return Path(windows)
    return Path(linux)


@dataclass
class Layer:
    """One settings file that exists and parsed."""

    path: Path
    data: dict


@dataclass
class Settings:
    """A tool's settings files, winner first (system, workspace, user, system defaults)."""

    layers: list[Layer] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    def first(self, *keys: str, home: Path) -> Candidate | None:
        """The value the merged settings hold at ``keys``, and the file it comes from."""
        dotted = ".".join(keys)
        for layer in self.layers:
            value = dig(layer.data, *keys)
            if value not in (None, ""):
                shown = shown_path(layer.path, home)
                return Candidate(f"{shown} {dotted}", value, f"change {dotted} in {shown}")
        return None

    def value(self, *keys: str) -> Any:
        for layer in self.layers:
            value = dig(layer.data, *keys)
            if value not in (None, ""):
                return value
        return None


def load_settings(paths: list[Path], tool: str) -> Settings:
    """Read ``paths`` (winner first); an unreadable file is a finding, the others still count."""
    settings = Settings()
    seen: set[Path] = set()
    for path in paths:
        if path in seen:
            continue
        seen.add(path)
        try:
            data = read_data("jsonc", path)
        except ConfigFileError as exc:
            settings.findings.append(fail(tool, "settings-unreadable", exc.message, exc.hint or f"fix {path}", 9))
            continue
        if data is not None:
            settings.layers.append(Layer(path, data))
    return settings


def trusted_folders(path: Path) -> dict[str, str]:
    try:
        data = read_data("jsonc", path)
    except ConfigFileError:
        return {}
    return {str(k): str(v) for k, v in (data or {}).items() if isinstance(v, str)}


def path_trusted(rules: Mapping[str, str], directory: Path) -> bool | None:
    """The longest rule that covers ``directory``: True, False, or None when no rule does."""
    target = _real(directory)
    best_length, best_level = -1, None
    for rule_path, level in rules.items():
        effective = Path(rule_path).parent if level == TRUST_PARENT else Path(rule_path)
        covered = _real(effective)
        if target == covered or covered in target.parents:
            if len(rule_path) > best_length:
                best_length, best_level = len(rule_path), level
    if best_level == DO_NOT_TRUST:
        return False
    if best_level in (TRUST_FOLDER, TRUST_PARENT):
        return True
    return None


def _real(path: Path) -> Path:
    try:
        return Path(os.path.realpath(path))
    except OSError:
        return Path(path)


@dataclass
class EnvFile:
    path: Path
    data: dict


def read_env_files(paths: list[Path], tool: str, findings: list[Finding]) -> list[EnvFile]:
    """The .env files among ``paths`` that exist, in order; unreadable ones become findings."""
    found: list[EnvFile] = []
    for path in paths:
        try:
            data = read_data("dotenv", path)
        except ConfigFileError as exc:
            findings.append(fail(tool, "dotenv-unreadable", exc.message, exc.hint or f"fix {path}", 9))
            continue
        if data is not None:
            found.append(EnvFile(path, data))
    return found


def variable(name: str, env: Mapping[str, str], files: list[EnvFile], home: Path, *,
             empty_is_unset: bool) -> tuple[Candidate | None, list[Candidate]]:
    """Where ``name`` comes from: (the winner, every place that sets it), the process environment first,
    then the .env files in order.

    ``empty_is_unset``: Qwen Code lets a file fill a variable the process has set to ""; Gemini CLI does
    not (it checks only that the variable exists), so there an empty variable hides every file.
    """
    places: list[Candidate] = []
    if name in env:
        places.append(Candidate(f"env {name}", env[name] or None,
                                f"unset {name} (and remove it from your shell profile or .envrc)"))
    for env_file in files:
        if name in env_file.data:
            shown = shown_path(env_file.path, home)
            places.append(Candidate(f"{shown} {name}", env_file.data[name] or None, f"remove {name} from {shown}"))
    if name in env and not empty_is_unset:
        return places[0], places
    return next((c for c in places if c.value not in (None, "")), None), places


def shadowing(winner: Candidate | None, places: list[Candidate], ours: Path, home: Path) -> Candidate | None:
    """The place that wins over the value in our own file (``ours``), when one does."""
    prefix = shown_path(ours, home) + " "
    if winner is None or winner.source.startswith(prefix):
        return None
    return winner if any(c.source.startswith(prefix) and c.value for c in places) else None
