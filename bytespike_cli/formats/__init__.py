"""Surgical edits of other programs' settings files, one module per format, one safe_write for all.

Each text format offers a document class with the same small shape (:class:`common.Document`):
``data``, ``get(path)``, ``set(path, value)``, ``delete(path)`` and ``text``. Every ``set`` and
``delete`` re-parses the result and checks that nothing but the addressed key changed.
"""

from __future__ import annotations

from pathlib import Path

from bytespike_cli.formats.common import MISSING, Document, KeyPath, decode_text, same_value  # noqa: F401

TEXT_FORMATS = ("json", "jsonc", "jsonc-list", "yaml", "yaml-1.1", "toml", "dotenv")


def open_document(fmt: str, text: str, path: Path | str = "<text>") -> Document:
    """Parse ``text`` as ``fmt``; a syntax error is a ConfigFileError naming file and line."""
    if fmt in ("json", "jsonc", "jsonc-list"):
        from bytespike_cli.formats.jsonc import JsoncDocument

        # "json": a program that reads strict JSON (comments and trailing commas are an error);
        # "jsonc-list": JSONC whose top level is a list of entries, not an object
        return JsoncDocument(text, path, strict=fmt == "json", top="array" if fmt == "jsonc-list" else "object")
    if fmt in ("yaml", "yaml-1.1"):
        from bytespike_cli.formats.yaml import YamlDocument

        # "yaml": YAML 1.2 (Continue's reader); "yaml-1.1": PyYAML's YAML 1.1 (Aider reads its files so)
        return YamlDocument(text, path, version="1.1" if fmt == "yaml-1.1" else "1.2")
    if fmt == "toml":
        from bytespike_cli.formats.toml import TomlDocument

        return TomlDocument(text, path)
    if fmt == "dotenv":
        from bytespike_cli.formats.dotenv import DotenvDocument

        return DotenvDocument(text, path)
    raise ValueError(f"unknown format {fmt!r}")
