"""How the corpus files were reduced to "the structure that matters" (see SOURCES).

Every letter inside a comment or a string *value* is replaced by ``x``/``X`` (non-ASCII letters by
``ü``); keys, numbers, booleans, null, punctuation, anchors/aliases, indentation, alignment, blank
lines, line endings and the final newline (or its absence) are kept. What a settings editor must get
right — layout, comments' positions, key order, quoting style, value types — survives; the authors'
prose, paths and any credential do not.

    python tests/corpus/reduce.py RAW_MODULE OUT_DIR   # how tests/corpus/files was made
"""

from __future__ import annotations

import re

_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}|\\.")


def scramble(text: str) -> str:
    out = []
    for ch in text:
        if "a" <= ch <= "z":
            out.append("x")
        elif "A" <= ch <= "Z":
            out.append("X")
        elif ch.isalpha():
            out.append("ü")
        else:
            out.append(ch)
    return "".join(out)


def _scramble_escaped(inner: str) -> str:
    """Scramble a quoted string's content but keep escape sequences (\\n, \\", \\u00e9) intact."""
    out, pos = [], 0
    for match in _ESCAPE.finditer(inner):
        out.append(scramble(inner[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(scramble(inner[pos:]))
    return "".join(out)


# -- JSON / JSONC --------------------------------------------------------------------------------------------
_JSON_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/', re.S)


def reduce_json(text: str) -> str:
    out, pos = [], 0
    for match in _JSON_TOKEN.finditer(text):
        out.append(text[pos:match.start()])
        token = match.group(0)
        if token.startswith("//"):
            out.append("//" + scramble(token[2:]))
        elif token.startswith("/*"):
            out.append("/*" + scramble(token[2:-2]) + "*/")
        else:
            rest = _JSON_TOKEN.sub(" ", text[match.end():match.end() + 200]).lstrip()
            is_key = rest.startswith(":")
            out.append(token if is_key else '"' + _scramble_escaped(token[1:-1]) + '"')
        pos = match.end()
    out.append(text[pos:])
    return "".join(out)


# -- TOML ------------------------------------------------------------------------------------------------------
def reduce_toml(text: str) -> str:
    out = []
    i, n = 0, len(text)
    in_value = False
    depth = 0
    at_line_start = True
    while i < n:
        ch = text[i]
        if at_line_start and not in_value and depth == 0:
            stripped = text[i:].lstrip(" \t")
            skip = len(text[i:]) - len(stripped)
            if stripped.startswith("["):  # a table header: kept as written
                end = text.find("\n", i)
                end = n if end < 0 else end
                header = text[i:end]
                comment = _toml_comment_start(header)
                if comment >= 0:
                    out.append(header[:comment] + "#" + scramble(header[comment + 1:]))
                else:
                    out.append(header)
                i = end
                at_line_start = False
                continue
            out.append(text[i:i + skip])
            i += skip
            at_line_start = False
            continue
        if ch == "\n":
            out.append(ch)
            i += 1
            at_line_start = True
            if depth == 0:
                in_value = False
            continue
        if ch == "#":
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append("#" + scramble(text[i + 1:end]))
            i = end
            continue
        if ch in "\"'":
            triple = text[i:i + 3] in ('"""', "'''")
            quote = text[i:i + 3] if triple else ch
            j = i + len(quote)
            while j < n:
                if quote[0] == '"' and text[j] == "\\":
                    j += 2
                    continue
                if text.startswith(quote, j):
                    break
                j += 1
            inner = text[i + len(quote):j]
            if in_value:
                inner = _scramble_escaped(inner) if quote[0] == '"' else scramble(inner)
            out.append(quote + inner + quote)
            i = j + len(quote)
            continue
        if ch == "=" and not in_value:
            in_value = True
        elif in_value and ch in "[{":
            depth += 1
        elif in_value and ch in "]}":
            depth -= 1
        out.append(ch)
        i += 1
    return "".join(out)


def _toml_comment_start(line: str) -> int:
    quote = None
    for index, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return index
    return -1


# -- YAML ------------------------------------------------------------------------------------------------------
_YAML_SPECIAL = re.compile(r"^(?:true|false|True|False|TRUE|FALSE|yes|no|on|off|null|Null|NULL|~|[-+0-9.][0-9._:eE+-]*)$")


def _yaml_comment_start(line: str) -> int:
    quote = None
    for index, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'" and (index == 0 or line[index - 1] in " \t:-[{,"):
            quote = ch
        elif ch == "#" and (index == 0 or line[index - 1] in " \t"):
            return index
    return -1


def _yaml_value(value: str) -> str:
    stripped = value.strip()
    if not stripped or _YAML_SPECIAL.match(stripped) or stripped[0] in "&*!|>" or stripped in ("{}", "[]"):
        if stripped[:1] == "&":  # an anchor, then maybe a value
            name, _, rest = stripped.partition(" ")
            lead = value[:len(value) - len(value.lstrip())]
            return lead + name + (" " + _yaml_value(rest) if rest else "") + value[len(value.rstrip()):]
        return value
    if stripped[0] in "\"'":
        quote = stripped[0]
        lead = value[:value.index(quote)]
        close = value.rindex(quote)
        inner = value[len(lead) + 1:close]
        return lead + quote + (_scramble_escaped(inner) if quote == '"' else scramble(inner)) + quote + value[close + 1:]
    return scramble(value)


def reduce_yaml(text: str) -> str:
    out = []
    block_indent = None  # inside a block scalar: lines indented more than this are its content
    for line in text.splitlines(keepends=True):
        body = line.rstrip("\r\n")
        ending = line[len(body):]
        indent = len(body) - len(body.lstrip(" "))
        if block_indent is not None:
            if not body.strip() or indent > block_indent:
                out.append(scramble(body) + ending)
                continue
            block_indent = None
        if body.lstrip().startswith(("%", "---", "...")):
            out.append(line)
            continue
        comment = _yaml_comment_start(body)
        code, note = (body, "") if comment < 0 else (body[:comment], "#" + scramble(body[comment + 1:]))
        match = re.match(r"^(\s*(?:-\s+)*)((?:\"[^\"]*\"|'[^']*'|[^\s\"'#][^:#]*?)\s*:(?=\s|$))?(.*)$", code)
        lead, key, value = match.group(1), match.group(2) or "", match.group(3)
        if key or value.strip():
            new_value = _yaml_value(value)
            if re.match(r"^\s*(?:&\S+\s+)?[|>][-+0-9]*\s*$", value):
                block_indent = indent
            code = lead + key + new_value
        out.append(code + note + ending)
    return "".join(out)


REDUCERS = {"json": reduce_json, "jsonc": reduce_json, "toml": reduce_toml, "yaml": reduce_yaml}
