"""What `bytespike setup` does, as data: catalogue, model choice, plans, preflight, reports, apply.

The CLI (``cli/setup.py``) parses options, asks the questions and renders; everything it decides on comes
from here. Questions stay in the CLI: a caller that can ask passes ``pick_models`` / ``confirm_replace``
callables, a caller that cannot passes nothing and gets the defaults (or the error that needs an answer).
Nothing here prints or imports the terminal libraries.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from bytespike_cli.errors import BytespikeError, PermissionDenied, ToolBusy, UsageError
from bytespike_cli.setup.engine import ApplyResult, Engine, FileChange, NameCollision, UndoResult, diff

if TYPE_CHECKING:
    from bytespike_cli.gateway import Model
    from bytespike_cli.settings import Resolved
    from bytespike_cli.tools.base import Integration, Plan, SetupRequest

# (tool, catalogue, default chat model, default fast model) -> (chat models, fast model)
PickModels = Callable[["Integration", list, "Model", "Model | None"], tuple[tuple, "Model | None"]]
# the collision the user is asked about -> True to take the entry over
ConfirmReplace = Callable[[NameCollision], bool]

_TIERS = ("opus", "sonnet", "haiku")


def home_relative(path: Path | str) -> str:
    """``~/…`` for a path under the user's home, the path itself otherwise."""
    from bytespike_cli import paths

    try:
        return "~/" + str(Path(path).relative_to(paths.user_home()))
    except ValueError:
        return str(path)


# -- models ----------------------------------------------------------------------------------------
def fetch_catalogue(resolved: "Resolved") -> list:
    from bytespike_cli.gateway import GatewayClient

    with GatewayClient(resolved) as client:
        found = client.list_models()
    return list(found[0] if isinstance(found, tuple) else found)


def find_model(wanted: str, catalogue: list, option: str) -> "Model":
    from bytespike_cli.gateway import closest_model_ids

    for model in catalogue:
        if model.id == wanted:
            if model.capabilities and "text" not in model.capabilities:
                raise UsageError(f"{option} {wanted!r} is not a text model ({', '.join(model.capabilities)}): "
                                 "the tool would send it chat requests the gateway refuses",
                                 "pick a chat model: `bytespike models --capability text` lists them")
            return model
    close = closest_model_ids(wanted, catalogue)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise PermissionDenied(f"{option} {wanted!r} is not in the catalogue for this key",
                           f"{hint}see `bytespike models` for the models your key can use")


def choose_models(tool: "Integration", catalogue: list, model: Sequence[str] | None, fast_model: str | None,
                  *, pick: PickModels | None = None) -> tuple[tuple, "Model | None"]:
    """The named models, else the user's pick (when ``pick`` is given), else the catalogue's defaults."""
    from bytespike_cli.gateway import default_models

    tool.check_catalogue(catalogue)
    default_chat, default_fast = default_models(catalogue, prefer_family=tool.prefer_family)
    if pick is not None and not model and not fast_model and tool.writes_files:
        return pick(tool, catalogue, default_chat, default_fast)
    chat = tuple(find_model(m, catalogue, "--model") for m in model) if model else (default_chat,)
    fast = find_model(fast_model, catalogue, "--fast-model") if fast_model else default_fast
    return chat, fast


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
        prefix = value.split("/", 1)[0]
        model = value.split("/", 1)[1] if prefix in ("openai", "anthropic", "bytespike") and "/" in value else value
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


# -- planning ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedTool:
    """One tool's plan and the file changes it makes (``replacing``: it takes over the user's entry)."""

    tool: "Integration"
    request: "SetupRequest"
    plan: "Plan"
    changes: tuple[FileChange, ...]
    replacing: bool

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.changes)


@dataclass(frozen=True)
class SkippedTool:
    """A tool named with others that could not be planned because it is not installed at all."""

    name: str
    title: str
    reason: str

    @property
    def message(self) -> str:
        return f"{self.name}: skipped, {self.title} is not installed ({self.reason})"


def installed(tool: "Integration") -> bool:
    try:
        return tool.detect().installed
    except BytespikeError:
        return True  # a file is there, just broken: that is the user's to hear about


def plan_tools(engine: Engine, chosen: list["Integration"], catalogue: list, resolved: "Resolved", *,
               model: Sequence[str] | None, fast_model: str | None, key_mode: str | None, replace: bool,
               pick_models: PickModels | None = None,
               confirm_replace: ConfirmReplace | None = None) -> Iterator[PlannedTool | SkippedTool]:
    """Each chosen tool's plan and changes, in order (a generator, so the caller can say a tool was
    skipped before asking about the next one). ``pick_models`` is asked only for installed tools."""
    from bytespike_cli.tools.base import SetupRequest, context_notes, key_command

    for tool in chosen:
        pick = pick_models if pick_models is not None and installed(tool) else None
        try:
            chat, fast = choose_models(tool, catalogue, model, fast_model, pick=pick)
            request = SetupRequest(
                profile=resolved.profile, base_url=resolved.base_url, chat_models=chat, fast_model=fast,
                key_mode=key_mode, key=resolved.key, key_command=key_command(resolved.profile),
            )
            plan = tool.plan(request)
            if plan.files:  # which source the written context windows came from, when not the catalogue's
                plan = dataclasses.replace(plan, notes=plan.notes + context_notes(request.all_models))
        except BytespikeError as exc:
            if len(chosen) > 1 and not installed(tool):
                # naming several tools should not fail on one that is not there at all
                yield SkippedTool(tool.name, tool.title, exc.message)
                continue
            if len(chosen) > 1:  # the whole setup stops before writing: say so, and how to do the rest
                others = " ".join(t.name for t in chosen if t is not tool)
                exc.hint = ((exc.hint + "; ") if exc.hint else "") + (
                    f"nothing was written for any tool (`bytespike setup {others}` sets up the others)")
            raise
        changes, replacing = _changes(engine, plan, replace=replace, confirm_replace=confirm_replace)
        yield PlannedTool(tool, request, plan, tuple(changes), replacing)


def _changes(engine: Engine, plan: "Plan", *, replace: bool,
             confirm_replace: ConfirmReplace | None) -> tuple[list[FileChange], bool]:
    """An entry with bytespike's name that the user made is never merged into silently: it is taken over
    only on --replace or when ``confirm_replace`` says yes; otherwise the NameCollision stands."""
    try:
        return engine.changes(plan, replace=replace), replace
    except NameCollision as exc:
        if confirm_replace is None or not confirm_replace(exc):
            raise
        return engine.changes(plan, replace=True), True


def preflight(engine: Engine, checks: list[tuple["Integration", Sequence[FileChange]]], *,
              dry_run: bool) -> dict[str, str]:
    """Run every tool's write guards (a running tool, an unwritable file) before anything is written, so a
    multi-tool setup is all or nothing. In a dry run the problems are returned (tool -> why) instead."""
    problems: dict[str, str] = {}
    errors: list[BytespikeError] = []
    for tool, changes in checks:
        try:
            engine.preflight(tool, list(changes))
        except BytespikeError as exc:
            problems[tool.name] = exc.message
            errors.append(exc)
    if errors and not dry_run:
        busy = [e for e in errors if isinstance(e, ToolBusy)]
        if len(busy) > 1 and len(busy) == len(errors):  # name every tool to quit, not just the first
            raise ToolBusy("; ".join(e.message for e in busy), "quit them completely, then run this again")
        raise errors[0]
    return problems


# -- reports -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ToolReport:
    """What setup will do (or did) for one tool: the JSON report's entry and what the CLI renders."""

    tool: str
    profile: str
    chat_models: tuple[str, ...]
    fast_model: str | None
    key_mode: str
    files: tuple[str, ...]
    changed: bool
    diff: str
    notes: tuple[str, ...]
    warnings: tuple[str, ...]
    manual_steps: tuple[str, ...]
    model_slots: tuple[str, ...]
    summary: str | None
    blocked: str | None = None
    written: bool = False
    written_files: tuple[Path, ...] = ()
    backup: str | None = None
    applied: bool = False

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "tool": self.tool,
            "profile": self.profile,
            "models": {"chat": list(self.chat_models), "fast": self.fast_model},
            "key_mode": self.key_mode,
            "files": list(self.files),
            "changed": self.changed,
            "written": self.written,
            "diff": self.diff,
            "notes": list(self.notes),
            "warnings": list(self.warnings),
            "manual_steps": list(self.manual_steps),
            "model_slots": list(self.model_slots),
            "summary": self.summary,
        }
        if self.blocked is not None:
            data["blocked"] = self.blocked
        if self.applied:
            data["backup"] = self.backup
        return data


def line_counts(change: FileChange) -> tuple[int, int] | None:
    """(+added, -removed) lines of one file's change; None for a binary store (Cursor's database)."""
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


def summary(name: str, changes: Sequence[FileChange]) -> str:
    """"claude-code: will edit 1 file: ~/.claude/settings.json (+9 lines)" — before any diff."""
    changed = [c for c in changes if c.changed]
    parts = []
    total_add = total_del = 0
    for change in changed:
        counts = line_counts(change)
        verb = "new file, " if change.before is None else ""
        if counts is None:
            parts.append(f"{home_relative(change.path)} ({verb}database rows)")
            continue
        added, removed = counts
        total_add, total_del = total_add + added, total_del + removed
        shown = f"+{added}" + (f" −{removed}" if removed else "")
        parts.append(f"{home_relative(change.path)} ({verb}{shown} line{'s' * (added + removed != 1)})")
    count = f"{len(changed)} file{'s' * (len(changed) != 1)}"
    total = f" — +{total_add}{f' −{total_del}' if total_del else ''} lines in all" if len(parts) > 1 else ""
    return f"{name}: will edit {count}: {', '.join(parts)}{total}"


def report(planned: PlannedTool, *, secrets: tuple[str, ...], catalogue_ids: set[str],
           blocked: str | None = None) -> ToolReport:
    tool, request, plan, changes = planned.tool, planned.request, planned.plan, planned.changes
    changed = [c for c in changes if c.changed]
    return ToolReport(
        tool=tool.name,
        profile=request.profile,
        chat_models=tuple(m.id for m in request.chat_models),
        fast_model=request.fast_model.id if request.fast_model else None,
        key_mode=plan.key_mode or request.key_mode or tool.key_modes[0],
        files=tuple(str(c.path) for c in changed),
        changed=bool(changed),
        diff=diff(list(changes), plan.secrets + secrets),
        notes=tuple(plan.notes),
        warnings=tuple(plan.warnings) + tuple(w for c in changes for w in c.warnings),
        manual_steps=tuple(plan.manual_steps),
        model_slots=tuple(model_slots(plan, catalogue_ids)),
        summary=summary(tool.name, changes) if changed else None,
        blocked=blocked,
    )


def preview(engine: Engine, planned: list[PlannedTool], catalogue: list, resolved: "Resolved", *,
            dry_run: bool) -> list[ToolReport]:
    """Every tool's guards first (all tools or none: raises unless ``dry_run``, which reports them as
    ``blocked``), then what setup would write for each."""
    blocked = preflight(engine, [(item.tool, item.changes) for item in planned], dry_run=dry_run)
    catalogue_ids = {m.id for m in catalogue}
    secrets = tuple(s for s in (resolved.key,) if s)
    return [report(item, secrets=secrets, catalogue_ids=catalogue_ids, blocked=blocked.get(item.tool.name))
            for item in planned]


def apply(engine: Engine, to_write: list[PlannedTool], reports: list[ToolReport]) -> tuple[list[ToolReport],
                                                                                            tuple[str, ...]]:
    """Write every tool's changes in one transaction (all files, or none: a failure puts back what was
    replaced). Returns the reports with what was written, and the messages of any recovered earlier run."""
    results: list[ApplyResult] = engine.apply_many(
        [(item.tool, item.plan, item.request.profile) for item in to_write],
        replace={item.tool.name for item in to_write if item.replacing})
    by_tool = {item.tool.name: result for item, result in zip(to_write, results)}
    updated = []
    for entry in reports:
        result = by_tool.get(entry.tool)
        if result is not None:
            entry = dataclasses.replace(entry, written=bool(result.written), applied=True,
                                        files=tuple(str(p) for p in result.written),
                                        written_files=tuple(result.written), backup=result.entry_id)
        updated.append(entry)
    return updated, (results[0].recovered if results else ())


# -- undo ---------------------------------------------------------------------------------------------
def undo_target(tool: str | None) -> str | None:
    """The canonical name of the tool to undo (`claude` is `claude-code`); an unknown name is a usage
    error, not "nothing to undo"."""
    from bytespike_cli import tools as registry

    if tool is None:
        return None
    registry.get(tool)
    return registry.canonical(tool)


def undo_guard(engine: Engine) -> Callable[[str], None]:
    """The write guard undo runs per tool (a running tool is not written under)."""
    from bytespike_cli import tools as registry

    def guard(name: str) -> None:
        if name in registry.REGISTRY:
            engine.guard(registry.get(name))

    return guard


def undo_refusal(result: "UndoResult") -> BytespikeError | None:
    """The error an undo that left changed files alone ends with (after saying what it did)."""
    if not result.skipped:
        return None
    from bytespike_cli.errors import FileChanged

    done = len(result.restored) + len(result.deleted)
    return FileChanged(
        (f"restored {done} file(s); " if done else "nothing was restored: ")
        + f"{len(result.skipped)} file(s) changed since bytespike wrote them were left as they are",
        "look at them first; `bytespike undo --force` restores them too (saving their current bytes first)",
    )


def undo_json(result: "UndoResult | None", *, dry_run: bool) -> dict[str, Any]:
    if result is None:
        return {"undone": [], "tools": [], "restored": [], "deleted": [], "skipped": [], "overwritten": [],
                "dry_run": dry_run}
    return {
        "undone": list(result.entry_ids) if result.complete and not dry_run else [], "tools": list(result.tools),
        "restored": [str(p) for p in result.restored], "deleted": [str(p) for p in result.deleted],
        "skipped": [{"path": str(p), "reason": why} for p, why in result.skipped],
        "overwritten": [{"path": str(p), "saved_to": str(saved)} for p, saved in result.overwritten],
        "dry_run": dry_run,
    }


def last_action_was_remove(engine: Engine, tool: str | None) -> str | None:
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


# -- listing (`bytespike tools`, `setup --list`) ---------------------------------------------------------
@dataclass(frozen=True)
class ToolListing:
    """Each tool's row (installed, version, files, configured and for which profile), in registry order.

    ``journal_problem``: the journal could not be read, so the rows come from the tools' own files only;
    ``version_warnings``: per tool, why its installed version is outside the verified range (if it is)."""

    rows: tuple[dict[str, Any], ...]
    journal_problem: BytespikeError | None
    version_warnings: dict[str, str]


def list_tools(profile: str | None) -> ToolListing:
    from bytespike_cli import tools as registry
    from bytespike_cli.compat import installed_versions

    engine = Engine()
    journal_problem = None
    try:
        engine.load_journal()
    except BytespikeError as exc:  # listing still works, from the tools' own files
        journal_problem = exc
    rows = [_tool_row(engine, registry.get(name), journal_ok=journal_problem is None) for name in registry.names()]
    versions = installed_versions([row["tool"] for row in rows])
    for row in rows:
        row.update(versions[row["tool"]].to_json())
        if profile:
            row["configured_for_requested_profile"] = bool(row["configured"]) and row["profile"] in (profile, None)
    warnings = {name: found.warning() for name, found in versions.items()}
    return ToolListing(tuple(rows), journal_problem, {name: w for name, w in warnings.items() if w})


def _tool_row(engine: Engine, tool: "Integration", *, journal_ok: bool) -> dict[str, Any]:
    try:
        detection = tool.detect()
    except BytespikeError as exc:  # a broken settings file: say so, keep listing
        return {"tool": tool.name, "title": tool.title, "installed": None, "files": [str(p) for p in tool.files()],
                "configured": None, "profile": None, "problem": exc.message}
    data = detection.to_json()
    if journal_ok:
        try:
            data["configured"] = detection.configured or engine.still_configured(tool.name)
        except BytespikeError:
            pass
        if data["configured"] and not detection.profile:
            data["profile"] = engine.owned_profile(tool.name)
    data["problem"] = None
    return data
