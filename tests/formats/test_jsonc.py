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
