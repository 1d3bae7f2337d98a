"""Issue 14, "say the truth at every step": one test (or more) per numbered item, each reproducing the
situation a user got stuck in (gateway faults, environment variables, files) and asserting the new
message, its hint and the exit code."""

from __future__ import annotations

import gzip
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bytespike_cli import paths
from bytespike_cli.errors import ExitCode
from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS

SAVED = "sk-byts-SavedSavedSaved0000aaaa"
EXPORTED = "sk-byts-ExportedExported1111bbbb"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A plain HTTP server on loopback answering every request with one canned response."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str]):
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(outer.status)
                for name, value in outer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.status, self.body, self.headers = status, body, headers
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


# -- 1. an exported key outranks the saved one -------------------------------------------------------
def test_login_warns_when_an_exported_key_outranks_the_saved_one(run, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_API_KEY", EXPORTED)
    result = run("login", "--no-verify", "--profile", "second", input=SAVED)
    assert result.exit_code == 0
    assert "warning: BYTESPIKE_API_KEY is set in this shell (sk-byts-…bbbb): it outranks the key just saved" \
        in result.stderr
    assert "unset BYTESPIKE_API_KEY" in result.stderr and "next: `bytespike chat" in result.stderr
    status = run("status", "--json")
    assert json.loads(status.stdout)["sources"]["key"] == {"source": "env", "variable": "BYTESPIKE_API_KEY"}
    human = run("status")
    assert "outranks the key saved for 'second' (sk-byts-…aaaa): `unset BYTESPIKE_API_KEY`" in human.stdout
    assert EXPORTED not in result.output + human.output and SAVED not in result.output + human.output


def test_a_rejected_exported_key_names_the_variable_not_login(run, gateway, monkeypatch):
    assert run("login", "--no-verify", "--base-url", gateway.base_url, input=TEST_KEYS["default"]).exit_code == 0
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["revoked"])
    result = run("verify")
    assert result.exit_code == ExitCode.AUTH
    assert "this key comes from the BYTESPIKE_API_KEY environment variable" in result.stdout
    assert "fix: unset BYTESPIKE_API_KEY to use the key saved for profile 'default' (sk-byts-…5b1d)" in result.stdout
    assert "run `bytespike login`" not in result.stdout  # the loop the issue describes


def test_login_offline_needs_no_key_and_says_what_is_next(run):
    result = run("login", "--offline", "--profile", "demo")  # nothing on stdin
    assert result.exit_code == 0, result.output
    assert "no key needed" in result.stdout and "next: `bytespike verify`" in result.stderr
    assert run("print-key").stdout.strip() == DEMO_KEY


def test_login_on_a_terminal_says_where_keys_come_from_and_asks_again_on_empty_input(tmp_path):
    from pty_session import PtySession

    key = "sk-byts-PromptPromptPrompt4321"
    session = PtySession(["login", "--no-verify", "--profile", "tty"], {"BYTESPIKE_HOME": str(tmp_path)})
    try:
        assert session.read_until("Paste your ByteSpike key"), session.text
        assert "Create or copy a key at https://console.bytespike.ai/keys" in session.text
        session.send("\r")  # Enter with nothing pasted
        assert session.read_until("nothing was pasted"), session.text
        # asked again, with hidden input again (type only once the prompt is back, as a person would)
        assert session.read_until_after("nothing was pasted", "Paste your ByteSpike key"), session.text
        session.send(key + "\r")
        assert session.read_until("next: `bytespike chat"), session.text
        assert session.finish() == 0
    finally:
        session.close()
    assert key not in session.text and (tmp_path / "keys" / "tty.key").read_text().strip() == key


# -- 2. a key typed as an argument -------------------------------------------------------------------
@pytest.mark.parametrize("args", [["login", "{key}"], ["verify", "{key}"], ["{key}"], ["status", "--profile={key}"]])
def test_a_key_typed_as_an_argument_is_masked_with_rotate_advice(run, args):
    key = "sk-byts-TypedTypedTyped9999cdef"
    result = run(*[a.format(key=key) for a in args])
    assert result.exit_code == ExitCode.USAGE
    assert key not in result.output and "Got unexpected extra argument" not in result.output
    assert "error: a key was typed as a command-line argument (sk-byts-…cdef)" in result.stderr
    assert "hint: rotate that key at https://console.bytespike.ai/keys" in result.stderr
    assert not paths.key_file("default").exists()


# -- 3. progress and slow answers --------------------------------------------------------------------
def test_a_slow_gateway_is_marked_with_its_likely_cause(run, use_key, gateway):
    use_key("default")
    gateway.set_fault("delay=2100")
    result = run("verify")
    assert result.exit_code == 0, result.output
    assert "! reachability: " in result.stdout and "— slow (over 2 s)" in result.stdout
    assert "fix: a slow network path or a busy gateway" in result.stdout
    assert "! ready, with " in result.stdout


def test_spinner_shows_the_step_on_a_terminal_only(gateway, tmp_path):
    from pty_session import PtySession

    gateway.set_fault("delay=1500")
    env = {"BYTESPIKE_HOME": str(tmp_path), "BYTESPIKE_BASE_URL": gateway.base_url,
           "BYTESPIKE_API_KEY": TEST_KEYS["default"]}
    session = PtySession(["models"], env, stdout_tty=False)
    assert session.read_until("reading the model list from", 20), session.text
    assert session.finish() == 0
    assert "claude-sonnet-4-6" in session.stdout_file  # the table on stdout …
    assert "reading the model list" not in session.stdout_file  # … and the spinner never there
    quiet = PtySession(["-q", "models"], env, stdout_tty=False)
    assert quiet.finish() == 0
    assert "reading the model list" not in quiet.text and "claude-sonnet-4-6" in quiet.stdout_file


def test_no_spinner_without_a_terminal(run, use_key, gateway):
    use_key("default")
    result = run("models")
    assert result.exit_code == 0 and "reading the model list" not in result.output


# -- 4. streams are checked ----------------------------------------------------------------------------
@pytest.mark.parametrize("key_name, says", [
    ("drop_stream", "the gateway closed the stream after "),
    ("stream_error", "ended with an error after "),
])
def test_verify_chat_streams_and_a_broken_stream_is_an_incomplete_answer(run, use_key, key_name, says):
    use_key(key_name)
    result = run("verify", "--chat", "--model", "gpt-5-4-mini")
    assert result.exit_code == ExitCode.GATEWAY, result.output
    assert "✗ streamed chat (gpt-5-4-mini, openai): " in result.stdout
    assert says in result.stdout and "incomplete answer" in result.stdout


def test_verify_chat_reports_first_byte_and_first_token_and_marks_a_slow_stream(run, use_key, gateway):
    use_key("default")
    gateway.set_fault("slow-stream=2100")
    result = run("verify", "--chat", "--model", "claude-haiku-4-5")
    assert result.exit_code == 0, result.output
    line = next(l for l in result.stdout.splitlines() if "streamed chat" in l)
    assert line.startswith("! streamed chat (claude-haiku-4-5, anthropic): first byte ")
    assert "first token" in line and "slow first token" in line
    ttft = int(line.split("first token ")[1].split(" ms")[0])
    assert ttft >= 2100  # the slow stream, not "answered in 1 ms"


def test_warm_says_a_broken_stream_is_incomplete_not_an_exception_name(run, use_key):
    use_key("drop_stream")
    result = run("warm", "gpt-5-4-mini", "--count", "1", "--json")
    assert result.exit_code == ExitCode.GATEWAY
    error = json.loads(result.stdout)["models"][0]["errors"][0]
    assert error.startswith("the gateway closed the stream after ") and error.endswith("incomplete answer")
    assert "RemoteProtocolError" not in result.output


SSE = (b'data: {"choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}\n\n'
       b'data: {"choices":[{"index":0,"delta":{},"finish_reason":"length"}]}\n\ndata: [DONE]\n\n')


def test_a_gzip_event_stream_is_read_like_a_plain_one():
    """warm and chat ask for gzip (httpx's default Accept-Encoding): a compressed stream must still yield events."""
    import asyncio

    import httpx

    from bytespike_cli import chat, warm
    from bytespike_cli.gateway import Model
    from bytespike_cli.settings import Resolved

    headers = {"Content-Type": "text/event-stream", "Content-Encoding": "gzip"}
    with Server(200, gzip.compress(SSE), headers) as url:
        r = Resolved("p", "test", url, "test", TEST_KEYS["default"], "test")
        model = Model.from_api({"id": "gpt-5-4-mini", "family": "gpt"})

        async def one():
            async with httpx.AsyncClient() as client:
                return await warm.one_request(client, r, r.key, model, 0)

        sample = asyncio.run(one())
        assert sample.error is None and sample.ttft_ms is not None
        result = chat.stream(r, "openai", "gpt-5-4-mini", "hi")
        assert result.text == "Hi" and result.finish_reason == "length"


def test_doctor_chat_streams_on_the_tools_wire(run, use_key, gateway, isolated_home):
    key = use_key("drop_stream")
    settings = isolated_home / ".claude" / "settings.json"
    settings.parent.mkdir(parents=True)
    settings.write_text(json.dumps({"env": {"ANTHROPIC_BASE_URL": gateway.base_url, "ANTHROPIC_AUTH_TOKEN": key},
                                    "model": "claude-sonnet-4-6"}))
    result = run("doctor", "claude-code", "--chat", "--json")
    finding = next(f for f in json.loads(result.stdout)["findings"] if f["code"] == "claude-code.chat")
    assert finding["status"] == "fail" and finding["exit_code"] == ExitCode.GATEWAY
    assert "streamed Anthropic Messages request to 'claude-sonnet-4-6'" in finding["detail"]
    assert "incomplete answer" in finding["detail"]


# -- 5. hints that fit -----------------------------------------------------------------------------------
def test_a_5xx_on_a_free_request_does_not_suggest_another_model(run, use_key, gateway):
    use_key("default")
    gateway.set_fault("status=500")
    result = run("models")
    assert result.exit_code == ExitCode.GATEWAY
    assert "error: the gateway could not serve the request (500" in result.stderr
    assert "hint: retry in a moment" in result.stderr and "another model" not in result.stderr


def test_a_server_that_is_not_a_gateway_is_named_as_such(run, monkeypatch):
    with Server(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"}) as url:
        monkeypatch.setenv("BYTESPIKE_BASE_URL", url)
        monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
        result = run("models")
    assert result.exit_code == ExitCode.GATEWAY
    assert "does not look like a ByteSpike gateway" in result.stderr and "no such endpoint" not in result.stderr
    assert "comes from BYTESPIKE_BASE_URL" in result.stderr and "unset BYTESPIKE_BASE_URL" in result.stderr


@pytest.mark.parametrize("proxy", ["http://alice:s3cretpass@127.0.0.1:{port}", "alice:s3cretpass@127.0.0.1:{port}"])
def test_a_dead_proxy_is_blamed_not_the_base_url(run, use_key, monkeypatch, proxy):
    use_key("default")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("HTTP_PROXY", proxy.format(port=free_port()))
    result = run("doctor", "--json")
    connect = next(f for f in json.loads(result.stdout)["findings"] if f["code"] == "network.connect")
    assert connect["status"] == "fail" and connect["exit_code"] == ExitCode.NETWORK
    assert "(from HTTP_PROXY) refused the connection: 127.0.0.1 was never reached" in connect["detail"]
    assert "***@127.0.0.1" in connect["detail"] and "NO_PROXY=127.0.0.1" in connect["hint"]
    assert "check the base URL" not in connect["hint"] and "BYTESPIKE_BASE_URL" not in connect["detail"] + connect["hint"]
    assert "s3cretpass" not in result.output and "alice" not in result.output


def test_a_timeout_says_how_long_it_waited_and_a_bad_timeout_is_refused(run, use_key, gateway, monkeypatch):
    use_key("default")
    gateway.set_fault("delay=3000")
    monkeypatch.setenv("BYTESPIKE_TIMEOUT", "0.5")
    result = run("models")
    assert result.exit_code == ExitCode.NETWORK
    assert "error: timed out after 0.5 s (BYTESPIKE_TIMEOUT) waiting for 127.0.0.1" in result.stderr
    monkeypatch.setenv("BYTESPIKE_TIMEOUT", "abc")
    bad = run("models")
    assert bad.exit_code == ExitCode.USAGE
    assert "error: BYTESPIKE_TIMEOUT='abc' is not a number of seconds" in bad.stderr
    assert "hint: export BYTESPIKE_TIMEOUT=30" in bad.stderr


@pytest.mark.parametrize("name, value, says", [
    ("BYTESPIKE_PROFILE", "../etc", "invalid profile name '../etc' (from the environment variable BYTESPIKE_PROFILE)"),
    ("BYTESPIKE_BASE_URL", "llm.bytespike.ai", "not a gateway URL: 'llm.bytespike.ai' (from the environment variable "
                                                "BYTESPIKE_BASE_URL)"),
])
def test_a_bad_value_from_the_environment_names_its_variable(run, monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    result = run("status")
    assert result.exit_code == ExitCode.USAGE
    assert f"error: {says}" in result.stderr and f"hint: fix it, or `unset {name}`" in result.stderr


def test_a_broken_settings_file_shows_the_line(run):
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('active_profile = "work"\n[profiles.work\nbase_url = "https://x"\n')
    result = run("status")
    assert result.exit_code == ExitCode.CONFIG
    assert f"{config}:2: not valid TOML" in result.stderr and "line 2 reads: [profiles.work" in result.stderr


# -- 7. status and balance show a blocking limit -------------------------------------------------------------
@pytest.mark.parametrize("key_name, code, says", [
    ("quota_reached", ExitCode.BUDGET, "this key has used up its lifetime quota"),
    ("rate_limited", ExitCode.RATE_LIMIT, "the key's spend limit for this window is reached"),
    ("empty_wallet", ExitCode.BUDGET, "the wallet is empty"),
])
@pytest.mark.parametrize("command", ["status", "balance"])
def test_status_and_balance_exit_on_a_blocking_limit(run, use_key, key_name, code, says, command):
    use_key(key_name)
    result = run(command)
    assert result.exit_code == code, result.output
    assert f"error: {says}" in result.stderr and "every billed request fails until this changes" in result.stderr
    as_json = run(command, "--json")
    assert as_json.exit_code == code and says in json.loads(as_json.stdout)["error"]["message"] and json.loads(as_json.stdout)["error"]["exit_code"] == code


def test_status_and_balance_pass_with_a_spendable_key(run, use_key):
    use_key("default")
    status = run("status")
    assert status.exit_code == 0 and "Limits    spend window $17.65 of $20.00 left, resets " in status.stdout
    assert run("balance").exit_code == 0


# -- 8. logout ----------------------------------------------------------------------------------------------
def _wire_claude_code(run, gateway, profile):
    assert run("login", "--profile", profile, "--no-verify", "--base-url", gateway.base_url,
               input=TEST_KEYS["default"]).exit_code == 0
    setup = run("setup", "claude-code", "--profile", profile, "--yes")
    assert setup.exit_code == 0, setup.output


def test_logout_names_the_tools_that_use_the_profile(run, gateway):
    _wire_claude_code(run, gateway, "work")
    assert run("login", "--profile", "home", "--no-verify", input=SAVED).exit_code == 0
    assert run("profiles", "use", "work").exit_code == 0
    result = run("logout", "--profile", "work")  # not a terminal: warn, then do it
    assert result.exit_code == 0
    assert "warning: Claude Code uses profile 'work' (wired by `bytespike setup`)" in result.stderr
    assert "to unwire the tools: bytespike setup claude-code --remove" in result.stderr
    assert "'work' was the active profile; 'home' is active now" in result.stderr


def test_logout_asks_on_a_terminal(gateway, tmp_path, isolated_home):
    from pty_session import PtySession
    from typer.testing import CliRunner

    from bytespike_cli.cli.app import app

    runner = CliRunner()
    invoke = lambda *a, **k: runner.invoke(app, list(a), catch_exceptions=False, **k)  # noqa: E731
    _wire_claude_code(invoke, gateway, "work")
    import os

    env = {"HOME": str(isolated_home), "BYTESPIKE_HOME": os.environ["BYTESPIKE_HOME"]}
    session = PtySession(["logout", "--profile", "work"], env)
    assert session.read_until("Log out of 'work' anyway?"), session.text
    session.send("n")
    session.read_until("Nothing changed")
    assert session.finish() == 1
    assert paths.key_file("work").exists()


# -- 9. plain http to another host ------------------------------------------------------------------------
def test_plain_http_to_another_host_needs_insecure(run, monkeypatch):
    monkeypatch.setenv("BYTESPIKE_BASE_URL", "http://192.0.2.10:8080")
    monkeypatch.setenv("BYTESPIKE_API_KEY", TEST_KEYS["default"])
    result = run("models")
    assert result.exit_code == ExitCode.USAGE
    assert "error: refusing to send the key in clear text to http://192.0.2.10:8080 (from env BYTESPIKE_BASE_URL)" \
        in result.stderr
    assert "--insecure" in result.stderr
    monkeypatch.setenv("BYTESPIKE_TIMEOUT", "0.3")
    allowed = run("--insecure", "models")
    assert allowed.exit_code == ExitCode.NETWORK  # it did try: the address is a documentation range


def test_loopback_http_needs_no_flag(run, use_key):
    use_key("default")  # the fake gateway is http://127.0.0.1
    assert run("models").exit_code == 0


# -- 11. setup on a terminal --------------------------------------------------------------------------------
def test_setup_dry_run_leads_with_a_summary_and_states_every_model_slot(run, use_key, isolated_home):
    use_key("default")
    result = run("setup", "claude-code", "--dry-run")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("claude-code: will edit 1 file: ~/.claude/settings.json (new file, +")
    assert "  model: ANTHROPIC_DEFAULT_OPUS_MODEL → claude-sonnet-4-6 (no Opus model was chosen: Opus requests " \
           "use claude-sonnet-4-6)" in lines
    assert "  model: ANTHROPIC_DEFAULT_HAIKU_MODEL → claude-haiku-4-5" in lines
    setup = json.loads(run("setup", "claude-code", "--dry-run", "--json").stdout)["tools"][0]
    assert setup["summary"] == lines[0] and len(setup["model_slots"]) == 4


def test_setup_on_a_terminal_picks_models_asks_and_points_at_doctor(gateway, isolated_home):
    from pty_session import PtySession

    import os

    (isolated_home / ".claude").mkdir()
    env = {"HOME": str(isolated_home), "BYTESPIKE_HOME": os.environ["BYTESPIKE_HOME"],
           "BYTESPIKE_BASE_URL": gateway.base_url, "BYTESPIKE_API_KEY": TEST_KEYS["default"]}
    session = PtySession(["setup", "claude-code"], env)
    try:
        assert session.read_until("Chat model for Claude Code"), session.text
        session.send("\x1b[B\r")  # one down from the default: the next chat model
        assert session.read_until("Fast model for Claude Code"), session.text
        session.send("\r")
        assert session.read_until("[Y/n/d(iff)]"), session.text
        before_diff = session.text
        assert "will edit 1 file" in before_diff and "+++" not in before_diff  # summary first, no diff yet
        session.send("d\r")
        assert session.read_until("+++"), session.text
        session.send("y\r")
        assert session.read_until("check it: bytespike doctor claude-code"), session.text
        assert session.finish() == 0
    finally:
        session.close()
    written = json.loads((isolated_home / ".claude" / "settings.json").read_text())
    assert written["model"] != "claude-sonnet-4-6"  # the picked one, not the default
    assert written["env"]["ANTHROPIC_DEFAULT_HAIKU_MODEL"] == "claude-haiku-4-5"


# -- 13. secrets in messages, completions outside a checkout ----------------------------------------------------
def test_completions_write_needs_a_folder_when_installed(tmp_path, capsys):
    from bytespike_cli.cli import completions

    installed = tmp_path / "lib" / "python3.11" / "site-packages" / "bytespike_cli" / "cli" / "completions.py"
    assert completions.source_checkout_dir(installed) is None
    assert completions.source_checkout_dir() is not None  # this checkout
    assert completions.main(["bash"]) == 0 and "_bytespike()" in capsys.readouterr().out
    out = tmp_path / "completions"
    assert completions.main(["--write", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["_bytespike", "bytespike.bash", "bytespike.fish"]


# -- chat ----------------------------------------------------------------------------------------------------
def test_chat_streams_a_reply_on_the_native_protocol(run, use_key, gateway):
    use_key("default")
    result = run("chat", "-m", "gemini-3-flash", "hello there")
    assert result.exit_code == 0, result.output
    assert result.stdout == "echo: hello there\n"
    assert "gemini-3-flash via Gemini streamGenerateContent (billed)" in result.stderr
    posts = [r for r in gateway.requests if r.method == "POST"]
    assert posts[-1].path == "/v1beta/models/gemini-3-flash:streamGenerateContent"


def test_chat_reads_a_piped_prompt_and_a_system_prompt_and_prints_json_events(run, use_key, gateway):
    use_key("default")
    result = run("chat", "--json", "--system", "be brief", "Summarise", input="the notes")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events[0]["event"] == "start" and events[0]["wire"] == "anthropic"  # the default ⚡ model: claude
    assert "".join(e["text"] for e in events if e["event"] == "delta") == "echo: Summarise\n\nthe notes"
    assert events[-1]["event"] == "done" and events[-1]["ttft_ms"] is not None
    body = [r for r in gateway.requests if r.method == "POST"][-1].json
    assert body["system"] == "be brief" and body["stream"] is True


def test_chat_broken_stream_keeps_the_partial_answer_and_exits_8(run, use_key):
    use_key("drop_stream")
    result = run("chat", "-m", "gpt-5-4-mini", "one two three four five six")
    assert result.exit_code == ExitCode.GATEWAY
    assert result.stdout.startswith("echo:")
    assert "error: the gateway closed the stream after " in result.stderr and "incomplete answer" in result.stderr


def test_chat_without_a_prompt_and_with_an_unknown_model(run, use_key):
    use_key("default")
    empty = run("chat", input="")
    assert empty.exit_code == ExitCode.USAGE and "error: no prompt" in empty.stderr
    unknown = run("chat", "-m", "claude-sonet-4-6", "hi")
    assert unknown.exit_code == ExitCode.PERMISSION and "did you mean claude-sonnet-4-6" in unknown.stderr


def test_chat_masks_a_key_split_across_stream_pieces(run, use_key):
    use_key("default")
    secret = TEST_KEYS["claude"]
    result = run("chat", "-m", "gpt-5-4-mini", input=f"my key is {secret} ok")  # the fake gateway echoes
    assert result.exit_code == 0
    assert secret not in result.stdout and "sk-byts-…" in result.stdout


# -- profiles set / get ----------------------------------------------------------------------------------------
def test_profiles_set_and_get_change_a_base_url_without_the_key(run):
    assert run("login", "--profile", "work", "--no-verify", input=SAVED).exit_code == 0
    result = run("profiles", "set", "work", "base_url", "https://eu.llm.example.com/v1/")
    assert result.exit_code == 0 and "✓ work.base_url = https://eu.llm.example.com (was https://llm.bytespike.ai)" \
        in result.stdout
    assert run("profiles", "get", "work", "base_url").stdout == "https://eu.llm.example.com\n"
    assert paths.key_file("work").read_text().strip() == SAVED
    assert run("profiles", "set", "work", "colour", "red").exit_code == ExitCode.USAGE
    missing = run("profiles", "set", "nope", "base_url", "https://x.example")
    assert missing.exit_code == ExitCode.USAGE and "no profile 'nope'" in missing.stderr
    plain = run("profiles", "set", "work", "base_url", "http://10.0.0.8")
    assert plain.exit_code == ExitCode.USAGE and "--insecure" in plain.stderr
    assert run("--insecure", "profiles", "set", "work", "base_url", "http://10.0.0.8").exit_code == 0
    assert run("profiles", "set", "work", "offline", "true").exit_code == 0
    assert run("print-key", "--profile", "work").stdout.strip() == DEMO_KEY
