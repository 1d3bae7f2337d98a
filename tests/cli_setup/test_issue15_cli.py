"""Issue 15 and issue 14 (items 12, 13 .env) as a user runs them: `bytespike setup` / `undo` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

from bytespike_cli.errors import ExitCode


def zed(home: Path) -> Path:
    return home / ".config" / "zed" / "settings.json"


def claude(home: Path) -> Path:
    return home / ".claude" / "settings.json"


def codex(home: Path) -> Path:
    return home / ".codex" / "config.toml"


# -- issue 14 item 12: undo restores the safe subset, has --dry-run, backs up what --force overwrites -----------
def three_tool_setup(cli, home):
    for path, text in ((zed(home), '{\n  "theme": "x"\n}\n'), (claude(home), '{\n  "model": "opus"\n}\n'),
                       (codex(home), 'model = "o3"\n')):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    originals = {p: p.read_bytes() for p in (zed(home), claude(home), codex(home))}
    result = cli("setup", "zed", "claude-code", "codex", "--offline", "--yes")
    assert result.exit_code == 0, result.stderr
    return originals


def test_undo_restores_the_unchanged_files_and_leaves_the_changed_one(cli, isolated_home):
    originals = three_tool_setup(cli, isolated_home)
    edited = codex(isolated_home)
    edited.write_text(edited.read_text() + "\n# my note after setup\n")
    mine = edited.read_bytes()

    preview = cli("undo", "--dry-run", "--json")
    assert preview.exit_code == 0, preview.stderr
    data = json.loads(preview.stdout)
    assert data["dry_run"] and set(data["restored"]) == {str(zed(isolated_home)), str(claude(isolated_home))}
    assert [s["path"] for s in data["skipped"]] == [str(edited)]
    # Codex's fast profile has a file of its own (Codex 0.134+): setup created it, undo deletes it
    assert data["deleted"] == [str(edited.parent / "bytespike-fast.config.toml")]
    assert zed(isolated_home).read_bytes() != originals[zed(isolated_home)]  # a dry run changes nothing

    result = cli("undo")
    assert result.exit_code == ExitCode.FILE_CHANGED
    assert "restored 3 file(s)" in result.stderr and "--force" in result.stderr
    assert zed(isolated_home).read_bytes() == originals[zed(isolated_home)]
    assert claude(isolated_home).read_bytes() == originals[claude(isolated_home)]
    assert edited.read_bytes() == mine  # the user's edit is intact

    forced = cli("undo", "--force", "--json")
    assert forced.exit_code == 0, forced.stderr
    data = json.loads(forced.stdout)
    assert [o["path"] for o in data["overwritten"]] == [str(edited)]
    saved = Path(data["overwritten"][0]["saved_to"])
    assert saved.read_bytes() == mine  # what --force overwrote is kept
    assert edited.read_bytes() == originals[edited]
    assert cli("undo").stdout.startswith("nothing to undo")


# -- issue 15 item 4 through the CLI ---------------------------------------------------------------------------
def test_a_hand_made_entry_stops_setup_with_a_hint_and_replace_takes_it_over(cli, isolated_home):
    path = codex(isolated_home)
    path.parent.mkdir()
    own = '[model_providers.bytespike]\nname = "mine"\nbase_url = "https://x.example/v1"\nenv_key = "MINE"\n'
    path.write_text(own)
    refused = cli("setup", "codex", "--offline", "--yes")
    assert refused.exit_code == ExitCode.CONFIG
    assert "bytespike did not write it" in refused.stderr and "--replace" in refused.stderr
    assert "Traceback" not in refused.stderr and path.read_text() == own
    taken = cli("setup", "codex", "--offline", "--yes", "--replace")
    assert taken.exit_code == 0, taken.stderr
    assert cli("setup", "codex", "--remove", "--yes").exit_code == 0
    assert path.read_text() == own


# -- issue 15 item 6: the dry run masks the user's own credentials too --------------------------------------
def test_dry_run_masks_bearer_tokens_and_url_passwords(cli, isolated_home):
    path = zed(isolated_home)
    path.parent.mkdir(parents=True)
    path.write_text('{\n  "context_servers": {\n    "x": {\n      "url": "https://bob:hunter2secret@mcp.example/s",\n'
                    '      "headers": {"Authorization": "Bearer my-own-bearer-token-123456"}\n    }\n  },\n'
                    '  "theme": "x"\n}\n')
    result = cli("setup", "zed", "--offline", "--dry-run")
    assert result.exit_code == 0, result.stderr
    shown = result.stdout + result.stderr
    assert "hunter2secret" not in shown and "my-own-bearer-token-123456" not in shown


# -- issue 14 item 13: .env files as python-dotenv reads them -------------------------------------------------
def test_continue_setup_accepts_multi_line_values_and_bare_keys_in_its_env_file(cli, isolated_home):
    folder = isolated_home / ".continue"
    folder.mkdir()
    env = folder / ".env"
    original = 'CERT="-----BEGIN-----\nabc\n-----END-----"\nBARE_FLAG\nexport OTHER=1\n'
    env.write_text(original)
    result = cli("setup", "continue", "--offline", "--yes")
    assert result.exit_code == 0, result.stderr
    text = env.read_text()
    assert text.startswith(original) and "BYTESPIKE_API_KEY=" in text
    assert cli("setup", "continue", "--remove", "--yes").exit_code == 0
    assert env.read_text() == original


# -- issue 15 item 3: the start-up sweep is reported --------------------------------------------------------
def test_setup_reports_what_the_start_up_sweep_cleaned(cli, isolated_home):
    path = claude(isolated_home)
    path.parent.mkdir()
    path.write_text('{\n  "model": "opus"\n}\n')
    assert cli("setup", "claude-code", "--offline", "--yes").exit_code == 0
    stale = path.parent / ".settings.json.abc123.bytespike-tmp"
    stale.write_text("{}")
    result = cli("setup", "claude-code", "--remove", "--yes")
    assert result.exit_code == 0, result.stderr
    assert not stale.exists() and f"removed a temp file an interrupted bytespike left behind: {stale}" in result.stderr


# -- on a terminal: setup asks before taking over a same-named entry; undo asks before a partial restore ---------
def test_on_a_terminal_setup_asks_before_replacing_a_same_named_entry(cli, isolated_home, monkeypatch):
    from bytespike_cli.cli import _ui

    monkeypatch.setattr(_ui, "stdin_is_tty", lambda: True)
    path = codex(isolated_home)
    path.parent.mkdir()
    own = '[model_providers.bytespike]\nname = "mine"\nenv_key = "MINE"\n'
    path.write_text(own)
    declined = cli("setup", "codex", "--offline", input="n\n")
    assert declined.exit_code == ExitCode.CONFIG and path.read_text() == own
    accepted = cli("setup", "codex", "--offline", input="y\ny\n")  # replace? then write?
    assert accepted.exit_code == 0, accepted.stderr
    assert "env_key" not in path.read_text()


def test_on_a_terminal_undo_asks_before_restoring_only_the_unchanged_files(cli, isolated_home, monkeypatch):
    from bytespike_cli.cli import _ui

    originals = three_tool_setup(cli, isolated_home)
    edited = codex(isolated_home)
    edited.write_text(edited.read_text() + "# mine\n")
    monkeypatch.setattr(_ui, "stdin_is_tty", lambda: True)
    declined = cli("undo", input="n\n")
    assert declined.exit_code == 0 and "nothing written" in declined.stderr
    assert zed(isolated_home).read_bytes() != originals[zed(isolated_home)]
    accepted = cli("undo", input="y\n")
    assert accepted.exit_code == ExitCode.FILE_CHANGED  # partial: says what was left
    assert zed(isolated_home).read_bytes() == originals[zed(isolated_home)]
