"""bytespike setup / undo / tools: point editors and AI tools at ByteSpike, reversibly.

The command bodies only resolve options, call the integrations + engine, and render. Heavy imports
(httpx via the gateway client, questionary, the integrations) happen inside the functions.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt
from bytespike_cli.errors import BytespikeError, ExitCode, UsageError

if TYPE_CHECKING:
    from bytespike_cli.integrations.base import Integration, Plan


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


def _pick_tools() -> list[str]:
    """With no tool named on a terminal: a checklist of the tools, the installed ones ticked."""
    import questionary

    from bytespike_cli import integrations

    choices = []
    for name in integrations.names():
        detection = integrations.get(name).detect()
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
    raise UsageError(f"{option} {wanted!r} is not in the catalogue for this key",
                     f"{hint}see `bytespike models` for the models your key can use")


def _catalogue(resolved) -> list:
    from bytespike_cli.gateway import GatewayClient

    with GatewayClient(resolved) as client:
        found = client.list_models()
    return list(found[0] if isinstance(found, tuple) else found)


def _models_for(tool: "Integration", catalogue: list, model: list[str] | None, fast_model: str | None):
    from bytespike_cli.gateway import default_models

    default_chat, default_fast = default_models(catalogue, prefer_family=tool.prefer_family)
    chat = tuple(_find_model(m, catalogue, "--model") for m in model) if model else (default_chat,)
    fast = _find_model(fast_model, catalogue, "--fast-model") if fast_model else default_fast
    return chat, fast


def _show_plan_text(tool: "Integration", plan: "Plan") -> None:
    for step in plan.manual_steps:
        _ui.result(step)


def _render_notes(name: str, plan: "Plan", warnings: list[str]) -> None:
    for warning in list(plan.warnings) + warnings:
        _ui.warn(f"{name}: {warning}")
    for note in plan.notes:
        _ui.info(f"{name}: {note}")


def _without_notes(plan: "Plan") -> "Plan":
    import dataclasses

    return dataclasses.replace(plan, notes=())


def setup(
    ctx: typer.Context,
    tools: Optional[List[str]] = typer.Argument(
        None, help="Tools to set up: cursor, continue, cline, aider, zed, jetbrains, claude-code, codex "
                   "(none on a terminal: pick from a list).",
        show_default=False,
    ),
    list_tools: bool = typer.Option(False, "--list", help="Show each tool, its files and whether ByteSpike is set up there."),
    profile: ProfileOpt = None,
    model: Optional[List[str]] = typer.Option(
        None, "--model", "-m", help="Chat model id (repeatable; the first is the default). Default: from the live catalogue.",
        show_default=False,
    ),
    fast_model: Optional[str] = typer.Option(
        None, "--fast-model", help="Model for the tool's fast/background slot. Default: from the live catalogue.",
        show_default=False,
    ),
    key_mode: Optional[KeyMode] = typer.Option(
        None, "--key-mode", case_sensitive=False, show_default=False,
        help="helper: the tool runs `bytespike print-key` (no key in its files); env: the tool reads an environment "
             "variable; inline: the key is written into the tool's file (kept 0600). Default: the safest the tool offers.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show the changes as a diff (key masked); write nothing."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (required when stdin is not a terminal)."),
    remove: bool = typer.Option(False, "--remove", help="Remove exactly what bytespike added, nothing else."),
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Point editors and AI tools at ByteSpike: reversible, comment-preserving edits of their settings."""
    from bytespike_cli import integrations
    from bytespike_cli.integrations.engine import Engine, diff

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
                             f"e.g. `bytespike setup claude-code`; tools: {', '.join(integrations.names())}")
    chosen = [integrations.get(name) for name in names]
    engine = Engine()

    if remove:
        _remove(chosen, engine, dry_run=dry_run, yes=yes, json_out=json_out)
        return

    from bytespike_cli.integrations.base import SetupRequest, key_command
    from bytespike_cli.settings import resolve

    resolved = resolve(profile, offline=_offline(ctx, offline))
    catalogue = _catalogue(resolved)
    secrets = tuple(s for s in (resolved.key,) if s)
    planned = []
    for tool in chosen:
        chat, fast = _models_for(tool, catalogue, model, fast_model)
        request = SetupRequest(
            profile=resolved.profile, base_url=resolved.base_url, chat_models=chat, fast_model=fast,
            key_mode=key_mode.value if key_mode else None, key=resolved.key,
            key_command=key_command(resolved.profile),
        )
        plan = tool.plan(request)
        changes = engine.changes(plan)
        planned.append((tool, request, plan, changes))
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
            "key_mode": request.key_mode or tool.key_modes[0],
            "files": [str(c.path) for c in changed],
            "changed": bool(changed),
            "written": False,
            "diff": text,
            "notes": list(plan.notes),
            "warnings": list(plan.warnings) + warnings,
            "manual_steps": list(plan.manual_steps),
        })
        if changed:
            to_write.append((tool, plan))
        if not json_out:
            if plan.manual_steps:
                _show_plan_text(tool, plan)
            if changed and (dry_run or not yes):
                _print_diff(text)
            elif not changed and tool.writes_files and not plan.manual_steps:
                _ui.result(f"{tool.name}: already set up for profile '{request.profile}' (nothing to change)")
            _render_notes(tool.name, plan if changed else _without_notes(plan), warnings)

    if dry_run or not to_write:
        if json_out:
            _ui.print_json({"dry_run": dry_run, "tools": reports})
        elif dry_run and to_write:
            _ui.info("dry run: nothing was written")
        return
    if not yes:
        if not _ui.stdin_is_tty():
            _need_yes("setup would change files")
        if not _confirm(f"Write these changes for {', '.join(t.name for t, _ in to_write)}?"):
            raise typer.Abort()
    import uuid

    run = uuid.uuid4().hex
    for tool, plan in to_write:
        result = engine.apply(tool, plan, profile=next(r["profile"] for r in reports if r["tool"] == tool.name),
                              run=run)
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


def _remove(chosen: list, engine, *, dry_run: bool, yes: bool, json_out: bool) -> None:
    from bytespike_cli.integrations.engine import diff

    reports = []
    pending = []
    for tool in chosen:
        changes, warnings = engine.removal_changes(tool)
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
    if dry_run or not pending:
        if json_out:
            _ui.print_json({"dry_run": dry_run, "remove": True, "tools": reports})
        return
    if not yes:
        if not _ui.stdin_is_tty():
            _need_yes("--remove would change files")
        if not _confirm(f"Remove bytespike's settings from {', '.join(t.name for t in pending)}?"):
            raise typer.Abort()
    for tool in pending:
        result = engine.remove(tool)
        report = next(r for r in reports if r["tool"] == tool.name)
        report["written"] = bool(result.written)
        if not json_out:
            for path in result.written:
                _ui.result(f"{tool.name}: removed bytespike's settings from {_home_relative(path)}")
    if json_out:
        _ui.print_json({"dry_run": False, "remove": True, "tools": reports})


def _list(profile: str | None, json_out: bool) -> None:
    from rich.table import Table
    from rich.text import Text

    from bytespike_cli import integrations
    from bytespike_cli.integrations.engine import Engine

    engine = Engine()
    rows = []
    for name in integrations.names():
        tool = integrations.get(name)
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
        try:
            data["configured"] = detection.configured or engine.still_configured(name)
        except BytespikeError:
            pass
        if data["configured"] and not detection.profile:
            data["profile"] = engine.owned_profile(name)
        data["problem"] = None
        rows.append(data)
    if profile:
        for row in rows:
            row["configured_for_requested_profile"] = bool(row["configured"]) and row["profile"] in (profile, None)
    if json_out:
        _ui.print_json(rows)
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("TOOL", no_wrap=True)
    table.add_column("INSTALLED", no_wrap=True)
    table.add_column("BYTESPIKE", no_wrap=True)
    table.add_column("FILES", overflow="fold")
    for row in rows:
        if row.get("problem"):
            state = Text("? " + row["problem"], style="red")
        elif row["configured"]:
            state = Text("yes" + (f" (profile {row['profile']})" if row["profile"] else ""), style="green")
        else:
            state = Text("no")
        installed = "?" if row["installed"] is None else ("yes" if row["installed"] else "no")
        table.add_row(Text(row["tool"]), installed, state,
                      Text("\n".join(_home_relative(Path(p)) for p in row["files"])))
    _ui.rich_result(table)


def tools(profile: ProfileOpt = None, json_out: JsonOpt = False) -> None:
    """List the tools bytespike can set up: installed?, the files they read, ByteSpike configured there?"""
    _list(profile, json_out)


def undo(
    tool: Optional[str] = typer.Argument(None, help="Only the last setup of this tool (default: the last setup).",
                                         show_default=False),
    force: bool = typer.Option(False, "--force", help="Restore even files changed since bytespike wrote them."),
    json_out: JsonOpt = False,
) -> None:
    """Restore the files of the last setup, byte for byte, from bytespike's backups."""
    from bytespike_cli import integrations
    from bytespike_cli.integrations.engine import Engine

    if tool is not None:
        integrations.get(tool)  # an unknown name is a usage error, not "nothing to undo"
    engine = Engine()

    def guard(name: str) -> None:
        if name in integrations.REGISTRY:
            engine.guard(integrations.get(name))

    result = engine.undo(tool, force=force, guard=guard)
    if result is None:
        if json_out:
            _ui.print_json({"undone": [], "tools": [], "restored": [], "deleted": [], "skipped": []})
        else:
            _ui.result("nothing to undo" + (f" for {tool}" if tool else ""))
        return
    if json_out:
        _ui.print_json({
            "undone": list(result.entry_ids) if not result.skipped else [], "tools": list(result.tools),
            "restored": [str(p) for p in result.restored], "deleted": [str(p) for p in result.deleted],
            "skipped": [{"path": str(p), "reason": why} for p, why in result.skipped],
        })
    else:
        names = ", ".join(result.tools)
        for path in result.restored:
            _ui.result(f"restored {_home_relative(path)}")
        for path in result.deleted:
            _ui.result(f"removed {_home_relative(path)} (the setup had created it)")
        for path, why in result.skipped:
            _ui.warn(f"{_home_relative(path)}: {why}")
        if not result.skipped:
            _ui.info(f"undid the last setup of {names}")
    if result.skipped:
        raise BytespikeError(
            "nothing was restored: files changed since bytespike wrote them",
            "look at them first; `bytespike undo --force` restores them anyway",
            exit_code=ExitCode.CONFIG,
        )
