"""Cursor: rows of its global ``state.vscdb`` (SQLite, table ``ItemTable``), edited while Cursor is closed.

Where (notes/editor-facts.md §7): ``<User>/globalStorage/state.vscdb`` with ``<User>`` =
``~/Library/Application Support/Cursor/User`` (macOS), ``${XDG_CONFIG_HOME:-~/.config}/Cursor/User``
(Linux), ``%APPDATA%\\Cursor\\User`` (Windows). The database runs in WAL mode, so ``state.vscdb-wal`` and
``state.vscdb-shm`` belong to it: they are backed up and restored together with it.

What we write (Cursor 3.x; closed source, confirmed by several independent third-party writers):
- row ``…persistentStorage.applicationUser`` (a JSON object Cursor keeps in memory): ``openAIBaseUrl`` =
  root + ``/v1``, ``useOpenAIKey`` = true (without it Cursor ignores both), and our model ids added to
  ``aiSettings.userAddedModels`` / ``modelOverrideEnabled`` (and taken out of ``modelOverrideDisabled``).
  Every other field of the object stays as it is.
- the key: by default nothing. Cursor keeps it encrypted (``secret://cursorAuth/openAIKey``, Electron
  safeStorage with a key in the OS keychain); bytespike does not forge that row, so setup says exactly
  what to paste in Cursor's settings. ``--key-mode inline`` writes the legacy plaintext row
  ``cursorAuth/openAIKey`` (and drops the encrypted row) for Cursor to move into its encrypted store at
  the next start, as RelayDock does; that migration is only confirmed on macOS.

Cursor quirks setup warns about: ids starting with ``claude`` never use the OpenAI base URL (Cursor
routes them itself), so they are not added; Cursor sends custom-URL requests from its own servers,
so a gateway on localhost can never work for it; Tab completion always uses Cursor's own models.

The stored layout is checked before anything is planned (``PRAGMA user_version`` = 1, the
``ItemTable`` table, the applicationUser row being a JSON object with the field types we expect):
anything else is a clear error and the database is not touched.
"""

from __future__ import annotations

import copy
import hashlib
import ipaddress
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit
from typing import TYPE_CHECKING

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import MISSING, same_value
from bytespike_cli.formats import sqlite as store
from bytespike_cli.formats.common import KeyPath, data_delete, data_get, data_set
from bytespike_cli.tools.base import (
    Delete,
    Detection,
    FilePlan,
    Integration,
    Plan,
    Set,
    SetupRequest,
    known_roots,
    looks_like_bytespike_url,
)
from bytespike_cli.tools.cline import ProcessLister, system_processes
from bytespike_cli.setup.engine import register_store_format

FORMAT = "vscdb"  # a FilePlan format: rows of a VS Code-style state database (see StateDbDocument)
APP_USER = "src.vs.platform.reactivestorage.browser.reactiveStorageServiceImpl.persistentStorage.applicationUser"
KEY_ROW = "cursorAuth/openAIKey"  # legacy plaintext row, migrated by Cursor 3.x at start
SECRET_KEY_ROW = "secret://cursorAuth/openAIKey"  # encrypted (Electron safeStorage): never written by us
SCHEMA_VERSION = 1  # VS Code's storage sets PRAGMA user_version = 1
ROWS = (APP_USER, KEY_ROW, SECRET_KEY_ROW)
JSON_ROWS = frozenset({APP_USER})
# field of the applicationUser object -> the JSON types we know how to edit
FIELD_TYPES: dict[KeyPath, tuple[type, ...]] = {
    ("openAIBaseUrl",): (str,),
    ("useOpenAIKey",): (bool,),
    ("aiSettings",): (dict,),
    ("aiSettings", "userAddedModels"): (list,),
    ("aiSettings", "modelOverrideEnabled"): (list,),
    ("aiSettings", "modelOverrideDisabled"): (list,),
}
MODEL_LISTS = ("userAddedModels", "modelOverrideEnabled")

if TYPE_CHECKING:  # doctor's types; the resolver module is imported only by doctor
    from bytespike_cli.doctor.effective import Context, Effective


class StateDbDocument:
    """The ItemTable rows a plan touches, edited like a settings file (the ``Document`` shape).

    Paths are ``(row key,)`` for a whole row or ``(row key, field, …)`` inside a JSON row. Reading uses
    a read-only connection; :meth:`save` writes only the rows that changed, in one ``BEGIN IMMEDIATE``
    transaction with a busy timeout (``formats.sqlite``). ``text`` renders the rows as JSON, for diffs.
    """

    format = FORMAT

    def __init__(self, path: Path | str, keys: tuple[str, ...] = ROWS, json_rows: frozenset[str] = JSON_ROWS):
        self.path = Path(path)
        self.json_rows = json_rows
        self.rows: dict[str, object] = {}
        for key, value in store.read_items(self.path, list(keys)).items():
            if value is not None:
                self.rows[key] = self._decode(key, value)
        self.original = copy.deepcopy(self.rows)

    def _decode(self, key: str, value: str | bytes) -> object:
        try:
            text = value.decode("utf-8") if isinstance(value, bytes) else value
        except UnicodeDecodeError:
            raise ConfigFileError(self.path, f"row {key!r} is not UTF-8 text", "unknown layout: leave it to the app") from None
        if key not in self.json_rows:
            return text
        try:
            return json.loads(text)
        except ValueError as exc:
            raise ConfigFileError(self.path, f"row {key!r} is not valid JSON ({exc.msg})",
                                  "start and quit the app once so it rewrites the row, then run this again") from None

    @property
    def data(self) -> dict:
        return copy.deepcopy(self.rows)

    @property
    def text(self) -> str:
        """The rows as JSON (what a dry run shows). Credential rows appear as a fingerprint, never as
        their value: the user's own OpenAI key or an encrypted blob must not end up in a terminal."""
        shown = {key: _fingerprint(value) if _is_credential(key) else value for key, value in self.rows.items()}
        return json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True) + "\n"

    def get(self, path: KeyPath) -> object:
        return data_get(self.rows, tuple(path))

    def set(self, path: KeyPath, value: object) -> bool:
        path = tuple(path)
        if same_value(self.get(path), value):
            return False
        if len(path) > 1:
            if path[0] not in self.json_rows:
                raise ValueError(f"row {path[0]!r} is plain text; it has no fields")
            if not isinstance(self.rows.get(path[0]), dict):
                self.rows[path[0]] = {}
        data_set(self.rows, path, value)
        return True

    def delete(self, path: KeyPath) -> bool:
        path = tuple(path)
        if self.get(path) is MISSING:
            return False
        if len(path) == 1:
            del self.rows[path[0]]
        else:
            data_delete(self.rows, path)
        return True

    def changed_rows(self) -> dict[str, str | None]:
        """Row key -> the text to store (None: delete the row), for the rows that differ from the database."""
        changes: dict[str, str | None] = {}
        for key in set(self.rows) | set(self.original):
            new, old = self.rows.get(key, MISSING), self.original.get(key, MISSING)
            if same_value(new, old):
                continue
            if new is MISSING:
                changes[key] = None
            elif key in self.json_rows:
                # as the app writes it (JSON.stringify): compact, key order kept
                changes[key] = json.dumps(new, ensure_ascii=False, separators=(",", ":"))
            else:
                changes[key] = str(new)  # bound as TEXT: a BLOB would be read back as a Buffer by the app
        return changes

    def save(self) -> bool:
        changes = self.changed_rows()
        if changes:
            store.write_items(self.path, changes)
            self.original = copy.deepcopy(self.rows)
        return bool(changes)


def _is_credential(key: str) -> bool:
    return key.startswith(("secret://", "cursorAuth/"))


def _fingerprint(value: object) -> str:
    digest = hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:12]
    return f"(hidden credential, sha256 {digest}…)"


def companion_files(db_path: Path) -> tuple[Path, Path, Path]:
    """The database and its WAL side files: backed up and restored as one."""
    return (db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm"))


register_store_format(FORMAT, StateDbDocument, companion_files)


class Cursor(Integration):
    name = "cursor"
    title = "Cursor"
    key_modes = ("helper", "inline")  # helper: you paste `bytespike print-key`'s output into Cursor's settings
    prefer_family = "gpt"  # claude-* ids never reach a custom OpenAI base URL in Cursor

    def __init__(self, home: Path | None = None, env: dict[str, str] | None = None,
                 processes: ProcessLister | None = None):
        super().__init__(home, env)
        self._processes = processes or system_processes

    # -- where ---------------------------------------------------------------------------------------
    def user_dir(self) -> Path:
        if sys.platform == "darwin":
            return self.home() / "Library" / "Application Support" / "Cursor" / "User"
        if os.name == "nt":
            appdata = self.env("APPDATA")
            return (Path(appdata) if appdata else self.home() / "AppData" / "Roaming") / "Cursor" / "User"
        xdg = self.env("XDG_CONFIG_HOME")
        return (Path(xdg) if xdg else self.home() / ".config") / "Cursor" / "User"

    def db_path(self) -> Path:
        return self.user_dir() / "globalStorage" / "state.vscdb"

    def resolve(self, ctx: "Context") -> list["Effective"]:
        from bytespike_cli.tools.cursor.resolve import resolve_effective

        return resolve_effective(ctx)

    def files(self) -> tuple[Path, ...]:
        return (self.db_path(),)

    # -- the stored layout ------------------------------------------------------------------------------
    def open_state(self) -> StateDbDocument:
        """The rows we edit, after checking that the database has the layout we know (else ConfigFileError)."""
        path = self.db_path()
        fix = "set Cursor up by hand (Cursor Settings → Models → API Keys), or update bytespike"
        if not path.is_file():
            raise ConfigFileError(path, "not found: Cursor has not created its settings yet",
                                  "start Cursor once, quit it, then run this again")
        version = store.user_version(path)
        if version != SCHEMA_VERSION:
            raise ConfigFileError(path, f"unknown Cursor database layout (user_version {version}, "
                                        f"bytespike knows {SCHEMA_VERSION})", fix)
        if not store.has_item_table(path):
            raise ConfigFileError(path, "unknown Cursor database layout (no ItemTable)", fix)
        doc = StateDbDocument(path)
        blob = doc.rows.get(APP_USER, MISSING)
        if blob is MISSING:
            raise ConfigFileError(path, "Cursor's settings row is missing (Cursor older than 3.x, or never started)",
                                  "start Cursor once, quit it, then run this again; " + fix)
        if not isinstance(blob, dict):
            raise ConfigFileError(path, "unknown Cursor settings layout (the applicationUser row is not an object)", fix)
        for field, types in FIELD_TYPES.items():
            value = data_get(blob, field)
            if value is not MISSING and not isinstance(value, types):
                raise ConfigFileError(path, f"unknown Cursor settings layout ({'.'.join(field)} is a "
                                            f"{type(value).__name__})", fix)
        for name in MODEL_LISTS + ("modelOverrideDisabled",):
            value = data_get(blob, ("aiSettings", name))
            if isinstance(value, list) and not all(isinstance(item, str) for item in value):
                raise ConfigFileError(path, f"unknown Cursor settings layout (aiSettings.{name} is not a list "
                                            "of model ids)", fix)
        return doc

    # -- the interface -----------------------------------------------------------------------------------
    def detect(self) -> Detection:
        exe = self.which("cursor")
        mac_app = Path("/Applications/Cursor.app")
        if self.db_path().is_file():
            installed, evidence = True, f"{self.db_path()} exists"
        elif exe:
            installed, evidence = True, f"cursor on PATH ({exe})"
        elif sys.platform == "darwin" and mac_app.exists():
            installed, evidence = True, str(mac_app)
        else:
            installed, evidence = False, "not found (no Cursor settings database, no `cursor` on PATH)"
        configured, details = False, []
        if self.db_path().is_file():
            doc = self.open_state()
            blob = doc.rows[APP_USER]
            configured = blob.get("useOpenAIKey") is True and looks_like_bytespike_url(blob.get("openAIBaseUrl"),
                                                                                         known_roots())
            if configured:
                if KEY_ROW in doc.rows:
                    details.append("key written in plain text, waiting for Cursor to encrypt it at its next start")
                elif SECRET_KEY_ROW in doc.rows:
                    details.append("an OpenAI key is stored (encrypted) in Cursor")
                else:
                    details.append("no OpenAI key in Cursor yet: paste it in Cursor Settings → Models → API Keys")
        return Detection(self.name, self.title, installed, evidence, self.files(), configured, None, tuple(details))

    def plan(self, request: SetupRequest) -> Plan:
        mode = self.key_mode(request)
        doc = self.open_state()
        blob = doc.rows[APP_USER]
        settings = blob.get("aiSettings") if isinstance(blob.get("aiSettings"), dict) else {}
        ids = [m.id for m in request.all_models if not m.id.lower().startswith("claude")]
        skipped = [m.id for m in request.all_models if m.id.lower().startswith("claude")]
        edits: list = [
            Set((APP_USER, "openAIBaseUrl"), request.openai_base.rstrip("/")),
            Set((APP_USER, "useOpenAIKey"), True),
        ]
        if ids:
            for name in MODEL_LISTS:
                current = list(settings.get(name) or [])
                edits.append(Set((APP_USER, "aiSettings", name), current + [i for i in ids if i not in current]))
            disabled = settings.get("modelOverrideDisabled")
            if isinstance(disabled, list) and any(i in disabled for i in ids):
                edits.append(Set((APP_USER, "aiSettings", "modelOverrideDisabled"), [m for m in disabled if m not in ids]))
        secrets: tuple[str, ...] = ()
        manual: list[str] = []
        notes: list[str] = [
            "Cursor must stay closed while bytespike writes; start it again afterwards",
            "Tab completion keeps using Cursor's own models (custom keys only cover chat models)",
        ]
        warnings: list[str] = [
            "Cursor calls a custom base URL from its own servers, not from your computer: the gateway must be "
            "reachable from the internet, so a local proxy (localhost) can never work for Cursor",
        ]
        if mode == "inline":
            edits.append(Set((KEY_ROW,), request.key))
            edits.append(Delete((SECRET_KEY_ROW,)))
            secrets = (request.key,) if request.key else ()
            notes.append("the key is stored in plain text until Cursor's next start moves it into its encrypted "
                         "store; open Cursor once now, and check Settings → Models → API Keys shows it")
            if SECRET_KEY_ROW in doc.rows:
                warnings.append("the OpenAI key Cursor has stored (encrypted) is replaced by the ByteSpike key; "
                                "`bytespike undo` brings it back")
        else:
            manual = [
                "start Cursor, open Cursor Settings (Ctrl+Shift+J, on macOS ⌘⇧J) → Models → API Keys",
                f"OpenAI API Key: paste the output of `bytespike print-key --profile {request.profile}`",
                f"Override OpenAI Base URL: bytespike sets it to {request.openai_base.rstrip('/')} (switch the "
                "override on if it shows off)",
                "click Verify; then pick " + (", ".join(ids) if ids else "your model") + " in the chat's model menu",
            ]
        if skipped:
            warnings.append(f"Cursor sends model ids starting with 'claude' to Anthropic itself, never to the "
                            f"OpenAI base URL: not added: {', '.join(skipped)}; choose other models with --model")
        if any(word in i.lower() for i in ids for word in ("gpt", "gemini")):
            warnings.append("Cursor picks the request format from the model name for gpt*/gemini* ids; if chats "
                            "fail, use a model whose id names neither")
        if _is_local(request.base_url):
            warnings.append(f"{request.base_url} is on this computer: Cursor's servers cannot reach it, so Cursor "
                            "will not work with this profile")
        return Plan(self.name, (FilePlan(self.db_path(), FORMAT, tuple(edits), secret=mode == "inline"),),
                    tuple(notes), tuple(warnings), secrets, tuple(manual))

    def plan_remove(self) -> Plan:
        """Without a journal: switch the ByteSpike base URL off (the model ids we added cannot be told apart)."""
        if not self.db_path().is_file():
            return Plan(self.name)
        doc = self.open_state()
        blob = doc.rows[APP_USER]
        if not looks_like_bytespike_url(blob.get("openAIBaseUrl"), known_roots()):
            return Plan(self.name)
        edits: list = [Delete((APP_USER, "openAIBaseUrl")), Set((APP_USER, "useOpenAIKey"), False)]
        key = doc.rows.get(KEY_ROW)
        if isinstance(key, str) and key.startswith("sk-byts-"):
            edits.append(Delete((KEY_ROW,)))
        return Plan(self.name, (FilePlan(self.db_path(), FORMAT, tuple(edits)),), warnings=(
            "no record of the original settings: the ByteSpike base URL was removed; model ids added to "
            "Cursor's list and a key already moved into Cursor's encrypted store were left in place",))

    def running(self) -> list[str]:
        found = []
        for proc in self._processes():
            name = (proc.name or Path(proc.exe).name).lower().removesuffix(".exe")
            exe = (proc.exe or "").lower()
            if name == "cursor" or "cursor.app/" in exe or exe.endswith(("/cursor", "\\cursor.exe")):
                found.append(proc)
        if not found:
            return []
        pids = ", ".join(str(p.pid) for p in sorted(found, key=lambda p: p.pid)[:3])
        return [f"Cursor, pid {pids}{'…' if len(found) > 3 else ''}"]


def _is_local(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host in ("localhost", "") or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local
