"""The shared harness: every tool, every fixture, detect → plan → apply → apply again → remove → undo.

Fixtures: a missing file in a missing directory, a missing file, an empty file, a file full of the
user's own settings (with comments where the format has them), the same with CRLF, with a BOM, as a
symlink into a dotfiles folder, and a broken file (error with file and line, file untouched).
"""

from __future__ import annotations

import os
import re
import stat

import pytest

from bytespike_cli import tools as registry
from bytespike_cli.errors import ConfigFileError
from bytespike_cli.formats import open_document
from bytespike_cli.formats.common import data_get
from bytespike_cli.tools.base import Set
from bytespike_cli.setup.engine import diff

from .cases import CASES
from .helpers import KEY, make_request, validate

KINDS = ["missing-dir", "missing-file", "empty", "rich", "crlf", "bom", "symlink"]


def leaves(data, prefix=()):
    if isinstance(data, dict) and data:
        for key, value in data.items():
            yield from leaves(value, prefix + (key,))
    else:
        yield prefix, data


def comment_texts(text: str, fmt: str) -> list[str]:
    pattern = {"json": r"//[^\r\n]*|/\*.*?\*/", "jsonc": r"//[^\r\n]*|/\*.*?\*/", "toml": r"#[^\r\n]*",
               "jsonc-list": r"//[^\r\n]*|/\*.*?\*/",
               "yaml": r"#[^\r\n]*", "dotenv": r"#[^\r\n]*"}[fmt]
    return [m.group(0) for m in re.finditer(pattern, text, re.S)]


def make_fixture(kind, path, case, home):
    """Lay out the fixture; returns the original bytes (None when the file does not exist)."""
    if kind == "missing-dir":
        if path.parent == home:
            pytest.skip("this tool's file lives in the home directory itself")
        assert not path.parent.exists()
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "missing-file":
        return None
    text = {"empty": "", "rich": case.rich, "crlf": case.rich.replace("\n", "\r\n"),
            "bom": "\ufeff" + case.rich, "symlink": case.rich}[kind]
    data = text.encode("utf-8")
    if kind == "symlink":
        real = home / "dotfiles" / path.name
        real.parent.mkdir(exist_ok=True)
        real.write_bytes(data)
        path.symlink_to(real)
    else:
        path.write_bytes(data)
        os.chmod(path, 0o640)
    return data


def history(engine):
    return engine.load_journal()["history"]


def backups(engine):
    root = engine.root / "backups"
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.fmt}" if c.fmt == "dotenv" else c.name)
def test_lifecycle(case, kind, home, engine):
    tool = registry.get(case.name)
    path = case.path(tool)
    original = make_fixture(kind, path, case, home)
    original_mode = stat.S_IMODE(os.stat(path).st_mode) if original is not None else None
    if kind == "bom" and case.fmt == "json":
        # issue 15: a strict-JSON reader (Claude Code's JSON.parse) rejects a BOM: refused, file untouched
        with pytest.raises(ConfigFileError, match="byte-order mark"):
            engine.changes(tool.plan(make_request(chat=case.chat, fast=case.fast)))
        assert path.read_bytes() == original
        return

    # detect: installed (its folder exists) or not, and not configured yet
    detection = tool.detect()
    assert not detection.configured
    assert path in detection.files

    # plan + dry-run diff: something to change, key never shown
    request = make_request(chat=case.chat, fast=case.fast)
    plan = tool.plan(request)
    changes = engine.changes(plan)
    shown = diff(changes, plan.secrets)
    assert shown.startswith("---") and KEY not in shown
    assert (path.read_bytes() if original is not None else None) == original  # a plan writes nothing

    # apply
    result = engine.apply(tool, plan, profile="default")
    assert path in result.written
    extra_files = [p for p in result.written if p != path]  # files the tool also reads, absent in every fixture
    assert all(p.exists() for p in extra_files)
    written = path.read_bytes()
    text = written.decode("utf-8")
    data = open_document(case.fmt, text, path).data
    case.check(data, request)
    if case.schema:
        validate(data, case.schema)
    if original:
        before = open_document(case.fmt, original.decode("utf-8"), path).data
        ours = [e.path for f in plan.files for e in f.edits if isinstance(e, Set)]
        for key_path, value in leaves(before):
            if not any(key_path[:len(p)] == p or p[:len(key_path)] == key_path for p in ours):
                assert data_get(data, key_path) == value, f"{key_path} changed"
        for comment in comment_texts(original.decode("utf-8"), case.fmt):
            assert comment in text
    if kind == "crlf":
        assert "\n" not in text.replace("\r\n", "")
    if kind == "bom":
        assert text.startswith("\ufeff") and text.count("\ufeff") == 1
    if kind == "symlink":
        assert path.is_symlink() and (home / "dotfiles" / path.name).read_bytes() == written
    holds_key = any(f.secret and f.path == path for f in plan.files)
    if holds_key:  # a file bytespike puts the key in is kept private, whatever its mode was
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    elif original_mode is not None:
        assert stat.S_IMODE(os.stat(path).st_mode) == original_mode
    assert tool.detect().configured

    # apply again: nothing written, no new backup, no new history entry
    entries, saved = len(history(engine)), backups(engine)
    again = engine.apply(tool, tool.plan(request), profile="default")
    assert again.written == () and again.entry_id is None
    assert path.read_bytes() == written
    assert len(history(engine)) == entries and backups(engine) == saved

    # remove: exactly our settings go, and the file is byte for byte what it was (issue 15)
    engine.remove(tool)
    assert not any(p.exists() for p in extra_files)
    if original is None:
        assert not path.exists()
        assert path.parent.exists() == (kind != "missing-dir")  # folders we made go too
    else:
        assert path.read_bytes() == original
        assert stat.S_IMODE(os.stat(path).st_mode) == original_mode
    if kind == "symlink":
        assert path.is_symlink()
    assert not tool.detect().configured

    # undo after --remove: the setup was taken out already, an older state must not come back
    assert engine.undo(case.name) is None  # nothing left to undo


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.fmt}" if c.fmt == "dotenv" else c.name)
def test_undo_without_remove_restores_original_bytes(case, home, engine):
    tool = registry.get(case.name)
    path = case.path(tool)
    original = make_fixture("crlf", path, case, home)
    engine.apply(tool, tool.plan(make_request(chat=case.chat, fast=case.fast)), profile="default")
    assert path.read_bytes() != original
    result = engine.undo()
    assert result.restored == (path,) and result.tools == (case.name,)
    assert [p for p in tool.files() if p != path and p.exists()] == []
    assert path.read_bytes() == original


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.fmt}" if c.fmt == "dotenv" else c.name)
def test_broken_file_is_an_error_with_line_and_untouched(case, home, engine):
    tool = registry.get(case.name)
    path = case.path(tool)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case.broken, encoding="utf-8")
    with pytest.raises(ConfigFileError) as info:
        plan = tool.plan(make_request(chat=case.chat, fast=case.fast))
        engine.apply(tool, plan, profile="default")
    assert info.value.line == case.broken_line
    assert str(path) in info.value.message
    assert path.read_text(encoding="utf-8") == case.broken
    assert backups(engine) == [] and history(engine) == []


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.fmt}" if c.fmt == "dotenv" else c.name)
def test_read_only_file_is_a_clear_error(case, home, engine):
    tool = registry.get(case.name)
    path = case.path(tool)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(case.rich, encoding="utf-8")
    os.chmod(path, 0o444)
    with pytest.raises(ConfigFileError) as info:
        engine.apply(tool, tool.plan(make_request(chat=case.chat, fast=case.fast)), profile="default")
    assert "read-only" in info.value.message
    assert path.read_text(encoding="utf-8") == case.rich
    assert history(engine) == []
    assert [p for p in tool.files() if p != path and p.exists()] == []  # nothing half-written


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.name}-{c.fmt}" if c.fmt == "dotenv" else c.name)
def test_a_changed_model_choice_is_a_second_undoable_setup(case, home, engine):
    from .helpers import DEEPSEEK

    if not case.holds_model:
        pytest.skip("the model choice is not in this file (another file of the tool has it)")
    tool = registry.get(case.name)
    path = case.path(tool)
    original = make_fixture("rich", path, case, home)
    engine.apply(tool, tool.plan(make_request(chat=case.chat, fast=case.fast)), profile="default")
    first = path.read_bytes()
    engine.apply(tool, tool.plan(make_request(chat=(DEEPSEEK,), fast=case.fast)), profile="default")
    assert path.read_bytes() != first
    engine.undo(case.name)
    assert path.read_bytes() == first
    # remove after the second setup was undone still gives back the user's own values
    engine.remove(tool)
    assert open_document(case.fmt, path.read_text(encoding="utf-8"), path).data == \
        open_document(case.fmt, original.decode("utf-8"), path).data
