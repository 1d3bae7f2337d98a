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
    assert refused.exit_code == ExitCode.FILE_CHANGED  # not 9: the file is readable, it was changed
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
    before = json.loads(cli("tools", "--json").stdout)["tools"]
    by_tool = {row["tool"]: row for row in before}
    assert set(by_tool) >= {"claude-code", "codex", "zed"}
    assert by_tool["codex"]["installed"] is True and by_tool["codex"]["configured"] is False
    assert by_tool["zed"]["files"] == [str(isolated_home / ".config" / "zed" / "settings.json")]
    assert cli("setup", "codex", "zed", "--offline", "--yes").exit_code == 0
    after = {row["tool"]: row for row in json.loads(cli("setup", "--list", "--json").stdout)["tools"]}
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
    assert bad.exit_code == ExitCode.PERMISSION  # an unknown model is 5 in every command
    assert "not in the catalogue" in bad.stderr and "gpt-5-5" in bad.stderr


@pytest.mark.parametrize("tool, model", [("qwen-code", "gpt-image-2"), ("gemini-cli", "veo-3.1"),
                                         ("opencode", "gpt-image-2")])
def test_a_model_that_cannot_chat_is_refused_before_anything_is_written(cli, isolated_home, tool, model):
    """Walkthrough of issue 12: image and video models were written into tools' chat settings."""
    result = cli("setup", tool, "--offline", "--yes", "--model", model)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert f"'{model}' is not a text model" in result.stderr and "--capability text" in result.stderr
    assert not any(p.is_file() for p in isolated_home.rglob("*") if ".config/bytespike" not in str(p)
                   and "state" not in p.parts)


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
    assert next(r for r in json.loads(listing.stdout)["tools"] if r["tool"] == "codex")["problem"]


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
    # a "no" is an answer, not an interruption (review P3): exit 0, nothing written, and it says so
    assert declined.exit_code == 0, declined.stderr
    assert "nothing written" in declined.stderr and "interrupted" not in declined.stderr
    assert not (isolated_home / ".codex" / "config.toml").exists()
    result = cli("setup", "--offline", input="y\n")
    assert result.exit_code == 0, result.stderr
    assert offered["codex"] is True and offered["zed"] is False  # installed tools are ticked
    assert "Write these changes for codex?" in result.stderr
    assert (isolated_home / ".codex" / "config.toml").exists()


# -- review fixes, as the reviewer reproduced them -------------------------------------------------------
def test_users_anthropic_key_is_taken_out_said_and_put_back(cli, isolated_home):
    """Review B1 repro: helper mode, then inline mode, over a settings.json with the user's own key."""
    path = claude_settings(isolated_home)
    path.parent.mkdir()
    original = '{\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-ant-user-secret-123"\n  }\n}\n'
    path.write_text(original)
    helper = cli("setup", "claude-code", "--offline", "--yes")
    assert helper.exit_code == 0, helper.stderr
    assert "takes out your env.ANTHROPIC_API_KEY" in helper.stderr
    assert "sk-ant-user-secret-123" not in path.read_text() + helper.stdout + helper.stderr
    inline = cli("setup", "claude-code", "--offline", "--yes", "--key-mode", "inline")
    assert inline.exit_code == 0, inline.stderr
    env = json.loads(path.read_text())["env"]
    assert [v for v in env if v in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")] == ["ANTHROPIC_AUTH_TOKEN"]
    assert cli("setup", "claude-code", "--remove", "--yes").exit_code == 0
    assert path.read_text() == original


def test_claude_code_file_with_comments_is_refused_untouched(cli, isolated_home):
    """Review B8 repro."""
    path = claude_settings(isolated_home)
    path.parent.mkdir()
    text = '{\n  // comment\n  "env": {"A": "1",},\n}\n'
    path.write_text(text)
    result = cli("setup", "claude-code", "--offline", "--yes")
    assert result.exit_code == ExitCode.CONFIG
    assert f"{path}:2:" in result.stderr and "strict JSON" in result.stderr and "Traceback" not in result.stderr
    assert path.read_text() == text


def test_legacy_continue_config_json_is_edited(cli, isolated_home):
    """Review B4 repro."""
    path = isolated_home / ".continue" / "config.json"
    path.parent.mkdir()
    text = ('{\n  // my models\n  "models": [\n    {"title": "GPT-4", "provider": "openai", "model": "gpt-4", '
            '"apiKey": "sk-x"},\n  ],\n}\n')
    path.write_text(text)
    result = cli("setup", "continue", "--offline", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    (report,) = json.loads(result.stdout)["tools"]
    assert report["files"] == [str(path)] and report["key_mode"] == "inline"
    assert "sk-x" not in report["diff"] and DEMO_KEY not in result.stdout
    assert "(ByteSpike)" in path.read_text() and not (path.parent / "config.yaml").exists()
    assert cli("setup", "continue", "--remove", "--yes").exit_code == 0
    assert path.read_text() == text


def test_dry_run_masks_the_users_other_secrets(cli, isolated_home):
    """Review B7 repro: the user's OpenAI/Anthropic keys in files next to ours."""
    (isolated_home / ".continue").mkdir()
    (isolated_home / ".continue" / ".env").write_text("OPENAI_API_KEY=sk-openai-user\n")
    data = isolated_home / ".cline" / "data"
    data.mkdir(parents=True)
    (data / "globalState.json").write_text("{}")
    (data / "secrets.json").write_text('{"apiKey":"sk-ant-cline-user-secret"}')
    claude = claude_settings(isolated_home)
    claude.parent.mkdir()
    claude.write_text('{\n  "env": {\n    "ANTHROPIC_API_KEY": "sk-ant-user-secret-123",\n    "A": "1"\n  }\n}\n')
    for extra in ((), ("--json",)):
        result = cli("setup", "continue", "cline", "claude-code", "--offline", "--dry-run", *extra)
        assert result.exit_code == 0, result.stderr
        shown = result.stdout + result.stderr
        for secret in ("sk-openai-user", "sk-ant-cline-user-secret", "sk-ant-user-secret-123", DEMO_KEY):
            assert secret not in shown
        diffs = "".join(r["diff"] for r in json.loads(result.stdout)["tools"]) if extra else result.stdout
        assert "OPENAI_API_KEY=" in diffs and '"apiKey":' in diffs and "ANTHROPIC_API_KEY" in diffs


def test_without_a_terminal_setup_fails_before_printing_the_diff(cli, isolated_home):
    """Review P12."""
    result = cli("setup", "claude-code", "codex", "--offline")
    assert result.exit_code == ExitCode.USAGE and "--yes" in result.stderr
    assert "+++" not in result.stdout and "restart running" not in result.stderr


def test_tools_survives_a_damaged_journal(cli, isolated_home):
    """Review P4."""
    assert cli("setup", "codex", "--offline", "--yes").exit_code == 0
    journal_path = isolated_home / ".bytespike-test" / "state" / "setup" / "journal.json"
    journal_path.write_text("garbage")
    result = cli("tools")
    assert result.exit_code == 0, result.stderr
    assert "journal is damaged" in result.stderr and "codex" in result.stdout
    listed = cli("tools", "--json")
    assert listed.exit_code == 0
    assert next(r for r in json.loads(listed.stdout)["tools"] if r["tool"] == "codex")["configured"] is True


def test_tools_table_fits_80_columns(cli, isolated_home, monkeypatch):
    """Review P5: tool names whole, paths broken after a '/', a problem on its own line."""
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("BYTESPIKE_FORCE_TTY", "1")  # the table a terminal gets (a pipe gets tab-separated records)
    codex = isolated_home / ".codex" / "config.toml"
    codex.parent.mkdir()
    codex.write_text("[broken\n")
    result = cli("tools")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert all(len(line) <= 80 for line in lines), result.stdout
    from bytespike_cli import tools as registry

    for name in registry.names():
        assert any(line.startswith(name + " ") for line in lines), name
    assert any(line.rstrip().endswith("/") for line in lines)  # a long path is broken after a separator
    assert "? (see below)" in result.stdout and "codex:" in result.stderr and "not valid TOML" in result.stderr


def test_json_reports_the_key_mode_setup_really_used(cli, isolated_home, tmp_path, monkeypatch):
    """Review P6: an old Codex falls back to env_key, and --json must say so."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "codex").write_text("#!/bin/sh\necho 'codex-cli 0.117.0'\n")
    (folder / "codex").chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    result = cli("setup", "codex", "--offline", "--dry-run", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["tools"][0]["key_mode"] == "env"


def test_undo_after_remove_says_there_was_nothing_left(cli, isolated_home):
    """Review P14."""
    assert cli("setup", "codex", "--offline", "--yes").exit_code == 0
    assert cli("setup", "codex", "--remove", "--yes").exit_code == 0
    result = cli("undo")
    assert result.exit_code == 0
    assert "nothing to undo" in result.stdout and "already taken out with --remove" in result.stdout
    assert "undid" not in result.stderr


def test_aliases_name_the_same_tool_in_setup_doctor_and_undo(cli, isolated_home):
    """`claude` is `claude-code` everywhere a tool is named (one registry, canonical names)."""
    result = cli("setup", "claude", "claude-code", "--offline", "--yes")  # one tool, named twice
    assert result.exit_code == 0, result.stderr
    assert result.stdout.count("claude-code: wrote ~/.claude/settings.json") == 1
    assert journal(isolated_home)["history"][-1]["tool"] == "claude-code"
    undone = cli("undo", "claude", "--json")
    assert undone.exit_code == 0, undone.stderr
    assert json.loads(undone.stdout)["tools"] == ["claude-code"]
    assert not claude_settings(isolated_home).exists()
