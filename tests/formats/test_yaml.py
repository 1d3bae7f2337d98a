"""YAML: line splices at libyaml positions; untouched lines stay byte for byte."""

from __future__ import annotations

import pytest

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.yaml import YamlDocument

CONTINUE = """\
# Continue config
name: Local Assistant   # my name
version: 1.0.0
schema: v1
models:
  - name: Llama
    provider: ollama
    model: llama3
    roles: [chat, edit]
    apiKey: "quoted"
context:
  - provider: code

rules:
  - 'single quoted'
"""


def run(text, *ops):
    doc = YamlDocument(text, "config.yaml")
    for op in ops:
        if op[0] == "set":
            doc.set(op[1], op[2])
        else:
            doc.delete(op[1])
    return doc.text


def test_set_keeps_every_other_line_byte_for_byte():
    out = run(CONTINUE, ("set", ("schema",), "v2"))
    assert out == CONTINUE.replace("schema: v1", "schema: v2")


def test_odd_spacing_that_ruamel_would_normalise_is_kept():
    text = "key:    value   # c\nlist:\n- a\n- b\nmodel: x\n"
    out = run(text, ("set", ("model",), "openai/y"), ("set", ("weak-model",), "openai/f"))
    assert out == "key:    value   # c\nlist:\n- a\n- b\nmodel: openai/y\nweak-model: openai/f\n"


def test_delete_keeps_the_users_comments_below_our_key():
    text = "a: 1\nours: x\n# about b\nb: 2\n"
    assert run(text, ("delete", ("ours",))) == "a: 1\n# about b\nb: 2\n"


def test_add_then_delete_is_identity():
    once = run(CONTINUE, ("set", ("bytespike", "x"), [1, 2]), ("set", ("y",), "z"))
    assert once != CONTINUE
    assert run(once, ("delete", ("bytespike",)), ("delete", ("y",))) == CONTINUE


def test_crlf_and_bom():
    text = "\ufeffa: 1\r\nb:\r\n  - x\r\n"
    out = run(text, ("set", ("c", "d"), 1))
    assert out == "\ufeffa: 1\r\nb:\r\n  - x\r\nc:\r\n  d: 1\r\n"
    assert run(out, ("delete", ("c",))) == text


def test_comment_only_file_keeps_its_comments():
    text = "## aider sample\n#model: gpt-4\n"
    out = run(text, ("set", ("model",), "openai/m"))
    assert out == "## aider sample\n#model: gpt-4\nmodel: openai/m\n"


def test_empty_file():
    assert run("", ("set", ("a",), "b")) == "a: b\n"


def test_sequence_indent_style_is_followed():
    text = "models:\n  - name: a\n    p: 1\n"
    out = run(text, ("set", ("models",), [{"name": "a", "p": 1}, {"name": "b", "p": {"q": 2}}]))
    assert out == "models:\n  - name: a\n    p: 1\n  - name: b\n    p:\n      q: 2\n"


@pytest.mark.parametrize(
    "text, line",
    [
        ("a: 1\nb: [1, 2\nc: 3\n", 3),
        ("a: 1\n  b: 2\n", 2),
        ("a: 1\na: 2\n", 2),
        ('a: "x\n', 2),
    ],
)
def test_errors_name_file_and_line(text, line):
    with pytest.raises(ConfigFileError) as info:
        YamlDocument(text, "/c/config.yaml")
    assert info.value.line == line
    assert "/c/config.yaml" in info.value.message


def test_top_level_shape_must_fit_the_path():
    from bytespike_cli.formats.common import Match

    with pytest.raises(ConfigFileError):
        YamlDocument("- name: a\n", "x.yml").set(("model",), "m")
    with pytest.raises(ConfigFileError):
        YamlDocument("a: 1\n", "x.yml").set((Match("name", "b"),), {"name": "b"})
    with pytest.raises(ConfigFileError):
        YamlDocument("just a string\n", "x.yml")


def test_list_items_matched_by_name():
    from bytespike_cli.formats.common import Match

    text = "# mine\n- name: a\n  x: 1   # keep\n"
    doc = YamlDocument(text, "s.yml")
    doc.set((Match("name", "b"),), {"name": "b", "y": [1, 2]})
    doc.set((Match("name", "a"), "x"), 2)
    assert doc.data == [{"name": "a", "x": 2}, {"name": "b", "y": [1, 2]}]
    assert "# keep" in doc.text
    doc.set((Match("name", "a"), "x"), 1)
    doc.delete((Match("name", "b"),))
    assert doc.text == text


@pytest.mark.parametrize("gap", [" ", "   ", "      "])
def test_the_gap_before_a_trailing_comment_is_kept_when_the_value_changes(gap):
    """Review P2: `model: sonnet   # I like sonnet` drifted to one space, then to a column."""
    text = f"model: sonnet{gap}# I like sonnet\ndark-mode: true\n"
    doc = YamlDocument(text, "c.yml")
    doc.set(("model",), "openai/claude-sonnet-4-6")
    assert doc.text == f"model: openai/claude-sonnet-4-6{gap}# I like sonnet\ndark-mode: true\n"
    doc.set(("model",), "sonnet")
    assert doc.text == text


def test_a_hash_inside_a_quoted_value_is_not_taken_for_a_comment():
    doc = YamlDocument('title: "a # b"   # real comment\n', "c.yml")
    doc.set(("title",), "c # d")
    assert doc.get(("title",)) == "c # d" and doc.text.endswith("   # real comment\n")
