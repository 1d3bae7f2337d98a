"""What every format editor shares: the MISSING marker, key paths, and the "only our keys changed" check."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol, Tuple, Union

from bytespike_cli.errors import ConfigFileError



@dataclass(frozen=True)
class Match:
    """A path step into a list: the item (a mapping) whose ``key`` equals ``value``.

    Setting through a missing Match appends ``{key: value, ...}``; deleting a path that ends in a
    Match removes that item. Used for lists of named entries (Aider's model settings, Continue's models).
    """

    key: str
    value: Any

    def __str__(self) -> str:
        return f"[{self.key}={self.value}]"


KeyPath = Tuple[Union[str, int, Match], ...]


class _Missing:
    """A value that is not there (distinct from JSON null / YAML ~ / an empty string)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self):
        return (_Missing, ())


MISSING: Any = _Missing()


class Document(Protocol):
    """One settings file being edited. Every format module offers a class with this shape."""

    format: str
    text: str

    @property
    def data(self) -> Any: ...  # the whole document as plain Python data

    def get(self, path: KeyPath) -> Any: ...  # the value at path, or MISSING

    def set(self, path: KeyPath, value: Any) -> bool: ...  # True if the text changed

    def delete(self, path: KeyPath) -> bool: ...  # True if something was removed


def canonical(value: Any) -> str:
    """A comparison key in which 1, 1.0 and True differ (they are different in a settings file)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def same_value(a: Any, b: Any) -> bool:
    if a is MISSING or b is MISSING:
        return a is b
    return canonical(a) == canonical(b)


def check_only_paths_changed(path: Path | str, expected: Any, actual: Any) -> None:
    """After every edit: the re-parsed document must be the old one with exactly our change applied."""
    if canonical(expected) != canonical(actual):
        raise EditVerificationError(path)


class EditVerificationError(ConfigFileError):
    """An edit would have changed more than our keys. Nothing is written."""

    def __init__(self, path: Path | str):
        super().__init__(
            path, "the edit would have changed other settings too, so nothing was written",
            "this is a bytespike bug: please report it with the file's structure (not its secrets)",
        )


def plain(value: Any) -> Any:
    """tomlkit containers and scalars → dict/list/str/int/float/bool/None."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    unwrap = getattr(value, "unwrap", None)
    if callable(unwrap):
        return plain(unwrap())
    return value


def _find_item(items: list, match: Match) -> int | None:
    for index, item in enumerate(items):
        if isinstance(item, dict) and item.get(match.key) == match.value:
            return index
    return None


def data_set(data: Any, path: KeyPath, value: Any, *, new_map: Callable[[], Any] = dict,
             new_list: Callable[[], Any] = list, convert: Callable[[Any], Any] = lambda v: v) -> None:
    """Set ``path`` in plain data the way an editor does: missing parents (or scalars in the way) become
    mappings, or lists before a Match step. The factories let an editor reuse this on its own node types."""
    node: Any = data
    for index, part in enumerate(path[:-1]):
        wants_list = isinstance(path[index + 1], Match)
        if isinstance(part, Match):
            position = _find_item(node, part)
            if position is None:
                item = new_map()
                item[part.key] = part.value
                node.append(item)
                position = len(node) - 1
            node = node[position]
            continue
        if isinstance(node, list):
            node = node[part]
            continue
        child = node.get(part)
        if wants_list and not isinstance(child, list):
            child = new_list()
            node[part] = child
        elif not isinstance(child, (dict, list)):
            child = new_map()
            node[part] = child
        node = child
    last = path[-1]
    if isinstance(last, Match):
        position = _find_item(node, last)
        if position is None:
            node.append(convert(value))
        else:
            node[position] = convert(value)
    else:
        node[last] = convert(value)


def data_delete(data: Any, path: KeyPath) -> None:
    node = data_get(data, path[:-1])
    last = path[-1]
    if isinstance(last, Match):
        if isinstance(node, list) and (position := _find_item(node, last)) is not None:
            del node[position]
    elif isinstance(node, dict):
        node.pop(last, None)


def data_get(data: Any, path: KeyPath) -> Any:
    node = data
    for part in path:
        if isinstance(part, Match):
            position = _find_item(node, part) if isinstance(node, list) else None
            if position is None:
                return MISSING
            node = node[position]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and -len(node) <= part < len(node):
            node = node[part]
        else:
            return MISSING
    return node


def encode_path(path: KeyPath) -> list:
    """A key path as JSON (for the journal)."""
    return [{"$match": [p.key, p.value]} if isinstance(p, Match) else p for p in path]


def decode_path(items: list) -> KeyPath:
    return tuple(Match(*p["$match"]) if isinstance(p, dict) else p for p in items)


def dotted(path: KeyPath) -> str:
    return ".".join(str(p) for p in path)


def decode_text(raw: bytes | None, path: Path | str) -> str:
    """Decode a settings file; a file that is not UTF-8 is an error naming the file and line."""
    if raw is None:
        return ""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigFileError(path, "is not UTF-8 text", "save it as UTF-8 and run again", line=line) from None
