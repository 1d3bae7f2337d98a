"""YAML editing with ruamel.yaml's round-trip mode, plus a line merge that keeps the user's own bytes.

ruamel keeps comments, key order and quotes, but it re-emits the whole document in one indentation
style (and normalises things such as ``key:    value``). So an edit is made on the round-tripped
text, and then only the lines that our edit changed are carried over into the original text: every
line the edit did not touch keeps its exact bytes (CRLF, BOM, odd spacing included). The merged
text is parsed again and must hold exactly the expected data; if the merge cannot be proven right,
the round-tripped text is used (still comment-preserving, just normalised).

A file that holds no mapping yet (empty, or only comments as in Aider's sample config) is not
round-tripped at all: the new keys are appended below the comments.
"""

from __future__ import annotations

import copy
import difflib
import io
import re
from pathlib import Path
from typing import Any

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.common import (
    MISSING,
    KeyPath,
    Match,
    check_only_paths_changed,
    data_delete,
    data_get,
    data_set,
    dotted,
    plain,
    same_value,
)


def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line the user wrote on one line
    return yaml


class YamlDocument:
    format = "yaml"

    def __init__(self, text: str, path: Path | str = "<text>"):
        self.path = path
        self.text = text
        self._bom = "\ufeff" if text.startswith("\ufeff") else ""
        self._load(text)

    # -- parsing ---------------------------------------------------------------------------
    def _load(self, text: str) -> None:
        from ruamel.yaml.error import MarkedYAMLError, YAMLError
        from ruamel.yaml.util import load_yaml_guess_indent

        body = text[len(self._bom):].replace("\r\n", "\n")
        try:
            _, indent, seq_offset = load_yaml_guess_indent(body) if body.strip() else (None, None, None)
            yaml = _yaml()
            self.root = yaml.load(body)
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            problem = (exc.problem or exc.context or "syntax error").strip()
            raise ConfigFileError(
                self.path, f"not valid YAML: {problem}", "fix the line shown (or move the file away) and run again",
                line=mark.line + 1 if mark else None,
            ) from None
        except YAMLError as exc:
            raise ConfigFileError(self.path, f"not valid YAML: {exc}", "fix the file and run again") from None
        if self.root is not None and not isinstance(self.root, (dict, list)):
            raise ConfigFileError(self.path, "expected a mapping or a list at the top of the file",
                                  "fix the file by hand")
        self._indent = (_mapping_indent(body) or 2, indent or 2, seq_offset or 0)

    @property
    def data(self) -> Any:
        return {} if self.root is None else plain(self.root)

    def _check_shape(self, path: KeyPath) -> None:
        wants_list = isinstance(path[0], Match)
        root = self.root
        if root is not None and isinstance(root, list) != wants_list:
            shape = "a list" if wants_list else "a mapping (key: value lines)"
            raise ConfigFileError(self.path, f"expected {shape} at the top of the file", "fix the file by hand")

    def get(self, path: KeyPath) -> Any:
        return data_get(self.data, tuple(path))

    @property
    def newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    # -- editing -----------------------------------------------------------------------------
    def set(self, path: KeyPath, value: Any) -> bool:
        path = tuple(path)
        self._check_shape(path)
        if same_value(self.get(path), value):
            return False
        expected = copy.deepcopy(self.data) if self.root is not None else ([] if isinstance(path[0], Match) else {})
        data_set(expected, path, value)
        if self.root is None:
            self._append_new_mapping(path, value)
        else:
            self._edit(lambda root: _tree_set(root, path, value, self.path), expected)
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def delete(self, path: KeyPath) -> bool:
        path = tuple(path)
        if self.root is None or self.get(path) is MISSING:
            return False
        expected = copy.deepcopy(self.data)
        data_delete(expected, path)
        self._edit(lambda root: _tree_delete(root, path), expected)
        check_only_paths_changed(self.path, expected, self.data)
        return True

    def _dump(self, root: Any) -> str:
        yaml = _yaml()
        mapping, sequence, offset = self._indent
        yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
        out = io.StringIO()
        yaml.dump(root, out)
        return out.getvalue()

    def _edit(self, change, expected: Any) -> None:
        before = self._dump(self.root)
        change(self.root)
        after = self._dump(self.root)
        candidate = self._bom + _convert_newlines(after, self.newline)
        merged = _merge_lines(self.text, before, after, self.newline)
        if merged is not None and self._holds(merged, expected):
            candidate = merged
        self.text = candidate
        self._load(candidate)

    def _holds(self, text: str, expected: Any) -> bool:
        try:
            probe = YamlDocument(text, self.path)
        except ConfigFileError:
            return False
        return same_value(probe.data, expected)

    def _append_new_mapping(self, path: KeyPath, value: Any) -> None:
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        root = CommentedSeq() if isinstance(path[0], Match) else CommentedMap()
        _tree_set(root, path, value, self.path)
        nl = self.newline
        block = _convert_newlines(self._dump(root), nl)
        head = self.text
        if head.strip(" \t\r\n\ufeff"):
            if not head.endswith("\n"):
                head += nl
        else:
            head = self._bom
        self.text = head + block
        self._load(self.text)


def _mapping_indent(body: str) -> int | None:
    """The indentation of a nested mapping (ruamel's guess follows sequences, which may indent differently)."""
    match = re.search(r"^([ ]*)[^\s#-][^\n]*:[ ]*(?:#[^\n]*)?\n(?:[ ]*(?:#[^\n]*)?\n)*([ ]+)[^\s#-]", body, re.M)
    if match and len(match.group(2)) > len(match.group(1)):
        return len(match.group(2)) - len(match.group(1))
    return None


def _convert_newlines(text: str, newline: str) -> str:
    return text.replace("\n", newline) if newline != "\n" else text


def _merge_lines(original: str, before: str, after: str, newline: str) -> str | None:
    """Apply the line changes between ``before`` and ``after`` (ruamel's output) to ``original``.

    Returns None when a changed region touches lines that ruamel had normalised (then there is no
    original text to keep for them).
    """
    bom = "\ufeff" if original.startswith("\ufeff") else ""
    orig_lines = original[len(bom):].splitlines(keepends=True)
    orig_keys = [line.rstrip("\r\n") for line in orig_lines]
    before_lines = before.splitlines()
    after_lines = after.splitlines()
    # map each line of `before` to the original line it came from (equal after newline stripping)
    align = difflib.SequenceMatcher(None, before_lines, orig_keys, autojunk=False)
    to_orig: dict[int, int] = {}
    for tag, b1, b2, o1, _ in align.get_opcodes():
        if tag == "equal":
            for k in range(b2 - b1):
                to_orig[b1 + k] = o1 + k
    edits = difflib.SequenceMatcher(None, before_lines, after_lines, autojunk=False).get_opcodes()
    result: list[str] = []
    cursor = 0  # next original line not yet copied
    for tag, b1, b2, a1, a2 in edits:
        if tag == "equal":
            continue
        # lines b1..b2 of `before` are replaced by a1..a2 of `after`: they must map to original lines
        if b2 > b1:
            mapped = [to_orig.get(i) for i in range(b1, b2)]
            if None in mapped or mapped != list(range(mapped[0], mapped[0] + len(mapped))):
                return None
            start, stop = mapped[0], mapped[-1] + 1
        else:
            # a pure insertion: after the original line of before[b1-1] (or before the one of before[b1])
            if b1 > 0 and (b1 - 1) in to_orig:
                start = stop = to_orig[b1 - 1] + 1
            elif b1 < len(before_lines) and b1 in to_orig:
                start = stop = to_orig[b1]
            elif b1 == 0:
                start = stop = 0
            else:
                return None
        if start < cursor:
            return None
        result.extend(orig_lines[cursor:start])
        if result and not result[-1].endswith("\n"):
            result[-1] += newline
        new_lines = after_lines[a1:a2]
        if tag == "replace" and b2 - b1 == a2 - a1:
            # a value replaced on its line: ruamel re-spaces the comment after it; keep the user's gap
            new_lines = [_keep_comment_gap(orig_lines[start + k].rstrip("\r\n"), line)
                         for k, line in enumerate(new_lines)]
        result.extend(line + newline for line in new_lines)
        # ruamel hangs the comment lines that follow a key on that key: deleting our key must not take
        # the user's comments (or blank lines) with it
        kept = {line.strip() for line in new_lines}
        for line in orig_lines[start:stop]:
            bare = line.strip()
            if (not bare or bare.startswith("#")) and bare not in kept:
                result.append(line)
        cursor = stop
    result.extend(orig_lines[cursor:])
    return bom + "".join(result)


# a line's code, the blank gap, and a trailing comment that holds no quotes (so never part of a value)
_TRAILING_COMMENT = re.compile(r"^(?P<code>.*?\S)(?P<gap>[ \t]+)(?P<comment>#[^'\"]*)$")


def _keep_comment_gap(original: str, new: str) -> str:
    """``new`` with the spacing before its trailing ``# comment`` taken from ``original`` (same comment);
    the merged text is parsed again afterwards anyway."""
    old, fresh = _TRAILING_COMMENT.match(original), _TRAILING_COMMENT.match(new)
    if not old or not fresh or old.group("comment") != fresh.group("comment"):
        return new
    return fresh.group("code") + old.group("gap") + fresh.group("comment")


def _to_node(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        node = CommentedMap()
        for key, item in value.items():
            node[key] = _to_node(item)
        return node
    if isinstance(value, (list, tuple)):
        seq = CommentedSeq()
        seq.extend(_to_node(item) for item in value)
        return seq
    return value


def _tree_set(root: Any, path: KeyPath, value: Any, file: Path | str) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    try:
        data_set(root, path, value, new_map=CommentedMap, new_list=CommentedSeq, convert=_to_node)
    except (TypeError, KeyError, IndexError, AttributeError):
        raise ConfigFileError(file, f"cannot set {dotted(path)}: the file has another kind of value on the way",
                              "fix that setting by hand") from None


def _tree_delete(root: Any, path: KeyPath) -> None:
    data_delete(root, path)
