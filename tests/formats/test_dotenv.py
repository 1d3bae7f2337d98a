from __future__ import annotations

import pytest

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.dotenv import DotenvDocument


def test_set_replaces_in_place_and_appends():
    doc = DotenvDocument("# keys\r\nA=1\r\nexport B='x y'\r\n")
    doc.set(("B",), "z")
    doc.set(("C",), "has space")
    assert doc.text == '# keys\r\nA=1\r\nexport B=z\r\nC="has space"\r\n'
    assert doc.data == {"A": "1", "B": "z", "C": "has space"}


def test_missing_final_newline_is_handled():
    doc = DotenvDocument("A=1")
    doc.set(("K",), "v")
    assert doc.text == "A=1\nK=v\n"


def test_delete_removes_every_assignment_only():
    doc = DotenvDocument("A=1\nK=old\n# c\nK=v\n")
    assert doc.delete(("K",)) is True
    assert doc.text == "A=1\n# c\n"
    assert doc.delete(("K",)) is False


def test_quotes_round_trip():
    doc = DotenvDocument("")
    doc.set(("K",), 'a"b\\c #d')
    assert DotenvDocument(doc.text).data["K"] == 'a"b\\c #d'


def test_bad_line_is_an_error_with_line():
    with pytest.raises(ConfigFileError) as info:
        DotenvDocument("A=1\nthis is not\n", "/x/.env")
    assert info.value.line == 2
