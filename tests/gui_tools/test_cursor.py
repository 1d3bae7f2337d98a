"""Cursor: rows of a real SQLite state.vscdb (ItemTable), the stored-layout gate, the running-Cursor refusal."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import sys

import pytest

from bytespike_cli.errors import ConfigFileError, ExitCode, ToolBusy, UsageError
from bytespike_cli.formats import MISSING
from bytespike_cli.formats import sqlite as store
from bytespike_cli.tools import cursor as cursor_module
from bytespike_cli.tools.base import Delete, Set
from bytespike_cli.tools.cline import RunningProcess
from bytespike_cli.tools.cursor import (
    APP_USER,
    KEY_ROW,
    SECRET_KEY_ROW,
    Cursor,
    StateDbDocument,
    companion_files,
)
from bytespike_cli.setup.engine import diff

from .helpers import GPT, GPT_MINI, HAIKU, KEY, KIMI, SONNET, backups, history, make_request, no_processes

BLOB = {
    "teamId": 12345,
    "cursorCreds": {"websiteUrl": "https://cursor.com", "backendUrl": "https://api2.cursor.sh"},
    "openAIBaseUrl": "",
    "useOpenAIKey": False,
    "useClaudeKey": False,
    "aiSettings": {
        "modelConfig": {"composer": {"modelName": "claude-4.5-sonnet", "maxMode": False}},
        "userAddedModels": ["my-local-model"],
        "modelOverrideEnabled": ["my-local-model", "gpt-5"],
        "modelOverrideDisabled": ["gpt-5-5", "o3"],
        "regexToPreventModelSwitching": "",
    },
    "featureFlags": {"bugbot": True, "ratio": 0.25, "nested": [1, {"x": None}]},
    "lastUpgrade": "3.1.4",
}
UNRELATED_ROWS = {
    "cursorAuth/accessToken": "eyJhbGciOi.fake.token",
    "cursorAuth/cachedEmail": "dev@example.com",
    "workbench.panel.markers.hidden": "true",
    "telemetry.machineId": "abc123",
    "secret://cursorAuth/claudeKey": "v10\u00e9\u00e8binary-ish",
}


def make_db(path, blob=BLOB, extra=None, *, wal=False, version=1, table="ItemTable"):
    """A VS Code-style global state database like Cursor's (ItemTable + cursorDiskKV)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {version}")
    if wal:
        conn.execute("PRAGMA journal_mode = WAL")
    conn.execute(f"CREATE TABLE {table} (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    conn.execute("CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)")
    rows = dict(UNRELATED_ROWS)
    if blob is not None:
        rows[APP_USER] = blob if isinstance(blob, str) else json.dumps(blob, separators=(",", ":"))
    rows.update(extra or {})
    conn.execute("BEGIN")
    conn.executemany(f"INSERT INTO {table} (key, value) VALUES (?, ?)", rows.items())
    conn.executemany("INSERT INTO cursorDiskKV VALUES (?, ?)",
                     [(f"bubbleId:{i}", json.dumps({"text": "x" * 50})) for i in range(200)])
    conn.execute("COMMIT")
    conn.close()
    return path


def crashed_wal_db(path, **kwargs):
    """A WAL-mode database copied while its writer was still open: recent rows live only in -wal."""
    scratch = path.parent / "scratch"
    scratch.mkdir(parents=True)
    db = make_db(scratch / "state.vscdb", wal=True, **kwargs)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA wal_autocheckpoint = 0")
    holder.execute("INSERT INTO ItemTable VALUES ('only-in-wal', 'recent')")
    for source, target in zip(companion_files(db), companion_files(path)):
        shutil.copyfile(source, target)
    holder.close()
    shutil.rmtree(scratch)
    return path


def all_rows(path) -> dict:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)  # read-only: never checkpoints
    try:
        items = {k: (v, t) for k, v, t in conn.execute("SELECT key, value, typeof(value) FROM ItemTable")}
        kv = conn.execute("SELECT count(*) FROM cursorDiskKV").fetchone()[0]
    finally:
        conn.close()
    return {"items": items, "diskkv": kv}


def fingerprints(db) -> dict:
    return {p.name: (hashlib.sha256(p.read_bytes()).hexdigest() if p.exists() else None) for p in companion_files(db)}


def apply_to_db(plan) -> bool:
    """Apply a Cursor plan's edits the way the engine applies any plan (set/delete per edit), then save."""
    (file_plan,) = plan.files
    doc = StateDbDocument(file_plan.path)
    for edit in file_plan.edits:
        if isinstance(edit, Set):
            doc.set(edit.path, edit.value)
        else:
            doc.delete(edit.path)
    return doc.save()


@pytest.fixture
def tool(home):
    return Cursor(home=home, env={"XDG_CONFIG_HOME": str(home / ".config")}, processes=no_processes)


@pytest.fixture
def db(tool):
    return make_db(tool.db_path())


# -- where ----------------------------------------------------------------------------------------------
def test_database_path_per_os(home, monkeypatch):
    if sys.platform not in ("darwin", "win32"):
        assert Cursor(home=home, env={}).db_path() == home / ".config/Cursor/User/globalStorage/state.vscdb"
        assert Cursor(home=home, env={"XDG_CONFIG_HOME": "/x"}).db_path().parts[:3] == ("/", "x", "Cursor")
    monkeypatch.setattr(cursor_module.sys, "platform", "darwin")
    assert Cursor(home=home, env={}).db_path() == \
        home / "Library/Application Support/Cursor/User/globalStorage/state.vscdb"


# -- the stored-layout gate: an unknown layout is a clear error and nothing is touched ----------------------
@pytest.mark.parametrize("make, problem", [
    (lambda p: make_db(p, version=0), "user_version 0"),
    (lambda p: make_db(p, version=2), "user_version 2"),
    (lambda p: make_db(p, table="Items"), "no ItemTable"),
    (lambda p: make_db(p, blob=None), "settings row is missing"),
    (lambda p: make_db(p, blob=[1, 2]), "not an object"),
    (lambda p: make_db(p, blob="{not json"), "not valid JSON"),
    (lambda p: make_db(p, blob={**BLOB, "aiSettings": {"userAddedModels": "gpt-5"}}), "aiSettings.userAddedModels is a str"),
    (lambda p: make_db(p, blob={**BLOB, "aiSettings": {"userAddedModels": [1, 2]}}), "not a list of model ids"),
    (lambda p: make_db(p, blob={**BLOB, "useOpenAIKey": "yes"}), "useOpenAIKey is a str"),
])
def test_unknown_layout_is_a_clear_error_and_the_database_is_untouched(make, problem, tool, engine):
    db = make(tool.db_path())
    before = fingerprints(db)
    with pytest.raises(ConfigFileError) as info:
        tool.plan(make_request(chat=(GPT,), fast=GPT_MINI))
    assert problem in info.value.message and str(db) in info.value.message
    assert info.value.exit_code == ExitCode.CONFIG and info.value.hint
    assert fingerprints(db) == before and history(engine) == []


def test_missing_database_says_to_start_cursor_once(tool):
    with pytest.raises(ConfigFileError) as info:
        tool.plan(make_request())
    assert "start Cursor once" in info.value.hint and not tool.db_path().exists()


def test_a_file_that_is_not_sqlite_is_an_error(tool):
    tool.db_path().parent.mkdir(parents=True)
    tool.db_path().write_bytes(b"not a database " * 400)
    with pytest.raises(ConfigFileError):
        tool.plan(make_request())
    assert tool.db_path().read_bytes() == b"not a database " * 400


# -- what the plan says -------------------------------------------------------------------------------------
def values(plan) -> dict:
    return {e.path: e.value for f in plan.files for e in f.edits if isinstance(e, Set)}


def test_default_plan_writes_url_and_models_but_never_the_key(tool, db):
    plan = tool.plan(make_request(chat=(GPT, SONNET, KIMI), fast=GPT_MINI))
    got = values(plan)
    assert got[(APP_USER, "openAIBaseUrl")] == "https://llm.bytespike.ai/v1"
    assert got[(APP_USER, "useOpenAIKey")] is True
    assert got[(APP_USER, "aiSettings", "userAddedModels")] == ["my-local-model", "gpt-5-5", "kimi-k2-6", "gpt-5-4-mini"]
    assert got[(APP_USER, "aiSettings", "modelOverrideEnabled")] == \
        ["my-local-model", "gpt-5", "gpt-5-5", "kimi-k2-6", "gpt-5-4-mini"]
    assert got[(APP_USER, "aiSettings", "modelOverrideDisabled")] == ["o3"]
    assert not any(p[0] in (KEY_ROW, SECRET_KEY_ROW) for f in plan.files for p in (e.path for e in f.edits))
    assert plan.secrets == () and not plan.files[0].secret
    steps = "\n".join(plan.manual_steps)
    assert "Models → API Keys" in steps and "bytespike print-key --profile default" in steps
    assert "https://llm.bytespike.ai/v1" in steps and KEY not in steps
    warnings = "\n".join(plan.warnings)
    assert "from its own servers" in warnings and "localhost" in warnings
    assert "claude-sonnet-4-6" in warnings and "not added" in warnings
    assert any("Tab" in n for n in plan.notes)


def test_inline_plan_writes_the_plaintext_row_for_cursor_to_encrypt(tool):
    make_db(tool.db_path(), extra={SECRET_KEY_ROW: "v10encrypted-users-own-key"})
    plan = tool.plan(make_request(chat=(KIMI,), fast=None, key_mode="inline"))
    assert values(plan)[(KEY_ROW,)] == KEY
    assert any(isinstance(e, Delete) and e.path == (SECRET_KEY_ROW,) for e in plan.files[0].edits)
    assert plan.secrets == (KEY,) and plan.files[0].secret and plan.manual_steps == ()
    assert any("replaced" in w and "undo" in w for w in plan.warnings)
    assert not any("gpt" in w for w in plan.warnings)  # a neutral id needs no naming warning


def test_a_local_gateway_is_called_out(tool, db):
    plan = tool.plan(make_request(chat=(GPT,), base_url="http://127.0.0.1:8765"))
    assert any("127.0.0.1:8765" in w and "will not work" in w for w in plan.warnings)
    assert not any("will not work" in w for w in tool.plan(make_request(chat=(GPT,))).warnings)


def test_env_key_mode_is_refused(tool, db):
    with pytest.raises(UsageError):
        tool.plan(make_request(key_mode="env"))


def test_dry_run_diff_shows_rows_and_masks_the_key(tool, db, engine):
    plan = tool.plan(make_request(chat=(GPT,), key_mode="inline"))
    try:
        changes = engine.changes(plan)
    except ValueError as exc:  # the engine has no SQLite support yet (see the report)
        pytest.skip(f"engine cannot open {plan.files[0].format!r}: {exc}")
    shown = diff(changes, plan.secrets)
    assert KEY not in shown and '"openAIBaseUrl": "https://llm.bytespike.ai/v1"' in shown
    assert '+  "cursorAuth/openAIKey": "(hidden credential' in shown


def test_credential_rows_never_show_in_a_diff(tool, engine):
    own = "sk-proj-users-own-openai-key-1234"
    make_db(tool.db_path(), extra={KEY_ROW: own, SECRET_KEY_ROW: "v10-encrypted-blob"})
    plan = tool.plan(make_request(chat=(GPT,), key_mode="inline"))
    shown = diff(engine.changes(plan), plan.secrets)
    assert own not in shown and "v10-encrypted-blob" not in shown and KEY not in shown
    assert '-  "secret://cursorAuth/openAIKey": "(hidden credential' in shown


# -- writing the rows of a real database ----------------------------------------------------------------
@pytest.mark.parametrize("wal", ["plain", "wal", "crashed-wal"])
def test_rows_are_written_in_place_and_everything_else_survives(wal, tool):
    db = tool.db_path()
    if wal == "crashed-wal":
        crashed_wal_db(db)
        assert db.with_name("state.vscdb-wal").stat().st_size > 0
    else:
        make_db(db, wal=wal == "wal")
    before = all_rows(db)
    plan = tool.plan(make_request(chat=(GPT,), fast=GPT_MINI, key_mode="inline"))
    assert apply_to_db(plan)
    after = all_rows(db)
    assert after["diskkv"] == before["diskkv"] == 200
    for key, value in before["items"].items():
        if key != APP_USER:
            assert after["items"][key] == value, key
    if wal == "crashed-wal":
        assert after["items"]["only-in-wal"] == ("recent", "text")
    text, kind = after["items"][APP_USER]
    assert kind == "text" and ", " not in text and ": " not in text  # compact, as Cursor writes it
    blob = json.loads(text)
    assert blob["openAIBaseUrl"] == "https://llm.bytespike.ai/v1" and blob["useOpenAIKey"] is True
    assert {k: v for k, v in blob.items() if k not in ("openAIBaseUrl", "useOpenAIKey", "aiSettings")} == \
        {k: v for k, v in BLOB.items() if k not in ("openAIBaseUrl", "useOpenAIKey", "aiSettings")}
    assert list(blob) == list(BLOB)  # key order kept
    assert blob["aiSettings"]["modelConfig"] == BLOB["aiSettings"]["modelConfig"]
    assert after["items"][KEY_ROW] == (KEY, "text")  # TEXT: a BLOB would reach Cursor as a Buffer
    assert store.user_version(db) == 1

    # the same setup again changes nothing; the journal-less removal takes our URL out again
    again = tool.plan(make_request(chat=(GPT,), fast=GPT_MINI, key_mode="inline"))
    assert not apply_to_db(again)
    assert tool.detect().configured
    assert apply_to_db(tool.plan_remove())
    blob = json.loads(all_rows(db)["items"][APP_USER][0])
    assert "openAIBaseUrl" not in blob and blob["useOpenAIKey"] is False
    assert KEY_ROW not in all_rows(db)["items"] and not tool.detect().configured


def test_document_paths_and_row_types(tool, db):
    doc = StateDbDocument(db)
    assert doc.get((APP_USER, "aiSettings", "userAddedModels")) == ["my-local-model"]
    assert doc.get((KEY_ROW,)) is MISSING and doc.changed_rows() == {}
    assert doc.set((KEY_ROW,), "k") and not doc.set((KEY_ROW,), "k")
    with pytest.raises(ValueError):
        doc.set((KEY_ROW, "field"), 1)  # a plain-text row has no fields
    assert doc.delete((APP_USER, "teamId")) and not doc.delete((APP_USER, "teamId"))
    changes = doc.changed_rows()
    assert set(changes) == {KEY_ROW, APP_USER} and "teamId" not in changes[APP_USER]
    assert doc.delete((KEY_ROW,)) and KEY_ROW not in doc.changed_rows()


def test_a_locked_database_is_reported_busy_and_left_alone(tool, db, monkeypatch):
    monkeypatch.setattr(store, "BUSY_TIMEOUT_S", 0.2)
    plan = tool.plan(make_request(chat=(GPT,)))
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(ToolBusy):
            apply_to_db(plan)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert json.loads(all_rows(db)["items"][APP_USER][0]) == BLOB


# -- a running Cursor refuses the write ---------------------------------------------------------------------
@pytest.mark.parametrize("process", [
    RunningProcess(501, "Cursor", "/Applications/Cursor.app/Contents/MacOS/Cursor"),
    RunningProcess(502, "Cursor Helper (Renderer)", "/Applications/Cursor.app/Contents/Frameworks/x/Cursor Helper"),
    RunningProcess(503, "cursor", "/usr/share/cursor/cursor"),
    RunningProcess(504, "Cursor.exe", "C:\\Users\\u\\AppData\\Local\\Programs\\cursor\\Cursor.exe"),
    RunningProcess(505, "AppRun", "/tmp/.mount_CursorAbc/cursor"),
])
def test_a_running_cursor_is_refused_with_exit_10(process, home, engine):
    tool = Cursor(home=home, env={"XDG_CONFIG_HOME": str(home / ".config")},
                  processes=lambda: [RunningProcess(1, "init", "/sbin/init"), process])
    db = make_db(tool.db_path(), wal=True)
    plan = tool.plan(make_request(chat=(GPT,), key_mode="inline"))
    before = fingerprints(db)  # (a read-only look at a WAL database leaves an empty -wal and a -shm)
    with pytest.raises(ToolBusy) as info:
        engine.apply(tool, plan, profile="default")
    assert info.value.exit_code == ExitCode.BUSY == 10
    assert "Cursor" in info.value.message and str(process.pid) in info.value.message and "quit" in info.value.hint
    assert fingerprints(db) == before and history(engine) == [] and backups(engine) == []


def test_other_programs_do_not_block(home):
    tool = Cursor(home=home, env={}, processes=lambda: [
        RunningProcess(7, "cursor-agent", "/home/u/.local/bin/cursor-agent"),
        RunningProcess(8, "python3", "/usr/bin/python3", ("python3", "cursor.py")),
        RunningProcess(9, "code", "/usr/share/code/code"),
    ])
    assert tool.running() == []


def test_detect_reports_install_and_key_state(tool, db, empty_path):
    detection = tool.detect()
    assert detection.installed and not detection.configured and detection.files == (db,)
    apply_to_db(tool.plan(make_request(chat=(GPT,), key_mode="inline")))
    detection = tool.detect()
    assert detection.configured and any("plain text" in d for d in detection.details)
    if sys.platform != "darwin":  # on macOS a real /Applications/Cursor.app counts as installed
        assert not Cursor(home=db.parent / "nowhere", env={}).detect().installed


# -- the whole lifecycle through the engine -------------------------------------------------------------------
@pytest.mark.parametrize("wal", ["plain", "crashed-wal"])
def test_lifecycle_through_the_engine(wal, tool, engine):
    db = tool.db_path()
    crashed_wal_db(db) if wal == "crashed-wal" else make_db(db)
    originals = {p: (p.read_bytes() if p.exists() else None) for p in companion_files(db)}
    rows_before = all_rows(db)
    request = make_request(chat=(GPT,), fast=GPT_MINI, key_mode="inline")
    plan = tool.plan(request)
    try:
        engine.changes(plan)
    except ValueError as exc:
        pytest.skip(f"engine cannot open {plan.files[0].format!r} yet: {exc}")
    result = engine.apply(tool, plan, profile="default")
    assert result.written == (db,)
    assert tool.detect().configured
    saved = backups(engine)
    again = engine.apply(tool, tool.plan(request), profile="default")
    assert again.written == () and again.entry_id is None and backups(engine) == saved
    engine.remove(tool)
    assert all_rows(db) == rows_before and not tool.detect().configured
    assert engine.undo("cursor") is None  # --remove took the setup out: undo brings nothing older back
    # undo straight after a setup: the database files byte for byte
    main, wal, shm = companion_files(db)
    before_setup = {p: (p.read_bytes() if p.exists() else None) for p in (main, wal, shm)}
    engine.apply(tool, tool.plan(request), profile="default")
    assert engine.undo("cursor").restored == (db,)
    assert main.read_bytes() == before_setup[main]
    assert (wal.read_bytes() if wal.exists() else None) == before_setup[wal]
    # the -shm is SQLite's scratch index: every reader (our read-only look included) rewrites it
    assert shm.exists() or before_setup[shm] is None
    assert engine.undo("cursor") is None


@pytest.mark.parametrize("wal", ["plain", "crashed-wal"])
def test_inline_key_makes_the_database_private_and_remove_or_undo_give_the_mode_back(wal, tool, engine):
    """Review B6: the plaintext key row must not sit in a world-readable state.vscdb (or its -wal)."""
    import os
    import stat

    db = tool.db_path()
    crashed_wal_db(db) if wal == "crashed-wal" else make_db(db)
    existing = [p for p in companion_files(db) if p.exists()]
    for part in existing:
        os.chmod(part, 0o644)

    def modes():
        return {p.name: stat.S_IMODE(os.stat(p).st_mode) for p in companion_files(db) if p.exists()}

    engine.apply(tool, tool.plan(make_request(chat=(GPT,), key_mode="inline")), profile="default")
    assert set(modes().values()) == {0o600}, modes()
    engine.remove(tool)
    assert modes()[db.name] == 0o644 and KEY_ROW not in all_rows(db)["items"]
    engine.apply(tool, tool.plan(make_request(chat=(GPT,), key_mode="inline")), profile="default")
    assert modes()[db.name] == 0o600
    engine.undo("cursor")
    assert {name: mode for name, mode in modes().items() if name in {p.name for p in existing}} == \
        {p.name: 0o644 for p in existing}


def test_the_default_key_mode_leaves_the_database_mode_alone(tool, db, engine):
    import os
    import stat

    os.chmod(db, 0o644)
    engine.apply(tool, tool.plan(make_request(chat=(GPT,))), profile="default")
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o644


def test_looking_at_a_closed_wal_database_leaves_no_side_files_behind(tool, engine):
    """Review P13: the read-only look in plan/detect created -wal/-shm, which undo then "restored"."""
    db = make_db(tool.db_path(), wal=True)  # closed cleanly: no -wal/-shm beside it, as Cursor leaves it
    assert [p.exists() for p in companion_files(db)] == [True, False, False]
    tool.detect()
    plan = tool.plan(make_request(chat=(GPT,)))
    assert [p.exists() for p in companion_files(db)] == [True, False, False]
    original = db.read_bytes()
    engine.apply(tool, plan, profile="default")
    engine.undo("cursor")
    assert [p.exists() for p in companion_files(db)] == [True, False, False]
    assert db.read_bytes() == original
