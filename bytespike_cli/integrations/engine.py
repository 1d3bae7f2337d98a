"""plan → diff → apply → record → remove/undo, the same for every tool.

- ``changes(plan)`` reads each file, applies the plan's edits with the format's editor and returns
  the before/after bytes; nothing is written (``--dry-run`` shows ``diff(changes)``, keys masked).
- ``apply`` takes a lock (one setup at a time), refuses while the tool runs, saves the pristine bytes
  of every file it is about to change in bytespike's state dir (never next to the editor's file,
  where the editor might read it), records what it wrote in a journal, then writes atomically. A
  setup that changes nothing writes nothing and saves no backup.
- ``removal_changes``/``remove`` put back exactly what the journal says we changed: a key we added
  is deleted, a value we replaced gets its old value back, a key the user changed since is left alone.
- ``undo`` restores the files of the last setup byte for byte from the backups (and their mode).

State layout (all 0600 files in a 0700 directory): ``<state_dir>/setup/journal.json``,
``<state_dir>/setup/backups/<entry id>/<n>.bak``, ``<state_dir>/setup/setup.lock``.
"""

from __future__ import annotations

import copy
import datetime as _dt
import difflib
import hashlib
import json
import os
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from bytespike_cli.errors import ConfigFileError, ToolBusy
from bytespike_cli.formats import MISSING, open_document, same_value
from bytespike_cli.formats.common import decode_path, decode_text, dotted, encode_path
from bytespike_cli.formats.safe_write import read_bytes, real_path, remove_file, write_atomic, check_writable
from bytespike_cli.integrations.base import Delete, FilePlan, Integration, Plan, Set
from bytespike_cli.redact import redact_settings

JOURNAL_VERSION = 1
LOCK_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class StoreFormat:
    """A settings store that is not a text file (Cursor's SQLite ``state.vscdb``).

    ``open(path)`` returns a Document-shaped object (``text`` for diffs, ``data``/``get``/``set``/
    ``delete``) with a ``save()`` that writes its changes itself (e.g. in one SQLite transaction).
    ``companions(path)`` lists the files backed up and restored together (the database and its WAL).
    """

    open: Callable[[Path], Any]
    companions: Callable[[Path], tuple[Path, ...]]


STORE_FORMATS: dict[str, StoreFormat] = {}


def register_store_format(name: str, open: Callable[[Path], Any],
                          companions: Callable[[Path], tuple[Path, ...]] | None = None) -> None:
    STORE_FORMATS[name] = StoreFormat(open, companions or (lambda path: (path,)))


def _open(fmt: str, path: Path) -> tuple[Any, bytes | None, list[tuple[Path, bytes | None, int | None]]]:
    """The document for ``path``, the bytes that stand for its current state (for diffs and no-op checks),
    and for a store the raw bytes of its files, read *before* opening it (a SQLite reader may touch its
    WAL index)."""
    store = STORE_FORMATS.get(fmt)
    if store is not None:
        parts = [(part, read_bytes(part), _mode_of(part)) for part in store.companions(real_path(path))]
        doc = store.open(path)
        return doc, doc.text.encode("utf-8"), parts
    raw = read_bytes(path)
    return open_document(fmt, decode_text(raw, path), path), raw, []


# -- results ------------------------------------------------------------------------------------------
@dataclass
class KeyRecord:
    """One key bytespike set or deleted: what was there before, and what we left."""

    path: tuple
    previous: Any  # MISSING when the key did not exist
    written: Any  # MISSING when we deleted it
    created: tuple[tuple, ...] = ()  # parent objects that did not exist before (deepest last)
    source: dict | None = None  # how the previous value was written: {"text", "before"} (JSONC)


@dataclass
class FileChange:
    path: Path  # as the tool names it (may be a symlink)
    format: str
    before: bytes | None  # None: the file does not exist
    after: bytes | None  # None: the file will be deleted
    secret: bool = False
    records: list[KeyRecord] = field(default_factory=list)
    secrets: tuple[str, ...] = ()  # values never stored in the journal as they are
    store: Any = None  # the open document of a store format (it saves itself)
    parts: list = field(default_factory=list)  # a store's files as they were before we opened it
    warnings: list[str] = field(default_factory=list)
    restore_mode: int | None = None  # --remove: the mode the file had before a setup narrowed it to 0600

    @property
    def changed(self) -> bool:
        return self.before != self.after

    @property
    def target(self) -> Path:
        return real_path(self.path)


@dataclass(frozen=True)
class ApplyResult:
    tool: str
    action: str  # setup | remove
    written: tuple[Path, ...]
    entry_id: str | None  # None when nothing changed
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class UndoResult:
    tools: tuple[str, ...]
    entry_ids: tuple[str, ...]
    restored: tuple[Path, ...]
    deleted: tuple[Path, ...]  # files the setup had created
    skipped: tuple[tuple[Path, str], ...]


# -- helpers ------------------------------------------------------------------------------------------
def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _encode(value: Any) -> Any:
    """Journal form of a value: MISSING becomes {"$missing": true}."""
    return {"$missing": True} if value is MISSING else value


def _decode(value: Any) -> Any:
    return MISSING if value == {"$missing": True} else value


def _encode_written(value: Any, secrets: tuple[str, ...]) -> Any:
    """What we wrote, for the journal: a key we wrote is kept as its hash only."""
    if isinstance(value, str) and value in secrets:
        return {"$sha256": hashlib.sha256(value.encode("utf-8")).hexdigest()}
    return _encode(value)


def _still_written(current: Any, stored: Any) -> bool:
    """Is ``current`` (a value read from the file) what the journal says we wrote?"""
    if isinstance(stored, dict) and set(stored) == {"$sha256"}:
        return isinstance(current, str) and hashlib.sha256(current.encode("utf-8")).hexdigest() == stored["$sha256"]
    return same_value(current, _decode(stored))


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def diff(changes: list[FileChange], secrets: tuple[str, ...] = ()) -> str:
    """A unified diff of every changed file, with every key in it masked (ours and the user's)."""
    chunks: list[str] = []
    for change in changes:
        if not change.changed:
            continue
        before = decode_text(change.before, change.path).splitlines(keepends=True) if change.before else []
        after = decode_text(change.after, change.path).splitlines(keepends=True) if change.after else []
        name = str(change.path)
        lines = difflib.unified_diff(
            before, after,
            fromfile=name if change.before is not None else "/dev/null",
            tofile=name if change.after is not None else "/dev/null",
        )
        text = "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)
        chunks.append(text.replace("\r\n", "\n"))
    # every credential, not only ours: the user's own keys sit next to ours in these files
    return redact_settings("".join(chunks), *secrets)


class Engine:
    def __init__(self, state_dir: Path | None = None):
        if state_dir is None:
            from bytespike_cli import paths

            state_dir = paths.state_dir()
        self.root = Path(state_dir) / "setup"

    # -- state --------------------------------------------------------------------------------------
    @property
    def journal_path(self) -> Path:
        return self.root / "journal.json"

    def _ensure_root(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            os.chmod(self.root, 0o700)
        except OSError:
            pass

    def load_journal(self) -> dict[str, Any]:
        raw = read_bytes(self.journal_path)
        if raw is None:
            return {"version": JOURNAL_VERSION, "owned": {}, "history": [], "written": {}}
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ConfigFileError(
                self.journal_path, "bytespike's setup journal is damaged",
                "move it away; setups can then still be removed by name (undo history is lost)",
            ) from None
        data.setdefault("owned", {})
        data.setdefault("history", [])
        data.setdefault("written", {})
        return data

    def _save_journal(self, journal: dict[str, Any]) -> None:
        self._ensure_root()
        # never sort_keys: the journal holds the user's objects, whose key order we must put back as it was
        text = json.dumps(journal, indent=2, ensure_ascii=False) + "\n"
        write_atomic(self.journal_path, text.encode("utf-8"), mode=0o600)

    @contextmanager
    def lock(self) -> Iterator[None]:
        import filelock

        self._ensure_root()
        lock = filelock.FileLock(str(self.root / "setup.lock"), timeout=LOCK_TIMEOUT_S)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise ToolBusy(
                "another bytespike setup is running", "wait for it to finish, then run this again"
            ) from None
        try:
            yield
        finally:
            lock.release()

    def owned(self, tool: str) -> dict[str, Any]:
        return self.load_journal()["owned"].get(tool, {})

    def owned_profile(self, tool: str) -> str | None:
        return self.owned(tool).get("profile")

    def still_configured(self, tool: str) -> bool:
        """True if a value bytespike wrote for ``tool`` is still in place (whatever the base URL)."""
        for info in self.owned(tool).get("files", {}).values():
            path = Path(info["path"])
            if info["format"] not in STORE_FORMATS and not real_path(path).exists():
                continue
            doc, _, _ = _open(info["format"], path)
            for record in info.get("keys", []):
                if _decode(record["written"]) is not MISSING and _still_written(
                        doc.get(decode_path(record["path"])), record["written"]):
                    return True
        return False

    # -- planning -----------------------------------------------------------------------------------
    def changes(self, plan: Plan, *, journal: dict[str, Any] | None = None) -> list[FileChange]:
        """Before/after bytes of every file in ``plan`` (nothing is written)."""
        journal = journal if journal is not None else self.load_journal()
        owned_files = journal["owned"].get(plan.tool, {}).get("files", {})
        result = []
        for file_plan in plan.files:
            owned_keys = {decode_path(k["path"])
                          for k in owned_files.get(str(real_path(file_plan.path)), {}).get("keys", [])}
            result.append(self._file_change(file_plan, owned_keys, plan.secrets))
        return result

    def _file_change(self, file_plan: FilePlan, owned_keys: set[tuple], secrets: tuple[str, ...] = ()) -> FileChange:
        doc, before, parts = _open(file_plan.format, file_plan.path)
        text = doc.text
        change = FileChange(file_plan.path, file_plan.format, before, before, secret=file_plan.secret,
                            secrets=tuple(s for s in secrets if s))
        if file_plan.format in STORE_FORMATS:
            change.store, change.parts = doc, parts
        source_of = getattr(doc, "source", None)
        for edit in file_plan.edits:
            path = tuple(edit.path)
            previous = doc.get(path)
            source = source_of(path) if source_of is not None and previous is not MISSING else None
            if isinstance(edit, Set):
                created = tuple(path[:i] for i in range(1, len(path)) if doc.get(path[:i]) is MISSING)
                if doc.set(path, edit.value):
                    change.records.append(KeyRecord(path, previous, edit.value, created, source))
            elif isinstance(edit, Delete):
                if previous is MISSING:
                    continue
                if edit.only_if_ours and path not in owned_keys:
                    reason = f": {edit.reason}" if edit.reason else ""
                    change.warnings.append(f"{file_plan.path}: left {dotted(path)} in place (bytespike did not write it){reason}")
                    continue
                if doc.delete(path):
                    change.records.append(KeyRecord(path, previous, MISSING, source=source))
                    if edit.announce and path not in owned_keys:
                        reason = f" ({edit.reason})" if edit.reason else ""
                        change.warnings.append(
                            f"{file_plan.path}: takes out your {dotted(path)}{reason}; "
                            "`--remove` or `bytespike undo` puts it back")
        new_text = doc.text
        if new_text != text or before is None and change.records:
            change.after = new_text.encode("utf-8")
        return change

    def removal_changes(self, integration: Integration) -> tuple[list[FileChange], list[str]]:
        """What ``--remove`` would change: from the journal, or by name when there is no journal."""
        journal = self.load_journal()
        owned = journal["owned"].get(integration.name)
        if not owned or not owned.get("files"):
            plan = integration.plan_remove()
            return [c for c in self.changes(plan, journal=journal) if c.changed], list(plan.warnings)
        result, warnings = [], []
        for target, info in owned["files"].items():
            change = self._undo_keys(Path(info.get("path") or target), info)
            warnings.extend(change.warnings)
            if change.changed:
                result.append(change)
        return result, warnings

    def _undo_keys(self, path: Path, info: dict[str, Any]) -> FileChange:
        fmt = info["format"]
        if fmt not in STORE_FORMATS and not real_path(path).exists():
            return FileChange(path, fmt, None, None)
        doc, before, parts = _open(fmt, path)
        change = FileChange(path, fmt, before, before, secret=bool(info.get("secret")))
        if fmt in STORE_FORMATS:
            change.store, change.parts = doc, parts
        created: list[tuple] = []
        restore = getattr(doc, "restore", None)
        for record in reversed(info.get("keys", [])):
            key = decode_path(record["path"])
            previous, written = _decode(record["previous"]), record["written"]
            current = doc.get(key)
            if not _still_written(current, written):
                change.warnings.append(f"{path}: {dotted(key)} was changed after setup; left as it is")
                continue
            source = record.get("source") or {}
            if previous is MISSING:
                doc.delete(key)
            elif restore is not None:
                restore(key, previous, text=source.get("text"), before=source.get("before"))
            else:
                doc.set(key, previous)
            created.extend(decode_path(c) for c in record.get("created", []))
        # parents we created and that are empty now go too (deepest first)
        for parent in sorted(set(created), key=len, reverse=True):
            if doc.get(parent) in ({}, []):
                doc.delete(parent)
        if change.store is None and not doc.data and _only_brackets_added(info.get("text_before"), doc.text,
                                                                          created=bool(info.get("created_file"))):
            # the file had no settings before (none, empty, comments only) and nothing was added since:
            # give back exactly that instead of leaving an empty {} / [] behind
            original = info.get("text_before")
            change.after = None if info.get("created_file") else (original or "").encode("utf-8")
        elif doc.text.encode("utf-8") != before:
            change.after = doc.text.encode("utf-8")
        if not change.warnings and info.get("mode_before") is not None:
            change.restore_mode = info["mode_before"]  # the key is gone: the file may be as open as it was
        return change

    # -- writing ------------------------------------------------------------------------------------
    def guard(self, integration: Integration) -> None:
        running = integration.running()
        if running:
            raise ToolBusy(
                f"{integration.title} is running ({', '.join(running)}) and would overwrite the change",
                f"quit {integration.title} completely, then run this again",
            )

    def preflight(self, integration: Integration, changes: list[FileChange]) -> None:
        """Everything that would make ``apply`` refuse, checked before anything is written: a running tool
        that would overwrite us, a file or folder that cannot be written. Raises ToolBusy/ConfigFileError."""
        if any(c.changed for c in changes):
            self.guard(integration)
        for change in changes:
            if change.changed:
                check_writable(change.path)

    def apply(self, integration: Integration, plan: Plan, *, profile: str | None = None,
              run: str | None = None) -> ApplyResult:
        """Write ``plan``. ``run`` groups the tools of one `bytespike setup` so `undo` takes them back together."""
        with self.lock():
            self.guard(integration)
            journal = self.load_journal()
            changes = self.changes(plan, journal=journal)
            return self._commit(integration.name, "setup", changes, journal, profile=profile, run=run)

    def remove(self, integration: Integration) -> ApplyResult:
        with self.lock():
            self.guard(integration)
            changes, warnings = self.removal_changes(integration)
            journal = self.load_journal()
            result = self._commit(integration.name, "remove", changes, journal)
            journal = self.load_journal()
            if journal["owned"].pop(integration.name, None) is not None:
                self._save_journal(journal)
            return ApplyResult(result.tool, result.action, result.written, result.entry_id,
                               tuple(warnings) + result.warnings)

    def _commit(self, tool: str, action: str, changes: list[FileChange], journal: dict[str, Any],
                *, profile: str | None = None, run: str | None = None) -> ApplyResult:
        warnings = tuple(w for c in changes for w in c.warnings)
        changed = [c for c in changes if c.changed]
        if not changed:
            return ApplyResult(tool, action, (), None, warnings)
        for change in changed:  # fail before writing anything
            check_writable(change.path)
        entry_id = f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y%m%dT%H%M%S%f')}-{tool}-{action}"
        backup_dir = self.root / "backups" / entry_id
        self._ensure_root()
        backup_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(backup_dir, 0o700)
        entry_files = []
        for index, change in enumerate(changed):
            target = change.target
            if change.store is not None:
                parts = []
                for number, (part, raw, part_mode) in enumerate(change.parts):
                    backup = None
                    if raw is not None:
                        backup = f"backups/{entry_id}/{index}.{number}.bak"
                        write_atomic(self.root / backup, raw, mode=0o600)
                    parts.append({"path": str(part), "backup": backup, "mode": part_mode, "before_sha": _sha(raw)})
                entry_files.append({
                    "path": str(change.path), "target": str(target), "store": True, "parts": parts,
                    "backup": parts[0]["backup"], "mode": parts[0]["mode"], "before_sha": parts[0]["before_sha"],
                    "after_sha": None, "created_dirs": [],
                })
                continue
            mode = None
            backup = None
            if change.before is not None:
                backup = f"backups/{entry_id}/{index}.bak"
                write_atomic(self.root / backup, change.before, mode=0o600)
                mode = stat.S_IMODE(target.stat().st_mode)
            entry_files.append({
                "path": str(change.path), "target": str(target), "backup": backup, "mode": mode,
                "before_sha": _sha(change.before), "after_sha": _sha(change.after),
                "created_dirs": [str(d) for d in _missing_dirs(target.parent)],
            })
        journal["history"].append({
            "id": entry_id, "run": run or entry_id, "tool": tool, "action": action, "time": _now(), "undone": False,
            "profile": profile, "files": entry_files,
            "owned_before": copy.deepcopy(journal["owned"].get(tool)),
        })
        for change in changed:
            if change.store is None:
                self._note_written(journal, change.target, _sha(change.after))
        if action == "setup":
            self._record_ownership(journal, tool, changed, profile, entry_files)
        self._save_journal(journal)  # before the files: a crash still leaves backups and the record
        written = []
        for change in changed:
            if change.store is not None:
                if change.secret:  # before the key is in: SQLite gives new -wal/-shm files the database's mode
                    _narrow_to_private(part for part, _, _ in change.parts)
                change.store.save()
                if change.restore_mode is not None:
                    _set_modes((part for part, _, _ in change.parts), change.restore_mode)
                self._note_written(journal, change.target, _sha(read_bytes(change.target)))
                self._save_journal(journal)
            elif change.after is None:
                remove_file(change.path)
                created = journal["owned"].get(tool, {}).get("files", {}).get(str(change.target), {})
                _remove_empty_dirs(created.get("created_dirs", []))
            else:
                write_atomic(change.path, change.after, secret=change.secret, mode=change.restore_mode)
            written.append(change.path)
        return ApplyResult(tool, action, tuple(written), entry_id, warnings)

    @staticmethod
    def _note_written(journal: dict[str, Any], target: Path, sha: str | None) -> None:
        shas = journal["written"].setdefault(str(target), [])
        if sha not in shas:
            shas.append(sha)

    def _record_ownership(self, journal: dict[str, Any], tool: str, changed: list[FileChange],
                          profile: str | None, entry_files: list[dict[str, Any]]) -> None:
        owned = journal["owned"].setdefault(tool, {"files": {}})
        if profile:
            owned["profile"] = profile
        for change, item in zip(changed, entry_files):
            info = owned["files"].get(str(change.target))
            if info is None:
                info = owned["files"][str(change.target)] = {
                    "path": str(change.path), "format": change.format, "keys": [],
                    "created_file": change.before is None, "created_dirs": item["created_dirs"],
                }
                if change.store is None:
                    info["text_before"] = _text_without_settings(change)
            if change.secret and not info.get("secret"):
                # the mode to give back once our key is out again (a setup narrows the file to 0600)
                mode = item["parts"][0]["mode"] if change.store is not None else item["mode"]
                if mode is not None and mode & 0o077:
                    info["mode_before"] = mode
            info["secret"] = bool(info.get("secret")) or change.secret
            by_path = {decode_path(k["path"]): k for k in info["keys"]}
            for record in change.records:
                existing = by_path.get(record.path)
                if existing is None:
                    entry = {"path": encode_path(record.path), "previous": _encode(record.previous),
                             "written": _encode_written(record.written, change.secrets),
                             "created": [encode_path(c) for c in record.created]}
                    if record.source is not None:
                        entry["source"] = record.source
                    info["keys"].append(entry)
                    by_path[record.path] = entry
                else:  # keep the first previous value: that is what the user had
                    existing["written"] = _encode_written(record.written, change.secrets)

    # -- undo ---------------------------------------------------------------------------------------
    def last_setup(self, tool: str | None = None) -> dict[str, Any] | None:
        for entry in reversed(self.load_journal()["history"]):
            if entry["action"] == "setup" and not entry.get("undone") and (tool is None or entry["tool"] == tool):
                return entry
        return None

    def undo(self, tool: str | None = None, *, force: bool = False,
             guard: Callable[[str], None] | None = None) -> UndoResult | None:
        """Restore the files of the last (not yet undone) setup. None when there is nothing to undo.

        Without ``tool``, "the last setup" is the last ``bytespike setup`` run, with every tool it
        touched (entries share a ``run`` id); with ``tool``, that tool's last setup. If any file was
        changed by something else since bytespike wrote it (or its backup is gone), nothing is
        restored and the result lists those files in ``skipped`` (``force`` overrides). ``guard(tool)``
        runs first for every tool involved (the CLI refuses while a tool that would overwrite us runs).
        """
        with self.lock():
            journal = self.load_journal()
            open_setups = [e for e in journal["history"] if e["action"] == "setup" and not e.get("undone")]
            if tool is not None:
                open_setups = [e for e in open_setups if e["tool"] == tool]
            if not open_setups:
                return None
            last = open_setups[-1]
            entries = [last] if tool is not None else [
                e for e in open_setups if e.get("run", e["id"]) == last.get("run", last["id"])
            ]
            restored, deleted, skipped = [], [], []
            plans = []
            for entry in reversed(entries):
                if guard is not None:
                    guard(entry["tool"])
                for item in entry["files"]:
                    # a store (a database and its WAL files) is restored as a whole; only the main file is
                    # checked for changes, the side files change whenever the app merely opens it
                    parts = item.get("parts") or [item]
                    main = parts[0]
                    current = read_bytes(main["path"])
                    ours = set(journal["written"].get(item["target"], [])) | {main["before_sha"]}
                    if not force and _sha(current) not in ours:
                        skipped.append((Path(item["path"]), "changed by something else since bytespike wrote it"))
                        continue
                    for part in parts:
                        original = None if part["backup"] is None else read_bytes(self.root / part["backup"])
                        if part["backup"] is not None and original is None:
                            skipped.append((Path(part["path"]), "its backup is missing"))
                            continue
                        plans.append((Path(part["path"]), original, part.get("mode"), item.get("created_dirs", []),
                                      part is main))
            tools = tuple(dict.fromkeys(e["tool"] for e in entries))
            ids = tuple(e["id"] for e in entries)
            if skipped:
                # all or nothing: a half-undone setup would be harder to reason about than none
                return UndoResult(tools, ids, (), (), tuple(skipped))
            for path, original, mode, created_dirs, listed in plans:
                if original is None:
                    if remove_file(path) and listed:
                        deleted.append(path)
                    _remove_empty_dirs(created_dirs)
                else:
                    if read_bytes(path) != original or _mode_of(path) != mode:
                        write_atomic(path, original, mode=mode)
                    if listed:
                        restored.append(path)
            for entry in reversed(entries):
                entry["undone"] = True
                if entry.get("owned_before") is None:
                    journal["owned"].pop(entry["tool"], None)
                else:
                    journal["owned"][entry["tool"]] = entry["owned_before"]
            self._save_journal(journal)
            return UndoResult(tools, ids, tuple(restored), tuple(deleted), ())


def _text_without_settings(change: FileChange) -> str | None:
    """The file's text when it held no settings at all (empty or comments only), else None."""
    if change.before is None:
        return ""
    try:
        text = decode_text(change.before, change.path)
        data = open_document(change.format, text, change.path).data
    except ConfigFileError:
        return None
    return text if not data else None


def _only_brackets_added(original: str | None, current: str, *, created: bool) -> bool:
    """Is ``current`` the settings-free ``original`` plus nothing but empty brackets and blank space?"""
    if original is None:
        if not created:
            return False
        original = ""

    def bare(text: str) -> str:
        return "".join(ch for ch in text if ch not in " \t\r\n\ufeff{}[]")

    return bare(original) == bare(current)


def _narrow_to_private(paths: Any) -> None:
    for path in paths:
        mode = _mode_of(path)
        if mode is not None and mode & 0o077:
            os.chmod(real_path(path), mode & 0o600)


def _set_modes(paths: Any, mode: int) -> None:
    for path in paths:
        if _mode_of(path) is not None:
            os.chmod(real_path(path), mode)


def _missing_dirs(directory: Path) -> list[Path]:
    """``directory`` and its ancestors that do not exist yet (deepest first)."""
    missing = []
    while not directory.exists() and directory != directory.parent:
        missing.append(directory)
        directory = directory.parent
    return missing


def _remove_empty_dirs(directories: list[str]) -> None:
    """Take away folders a setup created, deepest first, as long as they are empty."""
    for directory in directories:
        try:
            os.rmdir(directory)
        except OSError:
            return


def _mode_of(path: Path) -> int | None:
    try:
        return stat.S_IMODE(real_path(path).stat().st_mode)
    except FileNotFoundError:
        return None
