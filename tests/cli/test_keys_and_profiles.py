"""login / logout / profiles / print-key / status without a network."""

from __future__ import annotations

import os
import stat

import pytest

from bytespike_cli import paths
from bytespike_cli.credentials import check_key_format, clean_key
from bytespike_cli.errors import AuthError, ExitCode

KEY = "sk-byts-Zq9Xw8Vu7Ts6Rq5Po4Nm"


@pytest.mark.parametrize(
    "pasted",
    [KEY, f"  {KEY}\n", f"'{KEY}'", f'"{KEY}"', f"Bearer {KEY}", f"export BYTESPIKE_API_KEY={KEY}",
     f"\u200b{KEY}\u00a0", f"`{KEY}`\r\n", f'"Bearer {KEY}"', f"export ANTHROPIC_AUTH_TOKEN={KEY}",
     f"<{KEY}>", f"{KEY}.", f"Authorization: Bearer {KEY}\n", f"key: {KEY} (created today)"],
)
def test_paste_noise_is_trimmed(pasted):
    assert check_key_format(clean_key(pasted)) == KEY


@pytest.mark.parametrize("bad", ["", "sk-ant-api03-abcdefghijklmnopqrstu", "sk-byts-short", "sk-byts-has space inside123"])
def test_malformed_keys_are_refused_with_masked_message(bad):
    with pytest.raises(AuthError) as err:
        check_key_format(clean_key(bad))
    assert err.value.exit_code == ExitCode.AUTH
    assert "abcdefghijklmnopqrstu" not in err.value.message


def test_login_from_stdin_stores_key_0600_and_activates_profile(run):
    result = run("login", "--profile", "work", "--no-verify", input=f"{KEY}\n")
    assert result.exit_code == 0, result.output
    assert "sk-byts-…5Po4Nm"[:9] in result.stdout and KEY not in result.output
    key_file = paths.key_file("work")
    assert key_file.read_text().strip() == KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert 'active_profile = "work"' in paths.config_file().read_text()

    printed = run("print-key")
    assert printed.exit_code == 0
    assert printed.stdout == KEY + "\n"


def test_key_as_argument_is_refused(run):
    result = run("login", "--key", KEY)
    assert result.exit_code == ExitCode.USAGE
    assert "shell history" in result.stderr and "hint:" in result.stderr
    assert KEY not in result.output
    assert not paths.key_file("default").exists()


def test_login_refuses_foreign_key(run):
    result = run("login", "--no-verify", input="sk-proj-abcdefghijklmnopqrstuvwx\n")
    assert result.exit_code == ExitCode.AUTH
    assert "start with sk-byts-" in result.stderr


def test_print_key_without_key_fails_on_stderr_only(run):
    result = run("print-key")
    assert result.exit_code == ExitCode.AUTH
    assert result.stdout == ""
    assert "error: no ByteSpike key" in result.stderr and "hint: run `bytespike login`" in result.stderr


def test_env_key_beats_profile_and_status_names_sources(run, monkeypatch):
    assert run("login", "--profile", "work", "--no-verify", "--base-url", "http://127.0.0.1:9/v1/", input=KEY).exit_code == 0
    other = "sk-byts-EnvEnvEnvEnvEnvEnv1234"
    monkeypatch.setenv("BYTESPIKE_API_KEY", other)
    assert run("print-key").stdout.strip() == other
    result = run("status", "--json")
    import json

    data = json.loads(result.stdout)
    assert data["key"] == "sk-byts-…1234" and data["sources"]["key"] == {"source": "env", "variable": "BYTESPIKE_API_KEY"}
    assert data["base_url"] == "http://127.0.0.1:9" and data["sources"]["base_url"]["source"] == "profile"
    assert data["error"]["message"].startswith("connection to 127.0.0.1 refused")
    assert data["error"]["code"] == "network" and data["error"]["exit_code"] == result.exit_code == 7
    assert result.exit_code == ExitCode.NETWORK
    assert other not in result.output and KEY not in result.output


def test_profiles_list_switch_and_logout(run):
    for name in ("work", "home"):
        assert run("login", "--profile", name, "--no-verify", input=KEY).exit_code == 0
    listing = run("profiles")
    assert "home\tactive\t" in listing.stdout and "work\t\t" in listing.stdout
    assert run("profiles", "use", "work").exit_code == 0
    assert "work\tactive\t" in run("profiles").stdout
    missing = run("profiles", "use", "nope")
    assert missing.exit_code == ExitCode.USAGE and "no profile 'nope'" in missing.stderr

    out = run("logout", "--profile", "work")
    assert out.exit_code == 0 and not paths.key_file("work").exists()
    assert "work" not in run("profiles").stdout
    assert run("logout", "--profile", "work").exit_code == ExitCode.USAGE


def test_user_comments_in_config_survive(run):
    assert run("login", "--profile", "work", "--no-verify", input=KEY).exit_code == 0
    config = paths.config_file()
    config.write_text(config.read_text() + "\n# my note about work\n[profiles.work.extra]\nteam = 'ml'\n")
    assert run("login", "--profile", "home", "--no-verify", input=KEY).exit_code == 0
    text = config.read_text()
    assert "# my note about work" in text and "team = 'ml'" in text


def test_broken_config_names_file_and_line(run):
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('active_profile = "a"\n[profiles\n')
    result = run("status")
    assert result.exit_code == ExitCode.CONFIG
    assert f"{config}:2" in result.stderr and "not valid TOML" in result.stderr
    assert "Traceback" not in result.output


def test_bad_profile_name_is_a_usage_error(run):
    result = run("print-key", "--profile", "../etc")
    assert result.exit_code == ExitCode.USAGE and "invalid profile name" in result.stderr


def test_bad_base_url_is_a_usage_error(run):
    result = run("login", "--no-verify", "--base-url", "llm.bytespike.ai", input=KEY)
    assert result.exit_code == ExitCode.USAGE and "--base-url https://llm.bytespike.ai" in result.stderr


def test_unexpected_bug_is_one_line_without_traceback(run, monkeypatch):
    from bytespike_cli import settings

    def broken(*a, **k):
        raise ValueError(f"boom with {KEY}")

    monkeypatch.setattr(settings, "resolve", broken)
    result = run("print-key")
    assert result.exit_code == ExitCode.FAILURE
    assert "unexpected internal error: ValueError" in result.stderr
    assert "Traceback" not in result.output and KEY not in result.output


def test_explicit_profile_beats_env_key(run, monkeypatch):
    """A tool set up for profile 'work' runs `print-key --profile work`: an exported key must not hijack it."""
    assert run("login", "--profile", "work", "--no-verify", "--base-url", "https://work.example", input=KEY).exit_code == 0
    exported = "sk-byts-ExportedForZed000001"
    monkeypatch.setenv("BYTESPIKE_API_KEY", exported)
    monkeypatch.setenv("BYTESPIKE_BASE_URL", "https://env.example")
    assert run("print-key", "--profile", "work").stdout.strip() == KEY
    assert run("print-key").stdout.strip() == exported
    from bytespike_cli.settings import resolve

    explicit = resolve("work")
    assert (explicit.base_url, explicit.key_source.startswith("key file")) == ("https://work.example", True)
    implicit = resolve()
    assert (implicit.base_url, implicit.key_source) == ("https://env.example", "env BYTESPIKE_API_KEY")
    # A profile with no stored key still takes the variable.
    assert run("print-key", "--profile", "other").stdout.strip() == exported


def test_unknown_profile_is_named_with_the_known_ones(run):
    assert run("login", "--profile", "work", "--no-verify", input=KEY).exit_code == 0
    result = run("print-key", "--profile", "nope")
    assert result.exit_code == ExitCode.AUTH
    assert "there is no profile 'nope' (profiles: work)" in result.stderr
    assert "bytespike login --profile nope" in result.stderr
