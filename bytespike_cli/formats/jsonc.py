"""A span-splicing editor for JSON with comments (Zed, VS Code-style settings, Claude Code's JSON).

Why our own: `jsonc-edit` runs Microsoft's parser in a Node.js daemon it installs from npm on
first use (no Node on most users' machines, a network fetch at run time); `json-five` round-trips
faithfully but is a JSON5 parser (accepts files strict-JSON tools reject), has no set-at-path API
(new members must be assembled from whitespace nodes by hand) and parses ~20 µs per character. The
editor below only needs spans: it parses once, records where every value, key and comma is, and
replaces or inserts text at those offsets. Every byte outside the edited span stays: comments,
trailing commas, CRLF, a BOM, indentation, key order, the final newline.

Accepted syntax: JSON plus ``//`` and ``/* */`` comments and trailing commas (what Zed and VS Code
accept), or strict JSON only (``strict=True``). Paths are tuples of object keys, array indexes (for
reading/replacing) and ``Match`` steps (the list item whose key has a value: set appends it when
missing, delete removes it; Continue's ``models``).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.common import (
    MISSING,
    KeyPath,
    Match,
    check_only_paths_changed,
    data_delete,
    data_set,
    dotted,
    same_value,
)

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"', re.S)
_LITERALS = {"true": True, "false": False, "null": None}
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f]")  # raw tabs, newlines etc. inside a string: strict JSON rejects them


class JsoncSyntaxError(ValueError):
    def __init__(self, message: str, offset: int, text: str):
        self.line = text.count("\n", 0, offset) + 1
        self.column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        super().__init__(f"{message} (line {self.line}, column {self.column})")
        self.problem = message


@dataclass
class Node:
    kind: str  # object | array | string | number | literal
    start: int
    end: int  # exclusive
    value: Any = None  # the decoded value for scalars
    members: list["Member"] = field(default_factory=list)  # objects
    items: list["Item"] = field(default_factory=list)  # arrays


@dataclass
class Member:
    key: str
    key_start: int
    value: Node
    comma: int | None = None  # offset of the comma after the value, if any


@dataclass
class Item:
    value: Node
    comma: int | None = None


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.first_comment: int | None = None  # offsets of what strict JSON rejects
        self.first_trailing_comma: int | None = None
        self.first_control_char: int | None = None
        self.bom = text.startswith("\ufeff")

    def fail(self, message: str, offset: int | None = None) -> None:
        raise JsoncSyntaxError(message, self.pos if offset is None else offset, self.text)

    def skip_trivia(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif text.startswith("//", self.pos):
                if self.first_comment is None:
                    self.first_comment = self.pos
                newline = text.find("\n", self.pos)
                self.pos = n if newline < 0 else newline
            elif text.startswith("/*", self.pos):
                if self.first_comment is None:
                    self.first_comment = self.pos
                close = text.find("*/", self.pos + 2)
                if close < 0:
                    self.fail("unterminated /* comment")
                self.pos = close + 2
            elif ch == "\ufeff" and self.pos == 0:
                self.pos += 1
            else:
                return

    def parse_document(self) -> Node | None:
        self.skip_trivia()
        if self.pos >= len(self.text):
            return None
        node = self.parse_value()
        self.skip_trivia()
        if self.pos < len(self.text):
            self.fail("unexpected text after the end of the document")
        return node

    def parse_value(self) -> Node:
        text, start = self.text, self.pos
        if start >= len(text):
            self.fail("unexpected end of file, expected a value")
        ch = text[start]
        if ch == "{":
            return self.parse_object()
        if ch == "[":
            return self.parse_array()
        if ch == '"':
            return Node("string", start, self.parse_string_end(), self.decode_string(start))
        match = _NUMBER.match(text, start)
        if match and match.end() > start:
            self.pos = match.end()
            return Node("number", start, self.pos, json.loads(match.group(0)))
        for word, value in _LITERALS.items():
            if text.startswith(word, start):
                self.pos = start + len(word)
                return Node("literal", start, self.pos, value)
        self.fail(f"unexpected character {ch!r}, expected a value")
        raise AssertionError  # unreachable

    def parse_string_end(self) -> int:
        match = _STRING.match(self.text, self.pos)
        if not match:
            self.fail("unterminated string")
        self.pos = match.end()
        return self.pos

    def decode_string(self, start: int) -> str:
        try:
            value = json.loads(self.text[start:self.pos], strict=False)
        except ValueError:
            self.fail("invalid escape in string", start)
            raise AssertionError  # unreachable
        if _LONE_SURROGATE.search(value):
            # "\ud800" without its pair is not a character: no UTF-8 file can hold it
            self.fail("a \\u escape for half of a surrogate pair (a lone surrogate) is not valid text", start)
        if self.first_control_char is None and _CONTROL.search(self.text, start, self.pos):
            self.first_control_char = _CONTROL.search(self.text, start, self.pos).start()
        return value

    def parse_object(self) -> Node:
        node = Node("object", self.pos, -1)
        self.pos += 1
        while True:
            self.skip_trivia()
            if self.pos >= len(self.text):
                self.fail("unexpected end of file, expected '}'", node.start)
            if self.text[self.pos] == "}":
                self._note_trailing_comma(node.members)
                self.pos += 1
                node.end = self.pos
                return node
            if node.members and node.members[-1].comma is None:
                self.fail("expected ',' or '}' after a value")
            if self.text[self.pos] != '"':
                self.fail("expected a double-quoted key")
            key_start = self.pos
            self.parse_string_end()
            key = self.decode_string(key_start)
            self.skip_trivia()
            if self.pos >= len(self.text) or self.text[self.pos] != ":":
                self.fail("expected ':' after a key")
            self.pos += 1
            self.skip_trivia()
            member = Member(key, key_start, self.parse_value())
            node.members.append(member)
            self.skip_trivia()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                member.comma = self.pos
                self.pos += 1

    def _note_trailing_comma(self, entries: list) -> None:
        if entries and entries[-1].comma is not None and self.first_trailing_comma is None:
            self.first_trailing_comma = entries[-1].comma

    def parse_array(self) -> Node:
        node = Node("array", self.pos, -1)
        self.pos += 1
        while True:
            self.skip_trivia()
            if self.pos >= len(self.text):
                self.fail("unexpected end of file, expected ']'", node.start)
            if self.text[self.pos] == "]":
                self._note_trailing_comma(node.items)
                self.pos += 1
                node.end = self.pos
                return node
            if node.items and node.items[-1].comma is None:
                self.fail("expected ',' or ']' after a value")
            item = Item(self.parse_value())
            node.items.append(item)
            self.skip_trivia()
            if self.pos < len(self.text) and self.text[self.pos] == ",":
                item.comma = self.pos
                self.pos += 1


def to_python(node: Node | None) -> Any:
    if node is None:
        return MISSING
    if node.kind == "object":
        return {m.key: to_python(m.value) for m in node.members}
    if node.kind == "array":
        return [to_python(i.value) for i in node.items]
    return node.value


def parse(text: str) -> Any:
    """The document as Python data (MISSING for an empty document). Raises JsoncSyntaxError."""
    return to_python(_Parser(text).parse_document())


class JsoncDocument:
    """Edits one JSONC text in place. ``text`` is always the current, complete document.

    ``strict=True`` is for files whose program reads strict JSON (Claude Code, Cline, Aider's metadata):
    a comment or a trailing comma there is an error naming the line, because the program would reject
    the whole file and none of our settings would apply.
    """

    def __init__(self, text: str, path: Path | str = "<text>", *, strict: bool = False, top: str = "object"):
        self.path = path
        self.text = text
        self.strict = strict
        self.top = top  # "array" for files that are one list of entries (VS Code's chatLanguageModels.json)
        self.format = "json" if strict else ("jsonc-list" if top == "array" else "jsonc")
        self.root = self._parse(text)
        if self.root is not None and self.root.kind != top:
            expected = "a JSON list ([…])" if top == "array" else "a JSON object"
            raise ConfigFileError(path, f"expected {expected} at the top of the file", "fix the file by hand")

    def _parse(self, text: str) -> Node | None:
        parser = _Parser(text)
        try:
            root = parser.parse_document()
        except JsoncSyntaxError as exc:
            raise ConfigFileError(
                self.path, f"not valid JSON: {exc.problem} (column {exc.column})",
                "fix the line shown (or move the file away) and run again", line=exc.line,
            ) from None
        if self.strict:
            self._check_strict(parser, text)
        return root

    def _check_strict(self, parser: _Parser, text: str) -> None:
        found = [(offset, what) for offset, what in ((parser.first_comment, "a comment"),
                                                     (parser.first_trailing_comma, "a trailing comma"),
                                                     (parser.first_control_char, "a raw control character "
                                                      "(a tab?) inside a string"),
                                                     (0 if parser.bom else None, "a byte-order mark (BOM) at the start"))
                 if offset is not None]
        if not found:
            return
        offset, what = min(found)
        line = text.count("\n", 0, offset) + 1
        raise ConfigFileError(
            self.path, f"has {what}, but the program that reads this file accepts only strict JSON "
                       "(no comments, trailing commas, BOM or raw tabs in strings), so it would reject the whole file",
            "remove it (it makes the file unreadable for its program already: write \\t for a tab, save "
            "without a BOM), then run again; bytespike changed nothing", line=line,
        )

    # -- reading ---------------------------------------------------------------------------
    @property
    def data(self) -> Any:
        value = to_python(self.root)
        if value is MISSING:
            return [] if self.top == "array" else {}
        return value

    def _find(self, path: KeyPath) -> Node | None:
        node = self.root
        for part in path:
            if node is None:
                return None
            node = self._child(node, part)
        return node

    def get(self, path: KeyPath) -> Any:
        node = self._find(path)
        return MISSING if node is None else to_python(node)

    def source(self, path: KeyPath) -> dict | None:
        """The value's text as written, and the key of the member after it (to put it back in place)."""
        path = tuple(path)
        parent = self._find(path[:-1]) if path else None
        if parent is None or parent.kind != "object" or not isinstance(path[-1], str):
            node = self._find(path)
            return None if node is None else {"text": self.text[node.start:node.end], "before": None}
        index = _member_index(parent, path[-1])
        if index is None:
            return None
        member = parent.members[index]
        after = parent.members[index + 1].key if index + 1 < len(parent.members) else None
        return {"text": self.text[member.value.start:member.value.end], "before": after}

    # -- style ------------------------------------------------------------------------------
    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    @property
    def indent_unit(self) -> str:
        # the indentation of the first indented line that starts a key or value
        for match in re.finditer(r"\n([ \t]+)[\"{\[\]}0-9tfn-]", self.text):
            return match.group(1)
        return "  "

    def _line_indent(self, offset: int) -> str:
        line_start = self.text.rfind("\n", 0, offset) + 1
        match = re.match(r"[ \t\ufeff]*", self.text[line_start:offset])
        return match.group(0).replace("\ufeff", "") if match else ""

    def _starts_line(self, offset: int) -> bool:
        line_start = self.text.rfind("\n", 0, offset) + 1
        return self.text[line_start:offset].strip(" \t\ufeff") == ""

    def _dump(self, value: Any, indent: str, *, inline: bool = False) -> str:
        if inline:
            return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        dumped = json.dumps(value, ensure_ascii=False, indent=self.indent_unit)
        return dumped.replace("\n", self.newline + indent)

    # -- editing -----------------------------------------------------------------------------
    def _splice(self, start: int, end: int, replacement: str) -> None:
        self.text = self.text[:start] + replacement + self.text[end:]

    def _reparse(self) -> None:
        self.root = self._parse(self.text)

    def _verified(self, before: Any, path: KeyPath, value: Any) -> None:
        self._reparse()
        expected = copy.deepcopy(before)
        data_set(expected, path, value)
        check_only_paths_changed(self.path, expected, self.data)

    def set(self, path: KeyPath, value: Any) -> bool:
        """Set ``path`` to ``value`` (creating parents; a missing ``Match`` item is appended). True if changed."""
        path = tuple(path)
        if not path:
            raise ValueError("empty path")
        if same_value(self.get(path), value):
            return False
        before = self.data
        self._set(path, value)
        self._verified(before, path, value)
        return True

    def restore(self, path: KeyPath, value: Any, *, text: str | None = None, before: str | None = None) -> bool:
        """Put back a value the way it was written: ``text`` is its original source (used when it still
        means ``value``), ``before`` the key of the member it stood in front of (when it was deleted)."""
        path = tuple(path)
        if text is not None:
            try:
                if not same_value(parse(text), value):
                    text = None
            except JsoncSyntaxError:
                text = None
        if same_value(self.get(path), value):
            return False
        node = self._find(path)
        parent = self._find(path[:-1]) if len(path) > 1 else self.root
        if node is not None and text is not None:
            data = self.data
            self._splice(node.start, node.end, text)
        elif node is None and parent is not None and parent.kind == "object" and isinstance(path[-1], str):
            data = self.data
            at = _member_index(parent, before) if before is not None else None
            self._insert(parent, path[-1], value, raw=text, at=at)
        else:
            return self.set(path, value)
        self._verified(data, path, value)
        return True

    def _fits(self, node: Node, step: Any) -> bool:
        """Can the path go on from ``node`` with ``step``?"""
        if isinstance(step, str):
            return node.kind == "object"
        return node.kind == "array"

    def _set(self, path: KeyPath, value: Any) -> None:
        if self.root is None:
            self._create_root(path, value)
            return
        # the deepest existing container on the path
        parent, depth = self.root, 0
        while depth < len(path) - 1:
            child = self._child(parent, path[depth])
            if child is None or not self._fits(child, path[depth + 1]):
                break
            parent, depth = child, depth + 1
        step = path[depth]
        existing = self._child(parent, step)
        rest = path[depth + 1:]
        new_value = _nest(rest, value)
        if existing is not None:
            if rest and existing.kind == "array" and isinstance(rest[0], str):
                raise self._list_error(path[:depth + 1])
            self._replace(existing, new_value)  # the value itself, or a scalar in the way
        elif parent.kind == "object" and isinstance(step, str):
            self._insert(parent, step, new_value)
        elif parent.kind == "array" and isinstance(step, Match):
            # a new item found by a Match carries the key it is found by (as data_set does)
            self._insert(parent, None, {step.key: step.value, **new_value} if rest else new_value)
        else:
            raise self._list_error(path[:depth])

    def _list_error(self, where: KeyPath) -> ConfigFileError:
        return ConfigFileError(
            self.path, f"{dotted(where) or 'the top level'} is a list, expected an object",
            "fix or remove that setting by hand",
        )

    @staticmethod
    def _child(node: Node, part: Any) -> Node | None:
        if node.kind == "object" and isinstance(part, str):
            index = _member_index(node, part)
            return None if index is None else node.members[index].value
        if node.kind == "array" and isinstance(part, Match):
            index = _item_index(node, part)
            return None if index is None else node.items[index].value
        if node.kind == "array" and isinstance(part, int) and not isinstance(part, bool) \
                and -len(node.items) <= part < len(node.items):
            return node.items[part].value
        return None

    def _create_root(self, path: KeyPath, value: Any) -> None:
        nl = self.newline
        body = self._dump(_nest(path, value), "") + nl
        if not self.text.strip(" \t\r\n\ufeff"):
            # an empty file (or only whitespace): keep just a BOM if it had one
            self.text = ("\ufeff" if self.text.startswith("\ufeff") else "") + body
        else:
            # only comments: keep them above the new object
            self.text = self.text + ("" if self.text.endswith("\n") else nl) + body

    def _replace(self, node: Node, value: Any) -> None:
        single_line = "\n" not in self.text[node.start:node.end] and node.kind in ("object", "array") and (
            node.members or node.items
        )
        indent = self._line_indent(node.start)
        self._splice(node.start, node.end, self._dump(value, indent, inline=bool(single_line)))

    def _insert(self, container: Node, key: str | None, value: Any, *, raw: str | None = None,
                at: int | None = None) -> None:
        """A new member (``key``) or array item (``key`` None) at the end, or before entry ``at``."""
        text, nl = self.text, self.newline
        prefix = "" if key is None else json.dumps(key, ensure_ascii=False) + ": "
        entries = _entries(container)
        close = container.end - 1
        multiline = "\n" in text[container.start:container.end]

        def render(indent: str, inline: bool = False) -> str:
            return raw if raw is not None else self._dump(value, indent, inline=inline)

        if at is not None and 0 <= at < len(entries):
            start = _entry_start(entries[at])
            if multiline and self._starts_line(start):
                line_start = text.rfind("\n", 0, start) + 1
                indent = self._line_indent(start)
                self._splice(line_start, line_start, f"{indent}{prefix}{render(indent)},{nl}")
            else:
                self._splice(start, start, f"{prefix}{render('', inline=True)}, ")
            return
        if entries and not multiline:
            # a one-line object or list keeps being one line
            last = entries[-1]
            entry = f"{prefix}{render('', inline=True)}"
            if last.comma is not None:
                self._splice(last.comma + 1, last.comma + 1, f" {entry},")
            else:
                self._splice(last.value.end, last.value.end, f", {entry}")
            return
        if entries:
            last = entries[-1]
            start = _entry_start(last)
            indent = (
                self._line_indent(start) if self._starts_line(start)
                else self._line_indent(container.start) + self.indent_unit
            )
            entry = f"{prefix}{render(indent)}"
            insert_at = self._end_of_line_after(last.comma + 1 if last.comma is not None else last.value.end)
            if last.comma is not None:  # trailing-comma style: keep it
                self._splice(insert_at, insert_at, f"{nl}{indent}{entry},")
            else:
                self._splice(insert_at, insert_at, f"{nl}{indent}{entry}")
                self._splice(last.value.end, last.value.end, ",")
            return
        # an empty object or list
        outer = self._line_indent(container.start)
        inner = outer + self.indent_unit
        entry = f"{prefix}{render(inner)}"
        between = text[container.start + 1:close]
        if not between.strip():
            self._splice(container.start + 1, close, f"{nl}{inner}{entry}{nl}{outer}")
        elif self._starts_line(close):
            line_start = text.rfind("\n", 0, close) + 1
            self._splice(line_start, line_start, f"{inner}{entry}{nl}")
        else:
            self._splice(close, close, f"{nl}{inner}{entry}{nl}{outer}")

    def _end_of_line_after(self, offset: int) -> int:
        """Where a new line may start after ``offset``: past spaces and same-line comments, before the newline."""
        text, pos, n = self.text, offset, len(self.text)
        while pos < n:
            if text[pos] in " \t":
                pos += 1
            elif text.startswith("//", pos):
                newline = text.find("\n", pos)
                pos = n if newline < 0 else newline
                if text[pos - 1:pos] == "\r":
                    pos -= 1
                break
            elif text.startswith("/*", pos) and "\n" not in text[pos:text.find("*/", pos) + 2]:
                pos = text.find("*/", pos) + 2
            else:
                break
        return pos

    def delete(self, path: KeyPath) -> bool:
        """Remove the member (or the ``Match`` list item) at ``path``. True if something was removed."""
        path = tuple(path)
        if not path:
            raise ValueError("empty path")
        last = path[-1]
        parent = self._find(path[:-1])
        if parent is None or not self._fits(parent, last) or isinstance(last, int):
            return False

        def position(node: Node | None) -> int | None:
            if node is None:
                return None
            return _item_index(node, last) if isinstance(last, Match) else _member_index(node, last)

        index = position(parent)
        if index is None:
            return False
        before = self.data
        # a key written twice: remove every copy, or the earlier one would surface
        while index is not None:
            self._delete_entry(parent, index)
            self._reparse()
            parent = self._find(path[:-1])
            index = None if isinstance(last, Match) else position(parent)
        expected = copy.deepcopy(before)
        data_delete(expected, path)
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def _delete_entry(self, container: Node, index: int) -> None:
        text = self.text
        entries = _entries(container)
        entry = entries[index]
        start_of_entry = _entry_start(entry)
        previous = entries[index - 1] if index > 0 else None
        dangling_comma = index == len(entries) - 1 and entry.comma is None and previous is not None
        end = entry.comma + 1 if entry.comma is not None else entry.value.end
        if self._starts_line(start_of_entry) and self._rest_of_line_blank(end):
            # the entry owns whole lines: take them out, newline included
            start = text.rfind("\n", 0, start_of_entry) + 1
            newline = text.find("\n", end)
            self._splice(start, len(text) if newline < 0 else newline + 1, "")
            if dangling_comma:
                # the previous entry's comma would now be a trailing comma the file did not have
                self._splice(previous.comma, previous.comma + 1, "")
        elif previous is not None and previous.comma is not None and \
                not text[previous.comma + 1:start_of_entry].strip():
            # inline: `{"a": 1, "k": 2, "b": 3}` -> `{"a": 1, "b": 3}`
            self._splice(previous.comma + 1, end, "")
            if dangling_comma:
                self._splice(previous.comma, previous.comma + 1, "")
        else:
            stop = end
            if entry.comma is not None:
                while stop < len(text) and text[stop] in " \t":
                    stop += 1
            self._splice(start_of_entry, stop, "")
            if dangling_comma:
                self._splice(previous.comma, previous.comma + 1, "")
        if len(entries) == 1:
            self._reparse()
            self._collapse_if_blank(container.start)

    def _collapse_if_blank(self, start: int) -> None:
        node = self._node_at(self.root, start)
        if node is None or node.kind not in ("object", "array") or node.members or node.items:
            return
        if self.text[node.start + 1:node.end - 1].strip(" \t\r\n") == "":
            self._splice(node.start + 1, node.end - 1, "")

    def _node_at(self, node: Node | None, start: int) -> Node | None:
        if node is None:
            return None
        if node.start == start:
            return node
        children = [m.value for m in node.members] + [i.value for i in node.items]
        for child in children:
            if child.start <= start < child.end:
                return self._node_at(child, start)
        return None

    def _rest_of_line_blank(self, offset: int) -> bool:
        newline = self.text.find("\n", offset)
        rest = self.text[offset:] if newline < 0 else self.text[offset:newline]
        return rest.strip(" \t\r") == ""


def _entries(node: Node) -> list:
    return node.members if node.kind == "object" else node.items


def _entry_start(entry: Member | Item) -> int:
    return entry.key_start if isinstance(entry, Member) else entry.value.start


def _member_index(node: Node, key: str) -> int | None:
    """The member that counts for ``key`` (the last one, when a key is written twice)."""
    for index in range(len(node.members) - 1, -1, -1):
        if node.members[index].key == key:
            return index
    return None


def _item_index(node: Node, match: Match) -> int | None:
    """The first list item that is an object whose ``match.key`` equals ``match.value``."""
    for index, item in enumerate(node.items):
        if item.value.kind == "object":
            member = _member_index(item.value, match.key)
            if member is not None and same_value(to_python(item.value.members[member].value), match.value):
                return index
    return None


def _nest(path: Iterable[Any], value: Any) -> Any:
    """The value to write where a path stops existing: missing objects around it, a list for a Match step."""
    parts = tuple(path)
    for position in range(len(parts) - 1, -1, -1):
        part = parts[position]
        if isinstance(part, Match):
            if position == len(parts) - 1:
                value = [value]
            else:
                value = [{part.key: part.value, **value}]
        else:
            value = {part: value}
    return value
