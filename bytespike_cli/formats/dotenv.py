"""``KEY=value`` files (Continue's ``~/.continue/.env``, Aider's ``.env``): set or remove one line.

Every other line, comment, blank line and line ending stays as it was. Values are written in double
quotes only when they need them. Paths are one-element tuples: ``("BYTESPIKE_API_KEY",)``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.common import MISSING, KeyPath, check_only_paths_changed

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_LINE = re.compile(r"^(?P<lead>\s*(?:export\s+)?)(?P<key>[A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(?P<value>.*?)\s*$")
_SAFE = re.compile(r"^[A-Za-z0-9_./:@%+,=~-]*$")


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        inner = raw[1:-1]
        return inner.replace('\\"', '"').replace("\\\\", "\\") if raw[0] == '"' else inner
    # an unquoted value ends at an inline comment
    return re.split(r"\s+#", raw, maxsplit=1)[0].rstrip()


def _quote(value: str) -> str:
    if _SAFE.match(value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class DotenvDocument:
    format = "dotenv"

    def __init__(self, text: str, path: Path | str = "<text>"):
        self.path = path
        self.text = text
        for number, line in enumerate(self._lines(), start=1):
            body = line.rstrip("\r\n").lstrip("\ufeff")
            if body.strip() and not body.lstrip().startswith("#") and not _LINE.match(body):
                raise ConfigFileError(path, "not a KEY=value line", "fix or remove that line", line=number)

    def _lines(self) -> list[str]:
        return self.text.splitlines(keepends=True)

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def _find(self, key: str) -> int | None:
        found = None
        for index, line in enumerate(self._lines()):
            match = _LINE.match(line.rstrip("\r\n").lstrip("\ufeff"))
            if match and match.group("key") == key:
                found = index  # the last assignment wins, as in every dotenv reader
        return found

    @property
    def data(self) -> dict[str, str]:
        result: dict[str, str] = {}
        for line in self._lines():
            match = _LINE.match(line.rstrip("\r\n").lstrip("\ufeff"))
            if match:
                result[match.group("key")] = _unquote(match.group("value"))
        return result

    def get(self, path: KeyPath) -> Any:
        (key,) = path
        return self.data.get(str(key), MISSING)

    def set(self, path: KeyPath, value: Any) -> bool:
        (key,) = path
        if not _NAME.match(str(key)) or not isinstance(value, str) or "\n" in value:
            raise ValueError(f"cannot write {key!r} as a dotenv line")
        if self.get(path) == value:
            return False
        expected = {**self.data, str(key): value}
        lines = self._lines()
        index = self._find(key)
        if index is None:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += self.newline
            lines.append(f"{key}={_quote(value)}{self.newline}")
        else:
            old = lines[index]
            ending = old[len(old.rstrip("\r\n")):]
            lead = _LINE.match(old.rstrip("\r\n").lstrip("\ufeff")).group("lead")
            bom = "\ufeff" if old.startswith("\ufeff") else ""
            lines[index] = f"{bom}{lead}{key}={_quote(value)}{ending}"
        self.text = "".join(lines)
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def delete(self, path: KeyPath) -> bool:
        (key,) = path
        expected = {k: v for k, v in self.data.items() if k != key}
        removed = False
        while (index := self._find(str(key))) is not None:
            lines = self._lines()
            bom = "\ufeff" if lines[index].startswith("\ufeff") else ""
            del lines[index]
            if bom and lines:
                lines[0] = bom + lines[0]
            self.text = "".join(lines) if lines or not bom else bom
            removed = True
        check_only_paths_changed(self.path, expected, self.data)
        return removed
