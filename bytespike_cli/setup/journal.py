"""The setup journal's written schema: what bytespike owns in other programs' files, and its history.

Stored as JSON (0600) in ``<state_dir>/setup/journal.json``; every value a setup replaced or deleted is
kept, with the bytes of each file before and after every write (``backups/<entry>/<n>.bak`` / ``.after``),
so ``--remove`` can take exactly our change back out and ``undo`` can restore whole files.

Versions: 1 (bytespike 0.1: no ``state``, no ``patches``, no ``after_backup``) → 2 (this module).
:func:`migrate` upgrades an older journal on load; a newer one is refused rather than half understood.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, TypedDict

from bytespike_cli.errors import ConfigFileError

JOURNAL_VERSION = 2


class KeyEntry(TypedDict, total=False):
    path: list  # encode_path form
    previous: Any  # {"$missing": true} when the key did not exist
    written: Any  # {"$missing": true} when we deleted it; {"$sha256": …} for a key
    created: List[list]  # parents that did not exist before (deepest last)
    replaced: List[Dict[str, Any]]  # parents that held something else (null, a string, a list): path + value
    source: Dict[str, Any]  # how the previous value was written (JSONC): {"text", "before"}


class Patch(TypedDict):
    """One setup's write of one file, as backup files relative to the state dir (None: no file)."""

    entry: str
    before: Optional[str]
    after: Optional[str]


class OwnedFile(TypedDict, total=False):
    path: str
    format: str
    keys: List[KeyEntry]
    created_file: bool
    created_dirs: List[str]
    text_before: Optional[str]
    secret: bool
    mode_before: int
    patches: List[Patch]


class OwnedTool(TypedDict, total=False):
    profile: str
    files: Dict[str, OwnedFile]


class HistoryFile(TypedDict, total=False):
    path: str
    target: str
    backup: Optional[str]
    after_backup: Optional[str]
    mode: Optional[int]
    before_sha: Optional[str]
    after_sha: Optional[str]
    created_dirs: List[str]
    store: bool
    parts: List[Dict[str, Any]]
    restored: bool  # undo put this file back already (a partial undo)


class HistoryEntry(TypedDict, total=False):
    id: str
    run: str
    tool: str
    action: str  # setup | remove | undo
    time: str
    # pending: files are being written (a crash here is rolled back by the next run); done; rolled-back
    state: str
    undone: bool
    profile: Optional[str]
    files: List[HistoryFile]
    owned_before: Optional[OwnedTool]


class Journal(TypedDict):
    version: int
    owned: Dict[str, OwnedTool]
    history: List[HistoryEntry]
    written: Dict[str, List[Optional[str]]]  # target -> sha256 of every content bytespike wrote there


def empty() -> Journal:
    return {"version": JOURNAL_VERSION, "owned": {}, "history": [], "written": {}}


def migrate(data: Any, path: Any) -> Journal:
    """A loaded journal in the current schema (older versions upgraded in memory; saved on the next write)."""
    if not isinstance(data, dict):
        raise ConfigFileError(path, "bytespike's setup journal is damaged",
                              "move it away; setups can then still be removed by name (undo history is lost)")
    version = data.get("version", 1)
    if not isinstance(version, int) or version > JOURNAL_VERSION:
        raise ConfigFileError(path, f"bytespike's setup journal has version {version}, newer than this bytespike "
                                    f"understands ({JOURNAL_VERSION})", "upgrade bytespike (pip install -U bytespike)")
    data.setdefault("owned", {})
    data.setdefault("history", [])
    data.setdefault("written", {})
    if version < 2:
        for entry in data["history"]:
            entry.setdefault("state", "done")
            for item in entry.get("files", []):
                item.setdefault("after_backup", None)
        for owned in data["owned"].values():
            for info in owned.get("files", {}).values():
                info.setdefault("patches", [])  # no after bytes recorded: --remove works key by key
    data["version"] = JOURNAL_VERSION
    return data  # type: ignore[return-value]
