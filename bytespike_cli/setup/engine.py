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
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from bytespike_cli.errors import BytespikeError, ConfigFileError, ExitCode, ToolBusy
from bytespike_cli.formats import MISSING, open_document, same_value
from bytespike_cli.formats.common import canonical, decode_path, decode_text, dotted, encode_path, plain
from bytespike_cli.formats.merge import Conflict, merge_data, revert_patch
from bytespike_cli.formats.safe_write import (
    Staged,
    check_writable,
    read_bytes,
    real_path,
    remove_file,
    stage,
    stale_temp_files,
    write_atomic,
)
from bytespike_cli.setup import journal as journal_schema
from bytespike_cli.tools.base import Delete, FilePlan, Integration, Plan, Set
from bytespike_cli.setup.journal import JOURNAL_VERSION, Journal  # noqa: F401
from bytespike_cli.redact import redact_settings
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
    replaced: tuple[tuple[tuple, Any], ...] = ()  # parents that held a non-container (null, "", a list): value


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
    collisions: list[tuple] = field(default_factory=list)  # entries named like ours that we did not write

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
    recovered: tuple[str, ...] = ()  # what the start-up sweep repaired after an interrupted run


@dataclass(frozen=True)
class UndoResult:
    tools: tuple[str, ...]
    entry_ids: tuple[str, ...]
    restored: tuple[Path, ...]
    deleted: tuple[Path, ...]  # files the setup had created
    skipped: tuple[tuple[Path, str], ...]  # left alone: changed since bytespike wrote them (or no backup)
    overwritten: tuple[tuple[Path, Path], ...] = ()  # --force: a changed file and where its bytes were saved
    dry_run: bool = False
    complete: bool = True  # every file of the setup is back (the entry is marked undone)
    recovered: tuple[str, ...] = ()


# -- helpers ------------------------------------------------------------------------------------------
def _sha(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def _encode(value: Any) -> Any:
    """Journal form of a value: MISSING becomes {"$missing": true}."""
    return {"$missing": True} if value is MISSING else value


def _decode(value: Any) -> Any:
    return MISSING if value == {"$missing": True} else value


def _encode_written(value: Any, secrets: tuple[str, ...]) -> Any:
    """What we wrote, for the journal: a value that holds a key we wrote anywhere (itself, inside a string,
    inside a table or list) is kept as its hash only."""
    if _holds_secret(value, secrets):
        return {"$sha256": _fingerprint(value)}
    return _encode(value)


def _holds_secret(value: Any, secrets: tuple[str, ...]) -> bool:
    if isinstance(value, str):
        return any(secret and secret in value for secret in secrets)
    if isinstance(value, dict):
        return any(_holds_secret(k, secrets) or _holds_secret(v, secrets) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_holds_secret(v, secrets) for v in value)
    return False


def _fingerprint(value: Any) -> str:
    """sha256 of a string as it is (journals before this kept keys that way), of anything else canonically."""
    text = value if isinstance(value, str) else canonical(plain(value))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _still_written(current: Any, stored: Any) -> bool:
    """Is ``current`` (a value read from the file) what the journal says we wrote?"""
    if isinstance(stored, dict) and set(stored) == {"$sha256"}:
        return current is not MISSING and _fingerprint(current) == stored["$sha256"]
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
    return mask_credentials(redact_settings("".join(chunks), *secrets))


# credentials that redact_settings does not catch by a setting's name: header values and URL passwords
_AUTH_HEADER_RE = re.compile(r"(?i)\b(bearer|basic|token)([ \t]+)([A-Za-z0-9._~+/=:-]{6,})")
_URL_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s:@'\"]*):([^/\s@'\"]+)@")


def mask_credentials(text: str) -> str:
    """``Authorization: Bearer <token>`` (any header or setting), ``scheme://user:password@host``: the secret
    part replaced by ``…``, whatever the setting is called."""
    text = _AUTH_HEADER_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}…" if "…" not in m.group(3) else m.group(0), text)
    return _URL_USERINFO_RE.sub(lambda m: f"{m.group(1)}{m.group(2)}:…@", text)


class NameCollision(BytespikeError):
    """An entry with bytespike's name exists that bytespike did not write: never merge into it silently."""

    def __init__(self, tool: str, found: list[tuple[Path, tuple]]):
        names = "; ".join(f"{path}: {dotted(key)}" for path, key in found)
        super().__init__(
            f"{tool}: an entry with bytespike's name already exists and bytespike did not write it ({names})",
            "rename your entry, or run again with --replace to let bytespike take it over "
            "(--remove and undo then put yours back)",
            exit_code=ExitCode.CONFIG,
        )
        self.found = found


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

    def load_journal(self) -> Journal:
        raw = read_bytes(self.journal_path)
        if raw is None:
            return journal_schema.empty()
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise ConfigFileError(
                self.journal_path, "bytespike's setup journal is damaged",
                "move it away; setups can then still be removed by name (undo history is lost)",
            ) from None
        return journal_schema.migrate(data, self.journal_path)

    def _save_journal(self, journal: Journal) -> None:
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

    # -- recovery -----------------------------------------------------------------------------------
    def recover(self) -> tuple[str, ...]:
        """The start-up sweep, under the lock: finish or roll back a run that was killed while writing,
        and delete the temp files a killed run left next to the tools' files. Returns what it did."""
        with self.lock():
            journal = self.load_journal()
            return self._recover(journal)

    def _recover(self, journal: Journal) -> tuple[str, ...]:
        done: list[str] = []
        pending = [e for e in journal["history"] if e.get("state") == "pending"]
        runs: dict[str, list] = {}
        for entry in pending:
            runs.setdefault(entry.get("run", entry["id"]), []).append(entry)
        for entries in reversed(list(runs.values())):
            done.extend(self._settle(journal, entries))
        if pending:
            self._save_journal(journal)
        directories = {real_path(Path(item["path"])).parent for entry in journal["history"]
                       for item in entry.get("files", [])}
        directories |= {real_path(Path(info["path"])).parent for owned in journal["owned"].values()
                        for info in owned.get("files", {}).values()}
        directories.add(self.root)
        directories |= {p for p in (self.root / "backups").glob("*") if p.is_dir()} if (self.root / "backups").is_dir() \
            else set()
        for directory in sorted(directories):
            for tmp in stale_temp_files(directory):
                try:
                    tmp.unlink()
                    done.append(f"removed a temp file an interrupted bytespike left behind: {tmp}")
                except OSError:
                    pass
        return tuple(done)

    def _settle(self, journal: Journal, entries: list[dict[str, Any]]) -> list[str]:
        """The entries of one run whose files were being written when it died. The run is one transaction:
        if every file of every entry holds its new bytes it is complete (marked done); otherwise every file
        already replaced is put back, in every entry of the run."""
        files = [(entry, item) for entry in entries for item in entry.get("files", []) if not item.get("store")]
        current = {item["path"]: _sha(read_bytes(item["path"])) for _, item in files}
        tools = ", ".join(dict.fromkeys(e["tool"] for e in entries))
        action = entries[0]["action"]
        if all(current[item["path"]] == item["after_sha"] for _, item in files):
            for entry in entries:
                entry["state"] = "done"
            return [f"finished an interrupted {action} of {tools} (every file had been written)"]
        messages = []
        for entry, item in reversed(files):
            now = current[item["path"]]
            if now == item["before_sha"] or now != item["after_sha"]:
                continue  # not replaced yet (or changed by someone else since: theirs now)
            original = None if item["backup"] is None else read_bytes(self.root / item["backup"])
            if original is None and item["backup"] is not None:
                messages.append(f"could not roll back {item['path']}: its backup is missing")
                continue
            if original is None:
                remove_file(item["path"])
                _remove_empty_dirs(item.get("created_dirs", []))
            else:
                write_atomic(item["path"], original, mode=item.get("mode"))
            messages.append(f"rolled back {item['path']} (an interrupted {action} of {entry['tool']})")
        for entry in reversed(entries):
            entry["state"] = "rolled-back"
            entry["undone"] = True
            owned_before = entry.get("owned_before")
            if owned_before is None:
                journal["owned"].pop(entry["tool"], None)
            else:
                journal["owned"][entry["tool"]] = owned_before
        return messages or [f"rolled back an interrupted {action} of {tools} (nothing had been written yet)"]

    # -- planning -----------------------------------------------------------------------------------
    def changes(self, plan: Plan, *, journal: dict[str, Any] | None = None, replace: bool = False) -> list[FileChange]:
        """Before/after bytes of every file in ``plan`` (nothing is written). An entry the plan claims by
        name that bytespike did not write is a :class:`NameCollision` unless ``replace``."""
        journal = journal if journal is not None else self.load_journal()
        owned_files = journal["owned"].get(plan.tool, {}).get("files", {})
        result = []
        for file_plan in plan.files:
            owned_keys = {decode_path(k["path"])
                          for k in owned_files.get(str(real_path(file_plan.path)), {}).get("keys", [])}
            result.append(self._file_change(file_plan, owned_keys, plan.secrets, replace=replace))
        collisions = [(c.path, key) for c in result for key in c.collisions]
        if collisions:
            raise NameCollision(plan.tool, collisions)
        return result

    def _file_change(self, file_plan: FilePlan, owned_keys: set[tuple], secrets: tuple[str, ...] = (),
                     *, replace: bool = False) -> FileChange:
        doc, before, parts = _open(file_plan.format, file_plan.path)
        text = doc.text
        change = FileChange(file_plan.path, file_plan.format, before, before, secret=file_plan.secret,
                            secrets=tuple(s for s in secrets if s))
        if file_plan.format in STORE_FORMATS:
            change.store, change.parts = doc, parts
        claimed = {tuple(c) for c in file_plan.claims}
        if not replace:
            for claim in file_plan.claims:
                claim = tuple(claim)
                if doc.get(claim) is not MISSING and not any(k[:len(claim)] == claim for k in owned_keys):
                    change.collisions.append(claim)
        source_of = getattr(doc, "source", None)
        for edit in file_plan.edits:
            path = tuple(edit.path)
            previous = doc.get(path)
            source = source_of(path) if source_of is not None and previous is not MISSING else None
            if isinstance(edit, Set):
                created, replaced = [], []
                for depth in range(1, len(path)):
                    parent = doc.get(path[:depth])
                    if parent is MISSING:
                        created.append(path[:depth])
                    elif not isinstance(parent, (dict, list)) or (
                            isinstance(parent, list) and not isinstance(path[depth], (int, type(None)))
                            and not _is_match(path[depth])):
                        replaced.append((path[:depth], parent))  # a null/false/"" in the way
                        created.append(path[:depth])
                        break
                if doc.set(path, edit.value):
                    change.records.append(KeyRecord(path, previous, edit.value, tuple(created), source,
                                                    tuple(replaced)))
            elif isinstance(edit, Delete):
                if previous is MISSING:
                    continue
                if edit.only_if_ours and path not in owned_keys and not (replace and path in claimed):
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
            if change.store is None:
                new_text = _keep_file_edges(text, new_text, file_plan.format, file_plan.path)
            change.after = new_text.encode("utf-8")
        return change

    def removal_changes(self, integration: Integration) -> tuple[list[FileChange], list[str]]:
        """What ``--remove`` would change: from the journal, or by name when there is no journal."""
        journal = self.load_journal()
        owned = journal["owned"].get(integration.name)
        if not owned or not owned.get("files"):
            plan = integration.plan_remove()
            return [c for c in self.changes(plan, journal=journal, replace=True) if c.changed], list(plan.warnings)
        result, warnings = [], []
        for target, info in owned["files"].items():
            change = self._undo_keys(Path(info.get("path") or target), info)
            warnings.extend(change.warnings)
            if change.changed:
                result.append(change)
        return result, warnings

    def _revert_patches(self, info: dict[str, Any], current: bytes | None) -> bytes | None | _NoPatch:
        """The file with every recorded setup write taken back out, newest first (byte-exact where nobody
        else edited the same lines); NO_PATCH when that is not provably right."""
        patches = info.get("patches") or []
        if not patches:
            return NO_PATCH
        fmt, path = info["format"], info["path"]
        text = "" if current is None else current.decode("utf-8", "surrogateescape")
        for patch in reversed(patches):
            before = b"" if patch["before"] is None else read_bytes(self.root / patch["before"])
            after = None if patch["after"] is None else read_bytes(self.root / patch["after"])
            if before is None or after is None:
                return NO_PATCH
            before_text, after_text = before.decode("utf-8"), after.decode("utf-8")
            reverted = revert_patch(text, before_text, after_text)
            if reverted is None:
                return NO_PATCH
            if text != after_text:
                # someone edited the file since: the merged text must hold their data with ours taken out
                try:
                    expected = merge_data(_data_of(fmt, after_text, path), _data_of(fmt, before_text, path),
                                          _data_of(fmt, text, path))
                    if not same_value(_data_of(fmt, reverted, path), expected):
                        return NO_PATCH
                except (Conflict, ConfigFileError):
                    return NO_PATCH
            text = reverted
        if patches[0]["before"] is None and text == "":
            return None  # the first setup created the file
        return text.encode("utf-8")

    def _undo_keys(self, path: Path, info: dict[str, Any]) -> FileChange:
        fmt = info["format"]
        if fmt not in STORE_FORMATS and not real_path(path).exists():
            return FileChange(path, fmt, None, None)
        doc, before, parts = _open(fmt, path)
        change = FileChange(path, fmt, before, before, secret=bool(info.get("secret")))
        if fmt in STORE_FORMATS:
            change.store, change.parts = doc, parts
        else:
            exact = self._revert_patches(info, before)
            if exact is not NO_PATCH:
                change.after = exact
                if info.get("mode_before") is not None:
                    change.restore_mode = info["mode_before"]
                return change
        created: list[tuple] = []
        replaced: list[tuple[tuple, Any]] = []
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
            replaced.extend((decode_path(r["path"]), r["value"]) for r in record.get("replaced", []))
        # parents we created and that are empty now go too (deepest first); a parent that held a value we
        # had to replace (null, false, a string) gets that value back
        for parent in sorted(set(created), key=len, reverse=True):
            if doc.get(parent) in ({}, []):
                old = next((value for where, value in replaced if where == parent), MISSING)
                if old is MISSING:
                    doc.delete(parent)
                elif restore is not None:
                    restore(parent, old)
                else:
                    doc.set(parent, old)
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
              run: str | None = None, replace: bool = False) -> ApplyResult:
        """Write ``plan``. ``run`` groups the tools of one `bytespike setup` so `undo` takes them back together."""
        return self.apply_many([(integration, plan, profile)], run=run, replace=replace)[0]

    def apply_many(self, items: list[tuple[Integration, Plan, str | None]], *, run: str | None = None,
                   replace: bool | set[str] = False) -> list[ApplyResult]:
        """Write several tools' plans as one transaction: every file of every tool, or none of them.
        ``replace``: True, or the names of the tools whose same-named user entries may be taken over."""
        import uuid

        run = run or uuid.uuid4().hex
        with self.lock():
            journal = self.load_journal()
            recovered = self._recover(journal)
            for integration, _, _ in items:
                self.guard(integration)
            batch = [(integration.name, "setup", self.changes(
                plan, journal=journal, replace=replace is True or integration.name in (replace or ())), profile)
                for integration, plan, profile in items]
            results = self._transaction(batch, journal, run)
        return [ApplyResult(r.tool, r.action, r.written, r.entry_id, r.warnings, recovered) for r in results]

    def remove(self, integration: Integration) -> ApplyResult:
        return self.remove_many([integration])[0]

    def remove_many(self, integrations_: list[Integration]) -> list[ApplyResult]:
        with self.lock():
            journal = self.load_journal()
            recovered = self._recover(journal)
            batch, warnings = [], {}
            for integration in integrations_:
                self.guard(integration)
                changes, warned = self.removal_changes(integration)
                batch.append((integration.name, "remove", changes, None))
                warnings[integration.name] = tuple(warned)
            journal = self.load_journal()
            results = self._transaction(batch, journal, None)
            journal = self.load_journal()
            for integration in integrations_:
                if journal["owned"].pop(integration.name, None) is not None:
                    # the tool's setups are taken out: an `undo` afterwards must not bring one of them back
                    for entry in journal["history"]:
                        if entry["tool"] == integration.name and entry["action"] == "setup":
                            entry["undone"] = True
            self._save_journal(journal)
        return [ApplyResult(r.tool, r.action, r.written, r.entry_id, warnings[r.tool] + r.warnings, recovered)
                for r in results]

    def _transaction(self, batch: list[tuple[str, str, list[FileChange], str | None]], journal: Journal,
                     run: str | None) -> list[ApplyResult]:
        """Back up, journal (state "pending"), stage every new file as a temp file, then rename them one by
        one, each only if its file still holds the bytes we planned from (an editor's save in between is
        never lost); any failure puts back every file already replaced, and the error is raised."""
        results: list[ApplyResult] = []
        work: list[tuple[dict[str, Any], FileChange]] = []
        for tool, action, changes, profile in batch:
            warnings = tuple(w for c in changes for w in c.warnings)
            changed = [c for c in changes if c.changed]
            if not changed:
                results.append(ApplyResult(tool, action, (), None, warnings))
                continue
            for change in changed:  # fail before writing anything
                check_writable(change.path)
            entry = self._prepare(journal, tool, action, changed, profile, run)
            work.extend((entry, change) for change in changed)
            results.append(ApplyResult(tool, action, tuple(c.path for c in changed), entry["id"], warnings))
        if not work:
            return results
        self._save_journal(journal)  # before the files: a crash from here on is settled by the next run
        staged: list[tuple[FileChange, Staged | None]] = []
        applied: list[tuple[dict[str, Any], FileChange]] = []
        try:
            for _, change in work:
                if change.store is None and change.after is not None:
                    staged.append((change, stage(change.path, change.after, secret=change.secret,
                                                 mode=change.restore_mode)))
                else:
                    staged.append((change, None))
            # text files first, stores (which save themselves) last: a store that fails is the last step
            order = sorted(range(len(work)), key=lambda i: work[i][1].store is not None)
            for index in order:
                entry, change = work[index]
                _, temp = staged[index]
                self._check_unchanged(change)
                if change.store is not None:
                    if change.secret:  # before the key is in: SQLite gives new -wal/-shm files the db's mode
                        _narrow_to_private(part for part, _, _ in change.parts)
                    change.store.save()
                    if change.restore_mode is not None:
                        _set_modes((part for part, _, _ in change.parts), change.restore_mode)
                    self._note_written(journal, change.target, _sha(read_bytes(change.target)))
                elif change.after is None:
                    remove_file(change.path)
                    created = journal["owned"].get(entry["tool"], {}).get("files", {}).get(str(change.target), {})
                    _remove_empty_dirs(created.get("created_dirs", []))
                else:
                    temp.commit()
                applied.append((entry, change))
        except BaseException as exc:
            for _, temp in staged:
                if temp is not None:
                    temp.discard()
            problems = self._roll_back(applied)
            for entry in {id(e): e for e, _ in work}.values():
                entry["state"] = "rolled-back"
                entry["undone"] = True
                if entry["action"] == "setup":
                    if entry.get("owned_before") is None:
                        journal["owned"].pop(entry["tool"], None)
                    else:
                        journal["owned"][entry["tool"]] = entry["owned_before"]
            self._save_journal(journal)
            if isinstance(exc, BytespikeError) and applied:
                undone = ", ".join(str(c.path) for _, c in applied)
                extra = f"; put back {undone}" + (f" (could not put back: {'; '.join(problems)})" if problems else "")
                _with_message(exc, exc.message + extra)
            raise
        for entry in {id(e): e for e, _ in work}.values():
            entry["state"] = "done"
        self._save_journal(journal)
        return results

    def _check_unchanged(self, change: FileChange) -> None:
        """Compare-and-swap: the file must still hold the bytes this run read, or an editor saved it meanwhile."""
        if change.store is not None:
            return  # a database changes when merely opened (WAL checkpoints); the running-tool guard covers it
        if read_bytes(change.path) != change.before:
            raise ConfigFileError(change.path, "changed while bytespike was writing (an editor saved it?)",
                                  "nothing of this run was kept, and the other program's save is intact; "
                                  "run the command again")

    def _roll_back(self, applied: list[tuple[dict[str, Any], FileChange]]) -> list[str]:
        problems = []
        for entry, change in reversed(applied):
            try:
                if change.store is not None:
                    for part, raw, mode in change.parts:
                        if raw is None:
                            remove_file(part)
                        else:
                            write_atomic(part, raw, mode=mode)
                elif change.before is None:
                    remove_file(change.path)
                else:
                    item = next(i for i in entry["files"] if i["target"] == str(change.target))
                    write_atomic(change.path, change.before, mode=item.get("mode"))
            except (BytespikeError, OSError) as exc:
                problems.append(f"{change.path}: {getattr(exc, 'message', exc)}")
        return problems

    def _prepare(self, journal: Journal, tool: str, action: str, changed: list[FileChange],
                 profile: str | None, run: str | None) -> dict[str, Any]:
        """Backups of the before (and after) bytes, and the history entry, marked pending."""
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
                    "after_sha": None, "after_backup": None, "created_dirs": [],
                })
                continue
            mode = None
            backup = None
            if change.before is not None:
                backup = f"backups/{entry_id}/{index}.bak"
                write_atomic(self.root / backup, change.before, mode=0o600)
                mode = stat.S_IMODE(target.stat().st_mode)
            after_backup = None
            if change.after is not None and action == "setup":
                # the bytes we write, so --remove can take exactly this change back out later
                after_backup = f"backups/{entry_id}/{index}.after"
                write_atomic(self.root / after_backup, change.after, mode=0o600)
            entry_files.append({
                "path": str(change.path), "target": str(target), "backup": backup, "mode": mode,
                "before_sha": _sha(change.before), "after_sha": _sha(change.after), "after_backup": after_backup,
                "created_dirs": [str(d) for d in _missing_dirs(target.parent)],
            })
        entry = {
            "id": entry_id, "run": run or entry_id, "tool": tool, "action": action, "time": _now(),
            "state": "pending", "undone": False, "profile": profile, "files": entry_files,
            "owned_before": copy.deepcopy(journal["owned"].get(tool)),
        }
        journal["history"].append(entry)
        for change in changed:
            if change.store is None:
                self._note_written(journal, change.target, _sha(change.after))
        if action == "setup":
            self._record_ownership(journal, tool, changed, profile, entry_files, entry_id)
        return entry

    @staticmethod
    def _note_written(journal: dict[str, Any], target: Path, sha: str | None) -> None:
        shas = journal["written"].setdefault(str(target), [])
        if sha not in shas:
            shas.append(sha)

    def _record_ownership(self, journal: dict[str, Any], tool: str, changed: list[FileChange],
                          profile: str | None, entry_files: list[dict[str, Any]], entry_id: str) -> None:
        owned = journal["owned"].setdefault(tool, {"files": {}})
        if profile:
            owned["profile"] = profile
        for change, item in zip(changed, entry_files):
            info = owned["files"].get(str(change.target))
            if info is None:
                info = owned["files"][str(change.target)] = {
                    "path": str(change.path), "format": change.format, "keys": [],
                    "created_file": change.before is None, "created_dirs": item["created_dirs"], "patches": [],
                }
                if change.store is None:
                    info["text_before"] = _text_without_settings(change)
            if change.store is None:
                info.setdefault("patches", []).append(
                    {"entry": entry_id, "before": item["backup"], "after": item["after_backup"]})
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
                    if record.replaced:
                        entry["replaced"] = [{"path": encode_path(p), "value": v} for p, v in record.replaced]
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

    def undo(self, tool: str | None = None, *, force: bool = False, dry_run: bool = False,
             guard: Callable[[str], None] | None = None) -> UndoResult | None:
        """Restore the files of the last (not yet undone) setup. None when there is nothing to undo.

        Without ``tool``, "the last setup" is the last ``bytespike setup`` run, with every tool it
        touched (entries share a ``run`` id); with ``tool``, that tool's last setup. Files changed by
        something else since bytespike wrote them are left alone and listed in ``skipped``; the others
        are restored (the safe subset), and the setup stays open until the skipped ones are restored too.
        ``force`` restores those as well, saving their current bytes first (``overwritten``). ``dry_run``
        only reports. ``guard(tool)`` runs first for every tool involved (a tool that would overwrite us).
        """
        with self.lock():
            journal = self.load_journal()
            recovered = () if dry_run else self._recover(journal)
            open_setups = [e for e in journal["history"] if e["action"] == "setup" and not e.get("undone")]
            if tool is not None:
                open_setups = [e for e in open_setups if e["tool"] == tool]
            if not open_setups:
                return None
            last = open_setups[-1]
            entries = [last] if tool is not None else [
                e for e in open_setups if e.get("run", e["id"]) == last.get("run", last["id"])
            ]
            skipped, plans = [], []
            for entry in reversed(entries):
                if guard is not None:
                    guard(entry["tool"])
                for item in entry["files"]:
                    if item.get("restored"):
                        continue
                    # a store (a database and its WAL files) is restored as a whole; only the main file is
                    # checked for changes, the side files change whenever the app merely opens it
                    parts = item.get("parts") or [item]
                    main = parts[0]
                    current = read_bytes(main["path"])
                    ours = set(journal["written"].get(item["target"], [])) | {main["before_sha"]}
                    changed = _sha(current) not in ours
                    missing = [p for p in parts if p["backup"] is not None and read_bytes(self.root / p["backup"]) is None]
                    if missing:
                        skipped.append((Path(missing[0]["path"]), "its backup is missing"))
                        continue
                    if changed and not force:
                        skipped.append((Path(item["path"]), "changed by something else since bytespike wrote it"))
                        continue
                    plans.append((entry, item, parts, changed, current))
            tools = tuple(dict.fromkeys(e["tool"] for e in entries))
            ids = tuple(e["id"] for e in entries)
            restored, deleted, overwritten = [], [], []
            if dry_run:
                for _, item, parts, _, _ in plans:
                    (restored if parts[0]["backup"] is not None else deleted).append(Path(item["path"]))
                return UndoResult(tools, ids, tuple(restored), tuple(deleted), tuple(skipped), dry_run=True,
                                  complete=not skipped)
            save_dir = self.root / "backups" / f"{_dt.datetime.now(_dt.timezone.utc).strftime('%Y%m%dT%H%M%S%f')}-undo"
            for number, (entry, item, parts, changed, current) in enumerate(plans):
                if changed and current is not None:
                    # --force: the bytes we overwrite are someone's edit; keep them
                    save_dir.mkdir(parents=True, exist_ok=True)
                    os.chmod(save_dir, 0o700)
                    saved = save_dir / f"{number}-{Path(item['path']).name}"
                    write_atomic(saved, current, mode=0o600)
                    overwritten.append((Path(item["path"]), saved))
                for part in parts:
                    original = None if part["backup"] is None else read_bytes(self.root / part["backup"])
                    path = Path(part["path"])
                    if original is None:
                        if remove_file(path) and part is parts[0]:
                            deleted.append(path)
                        _remove_empty_dirs(item.get("created_dirs", []))
                    else:
                        if read_bytes(path) != original or _mode_of(path) != part.get("mode"):
                            write_atomic(path, original, mode=part.get("mode"))
                        if part is parts[0]:
                            restored.append(path)
                item["restored"] = True
            complete = not skipped
            for entry in reversed(entries):
                if not all(item.get("restored") for item in entry["files"]):
                    continue
                entry["undone"] = True
                if entry.get("owned_before") is None:
                    journal["owned"].pop(entry["tool"], None)
                else:
                    journal["owned"][entry["tool"]] = entry["owned_before"]
            self._save_journal(journal)
            return UndoResult(tools, ids, tuple(restored), tuple(deleted), tuple(skipped), tuple(overwritten),
                              complete=complete, recovered=recovered)


class _NoPatch:
    def __repr__(self) -> str:
        return "NO_PATCH"


NO_PATCH = _NoPatch()


def _is_match(step: Any) -> bool:
    from bytespike_cli.formats.common import Match

    return isinstance(step, Match)


def _with_message(exc: BytespikeError, message: str) -> BytespikeError:
    exc.message = message
    exc.args = (message,)
    return exc


def _data_of(fmt: str, text: str, path: Any) -> Any:
    return open_document(fmt, text, path).data if text.strip(" \t\r\n\ufeff") else {}


def _keep_file_edges(before: str, after: str, fmt: str, path: Any) -> str:
    """What a setup must not change at the edges of a file: a missing final newline stays missing, leading
    blank lines stay. An editor appends at the end; the result is parsed again before it is used."""
    candidate = after
    if before.strip() and not before.endswith("\n") and candidate.endswith("\n"):
        candidate = candidate[:-2] if candidate.endswith("\r\n") else candidate[:-1]
    lead_before = len(before) - len(before.lstrip("\r\n"))
    lead_after = len(candidate) - len(candidate.lstrip("\r\n"))
    if before.strip() and lead_after > lead_before and not before.startswith("\ufeff"):
        candidate = candidate[lead_after - lead_before:]
    if candidate == after:
        return after
    try:
        if same_value(_data_of(fmt, candidate, path), _data_of(fmt, after, path)):
            return candidate
    except ConfigFileError:
        pass
    return after


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
