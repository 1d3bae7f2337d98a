"""TOML editing with tomlkit, which keeps comments, order and formatting of everything it is not told to change.

New tables are written as ``[a.b]`` headers (parents that only hold tables stay implicit), new
top-level keys go above the first table (TOML requires that), a dict value becomes a sub-table.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.common import (
    MISSING,
    KeyPath,
    check_only_paths_changed,
    data_delete,
    data_get,
    data_set,
    dotted,
    plain,
    same_value,
)


class TomlDocument:
    format = "toml"

    def __init__(self, text: str, path: Path | str = "<text>"):
        self.path = path
        self._bom = "\ufeff" if text.startswith("\ufeff") else ""
        self._crlf = "\r\n" in text
        self.text = text
        self._load(text)

    def _load(self, text: str) -> None:
        import tomlkit
        from tomlkit.exceptions import ParseError

        try:
            self.doc = tomlkit.parse(text[len(self._bom):])
        except ParseError as exc:
            problem = str(exc).split(" at line ")[0]
            raise ConfigFileError(
                self.path, f"not valid TOML: {problem}", "fix the line shown (or move the file away) and run again",
                line=exc.line,
            ) from None

    @property
    def data(self) -> Any:
        return plain(self.doc)

    def get(self, path: KeyPath) -> Any:
        return data_get(self.data, tuple(path))

    @property
    def newline(self) -> str:
        return "\r\n" if self._crlf else "\n"

    def _render(self) -> str:
        import tomlkit

        text = tomlkit.dumps(self.doc)
        if self._crlf:
            text = re.sub(r"(?<!\r)\n", "\r\n", text)
        return self._bom + text

    def set(self, path: KeyPath, value: Any) -> bool:
        path = tuple(path)
        if same_value(self.get(path), value):
            return False
        expected = copy.deepcopy(self.data)
        data_set(expected, path, value)
        if self._new_table_under_existing_table(path):
            self._append_table(path, value)
        else:
            _tree_set(self.doc, path, value, self.path)
            self.text = self._render()
        self._load(self.text)
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def _new_table_under_existing_table(self, path: KeyPath) -> bool:
        """A new [a.b] whose parent [a] (or [a.*]) exists: tomlkit would put it right after the parent's last
        sub-table, between that table and the comment heading the next one; appending at the end is valid
        TOML and leaves the user's layout alone."""
        from tomlkit.items import InlineTable

        if len(path) < 3:
            return False
        node = self.doc
        for depth, part in enumerate(path[:-1]):
            child = node.get(part) if hasattr(node, "get") else None
            if child is None:
                return depth >= 1 and not isinstance(node, InlineTable)
            if not hasattr(child, "keys") or isinstance(child, InlineTable):
                return False
            node = child
        return False

    def _append_table(self, path: KeyPath, value: Any) -> None:
        import tomlkit

        mini = tomlkit.document()
        _tree_set(mini, path, value, self.path)
        block = tomlkit.dumps(mini)
        if self._crlf:
            block = re.sub(r"(?<!\r)\n", "\r\n", block)
        nl = self.newline
        head = self.text
        if head.strip():
            head = head if head.endswith("\n") else head + nl
            head += nl
        self.text = head + block

    def delete(self, path: KeyPath) -> bool:
        path = tuple(path)
        if self.get(path) is MISSING:
            return False
        expected = copy.deepcopy(self.data)
        data_delete(expected, path)
        node = self.doc
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
        # a parent that only held our table and had no header of its own ([a.b] alone) vanishes with it
        parents = path[:-1]
        while parents:
            parent = self.doc
            for part in parents[:-1]:
                parent = parent[part]
            table = parent[parents[-1]]
            if len(table) or not _is_super_table(table):
                break
            del parent[parents[-1]]
            data_delete(expected, parents)
            parents = parents[:-1]
        text = self._render()
        # the blank line that separated our table from the one above belonged to that one: no new
        # trailing blank lines at the end of the file
        old_tail = len(self.text) - len(self.text.rstrip("\r\n"))
        new_tail = len(text) - len(text.rstrip("\r\n"))
        if new_tail > old_tail:
            text = text.rstrip("\r\n") + self.text[len(self.text) - old_tail:] if text.strip() else self._bom
        self.text = text
        self._load(self.text)
        check_only_paths_changed(self.path, expected, self.data)
        return True


def _is_super_table(table: Any) -> bool:
    probe = getattr(table, "is_super_table", None)
    return bool(probe()) if callable(probe) else False


def _to_item(value: Any, *, as_table: bool):
    import tomlkit

    if isinstance(value, dict):
        container = tomlkit.table() if as_table else tomlkit.inline_table()
        for key, item in value.items():
            container[key] = _to_item(item, as_table=as_table and isinstance(item, dict))
        return container
    if isinstance(value, (list, tuple)):
        array = tomlkit.array()
        array.extend(_to_item(item, as_table=False) for item in value)
        return array
    return value


def _tree_set(doc: Any, path: KeyPath, value: Any, file: Path | str) -> None:
    import tomlkit
    from tomlkit.items import InlineTable, Table

    node = doc
    for depth, part in enumerate(path[:-1]):
        child = node.get(part) if hasattr(node, "get") else None
        if isinstance(child, (Table, InlineTable)) or (child is not None and hasattr(child, "keys")):
            node = child
            continue
        if child is not None:
            raise ConfigFileError(file, f"{dotted(path[:depth + 1])} is not a table", "fix that setting by hand")
        if isinstance(node, InlineTable):
            child = tomlkit.inline_table()
        else:
            # a parent that will only hold tables stays implicit: [a.b] rather than [a] + [a.b]
            child = tomlkit.table(is_super_table=depth < len(path) - 2)
        node[part] = child
        node = child
    key = path[-1]
    as_table = isinstance(value, dict) and not isinstance(node, InlineTable)
    node[key] = _to_item(value, as_table=as_table)
