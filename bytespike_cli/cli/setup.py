"""bytespike setup / undo / tools: point editors and AI tools at ByteSpike, reversibly.

The command bodies only parse options, ask the questions and render; what setup does is in
``bytespike_cli/setup/flow.py`` (data in, data out). Heavy imports (httpx via the gateway client,
questionary, the tool modules, the setup core) happen inside the functions.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, List, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt
from bytespike_cli.errors import UsageError

if TYPE_CHECKING:
    from bytespike_cli.setup.flow import PlannedTool, ToolReport
    from bytespike_cli.tools.base import Integration


class KeyMode(str, Enum):
    helper = "helper"
    env = "env"
    inline = "inline"
    file = "file"


def _offline(ctx: typer.Context, flag: bool) -> bool:
    return flag or bool((ctx.obj or {}).get("offline"))


def _home_relative(path: Path) -> str:
    from bytespike_cli.setup.flow import home_relative

    return home_relative(path)


def _print_diff(text: str) -> None:
    console = _ui.stdout()
    for line in text.splitlines():
        style = None
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        console.print(line, style=style, markup=False, highlight=False)


def _need_yes(what: str) -> None:
    raise UsageError(
        f"{what}: stdin is not a terminal, so there is no one to confirm",
        "re-run with --yes to write without asking, or with --dry-run to see the diff only",
    )


def _confirm(question: str) -> bool:
    return typer.confirm(question, default=True, err=True)


def _interactive() -> bool:
    """A person at a terminal who can answer prompts (stdin and stdout both terminals)."""
    import sys

    return _ui.stdin_is_tty() and _ui.is_tty(sys.stdout)


def _ask_write(question: str, diff_text: str) -> bool:
    """[Y/n/d(iff)]: the diff only when asked for, then the question again."""
    while True:
        answer = typer.prompt(f"{question} [Y/n/d(iff)]", default="y", show_default=False, err=True)
        answer = answer.strip().lower()
        if answer in ("y", "yes", ""):
            return True
        if answer in ("n", "no"):
            return False
        if answer in ("d", "diff"):
            _print_diff(diff_text)
            continue
        _ui.stderr().print("answer y (write), n (do not write) or d (show the diff)", markup=False)


def _pick_models(tool: "Integration", catalogue: list, default_chat, default_fast):
    """A chat model, then a ⚡ fast model, for one tool (defaults preselected)."""
    import questionary

    def label(model) -> str:
        context = f"{model.context_window // 1000}K context" if model.context_window else ""
        native = "/".join(model.native_protocols)
        extra = ", ".join(x for x in (model.family, context, f"native {native}") if x)
        return f"{model.id}{'  ⚡' if model.low_latency else ''}  ({extra})"

    text_models = [m for m in catalogue if "text" in m.capabilities or not m.capabilities] or catalogue
    chat_pool = [m for m in text_models if not m.low_latency] or text_models
    chat_pool = [default_chat] + [m for m in chat_pool if m.id != default_chat.id]
    picked = questionary.select(f"Chat model for {tool.title}:",
                                choices=[questionary.Choice(label(m), value=m) for m in chat_pool],
                                default=None).ask()
    if picked is None:
        raise KeyboardInterrupt
    fast_pool = [m for m in text_models if m.low_latency]
    if default_fast is not None:
        fast_pool = [default_fast] + [m for m in fast_pool if m.id != default_fast.id]
    if not fast_pool:
        return (picked,), None
    fast = questionary.select(f"⚡ Fast model for {tool.title} (titles, summaries, background work):",
                              choices=[questionary.Choice(label(m), value=m) for m in fast_pool]).ask()
    if fast is None:
        raise KeyboardInterrupt
    return (picked,), fast


def _pick_tools() -> list[str]:
    """With no tool named on a terminal: a checklist of the tools, the installed ones ticked."""
    import questionary

    from bytespike_cli import tools as registry

    choices = []
    for name in registry.names():
        detection = registry.get(name).detect()
        label = f"{detection.title} ({'installed' if detection.installed else 'not found'})"
        choices.append(questionary.Choice(label, value=name, checked=detection.installed))
    picked = questionary.checkbox("Set up which tools for ByteSpike?", choices=choices).ask()
    if picked is None:
        raise KeyboardInterrupt
    return list(picked)


def _render_plan(item: "PlannedTool", report: "ToolReport", *, dry_run: bool) -> None:
    """One tool's plan: steps to do by hand, the summary and model slots (the long diff only in a dry run;
    otherwise on "d" at the question), then its warnings and notes."""
    tool, plan = item.tool, item.plan
    if plan.manual_steps:
        _ui.result(f"{tool.name}: what to do in {tool.title}:")
        for number, step in enumerate(plan.manual_steps, 1):
            _ui.result(f"  {number}. {step}")
    if report.changed:
        _ui.result(report.summary)
        for slot in report.model_slots:
            _ui.result(f"  model: {slot}")
        if dry_run:
            _print_diff(report.diff)
    elif tool.writes_files and plan.files and not plan.manual_steps:
        _ui.result(f"{tool.name}: already set up for profile '{report.profile}' (nothing to change)")
    for warning in report.warnings:
        _ui.warn(f"{tool.name}: {warning}")
    # notes of a tool that writes nothing (JetBrains, an old Cline) are the whole answer: always shown
    if report.changed or not plan.files or plan.manual_steps:
        for note in report.notes:
            _ui.info(f"{tool.name}: {note}")
    if report.blocked is not None:
        _ui.warn(f"{tool.name}: setup would refuse to write now: {report.blocked}")


def _declined() -> None:
    """A "no" at the confirmation is an answer, not an interruption."""
    _ui.info("nothing written")


def _render_recovered(messages: tuple[str, ...]) -> None:
    for message in messages:
        _ui.warn(message)


def _chosen_tools(names: list[str], json_out: bool) -> list | None:
    """The tools named (`claude` is `claude-code`: once), or picked from a list on a terminal (None: none)."""
    from bytespike_cli import tools as registry

    names = list(dict.fromkeys(names))
    if not names:
        if not _ui.stdin_is_tty() or json_out:
            raise UsageError("name the tool(s) to set up",
                             f"e.g. `bytespike setup claude-code`; tools: {', '.join(registry.names())}")
        names = _pick_tools()
        if not names:
            _ui.info("nothing picked, nothing to do")
            return None
    return list({tool.name: tool for tool in map(registry.get, names)}.values())


def _confirm_replace(collision) -> bool:
    _ui.warn(collision.message)
    return _confirm("Replace your entry with bytespike's? (--remove and undo put yours back)")


def _plan_all(engine, chosen: list, catalogue: list, resolved, *, model, fast_model, key_mode, replace: bool,
              yes: bool, dry_run: bool, json_out: bool) -> list:
    """Every tool's plan (asking on a terminal: models, taking over a same-named entry); skips are said as
    they happen."""
    from bytespike_cli.setup import flow

    ask = _interactive() and not yes and not json_out
    can_confirm = not (dry_run or yes or not _ui.stdin_is_tty())
    planned = []
    for outcome in flow.plan_tools(
            engine, chosen, catalogue, resolved, model=model, fast_model=fast_model,
            key_mode=key_mode.value if key_mode else None, replace=replace,
            pick_models=_pick_models if ask else None, confirm_replace=_confirm_replace if can_confirm else None):
        if isinstance(outcome, flow.SkippedTool):
            _ui.warn(outcome.message)
        else:
            planned.append(outcome)
    return planned


def _print_reports(reports: list, *, dry_run: bool) -> None:
    _ui.print_json({"dry_run": dry_run, "tools": [r.to_json() for r in reports]})


def _render_written(reports: list, written: list, *, json_out: bool) -> None:
    if json_out:
        _print_reports(reports, dry_run=False)
        return
    for report in reports:
        for path in report.written_files:
            _ui.result(f"{report.tool}: wrote {_home_relative(path)}")
    names_written = " ".join(item.tool.name for item in written)
    _ui.info(f"the original files are backed up: `bytespike undo` restores them; "
             f"`bytespike setup {names_written} --remove` takes out only our settings")
    _ui.result(f"check it: bytespike doctor {names_written}")


# setup's options, declared once here so the command's signature stays readable
_ToolsArg = Annotated[Optional[List[str]], typer.Argument(
    metavar="TOOL", help="Tools to set up: cursor, continue, cline, aider, zed, jetbrains, claude-code, codex, crush, "
                        "vscode-copilot, opencode, kilo, gemini-cli, qwen-code (none on a terminal: pick from a list).",
    show_default=False,
)]
_ListOpt = Annotated[bool, typer.Option("--list", help="Show each tool, its files and whether ByteSpike is set up there.")]
_ModelOpt = Annotated[Optional[List[str]], typer.Option(
    "--model", "-m", metavar="MODEL", help="Chat model id (repeatable; the first is the default). Default: from the live catalogue.",
    show_default=False,
)]
_FastModelOpt = Annotated[Optional[str], typer.Option(
    "--fast-model", metavar="MODEL", help="Model for the tool's fast/background slot. Default: from the live catalogue.",
    show_default=False,
)]
_KeyModeOpt = Annotated[Optional[KeyMode], typer.Option(
    "--key-mode", metavar="MODE", case_sensitive=False, show_default=False,
    help="helper: the tool runs `bytespike print-key` (no key in its files); env: the tool reads an environment "
         "variable; inline: the key is written into the tool's file (kept 0600); file: the tool reads bytespike's own "
         "key file (opencode, Kilo). Default: the safest the tool offers.",
)]
_ReplaceOpt = Annotated[bool, typer.Option("--replace", help="Take over an entry with bytespike's name that you made "
                                           "yourself (--remove and undo put yours back).")]


def setup(
    ctx: typer.Context,
    tools: _ToolsArg = None,
    list_tools: _ListOpt = False,
    profile: ProfileOpt = None,
    model: _ModelOpt = None,
    fast_model: _FastModelOpt = None,
    key_mode: _KeyModeOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the changes as a diff (key masked); write nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask (required when stdin is not a terminal).")] = False,
    remove: Annotated[bool, typer.Option("--remove", help="Remove exactly what bytespike added, nothing else.")] = False,
    replace: _ReplaceOpt = False,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Point editors and AI tools at ByteSpike: reversible, comment-preserving edits of their settings."""
    if list_tools:
        _list(profile, json_out)
        return
    chosen = _chosen_tools(tools or [], json_out)
    if chosen is None:
        return
    from bytespike_cli.settings import resolve
    from bytespike_cli.setup import flow
    from bytespike_cli.setup.engine import Engine

    engine = Engine()
    if remove:
        _remove(chosen, engine, dry_run=dry_run, yes=yes, json_out=json_out)
        return
    resolved = resolve(profile, offline=_offline(ctx, offline))
    with _ui.spinner(f"reading the model list from {resolved.base_url} …"):
        catalogue = flow.fetch_catalogue(resolved)
    planned = _plan_all(engine, chosen, catalogue, resolved, model=model, fast_model=fast_model,
                        key_mode=key_mode, replace=replace, yes=yes, dry_run=dry_run, json_out=json_out)
    reports = flow.preview(engine, planned, catalogue, resolved, dry_run=dry_run)  # raises if a guard says no
    if not dry_run and not yes and not _ui.stdin_is_tty() and any(r.changed for r in reports):
        _need_yes("setup would change files")
    if resolved.offline:
        _ui.warn("offline: the files will point at the built-in offline gateway, which runs only as long as "
                 "this command; use it to try setup out, then run again without --offline")
    if not json_out:
        for item, report in zip(planned, reports):
            _render_plan(item, report, dry_run=dry_run)
    to_write = [item for item, report in zip(planned, reports) if report.changed]
    if dry_run or not to_write:
        if json_out:
            _print_reports(reports, dry_run=dry_run)
        elif dry_run and to_write:
            _ui.info("dry run: nothing was written")
        return
    if not yes and not _ask_write(f"Write these changes for {', '.join(i.tool.name for i in to_write)}?",
                                  "".join(r.diff for r in reports if r.changed)):
        if json_out:
            _print_reports(reports, dry_run=False)
        _declined()
        return
    reports, recovered = flow.apply(engine, to_write, reports)
    _render_recovered(recovered)
    _render_written(reports, to_write, json_out=json_out)


def _remove(chosen: list, engine, *, dry_run: bool, yes: bool, json_out: bool) -> None:
    from bytespike_cli.setup.engine import diff

    reports = []
    pending = []
    checks = []
    for tool in chosen:
        changes, warnings = engine.removal_changes(tool)
        checks.append((tool, changes))
        text = diff(changes)
        reports.append({"tool": tool.name, "files": [str(c.path) for c in changes], "changed": bool(changes),
                        "written": False, "diff": text, "warnings": warnings})
        if changes:
            pending.append(tool)
        if not json_out:
            if changes and (dry_run or not yes):
                _print_diff(text)
            elif not changes:
                _ui.result(f"{tool.name}: nothing of bytespike's to remove")
            for warning in warnings:
                _ui.warn(f"{tool.name}: {warning}")
    from bytespike_cli.setup.flow import preflight

    blocked = preflight(engine, checks, dry_run=dry_run)
    for name, why in blocked.items():
        next(r for r in reports if r["tool"] == name)["blocked"] = why
        if not json_out:
            _ui.warn(f"{name}: --remove would refuse to write now: {why}")
    if dry_run or not pending:
        if json_out:
            _ui.print_json({"dry_run": dry_run, "remove": True, "tools": reports})
        return
    if not yes:
        if not _ui.stdin_is_tty():
            _need_yes("--remove would change files")
        if not _confirm(f"Remove bytespike's settings from {', '.join(t.name for t in pending)}?"):
            if json_out:
                _ui.print_json({"dry_run": False, "remove": True, "tools": reports})
            _declined()
            return
    results = engine.remove_many(pending)
    _render_recovered(results[0].recovered if results else ())
    for tool, result in zip(pending, results):
        report = next(r for r in reports if r["tool"] == tool.name)
        report["written"] = bool(result.written)
        if not json_out:
            for path in result.written:
                _ui.result(f"{tool.name}: removed bytespike's settings from {_home_relative(path)}")
    if json_out:
        _ui.print_json({"dry_run": False, "remove": True, "tools": reports})


def _list(profile: str | None, json_out: bool) -> None:
    from bytespike_cli.setup.flow import list_tools

    listing = list_tools(profile)
    if listing.journal_problem is not None:
        problem = listing.journal_problem
        _ui.warn(f"{problem.message}; listing without it (hint: {problem.hint})")
    if json_out:
        _ui.print_json({"tools": list(listing.rows)})
        return
    tty = _ui.is_tty()
    table_rows = []
    for row in listing.rows:
        if row.get("problem"):
            state = "? (see below)"
        elif row["configured"]:
            state = "yes" + (f" (profile {row['profile']})" if row["profile"] else "")
        else:
            state = "no"
        installed = "?" if row["installed"] is None else ("yes" if row["installed"] else "no")
        version = (row["version"] or "-") + (" (unverified)" if row.get("in_verified_range") is False else "")
        files = [_home_relative(Path(p)) for p in row["files"]]
        table_rows.append([row["tool"], installed, version, state, ("\n" if tty else " ").join(files)])
    # TOOL, INSTALLED, VERSION and BYTESPIKE stay whole; FILES gets the rest of the line (paths fold on a terminal)
    _ui.table([("TOOL", "left", 0), ("INSTALLED", "left", 0), ("VERSION", "left", 0), ("BYTESPIKE", "left", 0),
               ("FILES", "left", 1)], table_rows, fold="FILES")
    for row in listing.rows:
        if row.get("problem"):
            _ui.warn(f"{row['tool']}: {row['problem']}")
        if row["tool"] in listing.version_warnings:
            _ui.warn(f"{row['tool']}: {listing.version_warnings[row['tool']]}")


def _fold_path(path: str, width: int) -> list[str]:
    """``path`` in lines of at most ``width`` characters, broken after a "/" where possible (continuation
    lines indented by two spaces); a single name longer than a line is cut where it must be."""
    lines: list[str] = []
    current = ""
    for part in re.findall(r"[^/\\]+[/\\]?|[/\\]", path):
        limit = width - (2 if lines else 0)
        if current and len(current) + len(part) > limit:
            lines.append(current)
            current = ""
        current += part
    if current or not lines:
        lines.append(current)
    return [line if index == 0 else "  " + line for index, line in enumerate(lines)]


def tools(profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """List the tools bytespike can set up: installed?, the files they read, ByteSpike configured there?"""
    _list(profile, json_out)


def undo(
    tool: Optional[str] = typer.Argument(None, metavar="TOOL", help="Only the last setup of this tool (default: the last setup).",
                                         show_default=False),
    force: bool = typer.Option(False, "--force", help="Restore files changed since bytespike wrote them too (their "
                                                      "current bytes are saved first)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be restored; change nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask before restoring only the unchanged files."),
    json_out: JsonOpt = False,
) -> None:
    """Restore the files of the last setup, byte for byte, from bytespike's backups."""
    from bytespike_cli.setup import flow
    from bytespike_cli.setup.engine import Engine

    tool = flow.undo_target(tool)
    engine = Engine()
    guard = flow.undo_guard(engine)
    preview = engine.undo(tool, force=force, dry_run=True, guard=guard)
    if preview is None:
        _render_nothing_to_undo(engine, tool, dry_run=dry_run, json_out=json_out)
        return
    if not dry_run and not yes and not json_out and not _may_undo_unchanged(preview):
        _declined()
        return
    result = preview if dry_run else engine.undo(tool, force=force, guard=guard)
    if result is None:  # another process undid it in between
        _ui.result("nothing to undo")
        return
    _render_recovered(result.recovered)
    refusal = None if dry_run else flow.undo_refusal(result)
    if json_out:
        _ui.print_json(error=refusal, data=flow.undo_json(result, dry_run=dry_run))
    else:
        _render_undo(result, dry_run=dry_run)
    if refusal:
        raise refusal


def _render_nothing_to_undo(engine, tool: str | None, *, dry_run: bool, json_out: bool) -> None:
    from bytespike_cli.setup import flow

    if json_out:
        _ui.print_json(flow.undo_json(None, dry_run=dry_run))
        return
    removed = flow.last_action_was_remove(engine, tool)
    _ui.result("nothing to undo" + (f" for {tool}" if tool else "")
               + (f" (the last setup of {removed} was already taken out with --remove)" if removed else ""))


def _may_undo_unchanged(preview) -> bool:
    """Some files changed since setup and others did not: on a terminal, ask before restoring only those."""
    if not (preview.skipped and (preview.restored or preview.deleted) and _ui.stdin_is_tty()):
        return True
    for path, why in preview.skipped:
        _ui.warn(f"{_home_relative(path)}: {why}")
    return _confirm(f"Restore the {len(preview.restored) + len(preview.deleted)} unchanged file(s) and leave "
                    "the changed one(s) as they are?")


def _render_undo(result, *, dry_run: bool) -> None:
    names = ", ".join(result.tools)
    verb = "would restore" if dry_run else "restored"
    for path in result.restored:
        _ui.result(f"{verb} {_home_relative(path)}")
    for path in result.deleted:
        _ui.result(f"{'would remove' if dry_run else 'removed'} {_home_relative(path)} (the setup had created it)")
    for path, saved in result.overwritten:
        _ui.warn(f"{_home_relative(path)} had been changed since setup; its bytes are saved in {saved}")
    for path, why in result.skipped:
        _ui.warn(f"{'would leave' if dry_run else 'left'} {_home_relative(path)}: {why}")
    if dry_run:
        _ui.info("dry run: nothing was changed")
    elif not result.skipped and not result.restored and not result.deleted:
        _ui.info(f"nothing left to restore for {names}; the setup is marked as undone")
    elif not result.skipped:
        _ui.info(f"undid the last setup of {names}")
