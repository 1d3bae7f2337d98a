"""``KEY=value`` files (Continue's ``~/.continue/.env``, Aider's ``.env``): set or remove one assignment.

Reading is python-dotenv's parser (what Aider itself uses, and what most tools' dotenv readers agree
with): quoted values may span lines, ``export`` prefixes, inline comments and bare ``KEY`` lines (a
variable without a value) are all fine. Writing is ours: only the assignment we set or remove changes;
every other line, comment, blank line and line ending stays. Values are written in double quotes only
when they need them. Paths are one-element tuples: ``("BYTESPIKE_API_KEY",)``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.common import MISSING, KeyPath, check_only_paths_changed

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_SAFE = re.compile(r"^[A-Za-z0-9_./:@%+,=~-]*$")
_EXPORT = re.compile(r"^[ \t]*export[ \t]+")


def _quote(value: str) -> str:
    if _SAFE.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@dataclass
class _Entry:
    key: str | None
    value: str | None
    start: int  # where the assignment's own text starts (blank lines before it excluded)
    end: int  # after its last character (its newline included)


class DotenvDocument:
    format = "dotenv"

    def __init__(self, text: str, path: Path | str = "<text>"):
        self.path = path
        self.text = text
        self._parse()

    def _parse(self) -> None:
        from dotenv.parser import parse_stream

        bom = "\ufeff" if self.text.startswith("\ufeff") else ""
        body = self.text[len(bom):]
        entries: list[_Entry] = []
        offset = len(bom)
        for binding in parse_stream(io.StringIO(body)):
            chunk = binding.original.string
            if binding.error:
                first = len(chunk) - len(chunk.lstrip("\r\n"))
                line = binding.original.line + chunk.count("\n", 0, first)
                raise ConfigFileError(self.path, "not a KEY=value line (or a quote that is never closed)",
                                      "fix or remove that line", line=line)
            if binding.key is not None:
                lead = len(chunk) - len(chunk.lstrip(" \t\r\n"))
                own = chunk.rfind("\n", 0, lead) + 1
                entries.append(_Entry(binding.key, binding.value, offset + own, offset + len(chunk)))
            offset += len(chunk)
        if offset != len(self.text):  # the parser must account for every character, or we cannot splice
            raise ConfigFileError(self.path, "could not be read as a .env file", "fix the file by hand")
        self._entries = entries

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    @property
    def data(self) -> dict[str, str | None]:
        return {e.key: e.value for e in self._entries if e.key is not None}  # the last assignment wins

    def get(self, path: KeyPath) -> Any:
        (key,) = path
        data = self.data
        return data[str(key)] if str(key) in data else MISSING

    def set(self, path: KeyPath, value: Any) -> bool:
        (key,) = path
        if not _NAME.match(str(key)) or not isinstance(value, str) or "\n" in value:
            raise ValueError(f"cannot write {key!r} as a dotenv line")
        if self.get(path) == value:
            return False
        expected = {**self.data, str(key): value}
        found = [e for e in self._entries if e.key == key]
        if not found:
            text = self.text
            if text and not text.endswith("\n"):
                text += self.newline
            self.text = text + f"{key}={_quote(value)}{self.newline}"
        else:
            entry = found[-1]
            old = self.text[entry.start:entry.end]
            ending = self.newline if old.endswith("\n") else ""
            prefix = _EXPORT.match(old)
            self.text = (self.text[:entry.start] + (prefix.group(0) if prefix else "") + f"{key}={_quote(value)}"
                         + ending + self.text[entry.end:])
        self._parse()
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def delete(self, path: KeyPath) -> bool:
        (key,) = path
        found = [e for e in self._entries if e.key == key]
        if not found:
            return False
        expected = {k: v for k, v in self.data.items() if k != key}
        for entry in reversed(found):
            removed = self.text[entry.start:entry.end]
            self.text = self.text[:entry.start] + self.text[entry.end:]
            if not removed.endswith("\n") and self.text.endswith("\n") and entry.start == len(self.text):
                # the last line went: the one before it becomes the last, without a newline as before
                self.text = self.text[:-2] if self.text.endswith("\r\n") else self.text[:-1]
        self._parse()
        check_only_paths_changed(self.path, expected, self.data)
        return True
