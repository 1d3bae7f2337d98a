"""The output contract, command by command, as a user and a script meet it (issue 13):

every command × {terminal, pipe, --json, closed pipe, COLUMNS=60}:
- a terminal gets tables; at 60 columns low-priority columns go, ids and numbers are never cut;
- a pipe gets one record per line, the same whatever COLUMNS says (nothing wraps or is cut);
- --json prints one object with "schema": "bytespike.<command>/1" (and "error" when the exit is not 0);
- a reader that closed the pipe gives exit 141 and no traceback.
Every run is a real process (`python -m bytespike_cli`) against the built-in offline gateway.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.pty_session import PtySession

# command words, extra arguments, is it a table (one record per line), its --json identity key
COMMANDS = {
    "status": ((), False, None),
    "verify": ((), False, None),
    "models": ((), True, ("models", "model")),
    "warm": (("gpt-5-4-mini", "claude-haiku-4-5", "-n", "1"), True, ("models", "model")),
    "usage": (("--by", "model"), True, ("buckets", "model")),
    "balance": ((), False, None),
    "tools": ((), True, ("tools", "tool")),
    "profiles": ((), True, ("profiles", "profile")),
    "doctor": (("claude-code",), False, None),
    "chat": (("hello there",), False, None),
    "setup": (("claude-code", "--dry-run"), False, None),
    "undo": ((), False, None),
    "print-key": ((), False, None),
    "completion": (("bash",), False, None),
    "--help": ((), False, None),
}
NO_JSON = {"print-key", "completion", "--help"}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\r")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("contract")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("BYTESPIKE_")},
           "BYTESPIKE_HOME": str(root / "bs"), "HOME": str(root), "XDG_CONFIG_HOME": str(root / ".config")}
    login = subprocess.run([sys.executable, "-m", "bytespike_cli", "login", "--offline"], env=env,
                           capture_output=True, text=True, timeout=120)
    assert login.returncode == 0, login.stderr
    return env


def argv(command: str, *extra: str) -> list[str]:
    words = [command] if command != "--help" else ["--help"]
    return [sys.executable, "-m", "bytespike_cli", *words, *COMMANDS[command][0], *extra]


def piped(env, command, *extra, columns="60"):
    return subprocess.run(argv(command, *extra), env={**env, "COLUMNS": columns}, capture_output=True, text=True,
                          timeout=180, stdin=subprocess.DEVNULL)


def normalised(text: str) -> str:
    """Timings and clock times vary between runs (a countdown can go from "1 min" to "59 s"); layout must not."""
    text = re.sub(r"\b\d+(?:\.\d+)? ?(?:ms|s|sec|min|h|d|days?|hours?|minutes?|seconds?)\b", "<duration>", text)
    return re.sub(r"\d+", "0", text)


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_pipe_one_record_per_line_whatever_the_width(home, command):
    narrow = piped(home, command, columns="40")
    wide = piped(home, command, columns="200")
    assert narrow.returncode == 0, narrow.stderr
    assert "Traceback" not in narrow.stderr
    assert normalised(narrow.stdout) == normalised(wide.stdout)  # nothing wraps or is cut to fit a width
    assert "…" not in narrow.stdout.replace("sk-byts-…", "")
    lines = narrow.stdout.splitlines()
    assert lines, "prints its result on stdout"
    table, identity = COMMANDS[command][1], COMMANDS[command][2]
    if table:
        fields = {len(line.split("\t")) for line in lines}
        assert len(fields) == 1 and fields.pop() > 1, lines  # one record per line, tab-separated, no header
        assert not any(line.startswith((" ", "\t")) for line in lines)
        data = json.loads(piped(home, command, "--json").stdout)
        ids = [item[identity[1]] for item in data[identity[0]]]
        assert [line.split("\t")[0] for line in lines] == ids


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - NO_JSON))
def test_json_is_one_object_with_its_schema(home, command):
    result = piped(home, command, "--json")
    data = json.loads(result.stdout) if command != "chat" else [json.loads(line) for line in result.stdout.splitlines()]
    for document in data if isinstance(data, list) else [data]:
        assert document["schema"] == f"bytespike.{command}/1"
        if result.returncode:
            assert document["error"]["exit_code"] == result.returncode
    if COMMANDS[command][2]:
        key, identity = COMMANDS[command][2]
        assert isinstance(data[key], list) and all(identity in item for item in data[key])


@pytest.mark.parametrize("command", sorted(set(COMMANDS) - NO_JSON))
def test_global_json_flag_before_the_command(home, command):
    words = [command] if command != "--help" else []
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", "--json", *words, *COMMANDS[command][0]],
                            env=home, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)
    first = result.stdout.splitlines()[0] if command == "chat" else result.stdout
    assert json.loads(first)["schema"] == f"bytespike.{command}/1"


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("as_json", [False, True])
def test_closed_pipe_exits_141_quietly(home, command, as_json):
    if as_json and command in NO_JSON:
        pytest.skip("no --json")
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before bytespike writes a byte (`bytespike models | true`)
    try:
        proc = subprocess.run(argv(command, *(["--json"] if as_json else [])), env=home, stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=180, stdin=subprocess.DEVNULL)
    finally:
        os.close(write_end)
    assert proc.returncode == 141, proc.stderr
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr and "error:" not in proc.stderr


@pytest.mark.parametrize("command", sorted(c for c, spec in COMMANDS.items() if spec[1]))
@pytest.mark.parametrize("columns", ["60", "160"])
def test_terminal_tables_keep_ids_and_numbers_whole(home, command, columns):
    data = json.loads(piped(home, command, "--json").stdout)
    key, identity = COMMANDS[command][2]
    session = PtySession([*argv(command)[3:]], {**home, "COLUMNS": columns, "TERM": "xterm"})
    code = session.finish(120)
    screen = ANSI.sub("", session.text)
    assert code == 0, screen[-2000:]
    lines = [line for line in screen.splitlines() if line.strip()]
    header = next(line for line in lines if line.split()[:1] and line.split()[0] in ("ID", "MODEL", "TOOL", "PROFILE", "DAY"))
    ids = [str(item[identity]) for item in data[key]]
    rows = [line for line in lines if line == header or line.split()[:1] and line.split()[0] in ids]
    assert len(rows) > len(ids) / 2
    assert all(len(line) <= int(columns) for line in rows), [line for line in rows if len(line) > int(columns)]
    assert "\t" not in header
    for item in data[key]:  # every id whole, at the start of its own row
        assert any(line.startswith(str(item[identity])) or line.startswith("* " + str(item[identity]))
                   or line.lstrip("* ").startswith(str(item[identity])) for line in lines), item[identity]
    if command == "usage":  # numbers are never cut ("477,7…"): every cost shows in full
        for bucket in data["buckets"]:
            assert f"${bucket['total_usd']:,.2f}" in screen


def test_help_has_no_type_column_and_bare_bytespike_prints_it(home):
    bare = subprocess.run([sys.executable, "-m", "bytespike_cli"], env=home, capture_output=True, text=True, timeout=60)
    assert bare.returncode == 0 and "ACCOUNT COMMANDS" in bare.stdout and "SERVE COMMANDS" in bare.stdout
    for command in ("models", "warm", "setup", "doctor", "run", "proxy", "balance", "usage", "gateway serve"):
        text = subprocess.run([sys.executable, "-m", "bytespike_cli", *command.split(), "--help"], env=home,
                              capture_output=True, text=True, timeout=60).stdout
        assert "EXAMPLES" in text and "$ bytespike" in text, command
        assert not re.search(r"<(bool|str|int|float|list\[str\]|int range)>|\[\d+<=x", text), command
        assert "╭" not in text and "TEXT" not in text and "INTEGER" not in text, command
        # paragraphs are reflowed: no line of the description ends in the middle of a sentence and
        # then restarts with a lower-case word indented like the source docstring
        assert not re.search(r"\n {4,}[a-z]", text.split("USAGE")[0]), command


@pytest.mark.parametrize("args, message, hint", [
    (["login", "--keystdin"], "error: no such flag: --keystdin", "did you mean --key-stdin?"),
    (["usage", "--by", "modle"], "'modle' is not a valid --by", "did you mean --by model?"),
    (["version"], "error: no such command: version", "`bytespike --version`"),
    (["verfy"], "error: no such command: verfy", "`bytespike verify`"),
    (["setup", "--key-mode", "inlne", "zed"], "'inlne' is not a valid --key-mode", "--key-mode inline"),
    (["warm"], "error: missing MODEL", "bytespike warm --help"),
])
def test_usage_errors_are_one_error_and_one_hint(home, args, message, hint):
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", *args], env=home, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2
    assert message in result.stderr and hint in result.stderr, result.stderr
    assert "╭" not in result.stderr and "Usage:" not in result.stderr and "--key," not in result.stderr
    assert result.stderr.count("\n") == 2  # exactly `error:` and `hint:`


def test_quiet_after_the_command_and_short_flags_mean_one_thing(home):
    loud = piped(home, "verify")
    quiet = subprocess.run([sys.executable, "-m", "bytespike_cli", "verify", "-q"], env=home, capture_output=True,
                           text=True, timeout=120)
    assert quiet.returncode == 0 and loud.stdout == quiet.stdout or normalised(loud.stdout) == normalised(quiet.stdout)
    from bytespike_cli.cli.completions import command_tree

    meaning: dict[str, str] = {}
    for node in command_tree():
        for spellings in node.options:
            short = [s for s in spellings if len(s) == 2]
            long = [s for s in spellings if s.startswith("--")]
            for flag in short:
                assert meaning.setdefault(flag, long[0]) == long[0], f"{flag} is {meaning[flag]} and {long[0]}"


@pytest.mark.parametrize("args, expected", [
    (["models", "--jq", ".models[].model"], lambda data: [m["model"] for m in data["models"]]),
    (["--jq", ".models[0].context_window", "models"], lambda data: [str(data["models"][0]["context_window"])]),
    (["profiles", "--jq=.profiles[].profile"], lambda data: [p["profile"] for p in data["profiles"]]),
])
def test_jq_selects_from_the_documented_shape(home, args, expected):
    command = next(a for a in args if not a.startswith("-") and not a.startswith("."))
    data = json.loads(piped(home, command, "--json").stdout)
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", *args], env=home, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == expected(data)


@pytest.mark.parametrize("args", [["models", "--jq", "models"], ["models", "--jq", ".models[x]"],
                                  ["completion", "bash", "--jq", "."]])
def test_jq_refuses_what_it_cannot_do(home, args):
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", *args], env=home, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and result.stderr.startswith("error: ") and "hint: " in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("args", [["models", "--json", "--jq", ".nope[]"], ["models", "--jq", ".models[0][1]"]])
def test_jq_that_does_not_fit_the_document_is_a_usage_error_not_an_internal_one(home, args):
    """Walkthrough of issue 12: the error document was filtered by the same --jq, which failed again."""
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", *args], env=home, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: --jq") and "internal" not in result.stderr and "hint: " in result.stderr
    assert json.loads(result.stdout)["error"]["exit_code"] == 2


@pytest.mark.parametrize("args, hint", [
    (["profiles", "use", "defualt"], "did you mean 'default'?"),
    (["verify", "--profile", "defualt"], "did you mean --profile default?"),
    (["models", "--family", "claud"], "did you mean --family claude?"),
    (["models", "-C", "thinkng"], "did you mean --capability thinking?"),
])
def test_did_you_mean_for_profiles_families_and_capabilities(home, args, hint):
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", *args], env=home, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode in (2, 3) and hint in result.stderr + result.stdout, result.stderr


def test_flags_after_the_tool_of_run_belong_to_the_tool(home):
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", "run", "-q", "--env-only", "sh", "-c",
                             'printf "%s\\n" "$@"', "sh", "-q", "--jq", ".x", "--json"], env=home, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["-q", "--jq", ".x", "--json"]
    assert "running:" not in result.stderr  # bytespike's own -q (before the tool) still hid its chatter


@pytest.mark.parametrize("args, message", [
    (["warm", "--count", "x", "m"], "error: --count must be a whole number from 1 to 100 (got 'x')"),
    (["warm", "--keep-warm", "2", "m"], "error: --keep-warm must be a number of at least 10 (got '2')"),
    (["models", "--family"], "error: --family needs a value"),
    (["profiles", "use"], "error: missing PROFILE"),
])
def test_bad_values_are_said_in_words(home, args, message):
    result = subprocess.run([sys.executable, "-m", "bytespike_cli", *args], env=home, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 2 and result.stderr.splitlines()[0] == message, result.stderr
    assert result.stderr.splitlines()[1].startswith("hint: see `bytespike ")
