"""Rows of a VS Code-style ``state.vscdb`` (table ``ItemTable(key TEXT UNIQUE, value BLOB)``).

Reads open the database read-only; writes run in one ``BEGIN IMMEDIATE`` transaction with a busy
timeout, so a half-applied change can never be left behind and a locked database is reported as
busy instead of corrupted. The caller must make sure the owning app is closed (it keeps the rows in
memory and would write its copy back).
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Mapping

from bytespike_cli.errors import ConfigFileError, ToolBusy

TABLE = "ItemTable"
BUSY_TIMEOUT_S = 5.0

Value = str | bytes


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = Path(path).resolve().as_uri() + "?mode=ro"
        if not _has_side_files(Path(path)):
            # A read-only look at a WAL database creates -wal/-shm files that it cannot remove again (they
            # would then be backed up and "restored" as the user's). With no side files there is no WAL
            # content to read and no other connection, so the file can be read as it is.
            uri += "&immutable=1"
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
    return conn


def _has_side_files(path: Path) -> bool:
    resolved = Path(path).resolve()
    return any(resolved.with_name(resolved.name + suffix).exists() for suffix in ("-wal", "-shm", "-journal"))


def _fail(path: Path, exc: sqlite3.Error) -> Exception:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return ToolBusy(f"{path}: the database is locked by another program",
                        "close the app that uses it and run again")
    if "not a database" in text or "malformed" in text:
        return ConfigFileError(path, f"not a readable SQLite database ({text})", "restore it from a backup")
    if "readonly" in text or "read-only" in text:
        return ConfigFileError(path, "cannot write: the database is read-only", "check the file's permissions")
    return ConfigFileError(path, f"SQLite error: {text}")


def user_version(path: Path) -> int:
    try:
        with closing(_connect(path, readonly=True)) as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as exc:
        raise _fail(path, exc) from None


def has_item_table(path: Path) -> bool:
    try:
        with closing(_connect(path, readonly=True)) as conn:
            row = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (TABLE,)).fetchone()
            return row is not None
    except sqlite3.Error as exc:
        raise _fail(path, exc) from None


def read_items(path: Path, keys: list[str] | tuple[str, ...]) -> dict[str, Value | None]:
    """The values of ``keys`` (None for a key that has no row)."""
    result: dict[str, Value | None] = dict.fromkeys(keys)
    if not keys:
        return result
    try:
        with closing(_connect(path, readonly=True)) as conn:
            marks = ",".join("?" * len(keys))
            for key, value in conn.execute(f"SELECT key, value FROM {TABLE} WHERE key IN ({marks})", list(keys)):
                result[key] = value
    except sqlite3.Error as exc:
        raise _fail(path, exc) from None
    return result


def write_items(path: Path, changes: Mapping[str, Value | None]) -> None:
    """Upsert (value) or delete (None) each key, all in one transaction."""
    try:
        with closing(_connect(path, readonly=False)) as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for key, value in changes.items():
                    if value is None:
                        conn.execute(f"DELETE FROM {TABLE} WHERE key = ?", (key,))
                    else:
                        conn.execute(
                            f"INSERT INTO {TABLE}(key, value) VALUES (?, ?) "
                            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                            (key, value),
                        )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    except sqlite3.Error as exc:
        raise _fail(path, exc) from None
