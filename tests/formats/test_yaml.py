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


# -- issue 15: block scalars, and a line edit that cannot work is a refusal, not a "broken file" -----------------
def test_a_block_scalar_value_is_replaced_and_a_key_after_it_lands_below_it():
    assert run("prompt: |\n  line one\n  line two\nx: 1\n", ("set", ("prompt",), "short")) == "prompt: short\nx: 1\n"
    assert run("x: 1\nprompt: |\n  one\n", ("set", ("new",), "v")) == "x: 1\nprompt: |\n  one\nnew: v\n"


def test_an_edit_the_splicer_cannot_make_is_refused_naming_the_construct():
    from bytespike_cli.formats.yaml import YamlEditRefused

    with pytest.raises(YamlEditRefused) as info:
        run("? complex\n: 1\n", ("set", ("a",), 1))
    assert "complex key" in info.value.message and "would not be valid YAML" in info.value.message


def test_yaml_versions_are_read_as_each_tool_reads_them():
    text = "a: 0o17\nb: yes\nc: 012\nd: ~\n"
    assert YamlDocument(text, "c.yaml").data == {"a": 15, "b": "yes", "c": 12, "d": None}  # YAML 1.2 (Continue)
    assert YamlDocument(text, "c.yaml", version="1.1").data == {"a": "0o17", "b": True, "c": 10, "d": None}  # PyYAML
    # a %YAML 1.1 directive makes a 1.2 reader read 1.1
    assert YamlDocument("%YAML 1.1\n---\n" + text, "c.yaml").data["b"] is True


def test_a_large_file_is_only_parsed_where_it_is_edited():
    from bytespike_cli.formats import yaml as yaml_module

    big = "name: x\nprompts:\n" + "".join(f"  - name: p{i}\n    prompt: |\n      text {i}\n" for i in range(40000))
    assert len(big) > yaml_module.WHOLE_PARSE_BYTES
    doc = YamlDocument(big, "c.yaml")
    doc.set(("schema",), "v1")
    assert doc.text == big + "schema: v1\n"
    assert list(doc._cache) and all(end - start < 1000 for start, end in doc._cache)  # the prompts were never parsed


def test_appending_to_a_long_list_in_a_large_file_is_checked_without_parsing_the_list_again():
    import io

    from ruamel.yaml import YAML

    from bytespike_cli.formats.common import Match

    big = "name: x\nmodels:\n" + "".join(f"  - name: m{i}\n    provider: ollama\n" for i in range(20000)) + \
        "  # old entries below\n  # - name: gone\n"
    doc = YamlDocument(big, "c.yaml")
    doc.set(("models", Match("name", "ours")), {"name": "ours", "roles": ["chat"]})
    assert doc._known_data and not doc._cache  # proven from the new lines, nothing re-parsed
    expected_tail = "    provider: ollama\n  - name: ours\n    roles:\n      - chat\n  # old entries below\n"
    assert expected_tail in doc.text
    independent = YAML(typ="safe", pure=True).load(io.StringIO(doc.text))
    assert independent["models"][-1] == {"name": "ours", "roles": ["chat"]} and len(independent["models"]) == 20001
    assert doc.get(("models", Match("name", "ours"))) == {"name": "ours", "roles": ["chat"]}
