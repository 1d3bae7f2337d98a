"""ItemTable rows: one transaction, busy timeout, clear errors."""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from bytespike_cli.errors import ConfigFileError, ToolBusy
from bytespike_cli.formats import sqlite as store


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "state.vscdb"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE ItemTable (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    conn.execute("INSERT INTO ItemTable VALUES ('keep', 'x'), ('a', 'old')")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    return path


def test_read_write_delete(db):
    assert store.user_version(db) == 1 and store.has_item_table(db)
    store.write_items(db, {"a": "new", "b": '{"json": 1}', "keep": "x"})
    assert store.read_items(db, ["a", "b", "keep", "none"]) == {"a": "new", "b": '{"json": 1}', "keep": "x", "none": None}
    store.write_items(db, {"b": None})
    assert store.read_items(db, ["b"]) == {"b": None}


def test_failed_transaction_changes_nothing(db):
    with pytest.raises(ConfigFileError):
        store.write_items(db, {"a": "changed", "bad": object()})  # not bindable -> error mid-transaction
    assert store.read_items(db, ["a"]) == {"a": "old"}


def test_locked_database_is_busy(db, monkeypatch):
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.2)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.monotonic()
        with pytest.raises(ToolBusy):
            store.write_items(db, {"a": "x"})
        assert time.monotonic() - started >= 0.15
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_not_a_database(tmp_path):
    path = tmp_path / "state.vscdb"
    path.write_bytes(b"this is not sqlite at all, just text" * 100)
    with pytest.raises(ConfigFileError):
        store.read_items(path, ["a"])


def test_waits_for_a_short_lock(db):
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: holder.execute("COMMIT"))
    release.start()
    store.write_items(db, {"a": "after-wait"})
    release.join()
    holder.close()
    assert store.read_items(db, ["a"]) == {"a": "after-wait"}
