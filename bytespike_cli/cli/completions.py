"""Shell completions for bash, zsh and fish, generated from the command tree.

Commands, flags, tool names and enum values are written into the script (instant, no Python).
Profile names and model ids change, so the script asks ``bytespike __complete profiles|models``,
which the standard-library fast path answers from config.toml and the small model cache written
by ``bytespike models`` — never a network call. ``bytespike completion bash|zsh|fish`` prints the
script of the installed package; ``python -m bytespike_cli.cli.completions --write`` rewrites
``completions/`` (shipped in the wheel under share/), and a test fails when they drift.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

PROG = "bytespike"


@dataclass(frozen=True)
class Node:
    path: tuple[str, ...]  # command words after the program name
    help: str
    options: tuple[tuple[str, ...], ...]  # each option's spellings
    option_help: tuple[str, ...]
    children: tuple[str, ...]
    option_values: tuple[str, ...] = ()  # per option: "" (a flag), "@profiles", "@models", "@any" or "a b c"
    argument_values: str = ""  # what the positional arguments complete to (same forms)


PROFILE_PARAMS = {"profile", "name"}
MODEL_PARAMS = {"model", "model_ids", "fast_model", "warm"}


def _value_kind(param, path: tuple[str, ...]) -> str:
    """What a value of ``param`` completes to: a fixed word list, or a dynamic source."""
    from bytespike_cli.cli._framework import param_choices

    choices = param_choices(param)
    if choices:
        return " ".join(choices)
    name = param.name or ""
    if name in PROFILE_PARAMS and not (path[:1] == ("gateway",)):
        return "@profiles"
    if name in MODEL_PARAMS:
        return "@models"
    if name in ("tools", "tool"):
        if path == ("run",):
            from bytespike_cli.runner import TOOLS

            return " ".join(TOOLS)
        from bytespike_cli import tools as registry

        return " ".join(registry.names())
    if name == "shell":
        return "bash zsh fish"
    if name == "setting":
        return "base_url offline"
    return "@any"


def command_tree() -> list[Node]:
    import typer.main

    from bytespike_cli.cli.app import app

    root = typer.main.get_command(app)
    nodes: list[Node] = []

    def walk(command, path: tuple[str, ...]) -> None:
        from typer import Context

        options, helps, values = [], [], []
        arguments = ""
        params = command.get_params(Context(command, info_name=" ".join((PROG,) + path)))
        for param in params:
            if getattr(param, "hidden", False):
                continue
            if param.param_type_name == "argument":
                if not arguments:
                    arguments = _value_kind(param, path)
                continue
            names = tuple(n for n in (*getattr(param, "opts", ()), *getattr(param, "secondary_opts", ())) if n.startswith("-"))
            if names and "completion" not in names[0] and "--help" not in names:
                options.append(names)
                helps.append(" ".join((getattr(param, "help", None) or "").split()))
                values.append("" if param.is_flag else _value_kind(param, path))
        if ("--json",) in options:
            options.append(("--jq",))
            helps.append("Print only what EXPR selects from the JSON (.field, .list[], .list[0]).")
            values.append("@any")
        if not hasattr(command, "commands") and ("--quiet", "-q") not in options:
            options.append(("--quiet", "-q"))
            helps.append("Hide progress and hints; errors still show.")
            values.append("")
        options.append(("--help", "-h"))
        helps.append("Show help and exit.")
        values.append("")
        children = {}
        if hasattr(command, "commands"):
            children = {name: sub for name, sub in command.commands.items() if not getattr(sub, "hidden", False)}
        from bytespike_cli.cli._framework import first_sentence

        nodes.append(Node(path, first_sentence(command), tuple(options), tuple(helps), tuple(children),
                          tuple(values), arguments))
        for name, sub in children.items():
            walk(sub, path + (name,))

    walk(root, ())
    return nodes


def _help_of(nodes: list[Node], path: tuple[str, ...]) -> str:
    return next((n.help for n in nodes if n.path == path), "")


def _sorted(nodes: list[Node]) -> list[Node]:
    return sorted(nodes, key=lambda n: n.path)


def _option_cases(nodes: list[Node], quote) -> list[str]:
    """``"path|--opt") echo VALUES ;;`` for every option that takes a value."""
    cases = []
    for node in _sorted(nodes):
        for opts, kind in zip(node.options, node.option_values):
            if kind:
                pattern = "|".join(f'"{" ".join(node.path)}@{o}"' for o in opts)
                cases.append(f"        {pattern}) {quote(kind)} ;;")
    return cases


def bash(nodes: list[Node]) -> str:
    words_cases, option_cases, arg_cases = [], [], []
    for node in _sorted(nodes):
        key = " ".join(node.path)
        words_cases.append(f'        "{key}") echo "{" ".join(o for opts in node.options for o in opts)}" ;;')
        if node.argument_values:
            arg_cases.append(f'        "{key}") echo "{node.argument_values}" ;;')
    option_cases = _option_cases(nodes, lambda kind: f'echo "{kind}"')
    children = "\n".join(f'        "{" ".join(n.path)}") echo "{" ".join(n.children)}" ;;' for n in _sorted(nodes) if n.children)
    return f"""# bash completion for {PROG} (generated by `python -m bytespike_cli.cli.completions`; do not edit)
# Load it with: source <({PROG} completion bash)
_{PROG}() {{
    local cur prev path word i values
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    path=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        [[ "$word" == -* ]] && continue
        case " $(_{PROG}_children "$path") " in
            *" $word "*) path="${{path:+$path }}$word" ;;
        esac
    done
    if [[ "$prev" == -* ]]; then
        values="$(_{PROG}_option_values "$path@$prev")"
        if [[ -n "$values" ]]; then
            COMPREPLY=($(compgen -W "$(_{PROG}_expand "$values")" -- "$cur"))
            return 0
        fi
    fi
    if [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_{PROG}_options "$path")" -- "$cur"))
    else
        COMPREPLY=($(compgen -W "$(_{PROG}_children "$path") $(_{PROG}_expand "$(_{PROG}_arguments "$path")")" -- "$cur"))
    fi
}}
_{PROG}_expand() {{
    case "$1" in
        @profiles) {PROG} __complete profiles 2>/dev/null ;;
        @models) {PROG} __complete models 2>/dev/null ;;
        @any) ;;
        *) echo "$1" ;;
    esac
}}
_{PROG}_options() {{
    case "$1" in
{chr(10).join(words_cases)}
    esac
}}
_{PROG}_option_values() {{
    case "$1" in
{chr(10).join(option_cases)}
    esac
}}
_{PROG}_arguments() {{
    case "$1" in
{chr(10).join(arg_cases)}
    esac
}}
_{PROG}_children() {{
    case "$1" in
{children}
    esac
}}
complete -o default -F _{PROG} {PROG}
"""


def _zsh_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "'\\''").replace(":", "\\:").replace("[", "\\[").replace("]", "\\]")


def zsh(nodes: list[Node]) -> str:
    cases, arg_cases = [], []
    for node in _sorted(nodes):
        entries = [f"'{c}:{_zsh_escape(_help_of(nodes, node.path + (c,)))}'" for c in node.children]
        options = [f"'{o}:{_zsh_escape(h)}'" for opts, h in zip(node.options, node.option_help) for o in opts]
        cases.append(f'        "{" ".join(node.path)}") entries=({" ".join(entries)}); options=({" ".join(options)}) ;;')
        if node.argument_values:
            arg_cases.append(f'        "{" ".join(node.path)}") print -r -- "{node.argument_values}" ;;')
    option_cases = _option_cases(nodes, lambda kind: f'print -r -- "{kind}"')
    children = "\n".join(f'        "{" ".join(n.path)}") print -l {" ".join(n.children)} ;;' for n in _sorted(nodes) if n.children)
    return f"""#compdef {PROG}
# zsh completion for {PROG} (generated by `python -m bytespike_cli.cli.completions`; do not edit)
_{PROG}() {{
    # not "path": in zsh that is PATH itself, and `bytespike __complete` must still be found
    local -a entries options children values
    local cmdpath="" word i kind prev="${{words[CURRENT-1]}}" cur="${{words[CURRENT]}}"
    for ((i = 2; i < CURRENT; i++)); do
        word="${{words[i]}}"
        [[ "$word" == -* ]] && continue
        children=(${{(f)"$(_{PROG}_children "$cmdpath")"}})
        (( ${{children[(Ie)$word]}} )) && cmdpath="${{cmdpath:+$cmdpath }}$word"
    done
    case "$cmdpath" in
{chr(10).join(cases)}
    esac
    if [[ "$prev" == -* ]]; then
        kind="$(_{PROG}_option_values "$cmdpath@$prev")"
        if [[ -n "$kind" ]]; then
            values=(${{=$(_{PROG}_expand "$kind")}})
            compadd -a values
            return
        fi
    fi
    if [[ "$cur" == -* ]]; then
        _describe -t options '{PROG} flags' options
        return
    fi
    values=(${{=$(_{PROG}_expand "$(_{PROG}_arguments "$cmdpath")")}})
    (( ${{#entries}} )) && _describe -t commands '{PROG} commands' entries
    (( ${{#values}} )) && compadd -a values
}}
_{PROG}_expand() {{
    case "$1" in
        @profiles) {PROG} __complete profiles 2>/dev/null ;;
        @models) {PROG} __complete models 2>/dev/null ;;
        @any) ;;
        *) print -r -- "$1" ;;
    esac
}}
_{PROG}_option_values() {{
    case "$1" in
{chr(10).join(option_cases)}
    esac
}}
_{PROG}_arguments() {{
    case "$1" in
{chr(10).join(arg_cases)}
    esac
}}
_{PROG}_children() {{
    case "$1" in
{children}
    esac
}}
if [[ "$funcstack[1]" == "_{PROG}" ]]; then
    _{PROG} "$@"
else
    compdef _{PROG} {PROG}
fi
"""


def _fish_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")


def _fish_values(kind: str) -> str:
    if kind == "@profiles":
        return f"'({PROG} __complete profiles 2>/dev/null)'"
    if kind == "@models":
        return f"'({PROG} __complete models 2>/dev/null)'"
    return f"'{kind}'"


def fish(nodes: list[Node]) -> str:
    lines = [f"# fish completion for {PROG} (generated by `python -m bytespike_cli.cli.completions`; do not edit)",
             f"complete -c {PROG} -f"]
    all_children = sorted({c for n in nodes for c in n.children})
    for node in _sorted(nodes):
        if not node.path:
            condition = "__fish_use_subcommand"
        else:
            condition = "; and ".join(f"__fish_seen_subcommand_from {word}" for word in node.path)
            if node.children:
                condition += f"; and not __fish_seen_subcommand_from {' '.join(node.children)}"
        for child in node.children:
            lines.append(f"complete -c {PROG} -n '{condition}' -a {child} -d '{_fish_escape(_help_of(nodes, node.path + (child,)))}'")
        if node.argument_values and node.argument_values != "@any":
            lines.append(f"complete -c {PROG} -n '{condition}' -a {_fish_values(node.argument_values)}")
        for opts, help_text, kind in zip(node.options, node.option_help, node.option_values):
            flags = " ".join(f"-l {o[2:]}" if o.startswith("--") else f"-s {o[1:]}" for o in opts)
            value = ""
            if kind:
                value = " -r" if kind == "@any" else f" -x -a {_fish_values(kind)}"
            lines.append(f"complete -c {PROG} -n '{condition}' {flags}{value} -d '{_fish_escape(help_text)}'")
    del all_children
    return "\n".join(lines) + "\n"


FILES = {"bytespike.bash": bash, "_bytespike": zsh, "bytespike.fish": fish}


def render_all() -> dict[str, str]:
    nodes = command_tree()
    return {name: render(nodes) for name, render in FILES.items()}


_USAGE = ("usage: python -m bytespike_cli.cli.completions bash|zsh|fish   (print one script)\n"
          "       python -m bytespike_cli.cli.completions --write [DIR]     (write all three into DIR)")
_SHELLS = {"bash": "bytespike.bash", "zsh": "_bytespike", "fish": "bytespike.fish"}


def source_checkout_dir(module_file: str | Path = __file__) -> Path | None:
    """The checkout's completions/ folder, or None when running from an installed package.

    An installed package sits in site-packages, where writing would scribble over other packages'
    files (and be lost on upgrade): only a source checkout (pyproject.toml beside the package) counts.
    """
    root = Path(module_file).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and "site-packages" not in root.parts and "dist-packages" not in root.parts:
        return root / "completions"
    return None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and argv[0] in _SHELLS:
        sys.stdout.write(render_all()[_SHELLS[argv[0]]])
        return 0
    if not argv or argv[0] != "--write" or len(argv) > 2:
        print(_USAGE, file=sys.stderr)
        return 2
    out = Path(argv[1]) if len(argv) == 2 else source_checkout_dir()
    if out is None:
        print("error: bytespike is installed as a package, not run from a source checkout: --write needs a folder\n"
              "hint: python -m bytespike_cli.cli.completions --write ~/.local/share/bytespike/completions "
              "(or print one script: python -m bytespike_cli.cli.completions bash > ~/.bytespike.bash)",
              file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_all().items():
        (out / name).write_text(text, encoding="utf-8")
        print(f"wrote {out / name}")
    return 0


def completion(
    shell: str = __import__("typer").Argument(..., metavar="SHELL", help="bash, zsh or fish."),
) -> None:
    """Print the shell completion script of this installed bytespike.

    Completes commands, flags, tool names, enum values, profile names and model ids (from the list
    `bytespike models` last showed; completion never calls the network).
    """
    from bytespike_cli.cli import _ui
    from bytespike_cli.errors import UsageError

    if shell not in _SHELLS:
        import difflib

        near = difflib.get_close_matches(shell, list(_SHELLS), n=1)
        raise UsageError(f"no completion script for '{shell}' (bash, zsh or fish)",
                         f"did you mean `bytespike completion {near[0]}`?" if near else "e.g. `bytespike completion bash`")
    _ui.write_stdout(render_all()[_SHELLS[shell]])


if __name__ == "__main__":
    raise SystemExit(main())
