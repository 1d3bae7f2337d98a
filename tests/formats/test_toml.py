"""TOML through tomlkit: comments, order, CRLF and BOM survive; tables appear as [a.b]."""

from __future__ import annotations

import pytest

from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats.toml import TomlDocument

CODEX = """\
# my codex config
model = "o3"   # default
approval_policy = "on-request"

[mcp_servers.docs]
command = "npx"
args = ["-y", "mcp-docs"]   # docs server

[profiles.deep]
model = "o3-pro"
"""


def test_root_keys_go_above_tables_and_tables_are_dotted_headers():
    doc = TomlDocument(CODEX, "config.toml")
    doc.set(("model_provider",), "bytespike")
    doc.set(("model_providers", "bytespike", "name"), "ByteSpike")
    doc.set(("model_providers", "bytespike", "auth"), {"command": "/bin/b", "args": ["x"]})
    text = doc.text
    assert text.index('model_provider = "bytespike"') < text.index("[mcp_servers.docs]")
    assert "[model_providers.bytespike]\nname = \"ByteSpike\"" in text
    assert "[model_providers.bytespike.auth]\ncommand = \"/bin/b\"" in text
    assert "[model_providers]\n" not in text
    assert 'args = ["-y", "mcp-docs"]   # docs server' in text


def test_set_then_delete_is_identity():
    doc = TomlDocument(CODEX, "config.toml")
    doc.set(("model",), "gpt-5-5")
    doc.set(("model_providers", "bytespike", "name"), "ByteSpike")
    doc.set(("profiles", "bytespike-fast", "model"), "m")
    doc.set(("model",), "o3")
    doc.delete(("model_providers", "bytespike"))
    doc.delete(("profiles", "bytespike-fast"))
    assert doc.text == CODEX
    assert "model_providers" not in doc.data


def test_crlf_and_bom():
    text = "\ufeffa = 1\r\n\r\n[t]\r\nb = 2\r\n"
    doc = TomlDocument(text, "c.toml")
    doc.set(("c",), "x")
    doc.set(("u", "v"), 1)
    assert "\n" not in doc.text.replace("\r\n", "")
    assert doc.text.startswith("\ufeffa = 1\r\nc = \"x\"\r\n")
    doc.delete(("u",))
    doc.delete(("c",))
    assert doc.text == text


def test_no_change_for_same_value():
    doc = TomlDocument(CODEX, "c.toml")
    assert doc.set(("model",), "o3") is False
    assert doc.text == CODEX


def test_parse_error_names_line():
    with pytest.raises(ConfigFileError) as info:
        TomlDocument('a = 1\n\n[b\nc = 2\n', "/x/config.toml")
    assert info.value.line == 3
    assert "/x/config.toml:3" in info.value.message


def test_scalar_in_the_way_is_an_error():
    doc = TomlDocument('model_providers = "x"\n', "c.toml")
    with pytest.raises(ConfigFileError):
        doc.set(("model_providers", "bytespike", "name"), "B")
