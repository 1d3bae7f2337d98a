"""A span-splicing editor for JSON with comments (Zed, VS Code-style settings, Claude Code's JSON).

Why our own: `jsonc-edit` runs Microsoft's parser in a Node.js daemon it installs from npm on
first use (no Node on most users' machines, a network fetch at run time); `json-five` round-trips
faithfully but is a JSON5 parser (accepts files strict-JSON tools reject), has no set-at-path API
(new members must be assembled from whitespace nodes by hand) and parses ~20 µs per character. The
editor below only needs spans: it parses once, records where every value, key and comma is, and
replaces or inserts text at those offsets. Every byte outside the edited span stays: comments,
trailing commas, CRLF, a BOM, indentation, key order, the final newline.

Accepted syntax: JSON plus ``//`` and ``/* */`` comments and trailing commas (what Zed and VS Code
accept). Paths are tuples of object keys (and array indexes for reading/replacing).
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
    check_only_paths_changed,
    data_delete,
    data_set,
    dotted,
    same_value,
)

_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"', re.S)
_LITERALS = {"true": True, "false": False, "null": None}


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

    def fail(self, message: str, offset: int | None = None) -> None:
        raise JsoncSyntaxError(message, self.pos if offset is None else offset, self.text)

    def skip_trivia(self) -> None:
        text, n = self.text, len(self.text)
        while self.pos < n:
            ch = text[self.pos]
            if ch in " \t\r\n":
                self.pos += 1
            elif text.startswith("//", self.pos):
                newline = text.find("\n", self.pos)
                self.pos = n if newline < 0 else newline
            elif text.startswith("/*", self.pos):
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
            return json.loads(self.text[start:self.pos], strict=False)
        except ValueError:
            self.fail("invalid escape in string", start)
            raise AssertionError  # unreachable

    def parse_object(self) -> Node:
        node = Node("object", self.pos, -1)
        self.pos += 1
        while True:
            self.skip_trivia()
            if self.pos >= len(self.text):
                self.fail("unexpected end of file, expected '}'", node.start)
            if self.text[self.pos] == "}":
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

    def parse_array(self) -> Node:
        node = Node("array", self.pos, -1)
        self.pos += 1
        while True:
            self.skip_trivia()
            if self.pos >= len(self.text):
                self.fail("unexpected end of file, expected ']'", node.start)
            if self.text[self.pos] == "]":
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
    """Edits one JSONC text in place. ``text`` is always the current, complete document."""

    format = "jsonc"

    def __init__(self, text: str, path: Path | str = "<text>"):
        self.path = path
        self.text = text
        self.root = self._parse(text)
        if self.root is not None and self.root.kind != "object":
            raise ConfigFileError(path, "expected a JSON object at the top of the file", "fix the file by hand")

    def _parse(self, text: str) -> Node | None:
        try:
            return _Parser(text).parse_document()
        except JsoncSyntaxError as exc:
            raise ConfigFileError(
                self.path, f"not valid JSON: {exc.problem} (column {exc.column})",
                "fix the line shown (or move the file away) and run again", line=exc.line,
            ) from None

    # -- reading ---------------------------------------------------------------------------
    @property
    def data(self) -> Any:
        value = to_python(self.root)
        return {} if value is MISSING else value

    def _find(self, path: KeyPath) -> Node | None:
        node = self.root
        for part in path:
            if node is None:
                return None
            if node.kind == "object" and isinstance(part, str):
                node = next((m.value for m in reversed(node.members) if m.key == part), None)
            elif node.kind == "array" and isinstance(part, int) and -len(node.items) <= part < len(node.items):
                node = node.items[part].value
            else:
                return None
        return node

    def get(self, path: KeyPath) -> Any:
        node = self._find(path)
        return MISSING if node is None else to_python(node)

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

    def set(self, path: KeyPath, value: Any) -> bool:
        """Set ``path`` to ``value`` (creating parent objects). True if the text changed."""
        path = tuple(path)
        if not path:
            raise ValueError("empty path")
        if same_value(self.get(path), value):
            return False
        before = self.data
        self._set(path, value)
        self._reparse()
        expected = copy.deepcopy(before)
        data_set(expected, path, value)
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def _set(self, path: KeyPath, value: Any) -> None:
        if self.root is None:
            self._create_root(path, value)
            return
        # the deepest existing object on the path
        parent, depth = self.root, 0
        while depth < len(path) - 1:
            child = self._child(parent, path[depth])
            if child is None:
                break
            if child.kind not in ("object", "array"):
                # a scalar where we need an object: replace it (the caller asked for this path)
                break
            parent, depth = child, depth + 1
        existing = self._child(parent, path[depth])
        rest = path[depth + 1:]
        new_value = _nest(rest, value)
        if existing is not None and (not rest or existing.kind not in ("object", "array")):
            self._replace(existing, new_value)
        elif parent.kind == "object":
            self._insert_member(parent, path[depth], new_value)
        else:
            raise ConfigFileError(
                self.path, f"{dotted(path[:depth]) or 'the top level'} is a list, expected an object",
                "fix or remove that setting by hand",
            )

    @staticmethod
    def _child(node: Node, part: str | int) -> Node | None:
        if node.kind == "object" and isinstance(part, str):
            return next((m.value for m in reversed(node.members) if m.key == part), None)
        if node.kind == "array" and isinstance(part, int) and -len(node.items) <= part < len(node.items):
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

    def _insert_member(self, obj: Node, key: str, value: Any) -> None:
        text, nl = self.text, self.newline
        key_json = json.dumps(key, ensure_ascii=False)
        close = obj.end - 1
        multiline = "\n" in text[obj.start:obj.end]
        if obj.members and not multiline:
            # a one-line object keeps being one line
            last = obj.members[-1]
            entry = f"{key_json}: {self._dump(value, '', inline=True)}"
            if last.comma is not None:
                self._splice(last.comma + 1, last.comma + 1, f" {entry},")
            else:
                self._splice(last.value.end, last.value.end, f", {entry}")
            return
        if obj.members:
            last = obj.members[-1]
            indent = (
                self._line_indent(last.key_start) if self._starts_line(last.key_start)
                else self._line_indent(obj.start) + self.indent_unit
            )
            entry = f"{key_json}: {self._dump(value, indent)}"
            insert_at = self._end_of_line_after(last.comma + 1 if last.comma is not None else last.value.end)
            if last.comma is not None:  # trailing-comma style: keep it
                self._splice(insert_at, insert_at, f"{nl}{indent}{entry},")
            else:
                self._splice(insert_at, insert_at, f"{nl}{indent}{entry}")
                self._splice(last.value.end, last.value.end, ",")
            return
        # an empty object
        outer = self._line_indent(obj.start)
        inner = outer + self.indent_unit
        entry = f"{key_json}: {self._dump(value, inner)}"
        between = text[obj.start + 1:close]
        if not between.strip():
            self._splice(obj.start + 1, close, f"{nl}{inner}{entry}{nl}{outer}")
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
        """Remove the member at ``path``. True if something was removed."""
        path = tuple(path)
        if not path:
            raise ValueError("empty path")
        parent = self._find(path[:-1])
        if parent is None or parent.kind != "object":
            return False
        index = next((i for i in range(len(parent.members) - 1, -1, -1) if parent.members[i].key == path[-1]), None)
        if index is None:
            return False
        before = self.data
        # a key written twice: remove every copy, or the earlier one would surface
        while index is not None:
            self._delete_member(parent, index)
            self._reparse()
            parent = self._find(path[:-1])
            index = next((i for i, m in enumerate(parent.members) if m.key == path[-1]), None) if parent else None
        expected = copy.deepcopy(before)
        data_delete(expected, path)
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def _delete_member(self, obj: Node, index: int) -> None:
        text = self.text
        member = obj.members[index]
        previous = obj.members[index - 1] if index > 0 else None
        dangling_comma = index == len(obj.members) - 1 and member.comma is None and previous is not None
        end = member.comma + 1 if member.comma is not None else member.value.end
        if self._starts_line(member.key_start) and self._rest_of_line_blank(end):
            # the member owns whole lines: take them out, newline included
            start = text.rfind("\n", 0, member.key_start) + 1
            newline = text.find("\n", end)
            self._splice(start, len(text) if newline < 0 else newline + 1, "")
            if dangling_comma:
                # the previous member's comma would now be a trailing comma the file did not have
                self._splice(previous.comma, previous.comma + 1, "")
        elif previous is not None and previous.comma is not None and not text[previous.comma + 1:member.key_start].strip():
            # inline: `{"a": 1, "k": 2, "b": 3}` -> `{"a": 1, "b": 3}`
            self._splice(previous.comma + 1, end, "")
            if dangling_comma:
                self._splice(previous.comma, previous.comma + 1, "")
        else:
            stop = end
            if member.comma is not None:
                while stop < len(text) and text[stop] in " \t":
                    stop += 1
            self._splice(member.key_start, stop, "")
            if dangling_comma:
                self._splice(previous.comma, previous.comma + 1, "")
        if len(obj.members) == 1:
            self._reparse()
            self._collapse_if_blank(obj.start)

    def _collapse_if_blank(self, start: int) -> None:
        node = self._node_at(self.root, start)
        if node is None or node.kind != "object" or node.members:
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


def _nest(path: Iterable[str | int], value: Any) -> Any:
    for part in reversed(tuple(path)):
        value = {part: value}
    return value
