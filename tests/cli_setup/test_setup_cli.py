"""bytespike setup / undo / tools as a user runs them (CliRunner; the offline gateway serves the catalogue)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bytespike_cli.errors import ExitCode
from bytespike_cli.fakegateway import DEMO_KEY
from bytespike_cli.redact import mask_key


def claude_settings(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def journal(home: Path) -> dict:
    path = home / ".bytespike-test" / "state" / "setup" / "journal.json"
    return json.loads(path.read_text()) if path.exists() else {"history": []}


def test_dry_run_shows_a_diff_and_writes_nothing(cli, isolated_home):
    result = cli("setup", "claude-code", "codex", "zed", "--offline", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "+++ " + str(claude_settings(isolated_home)) in result.stdout
    assert '"ANTHROPIC_BASE_URL": "http://127.0.0.1:' in result.stdout
    assert 'wire_api = "responses"' in result.stdout
    assert '"openai_compatible"' in result.stdout
    assert "dry run: nothing was written" in result.stderr
    assert not claude_settings(isolated_home).exists()
    assert not (isolated_home / ".codex").exists()
    assert journal(isolated_home)["history"] == []


def test_dry_run_masks_an_inline_key(cli, isolated_home):
    result = cli("setup", "claude-code", "--offline", "--dry-run", "--key-mode", "inline")
    assert result.exit_code == 0, result.stderr
    assert '"ANTHROPIC_AUTH_TOKEN"' in result.stdout
    assert DEMO_KEY not in result.stdout + result.stderr
    assert mask_key(DEMO_KEY) in result.stdout


def test_writing_without_a_terminal_needs_yes(cli, isolated_home):
    result = cli("setup", "claude-code", "--offline")
    assert result.exit_code == ExitCode.USAGE
    assert "--yes" in result.stderr
    assert not claude_settings(isolated_home).exists()


def test_setup_then_again_then_undo(cli, isolated_home):
    first = cli("setup", "claude-code", "codex", "--offline", "--yes")
    assert first.exit_code == 0, first.stderr
    assert "claude-code: wrote ~/.claude/settings.json" in first.stdout
    assert "codex: wrote ~/.codex/config.toml" in first.stdout
    settings = json.loads(claude_settings(isolated_home).read_text())
    assert settings["apiKeyHelper"].endswith("print-key --profile default")
    assert settings["env"]["ANTHROPIC_BASE_URL"].startswith("http://127.0.0.1:")
    assert not settings["env"]["ANTHROPIC_BASE_URL"].endswith("/v1")
    entries = len(journal(isolated_home)["history"])

    again = cli("setup", "claude-code", "codex", "--offline", "--yes")
    assert again.exit_code == 0, again.stderr
    assert "already set up" in again.stdout
    assert len(journal(isolated_home)["history"]) == entries

    undone = cli("undo")
    assert undone.exit_code == 0, undone.stderr
    # one `setup` run touched two tools: undo takes back both and lists them
    assert "removed ~/.claude/settings.json" in undone.stdout
    assert "removed ~/.codex/config.toml" in undone.stdout
    assert not claude_settings(isolated_home).exists()
    assert cli("undo").stdout.strip() == "nothing to undo"


def test_undo_restores_a_users_file_byte_for_byte(cli, isolated_home):
    path = claude_settings(isolated_home)
    path.parent.mkdir()
    original = b'{\r\n  "model": "opus",\r\n  "env": {"DISABLE_TELEMETRY": "1"}\r\n}\r\n'
    path.write_bytes(original)
    os.chmod(path, 0o640)
    assert cli("setup", "claude-code", "--offline", "--yes").exit_code == 0
    assert path.read_bytes() != original
    result = cli("undo", "claude-code", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["restored"] == [str(path)] and data["tools"] == ["claude-code"]
    assert path.read_bytes() == original
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_undo_refuses_when_the_file_changed_since_unless_forced(cli, isolated_home):
    assert cli("setup", "zed", "--offline", "--yes").exit_code == 0
    path = isolated_home / ".config" / "zed" / "settings.json"
    path.write_text(path.read_text().replace('"agent"', '"vim_mode": true,\n  "agent"'))
    refused = cli("undo")
    assert refused.exit_code == ExitCode.CONFIG
    assert "changed by something else" in refused.stderr and "--force" in refused.stderr
    assert path.exists()
    forced = cli("undo", "--force")
    assert forced.exit_code == 0, forced.stderr
    assert not path.exists()


def test_remove_takes_out_only_ours(cli, isolated_home):
    path = claude_settings(isolated_home)
    path.parent.mkdir()
    path.write_text('{\n  "model": "opus",\n  "cleanupPeriodDays": 30\n}\n')
    assert cli("setup", "claude-code", "--offline", "--yes").exit_code == 0
    preview = cli("setup", "claude-code", "--remove", "--dry-run")
    assert preview.exit_code == 0 and "-    \"ANTHROPIC_BASE_URL\"" in preview.stdout
    needs_yes = cli("setup", "claude-code", "--remove")
    assert needs_yes.exit_code == ExitCode.USAGE
    result = cli("setup", "claude-code", "--remove", "--yes")
    assert result.exit_code == 0, result.stderr
    assert json.loads(path.read_text()) == {"model": "opus", "cleanupPeriodDays": 30}
    assert "nothing of bytespike's to remove" in cli("setup", "claude-code", "--remove", "--yes").stdout


def test_tools_and_list_report_state(cli, isolated_home):
    (isolated_home / ".codex").mkdir()
    before = json.loads(cli("tools", "--json").stdout)
    by_tool = {row["tool"]: row for row in before}
    assert set(by_tool) >= {"claude-code", "codex", "zed"}
    assert by_tool["codex"]["installed"] is True and by_tool["codex"]["configured"] is False
    assert by_tool["zed"]["files"] == [str(isolated_home / ".config" / "zed" / "settings.json")]
    assert cli("setup", "codex", "zed", "--offline", "--yes").exit_code == 0
    after = {row["tool"]: row for row in json.loads(cli("setup", "--list", "--json").stdout)}
    assert after["codex"]["configured"] and after["codex"]["profile"] == "default"
    assert after["zed"]["configured"] and after["zed"]["profile"] == "default"  # from the journal
    table = cli("tools").stdout
    assert "yes (profile default)" in table and "~/.codex/config.toml" in table


def test_json_output_of_setup(cli, isolated_home):
    result = cli("setup", "claude-code", "--offline", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    (report,) = data["tools"]
    assert report["tool"] == "claude-code" and report["written"] is True
    assert report["key_mode"] == "helper" and report["models"]["chat"] and report["models"]["fast"]
    assert report["files"] == [str(claude_settings(isolated_home))]


def test_explicit_models_and_unknown_model(cli, isolated_home):
    ok = cli("setup", "claude-code", "--offline", "--yes", "--model", "gpt-5-5", "--fast-model", "gpt-5-4-mini")
    assert ok.exit_code == 0, ok.stderr
    settings = json.loads(claude_settings(isolated_home).read_text())
    assert settings["model"] == "gpt-5-5"
    assert settings["env"]["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "gpt-5-4-mini"
    assert settings["env"]["CLAUDE_CODE_MAX_CONTEXT_TOKENS"].isdigit()
    bad = cli("setup", "claude-code", "--offline", "--yes", "--model", "gpt-5-55")
    assert bad.exit_code == ExitCode.USAGE
    assert "not in the catalogue" in bad.stderr and "gpt-5-5" in bad.stderr


@pytest.mark.parametrize(
    "args, needle",
    [
        (("setup", "vscode", "--offline"), "unknown tool"),
        (("setup", "zed", "--offline", "--key-mode", "helper"), "--key-mode env"),
        (("setup", "--offline"), "name the tool"),
        (("undo", "nope"), "unknown tool"),
    ],
)
def test_usage_errors(cli, args, needle):
    result = cli(*args)
    assert result.exit_code == ExitCode.USAGE
    assert needle in result.stderr
    assert "Traceback" not in result.stderr


def test_broken_file_is_reported_with_line_and_left_alone(cli, isolated_home):
    path = isolated_home / ".codex" / "config.toml"
    path.parent.mkdir()
    path.write_text('model = "o3"\n\n[profiles.deep\n')
    result = cli("setup", "codex", "--offline", "--yes")
    assert result.exit_code == ExitCode.CONFIG
    assert f"{path}:3: not valid TOML" in result.stderr
    assert path.read_text() == 'model = "o3"\n\n[profiles.deep\n'
    listing = cli("tools", "--json")
    assert listing.exit_code == 0
    assert next(r for r in json.loads(listing.stdout) if r["tool"] == "codex")["problem"]


def test_no_tool_on_a_terminal_offers_a_checklist_and_asks(cli, isolated_home, monkeypatch):
    """The prompt library is replaced (there is no terminal under CliRunner); setup itself runs for real."""
    import questionary

    from bytespike_cli.cli import _ui

    (isolated_home / ".codex").mkdir()
    offered = {}

    class Answer:
        def __init__(self, value):
            self.value = value

        def ask(self):
            return self.value

    def checkbox(message, choices):
        offered.update({c.value: c.checked for c in choices})
        return Answer(["codex"])

    monkeypatch.setattr(_ui, "stdin_is_tty", lambda: True)
    monkeypatch.setattr(questionary, "checkbox", checkbox)
    declined = cli("setup", "--offline", input="n\n")
    assert declined.exit_code != 0 and not (isolated_home / ".codex" / "config.toml").exists()
    result = cli("setup", "--offline", input="y\n")
    assert result.exit_code == 0, result.stderr
    assert offered["codex"] is True and offered["zed"] is False  # installed tools are ticked
    assert "Write these changes for codex?" in result.stderr
    assert (isolated_home / ".codex" / "config.toml").exists()
