"""bytespike setup / undo / tools: point editors and AI tools at ByteSpike, reversibly.

The command bodies only resolve options, call the tools + engine, and render. Heavy imports
(httpx via the gateway client, questionary, the tool modules) happen inside the functions.
"""

from __future__ import annotations

import re
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt
from bytespike_cli.errors import BytespikeError, ExitCode, UsageError

if TYPE_CHECKING:
    from bytespike_cli.tools.base import Integration, Plan


class KeyMode(str, Enum):
    helper = "helper"
    env = "env"
    inline = "inline"


def _offline(ctx: typer.Context, flag: bool) -> bool:
    return flag or bool((ctx.obj or {}).get("offline"))


def _home_relative(path: Path) -> str:
    from bytespike_cli import paths

    try:
        return "~/" + str(Path(path).relative_to(paths.user_home()))
    except ValueError:
        return str(path)


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


def _line_counts(change) -> tuple[int, int] | None:
    """(+added, -removed) lines of one file's change; None for a binary store (Cursor's database)."""
    import difflib

    try:
        before = (change.before or b"").decode("utf-8").splitlines()
        after = (change.after or b"").decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    added = removed = 0
    for line in difflib.unified_diff(before, after, lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def _summary(tool: "Integration", changes: list) -> str:
    """"claude-code: will edit 1 file: ~/.claude/settings.json (+9 lines)" — before any diff."""
    changed = [c for c in changes if c.changed]
    parts = []
    total_add = total_del = 0
    for change in changed:
        counts = _line_counts(change)
        verb = "new file, " if change.before is None else ""
        if counts is None:
            parts.append(f"{_home_relative(change.path)} ({verb}database rows)")
            continue
        added, removed = counts
        total_add, total_del = total_add + added, total_del + removed
        shown = f"+{added}" + (f" −{removed}" if removed else "")
        parts.append(f"{_home_relative(change.path)} ({verb}{shown} lines)")
    count = f"{len(changed)} file{'s' * (len(changed) != 1)}"
    total = f" — +{total_add}{f' −{total_del}' if total_del else ''} lines in all" if len(parts) > 1 else ""
    return f"{tool.name}: will edit {count}: {', '.join(parts)}{total}"


_TIERS = ("opus", "sonnet", "haiku")


def model_slots(plan: "Plan", catalogue_ids: set[str]) -> list[str]:
    """Every place the plan puts a model id, said plainly — including where a slot gets a model of
    another tier (Claude Code's Opus slot gets the chat model when no Opus model was chosen)."""
    from bytespike_cli.tools.base import Set

    found: list[str] = []

    def walk(path: tuple, value) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(path + (key,), inner)
            return
        # lists are model definitions (Zed's available_models, Continue's named entries), not slots
        leaf = str(path[-1]) if path else ""
        if not isinstance(value, str) or "model" not in leaf.lower():
            return
        model = value.split("/", 1)[1] if value.split("/", 1)[0] in ("openai", "anthropic") and "/" in value else value
        if model not in catalogue_ids:
            return
        slot = ".".join(str(p) for p in path if p not in ("env",))
        line = f"{slot} → {model}"
        tier = next((t for t in _TIERS if t in leaf.lower()), None)
        if tier and tier not in model.lower():
            line += f" (no {tier.capitalize()} model was chosen: {tier.capitalize()} requests use {model})"
        if line not in found:
            found.append(line)

    for file_plan in plan.files:
        for edit in file_plan.edits:
            if isinstance(edit, Set):
                walk(tuple(edit.path), edit.value)
    return found


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


def _find_model(wanted: str, catalogue: list, option: str):
    from bytespike_cli.gateway import closest_model_ids

    for model in catalogue:
        if model.id == wanted:
            return model
    close = closest_model_ids(wanted, catalogue)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    from bytespike_cli.errors import PermissionDenied

    raise PermissionDenied(f"{option} {wanted!r} is not in the catalogue for this key",
                     f"{hint}see `bytespike models` for the models your key can use")


def _catalogue(resolved) -> list:
    from bytespike_cli.gateway import GatewayClient

    with GatewayClient(resolved) as client:
        found = client.list_models()
    return list(found[0] if isinstance(found, tuple) else found)


def _models_for(tool: "Integration", catalogue: list, model: list[str] | None, fast_model: str | None,
                *, ask: bool = False):
    from bytespike_cli.gateway import default_models

    default_chat, default_fast = default_models(catalogue, prefer_family=tool.prefer_family)
    if ask and not model and not fast_model and tool.writes_files:
        return _pick_models(tool, catalogue, default_chat, default_fast)
    chat = tuple(_find_model(m, catalogue, "--model") for m in model) if model else (default_chat,)
    fast = _find_model(fast_model, catalogue, "--fast-model") if fast_model else default_fast
    return chat, fast


def _show_plan_text(tool: "Integration", plan: "Plan") -> None:
    _ui.result(f"{tool.name}: what to do in {tool.title}:")
    for number, step in enumerate(plan.manual_steps, 1):
        _ui.result(f"  {number}. {step}")


def _render_notes(name: str, plan: "Plan", warnings: list[str]) -> None:
    for warning in list(plan.warnings) + warnings:
        _ui.warn(f"{name}: {warning}")
    for note in plan.notes:
        _ui.info(f"{name}: {note}")


def _without_notes(plan: "Plan") -> "Plan":
    import dataclasses

    return dataclasses.replace(plan, notes=())


def _installed(tool: "Integration") -> bool:
    try:
        return tool.detect().installed
    except BytespikeError:
        return True  # a file is there, just broken: that is the user's to hear about


def _declined() -> None:
    """A "no" at the confirmation is an answer, not an interruption."""
    _ui.info("nothing written")


def _preflight(engine, checks: list[tuple["Integration", list]], *, dry_run: bool) -> dict[str, str]:
    """Run every tool's write guards (a running tool, an unwritable file) before anything is written, so a
    multi-tool setup is all or nothing. In a dry run the problems are returned (tool -> why) instead."""
    problems: dict[str, str] = {}
    errors: list[BytespikeError] = []
    for tool, changes in checks:
        try:
            engine.preflight(tool, changes)
        except BytespikeError as exc:
            problems[tool.name] = exc.message
            errors.append(exc)
    if errors and not dry_run:
        from bytespike_cli.errors import ToolBusy

        busy = [e for e in errors if isinstance(e, ToolBusy)]
        if len(busy) > 1 and len(busy) == len(errors):  # name every tool to quit, not just the first
            raise ToolBusy("; ".join(e.message for e in busy), "quit them completely, then run this again")
        raise errors[0]
    return problems


def _render_recovered(messages: tuple[str, ...]) -> None:
    for message in messages:
        _ui.warn(message)


def _changes_or_ask(engine, tool: "Integration", plan: "Plan", *, replace: bool, yes: bool, dry_run: bool):
    """The plan's changes; an entry with bytespike's name that the user made is never merged into silently:
    on a terminal we ask, otherwise (or with --yes) the NameCollision stands (hint: rename or --replace)."""
    from bytespike_cli.setup.engine import NameCollision

    try:
        return engine.changes(plan, replace=replace), replace
    except NameCollision as exc:
        if dry_run or yes or not _ui.stdin_is_tty():
            raise
        _ui.warn(exc.message)
        if not _confirm("Replace your entry with bytespike's? (--remove and undo put yours back)"):
            raise
        return engine.changes(plan, replace=True), True


def setup(
    ctx: typer.Context,
    tools: Optional[List[str]] = typer.Argument(
        None, metavar="TOOL", help="Tools to set up: cursor, continue, cline, aider, zed, jetbrains, claude-code, codex "
                   "(none on a terminal: pick from a list).",
        show_default=False,
    ),
    list_tools: bool = typer.Option(False, "--list", help="Show each tool, its files and whether ByteSpike is set up there."),
    profile: ProfileOpt = None,
    model: Optional[List[str]] = typer.Option(
        None, "--model", "-m", metavar="MODEL", help="Chat model id (repeatable; the first is the default). Default: from the live catalogue.",
        show_default=False,
    ),
    fast_model: Optional[str] = typer.Option(
        None, "--fast-model", metavar="MODEL", help="Model for the tool's fast/background slot. Default: from the live catalogue.",
        show_default=False,
    ),
    key_mode: Optional[KeyMode] = typer.Option(
        None, "--key-mode", metavar="MODE", case_sensitive=False, show_default=False,
        help="helper: the tool runs `bytespike print-key` (no key in its files); env: the tool reads an environment "
             "variable; inline: the key is written into the tool's file (kept 0600). Default: the safest the tool offers.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes as a diff (key masked); write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (required when stdin is not a terminal)."),
    remove: bool = typer.Option(False, "--remove", help="Remove exactly what bytespike added, nothing else."),
    replace: bool = typer.Option(False, "--replace", help="Take over an entry with bytespike's name that you made "
                                 "yourself (--remove and undo put yours back)."),
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Point editors and AI tools at ByteSpike: reversible, comment-preserving edits of their settings."""
    from bytespike_cli import tools as registry
    from bytespike_cli.setup.engine import Engine, diff

    if list_tools:
        _list(profile, json_out)
        return
    names = list(dict.fromkeys(tools or []))
    if not names:
        if _ui.stdin_is_tty() and not json_out:
            names = _pick_tools()
            if not names:
                _ui.info("nothing picked, nothing to do")
                return
        else:
            raise UsageError("name the tool(s) to set up",
                             f"e.g. `bytespike setup claude-code`; tools: {', '.join(registry.names())}")
    chosen = list({tool.name: tool for tool in map(registry.get, names)}.values())  # `claude` is `claude-code`
    engine = Engine()

    if remove:
        _remove(chosen, engine, dry_run=dry_run, yes=yes, json_out=json_out)
        return

    from bytespike_cli.tools.base import SetupRequest, key_command
    from bytespike_cli.settings import resolve

    resolved = resolve(profile, offline=_offline(ctx, offline))
    with _ui.spinner(f"reading the model list from {resolved.base_url} …"):
        catalogue = _catalogue(resolved)
    catalogue_ids = {m.id for m in catalogue}
    secrets = tuple(s for s in (resolved.key,) if s)
    planned = []
    ask = _interactive() and not yes and not json_out
    replaced_tools: set[str] = set()
    for tool in chosen:
        chat, fast = _models_for(tool, catalogue, model, fast_model, ask=ask and _installed(tool))
        request = SetupRequest(
            profile=resolved.profile, base_url=resolved.base_url, chat_models=chat, fast_model=fast,
            key_mode=key_mode.value if key_mode else None, key=resolved.key,
            key_command=key_command(resolved.profile),
        )
        try:
            plan = tool.plan(request)
            if plan.files:  # which source the written context windows came from, when not the catalogue's
                from dataclasses import replace as with_fields  # `replace` is the --replace option here

                from bytespike_cli.tools.base import context_notes

                plan = with_fields(plan, notes=plan.notes + context_notes(request.all_models))
        except BytespikeError as exc:
            if len(chosen) > 1 and not _installed(tool):
                # naming several tools should not fail on one that is not there at all
                _ui.warn(f"{tool.name}: skipped, {tool.title} is not installed ({exc.message})")
                continue
            raise
        changes, replacing = _changes_or_ask(engine, tool, plan, replace=replace, yes=yes, dry_run=dry_run)
        if replacing:
            replaced_tools.add(tool.name)
        planned.append((tool, request, plan, changes))
    # every tool's guards before anything is shown or written: all tools, or none
    blocked = _preflight(engine, [(tool, changes) for tool, _, _, changes in planned], dry_run=dry_run)
    if not dry_run and not yes and not _ui.stdin_is_tty() and any(
            c.changed for _, _, _, changes in planned for c in changes):
        _need_yes("setup would change files")
    if resolved.offline:
        _ui.warn("offline: the files will point at the built-in offline gateway, which runs only as long as "
                 "this command; use it to try setup out, then run again without --offline")

    reports: list[dict[str, Any]] = []
    to_write = []
    for tool, request, plan, changes in planned:
        warnings = [w for c in changes for w in c.warnings]
        changed = [c for c in changes if c.changed]
        text = diff(changes, plan.secrets + secrets)
        reports.append({
            "tool": tool.name,
            "profile": request.profile,
            "models": {"chat": [m.id for m in request.chat_models],
                       "fast": request.fast_model.id if request.fast_model else None},
            "key_mode": plan.key_mode or request.key_mode or tool.key_modes[0],
            "files": [str(c.path) for c in changed],
            "changed": bool(changed),
            "written": False,
            "diff": text,
            "notes": list(plan.notes),
            "warnings": list(plan.warnings) + warnings,
            "manual_steps": list(plan.manual_steps),
            "model_slots": model_slots(plan, catalogue_ids),
            "summary": _summary(tool, changes) if changed else None,
        })
        if tool.name in blocked:
            reports[-1]["blocked"] = blocked[tool.name]
        if changed:
            to_write.append((tool, plan))
        if not json_out:
            if plan.manual_steps:
                _show_plan_text(tool, plan)
            if changed:
                # the summary first; the diff (often long) in a dry run, or on "d" at the question
                _ui.result(reports[-1]["summary"])
                for slot in reports[-1]["model_slots"]:
                    _ui.result(f"  model: {slot}")
                if dry_run:
                    _print_diff(text)
            elif not changed and tool.writes_files and plan.files and not plan.manual_steps:
                _ui.result(f"{tool.name}: already set up for profile '{request.profile}' (nothing to change)")
            # notes of a tool that writes nothing (JetBrains, an old Cline) are the whole answer: always shown
            show_notes = changed or not plan.files or plan.manual_steps
            _render_notes(tool.name, plan if show_notes else _without_notes(plan), warnings)
            if tool.name in blocked:
                _ui.warn(f"{tool.name}: setup would refuse to write now: {blocked[tool.name]}")

    if dry_run or not to_write:
        if json_out:
            _ui.print_json({"dry_run": dry_run, "tools": reports})
        elif dry_run and to_write:
            _ui.info("dry run: nothing was written")
        return
    if not yes:
        if not _ui.stdin_is_tty():
            _need_yes("setup would change files")
        all_diffs = "".join(r["diff"] for r in reports if r["tool"] in {t.name for t, _ in to_write})
        if not _ask_write(f"Write these changes for {', '.join(t.name for t, _ in to_write)}?", all_diffs):
            if json_out:
                _ui.print_json({"dry_run": False, "tools": reports})
            _declined()
            return
    # one transaction for every tool: all files written, or none (a failure puts back what was replaced)
    results = engine.apply_many(
        [(tool, plan, next(r["profile"] for r in reports if r["tool"] == tool.name)) for tool, plan in to_write],
        replace=replaced_tools)
    _render_recovered(results[0].recovered if results else ())
    for (tool, _), result in zip(to_write, results):
        report = next(r for r in reports if r["tool"] == tool.name)
        report["written"] = bool(result.written)
        report["files"] = [str(p) for p in result.written]
        report["backup"] = result.entry_id
        if not json_out:
            for path in result.written:
                _ui.result(f"{tool.name}: wrote {_home_relative(path)}")
    if json_out:
        _ui.print_json({"dry_run": False, "tools": reports})
    elif to_write:
        names_written = " ".join(t.name for t, _ in to_write)
        _ui.info(f"the original files are backed up: `bytespike undo` restores them; "
                 f"`bytespike setup {names_written} --remove` takes out only our settings")
        _ui.result(f"check it: bytespike doctor {names_written}")


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
    blocked = _preflight(engine, checks, dry_run=dry_run)
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
    from bytespike_cli import tools as registry
    from bytespike_cli.setup.engine import Engine

    engine = Engine()
    try:
        engine.load_journal()
        journal_ok = True
    except BytespikeError as exc:  # listing still works, from the tools' own files
        journal_ok = False
        _ui.warn(f"{exc.message}; listing without it (hint: {exc.hint})")
    rows = []
    for name in registry.names():
        tool = registry.get(name)
        try:
            detection = tool.detect()
            problem = None
        except BytespikeError as exc:  # a broken settings file: say so, keep listing
            detection, problem = None, exc.message
        if detection is None:
            rows.append({"tool": name, "title": tool.title, "installed": None, "files": [str(p) for p in tool.files()],
                         "configured": None, "profile": None, "problem": problem})
            continue
        data = detection.to_json()
        if journal_ok:
            try:
                data["configured"] = detection.configured or engine.still_configured(name)
            except BytespikeError:
                pass
            if data["configured"] and not detection.profile:
                data["profile"] = engine.owned_profile(name)
        data["problem"] = None
        rows.append(data)
    from bytespike_cli.compat import installed_versions

    versions = installed_versions([row["tool"] for row in rows])
    for row in rows:
        found = versions[row["tool"]]
        row.update(found.to_json())
    if profile:
        for row in rows:
            row["configured_for_requested_profile"] = bool(row["configured"]) and row["profile"] in (profile, None)
    if json_out:
        _ui.print_json({"tools": rows})
        return
    tty = _ui.is_tty()
    table_rows = []
    for row in rows:
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
    for row in rows:
        if row.get("problem"):
            _ui.warn(f"{row['tool']}: {row['problem']}")
        warning = versions[row["tool"]].warning()
        if warning:
            _ui.warn(f"{row['tool']}: {warning}")


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
    from bytespike_cli import tools as registry
    from bytespike_cli.setup.engine import Engine

    if tool is not None:
        registry.get(tool)  # an unknown name is a usage error, not "nothing to undo"
        tool = registry.canonical(tool)  # `claude` is `claude-code`
    engine = Engine()

    def guard(name: str) -> None:
        if name in registry.REGISTRY:
            engine.guard(registry.get(name))

    preview = engine.undo(tool, force=force, dry_run=True, guard=guard)
    if preview is None:
        if json_out:
            _ui.print_json({"undone": [], "tools": [], "restored": [], "deleted": [], "skipped": [],
                            "overwritten": [], "dry_run": dry_run})
        else:
            removed = _last_action_was_remove(engine, tool)
            _ui.result("nothing to undo" + (f" for {tool}" if tool else "")
                       + (f" (the last setup of {removed} was already taken out with --remove)" if removed else ""))
        return
    restorable = preview.restored or preview.deleted
    if not dry_run and preview.skipped and restorable and not yes and not json_out and _ui.stdin_is_tty():
        for path, why in preview.skipped:
            _ui.warn(f"{_home_relative(path)}: {why}")
        if not _confirm(f"Restore the {len(preview.restored) + len(preview.deleted)} unchanged file(s) and leave "
                        "the changed one(s) as they are?"):
            _declined()
            return
    result = preview if dry_run else engine.undo(tool, force=force, guard=guard)
    if result is None:  # another process undid it in between
        _ui.result("nothing to undo")
        return
    _render_recovered(result.recovered)
    refusal = None
    if result.skipped and not dry_run:
        from bytespike_cli.errors import FileChanged

        done = len(result.restored) + len(result.deleted)
        refusal = FileChanged(
            (f"restored {done} file(s); " if done else "nothing was restored: ")
            + f"{len(result.skipped)} file(s) changed since bytespike wrote them were left as they are",
            "look at them first; `bytespike undo --force` restores them too (saving their current bytes first)",
        )
    if json_out:
        _ui.print_json(error=refusal, data={
            "undone": list(result.entry_ids) if result.complete and not dry_run else [], "tools": list(result.tools),
            "restored": [str(p) for p in result.restored], "deleted": [str(p) for p in result.deleted],
            "skipped": [{"path": str(p), "reason": why} for p, why in result.skipped],
            "overwritten": [{"path": str(p), "saved_to": str(saved)} for p, saved in result.overwritten],
            "dry_run": dry_run,
        })
    else:
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
    if refusal:
        raise refusal


def _last_action_was_remove(engine, tool: str | None) -> str | None:
    """The tool whose latest journal entry is a --remove (to explain an empty undo), if any."""
    try:
        history = engine.load_journal()["history"]
    except BytespikeError:
        return None
    for entry in reversed(history):
        if tool is not None and entry["tool"] != tool:
            continue
        if entry.get("state") == "rolled-back":
            continue
        return entry["tool"] if entry["action"] == "remove" else None
    return None
