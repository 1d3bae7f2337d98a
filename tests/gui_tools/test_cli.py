"""The three tools as a user runs them: `bytespike setup <tool>` through the CLI (offline gateway, temp home)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bytespike_cli import tools as registry
from bytespike_cli.errors import ExitCode
from bytespike_cli.fakegateway import DEMO_KEY
from bytespike_cli.tools import cline as cline_module
from bytespike_cli.tools import cursor as cursor_module
from bytespike_cli.tools.cline import RunningProcess

from .test_cursor import all_rows, make_db

@pytest.fixture
def processes(monkeypatch):
    """The process table the tools see (the real one would make these tests depend on this machine)."""
    table: list[RunningProcess] = []
    monkeypatch.setattr(cline_module, "system_processes", lambda: list(table))
    monkeypatch.setattr(cursor_module, "system_processes", lambda: list(table))
    return table


@pytest.fixture
def cli(isolated_home, processes):
    from bytespike_cli.cli.app import app

    assert {"cline", "cursor", "jetbrains"} <= set(registry.names())
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run


def cursor_db(home):
    return home / ".config" / "Cursor" / "User" / "globalStorage" / "state.vscdb"


def test_setup_cline_writes_both_layers_and_undo_restores(cli, isolated_home):
    state = isolated_home / ".cline" / "data" / "globalState.json"
    state.parent.mkdir(parents=True)
    state.write_text('{\n  "mode": "plan"\n}\n')
    result = cli("setup", "cline", "--offline", "--yes")
    assert result.exit_code == 0, result.stderr
    data = json.loads(state.read_text())
    assert data["mode"] == "plan" and data["openAiBaseUrl"].startswith("http://127.0.0.1:")
    assert data["openAiBaseUrl"].endswith("/v1") and data["actModeApiProvider"] == "openai"
    secrets = isolated_home / ".cline" / "data" / "secrets.json"
    assert json.loads(secrets.read_text()) == {"openAiApiKey": DEMO_KEY}
    assert DEMO_KEY not in result.stdout + result.stderr
    assert cli("undo", "cline").exit_code == 0
    assert state.read_text() == '{\n  "mode": "plan"\n}\n' and not secrets.exists()


def test_setup_cursor_refuses_while_cursor_runs(cli, isolated_home, processes):
    db = make_db(cursor_db(isolated_home))
    processes.append(RunningProcess(4711, "cursor", "/usr/share/cursor/cursor"))
    before = all_rows(db)
    result = cli("setup", "cursor", "--offline", "--yes")
    assert result.exit_code == ExitCode.BUSY == 10
    assert "error: Cursor is running" in result.stderr and "4711" in result.stderr and "quit Cursor" in result.stderr
    assert all_rows(db) == before


def test_setup_cursor_writes_rows_warns_and_undo_restores(cli, isolated_home):
    db = make_db(cursor_db(isolated_home))
    original = db.read_bytes()
    result = cli("setup", "cursor", "--offline", "--yes")
    assert result.exit_code == 0, result.stderr
    blob = json.loads(all_rows(db)["items"][cursor_module.APP_USER][0])
    assert blob["useOpenAIKey"] is True and blob["openAIBaseUrl"].endswith("/v1")
    assert cursor_module.KEY_ROW not in all_rows(db)["items"]  # default: the key is pasted in Cursor
    assert "from its own servers" in result.stderr and "will not work" in result.stderr
    assert "bytespike print-key --profile default" in result.stdout
    assert DEMO_KEY not in result.stdout + result.stderr
    assert cli("undo", "cursor").exit_code == 0
    assert db.read_bytes() == original


def test_setup_jetbrains_prints_steps_and_writes_nothing(cli, isolated_home):
    result = cli("setup", "jetbrains", "--offline")
    assert result.exit_code == 0, result.stderr
    assert "Provider: OpenAI-compatible" in result.stdout and "/v1" in result.stdout
    assert "bytespike print-key --profile default" in result.stdout
    assert DEMO_KEY not in result.stdout + result.stderr
    journal = isolated_home / ".bytespike-test" / "state" / "setup" / "journal.json"
    assert not journal.exists() or json.loads(journal.read_text())["history"] == []


def test_a_busy_tool_stops_a_multi_tool_setup_before_anything_is_written(cli, isolated_home, processes):
    """Review B9: `setup claude-code cline` wrote Claude Code, then failed on the running Cline."""
    processes.append(RunningProcess(4242, "cline", "/usr/local/bin/cline"))
    claude = isolated_home / ".claude" / "settings.json"
    preview = cli("setup", "claude-code", "cline", "--offline", "--dry-run")
    assert preview.exit_code == 0, preview.stderr
    assert "cline: setup would refuse to write now: Cline is running" in preview.stderr
    result = cli("setup", "claude-code", "cline", "--offline", "--yes")
    assert result.exit_code == ExitCode.BUSY
    assert "Cline is running" in result.stderr and "4242" in result.stderr
    assert "wrote" not in result.stdout and "quit and reopen" not in result.stderr  # nothing, and no notes
    assert not claude.exists() and not (isolated_home / ".cline" / "data" / "secrets.json").exists()


def test_a_read_only_file_of_one_tool_stops_the_others_too(cli, isolated_home):
    import os

    state = isolated_home / ".cline" / "data" / "globalState.json"
    state.parent.mkdir(parents=True)
    state.write_text("{}\n")
    os.chmod(state, 0o444)
    result = cli("setup", "claude-code", "cline", "--offline", "--yes")
    assert result.exit_code == ExitCode.CONFIG and "read-only" in result.stderr
    assert not (isolated_home / ".claude" / "settings.json").exists()


def test_jetbrains_notes_and_numbered_steps_are_shown_every_time(cli, isolated_home):
    """Review P10: notes were hidden because nothing changed (JetBrains never writes)."""
    for _ in range(2):
        result = cli("setup", "jetbrains", "--offline")
        assert result.exit_code == 0, result.stderr
        assert "bytespike writes no file for JetBrains" in result.stderr
        assert "  1. in your JetBrains IDE: Settings" in result.stdout and "  2. under Third-party" in result.stdout
        assert "already set up" not in result.stdout


def test_a_tool_that_is_not_installed_is_skipped_when_several_are_named(cli, isolated_home, empty_path):
    """Review P15: `setup cursor zed` failed as a whole without Cursor."""
    result = cli("setup", "cursor", "zed", "--offline", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "cursor: skipped, Cursor is not installed" in result.stderr
    assert (isolated_home / ".config" / "zed" / "settings.json").exists()
    alone = cli("setup", "cursor", "--offline", "--yes")  # named on its own: the error stands
    assert alone.exit_code == ExitCode.CONFIG and "start Cursor once" in alone.stderr
