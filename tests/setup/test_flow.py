"""setup/flow.py is the core of `bytespike setup`, `undo` and `tools`: data in, data out, nothing printed."""

from __future__ import annotations

import pytest

from bytespike_cli import tools as registry
from bytespike_cli.errors import ConfigFileError, PermissionDenied
from bytespike_cli.gateway import Model
from bytespike_cli.setup import flow

CATALOGUE = [
    Model("sonnet-x", "claude", capabilities=("text",), native_protocols=("anthropic",)),
    Model("haiku-x", "claude", capabilities=("text",), native_protocols=("anthropic",), low_latency=True),
]


def test_listing_is_data_and_survives_a_damaged_journal(engine, capsys):
    engine.journal_path.parent.mkdir(parents=True, exist_ok=True)
    engine.journal_path.write_text("{not json")
    listing = flow.list_tools("work")
    assert isinstance(listing.journal_problem, ConfigFileError)
    assert [row["tool"] for row in listing.rows] == registry.names()
    assert all(row["configured_for_requested_profile"] is False for row in listing.rows)
    assert capsys.readouterr() == ("", "")  # the CLI says it, not the core


def test_named_models_win_and_an_unknown_one_names_the_closest():
    tool = registry.get("claude-code")
    asked = []

    def pick(*args):
        asked.append(args)
        return (CATALOGUE[1],), None

    chat, fast = flow.choose_models(tool, CATALOGUE, ["sonnet-x"], None, pick=pick)
    assert [m.id for m in chat] == ["sonnet-x"] and fast.id == "haiku-x" and not asked
    chat, fast = flow.choose_models(tool, CATALOGUE, None, None, pick=pick)
    assert [m.id for m in chat] == ["haiku-x"] and fast is None and len(asked) == 1  # only asked when nothing named
    with pytest.raises(PermissionDenied) as caught:
        flow.choose_models(tool, CATALOGUE, ["sonet-x"], None)
    assert "did you mean sonnet-x" in caught.value.hint


def test_report_json_has_backup_only_once_applied(engine, capsys):
    from bytespike_cli.settings import resolve

    resolved = resolve(None, offline=True)
    [planned] = list(flow.plan_tools(engine, [registry.get("codex")], CATALOGUE, resolved, model=None,
                                     fast_model=None, key_mode=None, replace=False))
    [report] = flow.preview(engine, [planned], CATALOGUE, resolved, dry_run=True)
    assert report.changed and "backup" not in report.to_json() and report.to_json()["written"] is False
    [written], _recovered = flow.apply(engine, [planned], [report])
    data = written.to_json()
    assert data["written"] is True and data["backup"] and data["files"] == [str(p) for p in written.written_files]
    assert capsys.readouterr() == ("", "")
