"""Adversarial review of issue 12's tools: each test reproduces one finding as a user meets it (real files in
the temporary home, the CLI as a user runs it, the offline gateway on a real socket)."""

from __future__ import annotations

from pathlib import Path

from bytespike_cli import paths
from bytespike_cli.fakegateway import TEST_KEYS

KEY = TEST_KEYS["default"]


def _login(run, gateway, profile: str) -> None:
    result = run("login", "--profile", profile, "--no-verify", "--base-url", gateway.base_url, input=KEY)
    assert result.exit_code == 0, result.output


def test_logout_says_which_tools_keep_a_working_copy_of_the_key(run, gateway):
    """Gemini CLI and Qwen Code hold the key itself in their .env files: logout deletes only bytespike's key
    file, so those copies keep working. Logout said every wired tool "gets no key"."""
    _login(run, gateway, "work")
    for tool in ("gemini-cli", "qwen-code", "opencode"):  # opencode (file mode) reads bytespike's key file
        assert run("setup", tool, "--profile", "work", "--yes").exit_code == 0
    home = paths.user_home()

    result = run("logout", "--profile", "work")

    assert result.exit_code == 0, result.output
    assert KEY in (home / ".gemini" / ".env").read_text()  # logout leaves the copies: the message must say so
    assert ("warning: Gemini CLI keeps a copy of profile 'work''s key in ~/.gemini/.env: it keeps working after "
            "logout — take it out with `bytespike setup gemini-cli --remove`") in result.stderr
    assert "Qwen Code keeps a copy of profile 'work''s key in ~/.qwen/.env" in result.stderr
    # opencode's {file:} reference to the deleted key file stops it from loading its config at all (checked with
    # opencode 1.18.33: "Configuration is invalid … bad file reference", even `opencode models`)
    assert ("warning: opencode will not start at all after logout: ~/.config/opencode/opencode.json reads the key "
            "file logout deletes — run `bytespike setup opencode --remove` first, or log in again as 'work'") \
        in result.stderr
    assert "get no key" not in result.stderr
    assert KEY not in result.output


def test_logout_names_no_copy_the_user_already_replaced(run, gateway):
    _login(run, gateway, "work")
    assert run("setup", "gemini-cli", "--profile", "work", "--yes").exit_code == 0
    env_file: Path = paths.user_home() / ".gemini" / ".env"
    env_file.write_text(env_file.read_text().replace(KEY, "sk-byts-MyOwnOtherKey00000000"))

    result = run("logout", "--profile", "work")

    assert result.exit_code == 0 and "keeps a copy" not in result.stderr


def test_doctor_never_tells_the_user_to_copy_the_key_into_a_project_env_file(run, gateway, tmp_path, monkeypatch):
    """Gemini CLI reads only the first .env it finds (checked with gemini 0.61.0: `gemini -p` in a folder whose
    .env holds only FOO=1 stops with "you must specify the GEMINI_API_KEY environment variable"). Doctor named
    that, but its fix was "add GEMINI_API_KEY to <project>/.env": a file projects commit and share."""
    _login(run, gateway, "work")
    assert run("setup", "gemini-cli", "--profile", "work", "--yes").exit_code == 0
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text("DATABASE_URL=postgres://localhost/app\n")
    monkeypatch.chdir(project)
    monkeypatch.setenv("GEMINI_CLI_TRUST_WORKSPACE", "true")

    result = run("doctor", "gemini-cli")

    assert f"{project / '.env'} is the .env file Gemini CLI reads here" in result.stdout
    assert "add GEMINI_API_KEY to" not in result.stdout and "add GOOGLE_GEMINI_BASE_URL to" not in result.stdout
    assert "`bytespike run gemini`" in result.stdout
    assert KEY not in result.output


def test_run_help_names_every_tool_run_can_start(run):
    """`bytespike run --help` listed claude, codex, aider, gemini, qwen: not opencode and Kilo, which run starts."""
    from bytespike_cli import tools

    text = " ".join(run("run", "--help").stdout.split())
    for name in tools.runnable():
        spelled = [name, *(alias for alias, target in tools.ALIASES.items() if target == name)]
        assert any(f" {s}," in text or f" {s} (" in text for s in spelled), (name, text)


def test_doctor_knows_opencode_sends_claude_models_on_the_anthropic_wire(run, gateway):
    """Setup gives Claude models `provider.npm: @ai-sdk/anthropic` (opencode then POSTs /v1/messages, seen on the
    gateway with opencode 1.18.33), yet doctor warned on every default setup that opencode talks Chat Completions to
    them and suggested a GPT model instead."""
    import json

    _login(run, gateway, "work")
    for tool in ("opencode", "kilo"):
        assert run("setup", tool, "--profile", "work", "--yes").exit_code == 0
        result = run("doctor", tool, "--json")
        findings = json.loads(result.stdout)["findings"]
        models = [f for f in findings if f["area"] == tool and f["code"] in (f"{tool}.model", f"{tool}.translated-model")]
        assert models and all(f["code"] == f"{tool}.model" for f in models), models

    # a Claude model the user moved back to the OpenAI-compatible package: then the warning is true
    config = paths.user_home() / ".config" / "opencode" / "opencode.json"
    data = json.loads(config.read_text())
    chat = data["model"].split("/", 1)[1]
    del data["provider"]["bytespike"]["models"][chat]["provider"]
    config.write_text(json.dumps(data))
    findings = json.loads(run("doctor", "opencode", "--json").stdout)["findings"]
    assert [f for f in findings if f["code"] == "opencode.translated-model" and f"'{chat}'" in f["detail"]]


def test_setup_gemini_cli_warns_when_the_shell_outranks_its_env_file(run, gateway, monkeypatch):
    """Gemini CLI never lets its .env replace a variable the process has (0.61.0 ``loadEnvironment``). A user who
    exports their Google key (the documented way) got a silent setup, then Gemini CLI sent that Google key to the
    ByteSpike gateway; an exported GOOGLE_GEMINI_BASE_URL would send the ByteSpike key elsewhere."""
    google_key = "AIzaSyUsersOwnGoogleKey0123456789"
    _login(run, gateway, "work")
    monkeypatch.setenv("GEMINI_API_KEY", google_key)
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "https://llm-proxy.corp.example")

    result = run("setup", "gemini-cli", "--profile", "work", "--yes")

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "GEMINI_API_KEY is set in this shell" in text and "GOOGLE_GEMINI_BASE_URL is set in this shell" in text
    assert "https://llm-proxy.corp.example" in text
    assert google_key not in result.output and KEY not in result.output


def test_setup_gemini_cli_is_quiet_when_the_shell_agrees(run, gateway, monkeypatch):
    _login(run, gateway, "work")
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    result = run("setup", "gemini-cli", "--profile", "work", "--yes")
    assert result.exit_code == 0 and "is set in this shell" not in result.output


def test_run_says_why_it_cannot_start_a_tool_it_knows(run, gateway, monkeypatch):
    """`bytespike run crush` said "does not know the tool 'crush'" (and guessed `codex-cli` for vscode-copilot)."""
    from bytespike_cli.errors import ExitCode

    for tool, title in (("crush", "Crush"), ("vscode-copilot", "GitHub Copilot in VS Code")):
        result = run("run", tool)
        assert result.exit_code == ExitCode.USAGE
        assert f"error: bytespike run cannot start {title}: it reads the gateway from its settings files only" \
            in result.stderr
        assert f"hint: use `bytespike setup {tool}`" in result.stderr and "Traceback" not in result.output


def test_setup_qwen_code_warns_when_the_shell_exports_another_key(run, gateway, monkeypatch):
    """Qwen Code's .env never replaces a non-empty process variable (0.24.4 ``loadEnvironment``): a BYTESPIKE_API_KEY
    exported for another tool (opencode's env mode asks for that export) silently won over ~/.qwen/.env."""
    other = TEST_KEYS["low_balance"]
    _login(run, gateway, "work")
    monkeypatch.setenv("BYTESPIKE_API_KEY", other)

    result = run("setup", "qwen-code", "--profile", "work", "--yes")

    assert result.exit_code == 0, result.output
    assert "BYTESPIKE_API_KEY is set in this shell (sk-byts-…4e3f)" in " ".join(result.output.split())
    assert other not in result.output and KEY not in result.output
