"""The JSONC span editor: every byte outside the edit stays."""

from __future__ import annotations

import json

import pytest

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import MISSING
from bytespike_cli.formats.jsonc import JsoncDocument, parse

ZED = """\
// Zed settings
{
  "theme": "One Dark", // my theme
  /* fonts */
  "buffer_font_size": 15,
  "agent": {
    "always_allow_tool_actions": false,
  },
  "languages": {"Python": {"tab_size": 4}},
}
"""


def edited(text: str, *ops) -> str:
    doc = JsoncDocument(text, "settings.json")
    for op in ops:
        if op[0] == "set":
            doc.set(op[1], op[2])
        else:
            doc.delete(op[1])
    return doc.text


def test_parse_accepts_comments_trailing_commas_bom():
    assert parse("\ufeff// c\n{\"a\": [1, 2,], /* x */ \"b\": {\"c\": null,},}") == {"a": [1, 2], "b": {"c": None}}
    assert parse("  // only a comment\n") is MISSING


def test_set_new_key_keeps_everything_else():
    out = edited(ZED, ("set", ("agent", "default_model"), {"provider": "bytespike", "model": "m"}))
    assert out.startswith('// Zed settings\n{\n  "theme": "One Dark", // my theme\n  /* fonts */\n')
    assert '"languages": {"Python": {"tab_size": 4}},\n}\n' in out
    # trailing-comma style of the object is continued
    assert '    "always_allow_tool_actions": false,\n    "default_model": {\n' in out
    assert parse(out)["agent"]["default_model"] == {"provider": "bytespike", "model": "m"}


def test_new_nested_objects_follow_the_files_indentation():
    text = '{\n    "a": 1\n}\n'
    out = edited(text, ("set", ("x", "y", "z"), "v"))
    assert out == '{\n    "a": 1,\n    "x": {\n        "y": {\n            "z": "v"\n        }\n    }\n}\n'


def test_tabs_are_kept():
    out = edited('{\n\t"a": 1\n}', ("set", ("b",), [1]))
    assert out == '{\n\t"a": 1,\n\t"b": [\n\t\t1\n\t]\n}'


def test_crlf_and_bom_survive():
    text = "\ufeff{\r\n  \"a\": 1\r\n}\r\n"
    out = edited(text, ("set", ("env", "K"), "v"))
    assert out == "\ufeff{\r\n  \"a\": 1,\r\n  \"env\": {\r\n    \"K\": \"v\"\r\n  }\r\n}\r\n"
    assert edited(out, ("delete", ("env",))) == text


def test_replace_value_in_place():
    text = '{"model": "opus", "x": 1}'
    assert edited(text, ("set", ("model",), "sonnet")) == '{"model": "sonnet", "x": 1}'


def test_same_value_is_no_change():
    doc = JsoncDocument('{"a": {"b": [1, 2]}}')
    assert doc.set(("a", "b"), [1, 2]) is False
    assert doc.set(("a", "b"), [1, 2.0]) is True  # 2.0 is written differently


def test_true_and_1_are_different_values():
    doc = JsoncDocument('{"a": 1}')
    assert doc.set(("a",), True) is True
    assert doc.text == '{"a": true}'


def test_comment_after_last_member_stays_on_its_line():
    text = '{\n  "a": 1 // about a\n}\n'
    out = edited(text, ("set", ("b",), 2))
    assert out == '{\n  "a": 1, // about a\n  "b": 2\n}\n'


@pytest.mark.parametrize(
    "text, key, expected",
    [
        ('{"a": 1, "k": 2}', "k", '{"a": 1}'),
        ('{"k": 2, "a": 1}', "k", '{"a": 1}'),
        ('{"a": 1, "k": 2, "b": 3}', "k", '{"a": 1, "b": 3}'),
        ('{"c": [1,2,], "k": true,}', "k", '{"c": [1,2,],}'),
        ('{"k": 2}', "k", "{}"),
        ('{\n  "a": 1,\n  "k": 2\n}\n', "k", '{\n  "a": 1\n}\n'),
        ('{\n  "k": {\n    "x": 1\n  },\n  "a": 1\n}\n', "k", '{\n  "a": 1\n}\n'),
        ('{\n  "k": 2\n}\n', "k", "{}\n"),
        ('{\n  "a": 1, // keep me\n  "k": 2\n}\n', "k", '{\n  "a": 1 // keep me\n}\n'),
    ],
)
def test_delete(text, key, expected):
    assert edited(text, ("delete", (key,))) == expected


def test_insert_then_delete_is_identity_on_common_shapes():
    for text in ['{}', '{}\n', '{\n  "a": 1\n}\n', '{"a": 1}', '{\n  "a": 1,\n}\n', ZED]:
        once = edited(text, ("set", ("bytespike",), {"x": [1, 2]}))
        assert once != text
        assert edited(once, ("delete", ("bytespike",))) == text


def test_empty_and_comment_only_files_get_an_object():
    assert edited("", ("set", ("a",), 1)) == '{\n  "a": 1\n}\n'
    assert edited("\ufeff", ("set", ("a",), 1)) == '\ufeff{\n  "a": 1\n}\n'
    assert edited("// hello\n", ("set", ("a",), 1)) == '// hello\n{\n  "a": 1\n}\n'


def test_scalar_in_the_way_is_replaced_by_an_object():
    out = edited('{"agent": "x"}', ("set", ("agent", "default_model"), 1))
    assert json.loads(out) == {"agent": {"default_model": 1}}


def test_duplicate_key_last_one_wins_and_delete_removes_all():
    doc = JsoncDocument('{"a": 1, "a": 2}')
    assert doc.get(("a",)) == 2
    doc.set(("a",), 3)
    assert parse(doc.text) == {"a": 3}
    doc.delete(("a",))
    assert parse(doc.text) == {}


@pytest.mark.parametrize(
    "text, line",
    [
        ('{\n  "a": 1,\n  "b": ,\n}\n', 3),
        ('{\n  "a": 1\n  "b": 2\n}\n', 3),
        ('{\n  "a": "unterminated\n}\n', 2),
        ('{\n  "a": 1\n', 1),
        ('{\n  /* never closed\n}', 2),
        ('{"a": 1} trailing', 1),
    ],
)
def test_syntax_errors_name_file_and_line(text, line):
    with pytest.raises(ConfigFileError) as info:
        JsoncDocument(text, "/x/settings.json")
    assert info.value.line == line
    assert info.value.message.startswith(f"/x/settings.json:{line}: not valid JSON")


def test_top_level_must_be_an_object():
    with pytest.raises(ConfigFileError):
        JsoncDocument("[1, 2]", "f.json")


def test_array_under_path_is_an_error_not_a_crash():
    doc = JsoncDocument('{"a": [1]}', "f.json")
    with pytest.raises(ConfigFileError):
        doc.set(("a", "b"), 1)


# -- strict JSON (files whose program rejects comments and trailing commas) ------------------------------
@pytest.mark.parametrize(
    "text, line, what",
    [
        ('{\n  // comment\n  "env": {"A": "1"}\n}\n', 2, "a comment"),
        ('{\n  "env": {"A": "1",}\n}\n', 2, "a trailing comma"),
        ('{\n  "a": [1, 2,]\n}\n', 2, "a trailing comma"),
        ('{"a": 1} /* tail */', 1, "a comment"),
    ],
)
def test_strict_json_refuses_comments_and_trailing_commas(text, line, what):
    from bytespike_cli.formats import open_document

    assert open_document("jsonc", text, "f.json").data  # the lenient reader takes it
    with pytest.raises(ConfigFileError) as info:
        open_document("json", text, "/x/settings.json")
    assert info.value.line == line and what in info.value.message
    assert info.value.message.startswith(f"/x/settings.json:{line}:") and "strict JSON" in info.value.message


def test_strict_json_reads_and_edits_plain_json():
    doc = JsoncDocument('{\r\n    "a": 1\r\n}', "f.json", strict=True)
    doc.set(("b", "c"), [1])
    assert doc.text == '{\r\n    "a": 1,\r\n    "b": {\r\n        "c": [\r\n            1\r\n        ]\r\n    }\r\n}'


# -- list items addressed by a key (Continue's `models`) -----------------------------------------------
CONTINUE_JSON = """\
{
  // my models
  "models": [
    {"title": "GPT-4", "provider": "openai", "model": "gpt-4", "apiKey": "sk-x"},
  ],
  "tabAutocompleteModel": {"title": "x", "provider": "ollama", "model": "y"}
}
"""


def test_match_appends_a_missing_item_keeping_the_lists_style():
    from bytespike_cli.formats.common import Match

    entry = {"title": "m (ByteSpike)", "provider": "openai", "model": "m"}
    out = edited(CONTINUE_JSON, ("set", ("models", Match("title", "m (ByteSpike)")), entry))
    assert out.startswith('{\n  // my models\n  "models": [\n    {"title": "GPT-4", "provider": "openai", '
                          '"model": "gpt-4", "apiKey": "sk-x"},\n    {\n      "title": "m (ByteSpike)",')
    assert '    },\n  ],\n  "tabAutocompleteModel"' in out  # the trailing-comma style goes on
    assert parse(out)["models"][1] == entry


def test_match_replaces_an_item_in_place_and_reads_its_fields():
    from bytespike_cli.formats.common import Match

    doc = JsoncDocument(CONTINUE_JSON, "c.json")
    assert doc.get(("models", Match("title", "GPT-4"), "model")) == "gpt-4"
    assert doc.get(("models", Match("title", "nope"))) is MISSING
    doc.set(("models", Match("title", "GPT-4"), "model"), "gpt-4o")
    assert doc.text == CONTINUE_JSON.replace('"model": "gpt-4",', '"model": "gpt-4o",')


def test_match_delete_removes_only_that_item_and_empties_cleanly():
    from bytespike_cli.formats.common import Match

    doc = JsoncDocument('{\n  "models": [\n    {"title": "a"},\n    {"title": "b"}\n  ]\n}\n', "c.json")
    assert doc.delete(("models", Match("title", "b")))
    assert doc.text == '{\n  "models": [\n    {"title": "a"}\n  ]\n}\n'
    assert doc.delete(("models", Match("title", "a")))
    assert doc.text == '{\n  "models": []\n}\n'
    assert not doc.delete(("models", Match("title", "a")))
    inline = JsoncDocument('{"models": [{"title": "a"}, {"title": "b"}, {"title": "c"}]}', "c.json")
    inline.delete(("models", Match("title", "b")))
    assert inline.text == '{"models": [{"title": "a"}, {"title": "c"}]}'


def test_match_creates_the_list_when_missing_or_replaces_a_non_list():
    from bytespike_cli.formats.common import Match

    assert parse(edited("", ("set", ("models", Match("title", "a")), {"title": "a"}))) == {"models": [{"title": "a"}]}
    assert parse(edited('{"x": 1}', ("set", ("models", Match("title", "a"), "model"), "m"))) == \
        {"x": 1, "models": [{"title": "a", "model": "m"}]}
    assert parse(edited('{"models": {}}', ("set", ("models", Match("title", "a")), {"title": "a"}))) == \
        {"models": [{"title": "a"}]}


# -- putting a value back the way it was written -------------------------------------------------------
def test_restore_uses_the_original_text_of_a_replaced_value():
    text = '{\n  "agent": {\n    "default_model": { "provider": "zed.dev", "model": "claude-sonnet-4" }\n  }\n}\n'
    doc = JsoncDocument(text, "z.json")
    original = doc.source(("agent", "default_model"))
    assert original == {"text": '{ "provider": "zed.dev", "model": "claude-sonnet-4" }', "before": None}
    doc.set(("agent", "default_model"), {"provider": "bytespike", "model": "m"})
    assert doc.restore(("agent", "default_model"), {"provider": "zed.dev", "model": "claude-sonnet-4"},
                       text=original["text"])
    assert doc.text == text


def test_restore_puts_a_deleted_member_back_in_its_place():
    text = '{\n  "env": {\n    "A": "1",\n    "ANTHROPIC_API_KEY": "sk-ant-x",\n    "B": "2"\n  }\n}\n'
    doc = JsoncDocument(text, "s.json")
    where = doc.source(("env", "ANTHROPIC_API_KEY"))
    assert where["before"] == "B"
    doc.delete(("env", "ANTHROPIC_API_KEY"))
    doc.restore(("env", "ANTHROPIC_API_KEY"), "sk-ant-x", text=where["text"], before=where["before"])
    assert doc.text == text
    inline = JsoncDocument('{"a": 1, "k": 2, "b": 3}', "s.json")
    inline.delete(("k",))
    inline.restore(("k",), 2, text="2", before="b")
    assert inline.text == '{"a": 1, "k": 2, "b": 3}'


def test_restore_ignores_a_text_that_does_not_mean_the_value():
    doc = JsoncDocument('{"a": 1}', "s.json")
    doc.restore(("a",), {"x": [1, 2]}, text='{"x": 3}')
    assert parse(doc.text) == {"a": {"x": [1, 2]}}


# -- files whose top level is a list (VS Code's chatLanguageModels.json) ------------------------------------
LIST = """\
// model groups
[
  {"name": "Local", "vendor": "ollama"}, // mine
  /* cloud */
  {"name": "Cloud", "vendor": "openrouter"}
]
"""


def test_a_list_file_gets_a_new_named_item_with_its_name_and_keeps_every_other_byte():
    from bytespike_cli.formats import open_document
    from bytespike_cli.formats.common import Match

    doc = open_document("jsonc-list", LIST, "models.json")
    group = Match("name", "ByteSpike")
    assert doc.set((group, "vendor"), "customendpoint")
    assert doc.set((group, "models"), [{"id": "gpt-5-5"}])
    data = doc.data
    assert data[2] == {"name": "ByteSpike", "vendor": "customendpoint", "models": [{"id": "gpt-5-5"}]}
    assert doc.text.startswith(LIST[: LIST.index("\n]")])  # the user's items and comments, byte for byte
    assert doc.delete((group,))
    assert doc.text == LIST


@pytest.mark.parametrize("text", ["", "// nothing yet\n", "[]"])
def test_a_list_file_is_created_from_nothing_as_a_list(text):
    from bytespike_cli.formats import open_document
    from bytespike_cli.formats.common import Match

    doc = open_document("jsonc-list", text, "models.json")
    assert doc.data == []
    doc.set((Match("name", "ByteSpike"),), {"name": "ByteSpike", "vendor": "customendpoint"})
    assert json.loads(doc.text.split("\n", 1)[1] if text.startswith("//") else doc.text) == [
        {"name": "ByteSpike", "vendor": "customendpoint"}]
    assert doc.text.startswith(text.rstrip("[]"))


def test_a_list_file_holding_an_object_is_an_error_and_an_object_file_holding_a_list_too():
    from bytespike_cli.formats import open_document

    with pytest.raises(ConfigFileError, match="expected a JSON list"):
        open_document("jsonc-list", '{"name": "x"}', "models.json")
    with pytest.raises(ConfigFileError, match="expected a JSON object"):
        open_document("jsonc", "[1, 2]", "settings.json")
