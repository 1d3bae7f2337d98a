"""The command classes every bytespike command uses: one help layout, one usage-error printer, one
exit-code boundary, and the flags every command accepts.

Typer vendors Click and changes its rendering between releases, so bytespike draws its own help and
error lines from the parameter objects (names, help, metavar, hidden, required) and never from
Typer's formatters. pyproject pins a tested Typer range; tests/cli/test_output_contract.py fails if a
release changes what users see.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from bytespike_cli.cli import _ui
from bytespike_cli.errors import BytespikeError, ExitCode

# Command groups in `bytespike --help` (gh-style sections); a command not listed goes to "MORE".
SECTIONS = (
    ("ACCOUNT COMMANDS", ("login", "logout", "status", "profiles", "balance", "usage", "print-key")),
    ("CHECK COMMANDS", ("verify", "doctor", "models", "warm", "chat")),
    ("TOOL COMMANDS", ("setup", "tools", "undo", "run")),
    ("SERVE COMMANDS", ("proxy", "gateway")),
)

# 2-3 examples per command, shown under EXAMPLES in its help (keyed by the words after `bytespike`).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": ("bytespike login", "bytespike verify --chat", "bytespike setup claude-code"),
    "login": ("bytespike login", "printf %s \"$KEY\" | bytespike login --key-stdin --profile work",
              "bytespike login --offline"),
    "logout": ("bytespike logout", "bytespike logout --profile work --yes"),
    "status": ("bytespike status", "bytespike status --json | jq -r .sources.key.source"),
    "profiles": ("bytespike profiles", "bytespike profiles use work", "bytespike profiles set work base_url https://llm.example.com"),
    "profiles use": ("bytespike profiles use work",),
    "profiles set": ("bytespike profiles set work base_url https://llm.example.com", "bytespike profiles set demo offline true"),
    "profiles get": ("bytespike profiles get work base_url",),
    "print-key": ("bytespike print-key", "bytespike print-key --profile work"),
    "verify": ("bytespike verify", "bytespike verify --model claude-sonnet-4-5 --chat", "bytespike verify --json"),
    "chat": ("bytespike chat \"Say hello\"", "git diff | bytespike chat -m gpt-5-mini \"Review this\"",
             "bytespike chat --json \"hi\""),
    "models": ("bytespike models", "bytespike models --family claude --capability thinking",
               "bytespike models | cut -f1"),
    "warm": ("bytespike warm claude-sonnet-4-5", "bytespike warm gpt-5 gemini-2.5-pro --count 5",
             "bytespike warm claude-haiku-4-5 --keep-warm 240"),
    "setup": ("bytespike setup claude-code codex", "bytespike setup zed --dry-run", "bytespike setup aider --remove --yes"),
    "tools": ("bytespike tools", "bytespike tools --json"),
    "undo": ("bytespike undo", "bytespike undo codex --force"),
    "run": ("bytespike run claude", "bytespike run --via-proxy codex",
            "bytespike run --env-only python my_script.py"),
    "proxy": ("bytespike proxy", "bytespike proxy --port 0 --log json", "bytespike proxy --warm claude-haiku-4-5"),
    "doctor": ("bytespike doctor", "bytespike doctor claude-code --chat", "bytespike doctor --json"),
    "usage": ("bytespike usage", "bytespike usage --since 7d --by model", "bytespike usage --json"),
    "balance": ("bytespike balance", "bytespike balance --json"),
    "gateway": ("bytespike gateway serve", "bytespike gateway serve --port 0 --fault status=503"),
    "gateway serve": ("bytespike gateway serve", "bytespike gateway serve --cold-start-ms 800"),
    "completion": ("source <(bytespike completion bash)", "bytespike completion zsh > \"${fpath[1]}/_bytespike\"",
                   "bytespike completion fish > ~/.config/fish/completions/bytespike.fish"),
}

LEARN_MORE = ("Exit codes: README.md (\"Exit codes\"); JSON shapes: docs/json.md.\n"
              "Use `bytespike <command> --help` for more about a command.")

# What each exit code means, for the JSON error object's "code".
ERROR_CODES = {
    ExitCode.FAILURE: "failure", ExitCode.USAGE: "usage", ExitCode.AUTH: "auth", ExitCode.BUDGET: "budget",
    ExitCode.PERMISSION: "permission", ExitCode.RATE_LIMIT: "rate_limit", ExitCode.NETWORK: "network",
    ExitCode.GATEWAY: "gateway", ExitCode.CONFIG: "config", ExitCode.BUSY: "busy",
    ExitCode.FILE_CHANGED: "file_changed", ExitCode.INTERRUPTED: "interrupted", ExitCode.PIPE_CLOSED: "pipe_closed",
}


QUIET = ("-q", "--quiet")
QUIET_HELP = "Hide progress and hints; errors still show."


def take_quiet(args: list[str], *, until_positional: bool) -> list[str]:
    """``args`` without -q/--quiet (which is set): the flag works after any command name. For `run`,
    only up to the tool's name — what follows belongs to the tool."""
    kept: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--" or (until_positional and not arg.startswith("-")):
            return kept + args[index:]
        if arg in QUIET:
            _ui.set_quiet(True)
            continue
        kept.append(arg)
    return kept


def take_jq(command, ctx, args: list[str], *, until_positional: bool = False) -> list[str]:
    """``--jq EXPR`` (anywhere before ``--``; for groups, before the subcommand): implies --json and
    prints only what EXPR selects."""
    from bytespike_cli.errors import UsageError

    kept, expression, index = [], None, 0
    while index < len(args):
        arg = args[index]
        if arg == "--" or (until_positional and not arg.startswith("-") and not (kept and kept[-1] in ("--profile", "-p"))):
            kept += args[index:]
            break
        if arg == "--jq" or arg.startswith("--jq="):
            if arg == "--jq":
                if index + 1 >= len(args):
                    raise UsageError("--jq needs an expression", "e.g. --jq '.models[].model'")
                expression, index = args[index + 1], index + 2
            else:
                expression, index = arg.split("=", 1)[1], index + 1
            continue
        kept.append(arg)
        index += 1
    if expression is None:
        return kept
    if not any(p.name == "json_out" for p in command.params):
        raise UsageError(f"`{ctx.command_path}` has no JSON output for --jq", f"see `{ctx.command_path} --help`")
    _ui.set_jq(expression)
    return kept if "--json" in kept else ["--json"] + kept


def _words(ctx) -> str:
    """The command words after the program name: "profiles use"."""
    return " ".join(ctx.command_path.split()[1:])


class BytespikeCommand(TyperCommand):
    """Every leaf command: accepts -q after its name, draws bytespike's help, knows its JSON schema id."""

    def parse_args(self, ctx, args):
        interspersed = ctx.allow_interspersed_args
        args = take_quiet(list(args), until_positional=not interspersed)
        args = take_jq(self, ctx, args, until_positional=not interspersed)  # `run TOOL --jq …` is the tool's
        return super().parse_args(ctx, args)

    def invoke(self, ctx):
        inherit_root_flags(ctx)
        _ui.begin_command(_words(ctx), json_out=bool(ctx.params.get("json_out")))
        return super().invoke(ctx)

    def format_help(self, ctx, formatter) -> None:
        formatter.write(render_help(self, ctx))


def inherit_root_flags(ctx) -> None:
    """`bytespike --profile P --json models` means `bytespike models --profile P --json`."""
    from bytespike_cli.errors import UsageError

    root = ctx.find_root().obj or {}
    for name, flag in (("profile", "--profile"), ("json_out", "--json"), ("offline", "--offline")):
        if not root.get(name):
            continue
        if name not in ctx.params:
            if name == "json_out":
                raise UsageError(f"`{ctx.command_path}` has no --json output", f"see `{ctx.command_path} --help`")
            continue
        if not ctx.params[name]:
            ctx.params[name] = root[name]


class BytespikeGroup(TyperGroup):
    """Every command group (root, profiles, gateway): sections of commands, and bytespike's help."""

    def parse_args(self, ctx, args):
        return super().parse_args(ctx, take_jq(self, ctx, list(args), until_positional=True))

    def get_params(self, ctx):
        return [p for p in super().get_params(ctx) if "--install-completion" not in getattr(p, "opts", ())
                and "--show-completion" not in getattr(p, "opts", ())]

    def invoke(self, ctx):
        if ctx.parent is not None:
            inherit_root_flags(ctx)
        if not getattr(ctx, "_protected_args", None) and not ctx.args:
            _ui.begin_command(_words(ctx), json_out=bool(ctx.params.get("json_out")))
        return super().invoke(ctx)

    def format_help(self, ctx, formatter) -> None:
        formatter.write(render_help(self, ctx))


# --- help -------------------------------------------------------------------------------------------


def _width() -> int:
    """The terminal's width for help; 80 when stdout is not a terminal (a pipe never depends on COLUMNS)."""
    if not _ui.is_tty():
        return 80
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        columns = 0
    if not columns:
        try:
            columns = os.get_terminal_size(sys.stdout.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 80
    return max(40, min(columns, 100))


def reflow(text: str, width: int, indent: str = "") -> list[str]:
    """Paragraphs (blank-line separated) joined and wrapped: a docstring's own line breaks never show."""
    import textwrap

    out: list[str] = []
    for paragraph in textwrap.dedent(text or "").strip().split("\n\n"):
        joined = " ".join(line.strip() for line in paragraph.splitlines() if line.strip())
        if out:
            out.append("")
        out += textwrap.wrap(joined, width=width, initial_indent=indent, subsequent_indent=indent,
                             break_long_words=False, break_on_hyphens=False) or [indent]
    return out


def first_sentence(command) -> str:
    text = (command.short_help or command.help or "").strip()
    paragraph = " ".join(line.strip() for line in text.split("\n\n")[0].splitlines())
    return paragraph


def metavar(param) -> str:
    """An upper-case noun: explicit metavars kept (brackets and dots dropped), else from the name."""
    chosen = param.metavar or (param.name or "").replace("_", "-")
    return chosen.strip("[]{}. ").replace("[", "").replace("]", "").replace(".", "").upper().replace("-", "_") or "VALUE"


def _is_many(param) -> bool:
    return bool(getattr(param, "multiple", False)) or getattr(param, "nargs", 1) == -1


def usage_line(command, ctx) -> str:
    parts = [ctx.command_path]
    if isinstance(command, TyperGroup) and command.commands:
        parts.append("<command>")
    passes_through = not isinstance(command, TyperGroup) and not ctx.allow_interspersed_args  # `run`: its flags first, then the tool and its arguments
    if passes_through:
        parts.append("[flags]")
    for param in command.params:
        if param.param_type_name != "argument" or getattr(param, "hidden", False):
            continue
        noun = metavar(param) + ("..." if _is_many(param) else "")
        parts.append(noun if param.required else f"[{noun}]")
    if passes_through:
        parts.append("[ARGS...]")
    elif any(p.param_type_name == "option" for p in command.get_params(ctx)):
        parts.append("[flags]")
    return " ".join(parts)


def _choices(param) -> tuple[str, ...]:
    """An option's fixed values: Click's Choice (typer < 0.25 style) or the Enum annotation (typer 0.29)."""
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return tuple(str(getattr(c, "value", c)) for c in choices)
    annotation = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    import enum

    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return tuple(str(member.value) for member in annotation)
    return ()


param_choices = _choices


def _flag_rows(command, ctx) -> list[tuple[str, str]]:
    rows = []
    for param in command.get_params(ctx):
        if param.param_type_name != "option" or getattr(param, "hidden", False):
            continue
        longs = [o for o in param.opts if o.startswith("--")]
        shorts = [o for o in param.opts if not o.startswith("--")]
        name = ", ".join(shorts + longs) if shorts else "    " + ", ".join(longs)
        if not param.is_flag:
            name += " " + metavar(param)
        text = " ".join((param.help or "").split())
        choices = _choices(param)
        if choices and not all(c in text for c in choices):
            text += f" One of: {', '.join(choices)}."
        default = param.default
        if (not param.is_flag and param.show_default is not False and default not in (None, (), [], "")
                and not callable(default)):
            shown = getattr(default, "value", default)
            text += f" (default {shown})"
        if param.envvar and getattr(param, "show_envvar", False) or (param.envvar and param.is_flag):
            text += f" (env {param.envvar})"
        rows.append((name, text))
    if not isinstance(command, TyperGroup) and not any("--quiet" in r[0] for r in rows):
        rows.insert(max(0, len(rows) - 1), ("-q, --quiet", QUIET_HELP))
        if any(p.name == "json_out" for p in command.params):
            rows.insert(max(0, len(rows) - 2), ("    --jq EXPR", "Print only what EXPR selects from the JSON "
                                                "(a small part of jq: .field, .list[], .list[0]), e.g. '.models[].model'."))
    return rows


def _argument_rows(command) -> list[tuple[str, str]]:
    return [(metavar(p) + ("..." if _is_many(p) else ""), " ".join((getattr(p, "help", "") or "").split()))
            for p in command.params if p.param_type_name == "argument" and getattr(p, "help", None)]


def _definitions(rows: list[tuple[str, str]], width: int, left: int | None = None) -> list[str]:
    import textwrap

    if not rows:
        return []
    left = left or min(max(len(name) for name, _ in rows), 30)
    out = []
    for name, text in rows:
        lead = f"  {name}"
        body = textwrap.wrap(text, width=max(20, width - left - 6), break_long_words=False, break_on_hyphens=False) or [""]
        if len(name) > left:
            out.append(lead)
            out += [" " * (left + 6) + line for line in body]
        else:
            out.append(f"{lead:<{left + 6}}{body[0]}".rstrip())
            out += [" " * (left + 6) + line for line in body[1:]]
    return out


def render_help(command, ctx) -> str:
    width = _width()
    lines = reflow(command.help or "", width)
    lines += ["", "USAGE", f"  {usage_line(command, ctx)}"]
    if isinstance(command, TyperGroup):
        visible = {name: sub for name, sub in command.commands.items() if not getattr(sub, "hidden", False)}
        placed: set[str] = set()
        left = max((len(name) + 1 for name in visible), default=8)
        sections = SECTIONS if ctx.parent is None else (("COMMANDS", tuple(visible)),)
        for title, names in sections:
            rows = [(f"{name}:", first_sentence(visible[name])) for name in names if name in visible]
            placed.update(name for name in names if name in visible)
            if rows:
                lines += ["", title] + _definitions(rows, width, left)
        rest = [(f"{name}:", first_sentence(sub)) for name, sub in visible.items() if name not in placed]
        if rest:
            lines += ["", "MORE COMMANDS"] + _definitions(rest, width, left)
    arguments = _argument_rows(command)
    if arguments:
        lines += ["", "ARGUMENTS"] + _definitions(arguments, width)
    flags = _flag_rows(command, ctx)
    if flags:
        lines += ["", "FLAGS"] if ctx.parent is not None else [
            "", "GLOBAL FLAGS (-q, --offline, --profile, --json and --jq also work after the command)"]
        lines += _definitions(flags, width)
    examples = EXAMPLES.get(_words(ctx))
    if examples:
        lines += ["", "EXAMPLES"] + [f"  $ {example}" for example in examples]
    lines += ["", "LEARN MORE"] + reflow(LEARN_MORE.split("\n")[0], width, "  ") + reflow(LEARN_MORE.split("\n")[1], width, "  ")
    return "\n".join(lines) + "\n"


# --- usage errors -----------------------------------------------------------------------------------


def _closest(word: str, candidates) -> list[str]:
    import difflib

    return difflib.get_close_matches(word, list(candidates), n=3, cutoff=0.6)


def _click_exceptions():
    """Click's exception classes: vendored inside Typer since 0.2x, the click package before."""
    try:
        from typer._click import exceptions
    except ImportError:  # an older Typer outside the pinned range
        from click import exceptions  # type: ignore[no-redef]
    return exceptions


def _command_words(group, args: list[str]) -> str:
    """The command a command line names ("profiles use"), for errors raised without a context."""
    words, command = [], group
    for arg in args:
        sub = getattr(command, "commands", {}).get(arg) if not arg.startswith("-") else None
        if sub is not None:
            words.append(arg)
            command = sub
    return " ".join(words)


def usage_error_lines(exc, args: list[str], words: str = "") -> tuple[str, str]:
    """(message, hint) for one of Click's usage errors, in bytespike's words."""
    click_exc = _click_exceptions()

    ctx = getattr(exc, "ctx", None)
    where = ctx.command_path if ctx is not None else " ".join(("bytespike", words)).strip()
    see = f"see `{where} --help`"
    if isinstance(exc, click_exc.NoSuchOption):
        visible = []
        if ctx is not None:
            for param in ctx.command.get_params(ctx):
                if param.param_type_name == "option" and not getattr(param, "hidden", False):
                    visible += [o for o in param.opts if o.startswith("--")]
        near = _closest(exc.option_name, visible)
        hint = f"did you mean {' or '.join(near)}? ({see})" if near else see
        return f"no such flag: {exc.option_name}", hint
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    if message.startswith("No such command"):
        name = message.split("'")[1] if "'" in message else ""
        if name.lstrip("-") == "version":
            return f"no such command: {name}", "the version is a flag: `bytespike --version`"
        commands = list(getattr(ctx.command, "commands", {}) or {}) if ctx is not None else []
        visible = [c for c in commands if not getattr(ctx.command.commands[c], "hidden", False)]
        near = _closest(name, visible)
        return (f"no such command: {name}",
                f"did you mean `{where} {near[0]}`? ({see})" if near else see)
    param = getattr(exc, "param", None)
    if isinstance(exc, click_exc.BadParameter) and param is not None and _choices(param):
        choices = _choices(param)
        given = _given_value(param, args)
        near = _closest(given or "", choices) if given else []
        flag = next((o for o in param.opts if o.startswith("--")), param.name)
        what = f"'{given}' is not a valid {flag}" if given else f"not a valid {flag}"
        return (f"{what} (one of: {', '.join(choices)})",
                f"did you mean {flag} {near[0]}?" if near else see)
    if isinstance(exc, click_exc.BadParameter) and param is not None and not isinstance(exc, click_exc.MissingParameter):
        flag = next((o for o in getattr(param, "opts", ()) if o.startswith("--")), metavar(param))
        given = _given_value(param, args)
        detail = " ".join(message.split())
        ranged = "greater than" in detail or "less than" in detail
        kind = ("a whole number" if "integer" in detail else "a number" if "number" in detail or "float" in detail
                else None)
        if kind or ranged:
            low, high = getattr(param, "min", None), getattr(param, "max", None)
            span = (f" from {low} to {high}" if low is not None and high is not None else
                    f" of at least {low}" if low is not None else f" of at most {high}" if high is not None else "")
            annotation = str(getattr(getattr(param, "type_descriptor", None), "annotation", "")) + str(
                getattr(param, "type", ""))
            number = "a number" if "float" in annotation.lower() else kind or "a whole number"
            got = f" (got '{given}')" if given is not None else ""
            return f"{flag} must be {number}{span}{got}", see
    if isinstance(exc, click_exc.MissingParameter) and param is not None:
        label = metavar(param) if param.param_type_name == "argument" else next(
            (o for o in param.opts if o.startswith("--")), param.name)
        return f"missing {label}", see
    text = " ".join(message.split()).replace("Value error, ", "").rstrip(".")
    needs = re.match(r"[Oo]ption '(-[^']+)' requires an argument", text)
    if needs:
        text = f"{needs.group(1)} needs a value"
    return text[:1].lower() + text[1:], see


def _given_value(param, args: list[str]) -> str | None:
    opts = set(getattr(param, "opts", ()))
    for index, arg in enumerate(args):
        if arg in opts and index + 1 < len(args):
            return args[index + 1]
        for opt in opts:
            if opt.startswith("--") and arg.startswith(opt + "="):
                return arg.split("=", 1)[1]
    return None


# --- the boundary -----------------------------------------------------------------------------------


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file descriptor (CliRunner)
        pass


def _is_pipe_closed(exc: BaseException) -> bool:
    return isinstance(exc, BrokenPipeError) or (isinstance(exc, OSError) and exc.errno == errno.EPIPE)


def _flush_stdout() -> int | None:
    """Flush what is buffered; ExitCode.PIPE_CLOSED when the reader has gone away."""
    try:
        sys.stdout.flush()
    except BaseException as exc:  # noqa: BLE001 — only a closed pipe is expected here
        if _is_pipe_closed(exc):
            _silence_stdout()
            return int(ExitCode.PIPE_CLOSED)
        if isinstance(exc, (ValueError, AttributeError)):
            return None
        raise
    return None


def report_error(exc: BytespikeError) -> int:
    """The error as `error:`/`hint:` lines (and, under --json, as the JSON error object)."""
    code = int(exc.exit_code)
    if _ui.json_requested() and not _ui.json_emitted():
        _ui.print_json({}, error=exc)
    _ui.error(exc.message, exc.hint)
    return code


def run_main(group, args, prog_name, extra) -> int:
    """Run the command line and return its exit code; every failure becomes `error:`/`hint:` lines."""
    click_exc = _click_exceptions()

    args = list(sys.argv[1:] if args is None else args)
    _ui.reset(json_in_args="--json" in args)
    code = 0
    try:
        try:
            with group.make_context(prog_name, args, **extra) as ctx:
                group.invoke(ctx)
        except click_exc.NoArgsIsHelpError as exc:  # a bare `bytespike` (or group): its help, exit 0
            _ui.write_stdout(exc.ctx.get_help() + "\n")
        except click_exc.ClickException as exc:
            failing = getattr(exc, "ctx", None)
            words = _words(failing) if failing is not None else _command_words(group, args)
            _ui.begin_command(words, json_out=False)
            message, hint = usage_error_lines(exc, args, words)
            code = report_error(BytespikeError(message, hint, exit_code=ExitCode.USAGE))
        except BytespikeError as exc:
            code = report_error(exc)
        except typer.Exit as exc:
            code = int(exc.exit_code or 0)
        except (KeyboardInterrupt, typer.Abort, EOFError):
            _ui.stderr().print("interrupted", markup=False)
            code = int(ExitCode.INTERRUPTED)
    except BaseException as exc:  # noqa: BLE001 — the one place that turns the rest into exit codes
        if _is_pipe_closed(exc):
            _silence_stdout()
            return int(ExitCode.PIPE_CLOSED)
        if isinstance(exc, SystemExit) or _ui.debug_enabled():
            raise
        try:
            _ui.error(f"unexpected internal error: {type(exc).__name__}: {exc}",
                      "run again with BYTESPIKE_DEBUG=1 for a traceback, and report it")
        except OSError:
            pass
        return int(ExitCode.FAILURE)
    closed = _flush_stdout()
    return closed if closed is not None else code


class RootGroup(BytespikeGroup):
    """The root group: also the single error boundary (on ``main``, so CliRunner sees what users see)."""

    def parse_args(self, ctx, args):
        # Before Click can echo it back in an error: a key typed as an argument is already in the shell
        # history, so say that, masked, and how to recover.
        from bytespike_cli.redact import _KEY_RE, mask_key

        pasted = next((m.group(0) for arg in args for m in [_KEY_RE.search(arg)] if m), None)
        if pasted:
            raise BytespikeError(
                f"a key was typed as a command-line argument ({mask_key(pasted)}): it is now in your shell "
                "history and visible to other programs on this computer",
                "rotate that key at https://console.bytespike.ai/keys, then run `bytespike login` and paste the "
                "new one at the prompt (or pipe it: `bytespike login --key-stdin`); clear it from your history "
                "(e.g. `history -d` in bash)",
                exit_code=ExitCode.USAGE,
            )
        return super().parse_args(ctx, args)  # BytespikeGroup.parse_args takes a root --jq

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra: Any):
        extra.pop("windows_expand_args", None)
        code = run_main(self, args, prog_name or "bytespike", extra)
        if standalone_mode:
            sys.exit(code)
        return code
