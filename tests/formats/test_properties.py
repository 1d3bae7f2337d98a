"""Property tests over generated JSONC / YAML / TOML documents.

For each generated document (random keys, nesting, comments, indentation, CRLF, BOM, trailing
commas): a setup through the real engine leaves a document that parses to exactly the old data plus
our keys, keeps every comment, and ``undo`` restores the exact original bytes.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import data_set
from bytespike_cli.tools.base import FilePlan, Integration, Plan, Set
from bytespike_cli.setup.engine import Engine

KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=6)
SCALAR = st.one_of(st.integers(-1000, 1000), st.booleans(), st.text(alphabet="abc xyz-_./", max_size=8))
OUR_EDITS = [
    (("bytespike_provider", "api_url"), "https://llm.bytespike.ai/v1"),
    (("bytespike_provider", "models"), ["m-1", "m-2"]),
    (("bytespike_model",), "claude-sonnet-4-6"),
]
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class FileTool(Integration):
    """A stand-in tool whose plan is given: the engine under test is real."""

    name = "prop"
    title = "Property tool"

    def __init__(self, plan: Plan):
        super().__init__()
        self._plan = plan

    def files(self):
        return tuple(f.path for f in self._plan.files)

    def detect(self):  # pragma: no cover - not used here
        raise NotImplementedError

    def plan(self, request):
        return self._plan


def nested(depth: int = 3):
    return st.recursive(
        SCALAR,
        lambda children: st.dictionaries(KEY, children, max_size=4),
        max_leaves=12,
    ).filter(lambda v: True)


DOCS = st.dictionaries(KEY, nested(), max_size=6)


def check_setup_and_undo(fmt: str, text: str, edits, comments: list[str]) -> None:
    original = text.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"settings.{fmt}"
        path.write_bytes(original)
        before = open_document(fmt, text, path).data
        plan = Plan("prop", (FilePlan(path, fmt, tuple(Set(p, v) for p, v in edits)),))
        engine = Engine(Path(tmp) / "state")
        tool = FileTool(plan)
        engine.apply(tool, plan)
        after_text = path.read_bytes().decode("utf-8")
        expected = json.loads(json.dumps(before))
        for key_path, value in edits:
            data_set(expected, key_path, value)
        assert open_document(fmt, after_text, path).data == expected
        for comment in comments:
            assert comment in after_text
        assert engine.apply(tool, plan).written == ()  # idempotent
        engine.undo("prop")
        assert path.read_bytes() == original


# -- JSONC -------------------------------------------------------------------------------------------
@st.composite
def jsonc_documents(draw):
    data = draw(DOCS)
    unit = draw(st.sampled_from(["  ", "    ", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    trailing = draw(st.booleans())
    bom = draw(st.sampled_from(["", "\ufeff"]))
    comment_ids = iter(range(10_000))
    comments: list[str] = []

    def comment() -> str:
        if not draw(st.booleans()):
            return ""
        text = f"note {next(comment_ids)}"
        comments.append(text)
        return text

    def render(value, depth):
        if not isinstance(value, dict):
            return json.dumps(value)
        if not value:
            return "{}"
        pad = unit * (depth + 1)
        lines = []
        items = list(value.items())
        for index, (key, item) in enumerate(items):
            above = comment()
            if above:
                lines.append(f"{pad}// {above}")
            comma = "," if index < len(items) - 1 or trailing else ""
            inline = comment()
            tail = f" /* {inline} */" if inline else ""
            lines.append(f"{pad}{json.dumps(key)}: {render(item, depth + 1)}{comma}{tail}")
        return "{" + newline + newline.join(lines) + newline + unit * depth + "}"

    head = comment()
    text = bom + (f"// {head}{newline}" if head else "") + render(data, 0) + newline
    return text, comments


@PROPS
@given(jsonc_documents(), st.sets(st.sampled_from(range(len(OUR_EDITS))), min_size=1))
def test_jsonc_setup_keeps_data_and_comments_and_undo_is_exact(doc, chosen):
    text, comments = doc
    check_setup_and_undo("jsonc", text, [OUR_EDITS[i] for i in sorted(chosen)], comments)


@PROPS
@given(jsonc_documents(), KEY, SCALAR)
def test_jsonc_insert_then_delete_restores_the_text(doc, key, value):
    text, _ = doc
    document = open_document("jsonc", text, "x.json")
    if key in document.data:
        return
    document.set((key,), value)
    document.delete((key,))
    assert document.text == text


# -- YAML --------------------------------------------------------------------------------------------
YAML_KEY = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=6).filter(
    lambda k: k not in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
)
YAML_SCALAR = st.one_of(st.integers(-1000, 1000), st.text(alphabet="abcxyz", min_size=1, max_size=6).filter(
    lambda s: s not in {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}
))


@st.composite
def yaml_documents(draw):
    data = draw(st.dictionaries(YAML_KEY, st.recursive(
        YAML_SCALAR, lambda children: st.dictionaries(YAML_KEY, children, min_size=1, max_size=3), max_leaves=8,
    ), max_size=6))
    unit = draw(st.sampled_from([2, 4]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    comments: list[str] = []
    counter = iter(range(10_000))

    def comment() -> str:
        if not draw(st.booleans()):
            return ""
        text = f"note {next(counter)}"
        comments.append(text)
        return text

    lines: list[str] = []

    def render(value, depth):
        for key, item in value.items():
            pad = " " * (unit * depth)
            above = comment()
            if above:
                lines.append(f"{pad}# {above}")
            inline = comment()
            tail = f"  # {inline}" if inline else ""
            if isinstance(item, dict):
                lines.append(f"{pad}{key}:{tail}")
                render(item, depth + 1)
            else:
                lines.append(f"{pad}{key}: {item}{tail}")

    render(data, 0)
    text = newline.join(lines) + (newline if lines else "")
    return text, comments


@PROPS
@given(yaml_documents(), st.sets(st.sampled_from(range(len(OUR_EDITS))), min_size=1))
def test_yaml_setup_keeps_data_and_comments_and_undo_is_exact(doc, chosen):
    text, comments = doc
    check_setup_and_undo("yaml", text, [OUR_EDITS[i] for i in sorted(chosen)], comments)


# -- TOML --------------------------------------------------------------------------------------------
TOML_SCALAR = st.one_of(st.integers(-1000, 1000), st.booleans(), st.text(alphabet="abc xyz-_./", max_size=8))


@st.composite
def toml_documents(draw):
    top = draw(st.dictionaries(KEY, TOML_SCALAR, max_size=4))
    tables = draw(st.dictionaries(KEY, st.dictionaries(KEY, TOML_SCALAR, max_size=4), max_size=3))
    tables = {k: v for k, v in tables.items() if k not in top}
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    comments: list[str] = []
    counter = iter(range(10_000))

    def comment() -> str:
        if not draw(st.booleans()):
            return ""
        text = f"note {next(counter)}"
        comments.append(text)
        return text

    def value(v):
        return json.dumps(v) if not isinstance(v, bool) else ("true" if v else "false")

    lines = []
    for key, item in top.items():
        above = comment()
        if above:
            lines.append(f"# {above}")
        inline = comment()
        lines.append(f"{key} = {value(item)}" + (f"  # {inline}" if inline else ""))
    for name, table in tables.items():
        lines.append("")
        lines.append(f"[{name}]")
        for key, item in table.items():
            inline = comment()
            lines.append(f"{key} = {value(item)}" + (f"  # {inline}" if inline else ""))
    text = newline.join(lines) + (newline if lines else "")
    return text, comments


@PROPS
@given(toml_documents(), st.sets(st.sampled_from(range(len(OUR_EDITS))), min_size=1))
def test_toml_setup_keeps_data_and_comments_and_undo_is_exact(doc, chosen):
    text, comments = doc
    check_setup_and_undo("toml", text, [OUR_EDITS[i] for i in sorted(chosen)], comments)


# -- JSONC list items (Continue's legacy config.json `models`) -----------------------------------------
@st.composite
def jsonc_model_lists(draw):
    """A document whose `models` list has the user's entries, in any of the styles people write."""
    titles = draw(st.lists(st.text(alphabet="abcxyz ", min_size=1, max_size=6), unique=True, max_size=4))
    items = [{"title": t, "provider": draw(st.sampled_from(["openai", "ollama"])), "n": draw(st.integers(0, 9))}
             for t in titles]
    unit = draw(st.sampled_from(["  ", "    ", "\t"]))
    newline = draw(st.sampled_from(["\n", "\r\n"]))
    trailing = draw(st.booleans())
    one_line_list = draw(st.booleans())
    comment = draw(st.booleans())
    rendered = [json.dumps(item) for item in items]
    if one_line_list or not items:
        body = "[" + ", ".join(rendered) + ("," if trailing and items else "") + "]"
    else:
        lines = [f"{unit * 2}{text}{',' if i < len(items) - 1 or trailing else ''}" for i, text in enumerate(rendered)]
        body = "[" + newline + newline.join(lines) + newline + unit + "]"
    head = f"{unit}// my models{newline}" if comment else ""
    text = "{" + newline + head + f'{unit}"models": {body},' + newline + f'{unit}"other": 1' + newline + "}" + newline
    return text, items


@PROPS
@given(jsonc_model_lists(), st.integers(0, 9))
def test_jsonc_list_item_insert_then_delete_restores_the_text(doc, number):
    from bytespike_cli.formats.common import Match

    text, items = doc
    document = open_document("jsonc", text, "config.json")
    ours = {"title": "m (ByteSpike)", "provider": "openai", "model": "m", "n": number}
    assert document.set(("models", Match("title", ours["title"])), ours)
    assert document.data == {"models": items + [ours], "other": 1}
    assert ("// my models" in document.text) == ("// my models" in text)
    changed = dict(ours, model="m2")
    document.set(("models", Match("title", ours["title"])), changed)
    assert document.data["models"] == items + [changed]
    assert document.delete(("models", Match("title", ours["title"])))
    assert document.text == text
