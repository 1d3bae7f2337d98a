"""YAML editing by splicing lines at the positions libyaml reports: every byte we do not edit stays.

The file is never re-emitted. A key is set by replacing its value's span or inserting ``key: value``
lines after the last line of its mapping; a list item (a ``Match`` step: Continue's models, Aider's
model settings) is appended, replaced or removed as whole lines. The new text is parsed again and must
hold exactly the old data plus our change, read the way the tool reads it: YAML 1.1 (PyYAML) for
Aider, YAML 1.2 for Continue (or 1.1 under a ``%YAML 1.1`` directive). When a change cannot be made as
such a line edit (a flow-style ``{…}``/``[…]`` collection in the way, an anchor or alias on the path,
several documents, a complex key), the edit is refused with an error naming the construct and its
line, and the file is left alone: a whole-file rewrite would re-space the user's lines and could change
what values mean.

Large files: a root mapping is cut into its top-level entries (a non-blank, non-comment line in column
0 starts one: YAML requires everything inside a top-level value to be indented), and only the entries a
change touches are parsed. Files under ``WHOLE_PARSE_BYTES`` are always parsed whole.
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
    Match,
    check_only_paths_changed,
    data_delete,
    data_get,
    data_set,
    dotted,
    same_value,
)

WHOLE_PARSE_BYTES = 512 * 1024
_TOP_LEVEL_LINE = re.compile(r"^[^\s#\n\r]", re.M)


class YamlEditRefused(ConfigFileError):
    """A change that cannot be made as a line edit: the construct is named, nothing is written."""


# -- reading the way each tool reads ------------------------------------------------------------------------
def _loader_class():
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


_LOADERS: dict = {}
_DEFAULT_TAGS = {"scalar": "tag:yaml.org,2002:str", "sequence": "tag:yaml.org,2002:seq",
                 "mapping": "tag:yaml.org,2002:map"}
# the last few parsed texts (the tool's plan and the engine read the same file): text -> (node, data)
_PARSED: dict = {}
_PARSED_KEEP = 4


def _compose(text: str, version: str):
    """The node tree with positions. For YAML 1.2 no implicit tags are resolved here (PyYAML's resolver is
    1.1 and costs a Python call per scalar): :func:`_retag_12` resolves plain scalars the 1.2 way."""
    import yaml

    if version == "1.1":
        return yaml.compose(text, Loader=_loader_class())
    loader = _LOADERS.get("1.2")
    if loader is None:
        from yaml.constructor import SafeConstructor
        from yaml.resolver import BaseResolver

        try:
            from yaml.cyaml import CParser

            class Compose12(CParser, SafeConstructor, BaseResolver):  # CSafeLoader without 1.1 resolution
                def __init__(self, stream):
                    CParser.__init__(self, stream)
                    SafeConstructor.__init__(self)
                    BaseResolver.__init__(self)

                def resolve(self, kind, value, implicit):
                    # called once per node by the C composer: the default tag, nothing else (see _retag_12)
                    return _DEFAULT_TAGS[kind.id]
        except ImportError:  # PyYAML without libyaml
            from yaml.composer import Composer
            from yaml.parser import Parser
            from yaml.reader import Reader
            from yaml.scanner import Scanner

            class Compose12(Reader, Scanner, Parser, Composer, SafeConstructor, BaseResolver):  # type: ignore[no-redef]
                def __init__(self, stream):
                    Reader.__init__(self, stream)
                    Scanner.__init__(self)
                    Parser.__init__(self)
                    Composer.__init__(self)
                    SafeConstructor.__init__(self)
                    BaseResolver.__init__(self)

        loader = _LOADERS["1.2"] = Compose12
    return yaml.compose(text, Loader=loader)


_NULL_12 = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_12 = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_12 = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT_12 = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_TAG = "tag:yaml.org,2002:"


def _constructor(version: str):
    from yaml.constructor import SafeConstructor

    if version == "1.1":
        return SafeConstructor()

    class Core12(SafeConstructor):
        """YAML 1.2 core schema (what the `yaml` npm package, Continue's reader, uses)."""

        def construct_yaml_int(self, node):
            value = self.construct_scalar(node)
            if value.startswith("0o"):
                return int(value[2:], 8)
            if value.startswith(("0x", "-0x", "+0x")):
                return int(value, 16)
            return int(value, 10)

        def construct_yaml_bool(self, node):
            return self.construct_scalar(node).lower() == "true"

    Core12.add_constructor(_TAG + "int", Core12.construct_yaml_int)
    Core12.add_constructor(_TAG + "bool", Core12.construct_yaml_bool)
    return Core12()


def _retag_12(node, seen: set, text: str = "") -> None:
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, ScalarNode):
        explicit = text[node.start_mark.index:node.start_mark.index + 1] == "!"
        if not node.style and node.tag.startswith(_TAG) and not explicit:  # plain: "" (libyaml) or None
            value = node.value
            if _NULL_12.match(value):
                node.tag = _TAG + "null"
            elif _BOOL_12.match(value):
                node.tag = _TAG + "bool"
            elif _INT_12.match(value):
                node.tag = _TAG + "int"
            elif _FLOAT_12.match(value):
                node.tag = _TAG + "float"
            else:
                node.tag = _TAG + "str"
    elif isinstance(node, SequenceNode):
        for item in node.value:
            _retag_12(item, seen, text)
    elif isinstance(node, MappingNode):
        for key, value in node.value:
            _retag_12(key, seen, text)
            _retag_12(value, seen, text)


def _construct(node, version: str, text: str = "") -> Any:
    if node is None:
        return None
    if version != "1.1":
        return _build_12(node, text)
    return _constructor(version).construct_document(node)


def _scalar_12(node, text: str) -> Any:
    """One scalar as the YAML 1.2 core schema reads it (explicit !!tags honoured)."""
    value = node.value
    explicit = text[node.start_mark.index:node.start_mark.index + 1] == "!"
    if explicit:
        tag = node.tag
        if tag == _TAG + "str":
            return value
        if tag in (_TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"):
            return _constructor("1.2").construct_document(_retagged(node, tag))
        return value
    if node.style:  # quoted or a block scalar: always a string
        return value
    first = value[:1]
    if not value or (first in "~nN" and _NULL_12.match(value)):
        return None
    if first in "tTfF" and _BOOL_12.match(value):
        return value.lower() == "true"
    if first in "-+0123456789.":
        if _INT_12.match(value):
            if value.startswith("0o"):
                return int(value[2:], 8)
            if value.startswith(("0x", "-0x", "+0x")):
                return int(value, 16)
            return int(value, 10)
        if _FLOAT_12.match(value):
            lowered = value.lower()
            if lowered.endswith(".inf"):
                return float("-inf") if lowered.startswith("-") else float("inf")
            if lowered.endswith(".nan"):
                return float("nan")
            return float(value)
    return value


def _retagged(node, tag):
    from yaml.nodes import ScalarNode

    return ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)


def _build_12(root, text: str) -> Any:
    """Plain Python data from the node tree, YAML 1.2 core schema, in one pass (aliases share their object)."""
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode

    memo: dict[int, Any] = {}

    def build(node):
        if isinstance(node, ScalarNode):
            return _scalar_12(node, text)
        known = memo.get(id(node))
        if known is not None:
            return known
        if isinstance(node, SequenceNode):
            items: list = []
            memo[id(node)] = items
            items.extend(build(child) for child in node.value)
            return items
        if isinstance(node, MappingNode):
            mapping: dict = {}
            memo[id(node)] = mapping
            for key_node, value_node in node.value:
                key = build(key_node)
                try:
                    mapping[key] = build(value_node)
                except TypeError:
                    raise ValueError(f"a key that is a list or mapping (line {key_node.start_mark.line + 1})") from None
            return mapping
        raise ValueError(f"unexpected YAML node {node!r}")

    return build(root)


def _yaml_error(path, exc) -> ConfigFileError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = (getattr(exc, "problem", None) or getattr(exc, "context", None) or str(exc)).strip()
    return ConfigFileError(path, f"not valid YAML: {problem}", "fix the line shown (or move the file away) and run again",
                           line=mark.line + 1 if mark else None)


# -- rendering ---------------------------------------------------------------------------------------------
def _dumper(indented_sequences: bool):
    import yaml

    base = getattr(yaml, "CSafeDumper", None)
    base = yaml.SafeDumper  # the pure dumper: its resolver decides quoting, and we add 1.2's forms to it

    class Dumper(base):  # type: ignore[misc,valid-type]
        def increase_indent(self, flow=False, indentless=False):
            return super().increase_indent(flow, False if indented_sequences else indentless)

    # quote a string that YAML 1.2 would read as something else too (0o17, 0x1F are ints there)
    Dumper.add_implicit_resolver(_TAG + "int", re.compile(r"^[-+]?0o[0-7]+$"), list("-+0"))
    Dumper.add_implicit_resolver(_TAG + "bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return Dumper


def _render(value: Any, indent: int, indented_sequences: bool) -> list[str]:
    """``value`` as block YAML lines (no newline characters)."""
    import yaml

    text = yaml.dump(value, Dumper=_dumper(indented_sequences), default_flow_style=False, sort_keys=False,
                     allow_unicode=True, width=1 << 20, indent=indent)
    if text.endswith("\n...\n"):
        text = text[:-5]
    return text.rstrip("\n").split("\n")


def _render_scalar(value: Any, style: str | None) -> str:
    import json

    style = style or None
    if isinstance(value, str) and style == '"':
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, str) and style == "'" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    lines = _render(value, 2, True)
    if len(lines) != 1:
        return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else lines[0]
    return lines[0]


def _is_container(value: Any) -> bool:
    return isinstance(value, (dict, list))


# -- the document ------------------------------------------------------------------------------------------
class YamlDocument:
    """One YAML file being edited; ``version`` is the YAML version its program reads ("1.1" or "1.2")."""

    def __init__(self, text: str, path: Path | str = "<text>", *, version: str = "1.2"):
        self.path = path
        self.format = "yaml-1.1" if version == "1.1" else "yaml"
        self._bom = "\ufeff" if text.startswith("\ufeff") else ""
        self._tool_version = version
        self._set_text(text)

    # -- parsing ---------------------------------------------------------------------------
    def _set_text(self, text: str) -> None:
        self.text = text
        self._body = text[len(self._bom):]
        self._newline = "\r\n" if "\r\n" in self._body else "\n"
        self._version = "1.1" if self._tool_version == "1.1" or re.search(
            r"^%YAML[ \t]+1\.1\b", self._header_text(), re.M) else "1.2"
        self._regions: dict[str, tuple[int, int]] | None = None
        self._cache: dict[tuple[int, int], tuple[Any, Any]] = {}
        self._known_data: dict[tuple[int, int], Any] = {}  # data proven without a parse (see _edit)
        self._segment()

    def _header_text(self) -> str:
        match = _TOP_LEVEL_LINE.search(self._body)
        head_end = len(self._body)
        while match and match.group(0) in "%-" and self._body.startswith(("%", "---"), match.start()):
            match = _TOP_LEVEL_LINE.search(self._body, match.end())
        if match:
            head_end = match.start()
        return self._body[:head_end]

    def _segment(self) -> None:
        """Find the top-level entries (large files), check there is a single document, parse what is needed."""
        body = self._body
        starts = [m.start() for m in _TOP_LEVEL_LINE.finditer(body)]
        markers = [s for s in starts if body.startswith(("---", "...", "%"), s)]
        later_docs = [s for s in starts if body.startswith("---", s)]
        content = [s for s in starts if s not in markers]
        if content and any(s > content[0] for s in later_docs):
            later = next(s for s in later_docs if s > content[0])
            raise YamlEditRefused(self.path, "holds several YAML documents (a '---' or '...' line after the "
                                             "settings); its program reads only one", "fix the file by hand",
                                  line=body.count("\n", 0, later) + 1)
        if len(body) < WHOLE_PARSE_BYTES or not content or body.startswith(("-", "?", "[", "{"), content[0]):
            self._whole = True
            self._root_region = (0, len(body))
            self._parse_region(0, len(body))
            return
        self._whole = False
        self._regions = {}
        bounds = content + [len(body)]
        for start, end in zip(bounds, bounds[1:]):
            match = re.match(r"""(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\n]|'')*)'|([^\s:#][^:\n]*?))[ \t]*:(?:[ \t]|$)""",
                             body[start:start + 4096], re.M)
            if not match:
                # not a simple "key:" line (a complex key, an anchor): parse the whole file instead
                self._whole = True
                self._regions = None
                self._root_region = (0, len(body))
                self._parse_region(0, len(body))
                return
            key = match.group(1) if match.group(1) is not None else (
                match.group(2).replace("''", "'") if match.group(2) is not None else match.group(3))
            if match.group(1) is not None:
                import json

                key = json.loads(f'"{key}"')
            if key in self._regions:
                raise ConfigFileError(self.path, f"not valid YAML: the key {key!r} is written twice at the top level",
                                      "remove one of them and run again", line=body.count("\n", 0, start) + 1)
            self._regions[key] = (start, end)

    def _parse_region(self, start: int, end: int) -> tuple[Any, Any]:
        """(root node, data) of body[start:end], cached by span."""
        cached = self._cache.get((start, end))
        if cached is not None:
            return cached
        import yaml

        text = self._body[start:end]
        shared = _PARSED.get((self._version, text)) if len(text) >= 65536 else None
        if shared is not None:
            self._cache[(start, end)] = shared
            return shared
        try:
            node = _compose(text, self._version) if text.strip() else None
            data = _construct(node, self._version, text)
        except yaml.YAMLError as exc:
            error = _yaml_error(self.path, exc)
            if error.line is not None:
                error.line += self._body.count("\n", 0, start)
            raise error from None
        except (ValueError, TypeError, RecursionError) as exc:
            raise ConfigFileError(self.path, f"not valid YAML: {exc}", "fix the file and run again") from None
        if node is not None:
            self._check_unique_keys(node, start)
        if node is not None and start == 0 and end == len(self._body) and not isinstance(data, (dict, list)):
            raise ConfigFileError(self.path, "expected a mapping or a list at the top of the file", "fix the file by hand")
        self._cache[(start, end)] = (node, data)
        if len(text) >= 65536:  # big texts only: parsing them twice is what costs
            _PARSED[(self._version, text)] = (node, data)
            while len(_PARSED) > _PARSED_KEEP:
                del _PARSED[next(iter(_PARSED))]
        return node, data

    def _check_unique_keys(self, root, start: int) -> None:
        """A key written twice: readers disagree (Continue's parser refuses it, PyYAML takes the last), and we
        would not know which one to edit."""
        from yaml.nodes import MappingNode, ScalarNode, SequenceNode

        stack, seen = [root], set()
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, MappingNode):
                keys = set()
                for key, value in node.value:
                    if isinstance(key, ScalarNode) and key.value != "<<":
                        if key.value in keys:
                            raise ConfigFileError(self.path, f"not valid YAML: the key {key.value!r} is written twice "
                                                             "in one mapping", "remove one of them and run again",
                                                  line=self._body.count("\n", 0, start + key.start_mark.index) + 1)
                        keys.add(key.value)
                    stack.append(value)
            elif isinstance(node, SequenceNode):
                stack.extend(node.value)

    # -- reading ---------------------------------------------------------------------------
    @property
    def newline(self) -> str:
        return self._newline

    @property
    def data(self) -> Any:
        if self._whole:
            data = self._parse_region(*self._root_region)[1]
            return {} if data is None else data
        merged: dict = {}
        for start, end in self._regions.values():
            part = self._region_data(start, end)
            if isinstance(part, dict):
                merged.update(part)
        return merged

    def _region_for(self, key: Any) -> tuple[int, int] | None:
        if self._whole:
            return self._root_region
        return self._regions.get(key) if isinstance(key, str) else None

    def get(self, path: KeyPath) -> Any:
        path = tuple(path)
        if not path:
            return self.data
        region = self._region_for(path[0])
        if region is None:
            return MISSING if not self._whole else data_get(self.data, path)
        data = self._region_data(*region)
        return data_get({} if data is None else data, path)

    def _region_data(self, start: int, end: int) -> Any:
        if (start, end) in self._known_data:
            return self._known_data[(start, end)]
        return self._parse_region(start, end)[1]

    # -- editing -----------------------------------------------------------------------------
    def set(self, path: KeyPath, value: Any) -> bool:
        path = tuple(path)
        if not path:
            raise ValueError("empty path")
        if same_value(self.get(path), value):
            return False
        self._edit(path, value, delete=False)
        return True

    def delete(self, path: KeyPath) -> bool:
        path = tuple(path)
        if not path or self.get(path) is MISSING:
            return False
        self._edit(path, None, delete=True)
        return True

    def _edit(self, path: KeyPath, value: Any, *, delete: bool) -> None:
        region = self._region_for(path[0])
        if region is None and not self._whole:
            if delete:
                return
            self._append_top_level(path, value)
            return
        start, end = region
        node, data = self._parse_region(start, end)
        root_is_list = isinstance(path[0], Match)
        expected = _copy_along(data, path) if data is not None else ([] if root_is_list else {})
        if isinstance(expected, list) != root_is_list:
            shape = "a list" if root_is_list else "a mapping (key: value lines)"
            raise ConfigFileError(self.path, f"expected {shape} at the top of the file", "fix the file by hand")
        if delete:
            data_delete(expected, path)
        else:
            try:
                data_set(expected, path, value)
            except (TypeError, KeyError, IndexError, AttributeError):
                raise ConfigFileError(self.path, f"cannot set {dotted(path)}: the file has another kind of value "
                                                 "on the way", "fix that setting by hand") from None
        editor = _Splicer(self, self._body[start:end], node, start)
        if delete:
            editor.delete(path)
        else:
            editor.set(path, value)
        new_region = editor.text
        body = self._body[:start] + new_region + self._body[end:]
        new_end = start + len(new_region)
        old_text = self.text
        if not self._whole and len(body) >= WHOLE_PARSE_BYTES and editor.tail_block is not None:
            # a large file, and the edit appended an item after the last line of this entry's list: nothing
            # after it in the entry but comments, so the entry's data is the old data plus what those lines
            # hold. Parse just them (not megabytes) and check they hold exactly the new item.
            block, indent, item = editor.tail_block
            try:
                got = _construct(_compose("\n".join(line[indent:] for line in block.splitlines()), self._version),
                                 self._version)
            except Exception:  # noqa: BLE001 - any failure: fall back to parsing the whole entry
                got = None
            if same_value(got, [item]):
                self._set_text(self._bom + body)
                self._known_data[(start, new_end)] = expected
                return
        try:
            self._set_text(self._bom + body)
            if not self._whole and len(body) >= WHOLE_PARSE_BYTES:
                self._parse_region(start, new_end)
            else:
                self.data  # noqa: B018 - parse the whole result
        except ConfigFileError as exc:
            # our line edit did not give valid YAML (a construct the splicer does not understand): the file
            # is fine, the edit is refused
            self._set_text(old_text)
            construct = _construct_near(self._body, path)
            raise YamlEditRefused(
                self.path, f"cannot change {dotted(path)} with a line edit{construct} (the result would not be "
                           f"valid YAML: {exc.message.split('not valid YAML: ')[-1]})",
                "make the change by hand; bytespike does not reformat a YAML file") from None
        check_region = self._root_region if self._whole else (start, new_end)
        if not self._whole and len(body) >= WHOLE_PARSE_BYTES:
            # only this entry was touched: it must parse alone and hold the expected data
            _, got = self._parse_region(*check_region)
        else:
            got = self.data
        check_only_paths_changed(self.path, expected, {} if got is None and not root_is_list else got)


    def _append_top_level(self, path: KeyPath, value: Any) -> None:
        """A large file gets a new top-level key at its end; only the new lines are parsed to check it."""
        if isinstance(path[0], Match):
            raise ConfigFileError(self.path, "expected a list at the top of the file", "fix the file by hand")
        marker = re.search(r"^\.\.\.", self._body, re.M)
        if marker:
            raise YamlEditRefused(self.path, f"cannot add {dotted(path)} with a line edit: the file ends its document "
                                             "with a '...' line", "add the setting by hand, above that line",
                                  line=self._body.count("\n", 0, marker.start()) + 1)
        lines = _render(_nest(path, value), _mapping_indent(self._body) or 2, _sequence_offset(self._body) != 0)
        block = self._newline.join(lines)
        body = self._body
        if body.endswith("\n"):
            new_body = body + block + self._newline
        else:  # no final newline: keep it that way
            new_body = body + self._newline + block
        start = len(new_body) - len(block) - (self._newline.__len__() if body.endswith("\n") else 0)
        self._set_text(self._bom + new_body)
        _, got = self._parse_region(start, len(new_body))
        check_only_paths_changed(self.path, _nest(path, value), got)


class _Splicer:
    """Line edits inside one region's text, guided by the region's libyaml nodes."""

    def __init__(self, doc: YamlDocument, text: str, root, offset: int):
        self.doc = doc
        self.text = text
        self.root = root
        self.offset = offset  # where the region starts in the body (for line numbers in errors)
        self.nl = doc.newline
        self.full_path: KeyPath = ()
        self.tail_block: tuple[str, int, Any] | None = None  # (lines, indent, item) appended after all content
        self.mapping_indent = _mapping_indent(doc._body) or 2
        self.indented_sequences = _sequence_offset(doc._body) != 0

    # -- positions -------------------------------------------------------------------------
    def line_of(self, index: int) -> int:
        return self.doc._body.count("\n", 0, self.offset + index) + 1

    def refuse(self, path: KeyPath, construct: str, index: int, value: Any = MISSING) -> YamlEditRefused:
        wanted = ""
        path = self.full_path or path
        if value is not MISSING:
            import json

            shown = json.dumps(value, ensure_ascii=False, default=str)
            where = dotted(path)
            wanted = f"; bytespike would {'add to' if path and isinstance(path[-1], Match) else 'set'} {where}: " + (
                shown if len(shown) <= 300 else shown[:300] + "…")
        return YamlEditRefused(
            self.doc.path, f"cannot change {dotted(path) or 'the top level'} with a line edit: {construct}{wanted}",
            "rewrite that part in plain block style (one `key: value` per line) or make the change by hand; "
            "bytespike does not reformat a YAML file", line=self.line_of(index))

    def line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def line_end(self, index: int) -> int:
        """End of the line holding ``index`` (before its newline)."""
        newline = self.text.find("\n", index)
        end = len(self.text) if newline < 0 else newline
        return end - 1 if end > 0 and self.text[end - 1:end] == "\r" and end - 1 >= index else end

    def next_line(self, index: int) -> int:
        newline = self.text.find("\n", index)
        return len(self.text) if newline < 0 else newline + 1

    def is_alias(self, key_node, value_node) -> bool:
        return value_node.start_mark.index < key_node.end_mark.index

    def content_end(self, node) -> int:
        """Where the node's own text ends (its last scalar or closing bracket), comments after it excluded."""
        from yaml.nodes import MappingNode, SequenceNode

        if isinstance(node, MappingNode) and not node.flow_style and node.value:
            key, value = node.value[-1]
            if self.is_alias(key, value):
                return self.alias_end(key)
            return self.content_end(value)
        if isinstance(node, SequenceNode) and not node.flow_style and node.value:
            return self.content_end(node.value[-1])
        end = node.end_mark.index
        # a block scalar (| or >) ends at the start of the next line: its own text ends before the line break
        while end > node.start_mark.index and self.text[end - 1] in " \t\r\n":
            end -= 1
        return end

    def alias_end(self, key) -> int:
        colon = self.colon_after(key)
        match = re.compile(r"[ \t]*\*[^\s,\[\]{}]+").match(self.text, colon + 1)
        return match.end() if match else colon + 1

    def colon_after(self, key) -> int:
        return self.text.index(":", key.end_mark.index)

    def indent_of(self, index: int) -> int:
        start = self.line_start(index)
        return index - start

    def check_plain(self, path: KeyPath, node, *, value: Any = MISSING) -> None:
        """Refuse to edit inside a node we cannot line-edit: flow style, anchors, tags."""
        from yaml.nodes import MappingNode, SequenceNode

        first = self.text[node.start_mark.index:node.start_mark.index + 1]
        if first == "&":
            name = re.match(r"&([^\s]+)", self.text[node.start_mark.index:]).group(1)
            raise self.refuse(path, f"it carries the anchor &{name}, so the change would also change every "
                                    f"*{name} that refers to it", node.start_mark.index, value)
        if first == "!":
            raise self.refuse(path, "it has an explicit tag (!…)", node.start_mark.index, value)
        if isinstance(node, (MappingNode, SequenceNode)) and node.flow_style and node.value:
            brackets = "{…}" if isinstance(node, MappingNode) else "[…]"
            raise self.refuse(path, f"it is written in flow style ({brackets})", node.start_mark.index, value)

    # -- set ---------------------------------------------------------------------------------
    def set(self, path: KeyPath, value: Any) -> None:
        from yaml.nodes import MappingNode, SequenceNode

        self.full_path = path
        if self.root is None:
            self.append_at_end(path, value)
            return
        node = self.root
        for depth, step in enumerate(path):
            rest = path[depth + 1:]
            here = path[:depth + 1]
            self.check_plain(path[:depth], node, value=value) if depth else self.check_root(node, path, value)
            if isinstance(step, Match):
                if not isinstance(node, SequenceNode):
                    raise self.refuse(path, "a list was expected there", node.start_mark.index, value)
                index = _item_index(node, step, self.doc._version)
                if index is None:
                    item_value = value if not rest else _nest_item(step, rest, value)
                    self.append_item(node, item_value, here)
                    return
                item = node.value[index]
                if not rest:
                    self.replace_item(node, item, value, here)
                    return
                node = item
                continue
            if not isinstance(node, MappingNode):
                raise self.refuse(path, "a mapping was expected there", node.start_mark.index, value)
            pair = _pair(node, step)
            if pair is None:
                self.insert_pair(node, step, _nest(rest, value), here)
                return
            key, child = pair
            if self.is_alias(key, child):
                name = re.match(r"[ \t]*\*([^\s,\[\]{}]+)", self.text[self.colon_after(key) + 1:])
                raise self.refuse(path, f"{dotted(here)} is an alias (*{name.group(1) if name else '?'}) of an "
                                        "anchor elsewhere in the file; changing it would change that too",
                                  key.start_mark.index, value)
            if not rest:
                self.replace_value(key, child, value, here)
                return
            wants = SequenceNode if isinstance(rest[0], Match) else MappingNode
            if isinstance(child, wants) and not (child.flow_style and not child.value):
                node = child
                continue
            # a null/false/"" or an empty [] / {} in the way: the value is replaced as a whole
            current = data_get(self.doc._parse_region(*self.doc._region_for(path[0]))[1] or {}, here)
            replacement = copy.deepcopy(current) if _is_container(current) else ([] if wants is SequenceNode else {})
            data_set(replacement, rest, value)
            self.replace_value(key, child, replacement, here)
            return

    def check_root(self, node, path: KeyPath, value: Any) -> None:
        from yaml.nodes import MappingNode, SequenceNode

        if isinstance(node, (MappingNode, SequenceNode)) and node.flow_style:
            raise self.refuse((), "the whole file is one flow-style collection ({…} or […])", node.start_mark.index,
                              value)
        self.check_plain((), node, value=value)

    def append_at_end(self, path: KeyPath, value: Any) -> None:
        """A file without settings (empty, comments only): the new block goes below what is there."""
        lines = _render(_nest(path, value), self.mapping_indent, self.indented_sequences)
        block = self.nl.join(lines) + self.nl
        head = self.text
        if head.strip(" \t\r\n"):
            if not head.endswith("\n"):
                head += self.nl
        else:
            head = ""
        self.text = head + block

    def insert_lines(self, after: int, lines: list[str], indent: int) -> None:
        """Insert ``lines`` (indented by ``indent``) as new lines after the line holding ``after``."""
        block = self.nl.join(" " * indent + line if line else line for line in lines)
        end = self.line_end(after)
        eol = self.next_line(after)
        if eol == len(self.text) and not self.text.endswith("\n"):
            # the file has no final newline: keep it that way
            self.text = self.text[:end] + self.text[end:] + self.nl + block
        else:
            self.text = self.text[:eol] + block + self.nl + self.text[eol:]

    def insert_pair(self, mapping, key: str, value: Any, path: KeyPath) -> None:
        first_key = mapping.value[0][0] if mapping.value else None
        if first_key is None:  # an empty flow {} is handled by the caller (replaced as a whole)
            raise self.refuse(path, "the mapping is empty and written as {}", mapping.start_mark.index, value)
        indent = first_key.start_mark.column
        lines = _render({key: value}, self.mapping_indent, self.indented_sequences)
        self.insert_lines(self.content_end(mapping), lines, indent)

    def append_item(self, sequence, value: Any, path: KeyPath) -> None:
        if not sequence.value:
            raise self.refuse(path, "the list is empty and written as []", sequence.start_mark.index, value)
        first = sequence.value[0]
        dash = self.dash_before(first, path)
        lines = _render([value], self.mapping_indent, self.indented_sequences)
        at_the_end = self.content_end(sequence) == self.content_end(self.root)
        self.insert_lines(self.content_end(sequence), lines, self.indent_of(dash))
        if at_the_end and len(path) == 2 and not isinstance(path[0], Match):
            indent = self.indent_of(dash)
            self.tail_block = ("\n".join(" " * indent + line for line in lines), indent, value)

    def dash_before(self, item, path: KeyPath) -> int:
        start = item.start_mark.index
        dash = self.text.rfind("-", self.line_start(start), start + 1)
        if dash < 0 or self.text[self.line_start(start):dash].strip():
            raise self.refuse(path, "a list item that does not start its own line", start)
        return dash

    def replace_item(self, sequence, item, value: Any, path: KeyPath) -> None:
        self.check_plain(path, item, value=value)
        dash = self.dash_before(item, path)
        begin = self.line_start(dash)
        end = self.line_end(self.content_end(item))
        lines = _render([value], self.mapping_indent, self.indented_sequences)
        indent = self.indent_of(dash)
        self.text = self.text[:begin] + self.nl.join(" " * indent + line for line in lines) + self.text[end:]

    def replace_value(self, key, child, value: Any, path: KeyPath) -> None:
        from yaml.nodes import MappingNode, ScalarNode, SequenceNode

        self.check_plain(path, child, value=value)
        colon = self.colon_after(key)
        key_indent = self.indent_of(key.start_mark.index) if not self.text[
            self.line_start(key.start_mark.index):key.start_mark.index].strip() else key.start_mark.column
        empty = isinstance(child, ScalarNode) and child.start_mark.index == child.end_mark.index
        if not _is_container(value):
            scalar = _render_scalar(value, (child.style or None) if isinstance(child, ScalarNode) else None)
            if isinstance(child, ScalarNode) and not empty:
                self.text = self.text[:child.start_mark.index] + scalar + self.text[self.content_end(child):]
            elif empty:
                self.text = self.text[:colon + 1] + " " + scalar + self.text[colon + 1:]
            else:  # a block collection becomes a scalar
                end = self.line_end(self.content_end(child))
                self.text = self.text[:colon + 1] + " " + scalar + self.text[end:]
            return
        if isinstance(value, dict):
            lines = _render(value, self.mapping_indent, self.indented_sequences)
            indent = key_indent + self.mapping_indent
        else:
            lines = _render(value, self.mapping_indent, self.indented_sequences)
            indent = key_indent + (self.mapping_indent if self.indented_sequences else 0)
        if not value:  # an empty {} / [] stays on the key's line
            flow = "{}" if isinstance(value, dict) else "[]"
            if isinstance(child, ScalarNode) and not empty:
                self.text = self.text[:child.start_mark.index] + flow + self.text[child.end_mark.index:]
            else:
                end = colon + 1 if empty else self.line_end(self.content_end(child))
                self.text = self.text[:colon + 1] + " " + flow + self.text[end:]
            return
        block = self.nl.join(" " * indent + line for line in lines)
        if isinstance(child, (MappingNode, SequenceNode)) and not child.flow_style:
            # the old block's lines go, the new block takes their place below the key
            start = self.next_line(colon)
            end = self.line_end(self.content_end(child))
            self.text = self.text[:start] + block + self.text[end:]
            return
        if not empty:  # a scalar or an empty flow collection on the key's line goes
            self.text = self.text[:child.start_mark.index].rstrip(" \t") + self.text[child.end_mark.index:]
        self.insert_lines(colon, lines, indent)

    # -- delete ------------------------------------------------------------------------------
    def delete(self, path: KeyPath) -> None:
        from yaml.nodes import MappingNode, SequenceNode

        node, parent_key = self.root, None
        for depth, step in enumerate(path[:-1]):
            self.check_plain(path[:depth], node)
            if isinstance(step, Match):
                index = _item_index(node, step, self.doc._version)
                node = node.value[index]
            else:
                key, child = _pair(node, step)
                if self.is_alias(key, child):
                    raise self.refuse(path, f"{dotted(path[:depth + 1])} is an alias of an anchor elsewhere",
                                      key.start_mark.index)
                parent_key, node = key, child
        self.check_plain(path[:-1], node) if len(path) > 1 else None
        last = path[-1]
        if isinstance(last, Match):
            if not isinstance(node, SequenceNode) or node.flow_style:
                raise self.refuse(path, "the list is written in flow style ([…])", node.start_mark.index)
            index = _item_index(node, last, self.doc._version)
            item = node.value[index]
            begin = self.line_start(self.dash_before(item, path))
            only = len(node.value) == 1
        else:
            if not isinstance(node, MappingNode) or node.flow_style:
                raise self.refuse(path, "the mapping is written in flow style ({…})", node.start_mark.index)
            key, item = _pair(node, last)
            begin = self.line_start(key.start_mark.index)
            if self.text[begin:key.start_mark.index].strip():
                raise self.refuse(path, "the key does not start its own line (the first key of a list item)",
                                  key.start_mark.index)
            only = len(node.value) == 1
            if self.is_alias(key, item):
                end = self.next_line(self.alias_end(key))
                self.text = self.text[:begin] + self.text[end:]
                self._emptied(only, parent_key, "{}")
                return
        end = self.next_line(self.content_end(item))
        removed_last_line = end == len(self.text) and not self.text.endswith("\n")
        self.text = self.text[:begin] + self.text[end:]
        if removed_last_line and self.text.endswith("\n"):
            # the deleted entry was the file's unterminated last line: the line before it becomes the last
            self.text = self.text[:-2] if self.text.endswith("\r\n") else self.text[:-1]
        self._emptied(only, parent_key, "[]" if isinstance(last, Match) else "{}")

    def _emptied(self, only: bool, parent_key, flow: str) -> None:
        """The last entry of a nested mapping/list went: the key keeps an empty {} / [] (not null)."""
        if not only or parent_key is None:
            return
        colon = self.colon_after(parent_key)
        self.text = self.text[:colon + 1] + " " + flow + self.text[colon + 1:]


# -- helpers ---------------------------------------------------------------------------------------------------
def _construct_near(body: str, path: KeyPath) -> str:
    """Name a YAML construct the splicer does not handle, when the file has one."""
    for pattern, name in ((r"^\s*\?\s", "a complex key (? …)"), (r"^\s*[^#\n]*:\s*[|>]", "a block scalar (| or >)"),
                          (r"^\s*[^#\n]*:\s*\[[^\]\n]*$", "a flow list spanning lines")):
        if re.search(pattern, body, re.M):
            return f": the file uses {name}"
    return ""


def _copy_along(data: Any, path: KeyPath) -> Any:
    """``data`` with every container on ``path`` copied (shallowly) and the rest shared: enough to apply one
    edit to the copy without touching the original, and linear in the containers on the path only."""
    top = copy.copy(data)
    node = top
    for step in path[:-1]:
        if isinstance(node, dict) and isinstance(step, str) and isinstance(node.get(step), (dict, list)):
            node[step] = copy.copy(node[step])
            node = node[step]
        elif isinstance(node, list) and isinstance(step, Match):
            index = next((i for i, item in enumerate(node)
                          if isinstance(item, dict) and same_value(item.get(step.key, MISSING), step.value)), None)
            if index is None:
                break
            node[index] = copy.copy(node[index])
            node = node[index]
        else:
            break
    return top


def _last_name(path: KeyPath) -> str:
    for step in reversed(path):
        if isinstance(step, str):
            return step
    return "item"


def _scalar_data(node, version: str) -> Any:
    from yaml.nodes import ScalarNode

    if not isinstance(node, ScalarNode):
        return MISSING
    return _construct(copy.deepcopy(node), version)


def _pair(mapping, key: str):
    from yaml.nodes import ScalarNode

    found = None
    for pair in mapping.value:
        if isinstance(pair[0], ScalarNode) and pair[0].value == key:
            found = pair  # the last one wins
    return found


def _item_index(sequence, match: Match, version: str) -> int | None:
    from yaml.nodes import MappingNode

    for index, item in enumerate(sequence.value):
        if isinstance(item, MappingNode):
            pair = _pair(item, match.key)
            if pair is None or (isinstance(match.value, str) and getattr(pair[1], "value", None) != match.value):
                continue  # a scalar whose text differs cannot be this string (saves a construct per item)
            if same_value(_scalar_data(pair[1], version), match.value):
                return index
    return None


def _nest(path: KeyPath, value: Any) -> Any:
    for position in range(len(path) - 1, -1, -1):
        step = path[position]
        if isinstance(step, Match):
            value = [value] if position == len(path) - 1 else [{step.key: step.value, **value}]
        else:
            value = {step: value}
    return value


def _nest_item(step: Match, rest: KeyPath, value: Any) -> Any:
    return {step.key: step.value, **_nest(rest, value)}


def _mapping_indent(body: str) -> int | None:
    """The indentation of a nested mapping in the file."""
    match = re.search(r"^([ ]*)[^\s#-][^\n]*:[ ]*(?:#[^\n]*)?\r?\n(?:[ ]*(?:#[^\n]*)?\r?\n)*([ ]+)[^\s#-]", body, re.M)
    if match and len(match.group(2)) > len(match.group(1)):
        return len(match.group(2)) - len(match.group(1))
    return None


def _sequence_offset(body: str) -> int | None:
    """How far the file indents a list under its key (0: ``key:\\n- a``); None when it has no such list."""
    match = re.search(r"^([ ]*)[^\s#-][^\n]*:[ ]*(?:#[^\n]*)?\r?\n(?:[ ]*(?:#[^\n]*)?\r?\n)*([ ]*)- ", body[:1 << 20],
                      re.M)
    if match:
        return len(match.group(2)) - len(match.group(1))
    return None
