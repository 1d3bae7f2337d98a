"""Issue 10 item 3: `bytespike login` with a new key refreshes every copy setups wrote (through the journal)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from bytespike_cli.fakegateway import TEST_KEYS
from bytespike_cli.formats import open_document
from tests.doctor.conftest import build_app

OLD, NEW = TEST_KEYS["default"], TEST_KEYS["claude"]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(build_app(), list(args), input=input, catch_exceptions=False)


def login(gateway, key: str, profile: str = "default"):
    result = run("login", "--profile", profile, "--base-url", gateway.base_url, "--key-stdin", input=key + "\n")
    assert result.exit_code == 0, result.stderr
    return result


def copies(home) -> dict[str, str]:
    """Every place a key sits in a tool's file after the setups below."""
    from bytespike_cli.tools.aider import Aider

    cline = json.loads((home / ".cline" / "data" / "secrets.json").read_text())
    codex = open_document("toml", (home / ".codex" / "config.toml").read_text(), "c").data
    return {
        "aider": Aider().env_file().read_text(),
        "continue": (home / ".continue" / ".env").read_text(),
        "cline": json.dumps(cline),
        "codex": codex["model_providers"]["bytespike"]["experimental_bearer_token"],
    }


def test_login_with_a_new_key_refreshes_every_copy(isolated_home, gateway):
    login(gateway, OLD)
    for tool, extra in (("aider", ()), ("continue", ()), ("cline", ()), ("codex", ("--key-mode", "inline"))):
        result = run("setup", tool, "--yes", *extra)
        assert result.exit_code == 0, result.stderr
    before = copies(isolated_home)
    assert all(OLD in value for value in before.values()), before
    result = login(gateway, NEW)
    after = copies(isolated_home)
    assert all(NEW in value and OLD not in value for value in after.values()), after
    for tool in ("aider", "continue", "cline", "codex"):
        assert f"{tool}: the key in" in result.stderr
    assert OLD not in result.stderr + result.stdout and NEW not in result.stderr + result.stdout
    # undo of the refresh is the journal's ordinary undo: the previous key comes back byte for byte
    assert run("undo", "codex").exit_code == 0
    assert copies(isolated_home)["codex"] == OLD


def test_other_profiles_and_a_value_the_user_changed_are_left_alone(isolated_home, gateway):
    from bytespike_cli.tools.aider import Aider

    login(gateway, OLD)
    assert run("setup", "aider", "--yes").exit_code == 0
    env_file = Aider().env_file()
    env_file.write_text("AIDER_OPENAI_API_KEY=sk-byts-users-own-choice-1234\n")
    login(gateway, NEW)
    assert env_file.read_text() == "AIDER_OPENAI_API_KEY=sk-byts-users-own-choice-1234\n"
    login(gateway, OLD, profile="work")  # another profile's key: nothing of default's changes
    assert "sk-byts-users-own-choice-1234" in env_file.read_text()


def test_first_login_and_same_key_change_nothing(isolated_home, gateway):
    from bytespike_cli.setup.keysync import refresh_key_copies

    assert refresh_key_copies("default", None, NEW) == []
    assert refresh_key_copies("default", NEW, NEW) == []
