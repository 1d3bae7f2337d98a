"""Keep every copy of a profile's key in step when ``bytespike login`` replaces it.

Some tools can only read a key from a file (Aider's env-file, Continue's ``.env``, Cline's secrets,
any ``--key-mode inline`` setup). The setup journal knows each key bytespike wrote, per tool and
profile, as a hash. When a profile's key changes, each recorded key that still holds the old key is
set to the new one through the engine (backup, atomic write, journal), exactly like a setup would.
A value the user changed since is left alone, and a tool that is running (and would overwrite the
file) is reported instead of failing the login.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bytespike_cli.errors import BytespikeError


@dataclass(frozen=True)
class Refreshed:
    tool: str
    files: tuple[Path, ...] = ()
    problem: str | None = None  # why this tool's copy could not be refreshed


def refresh_key_copies(profile: str, old_key: str | None, new_key: str, engine=None) -> list[Refreshed]:
    """Replace ``old_key`` with ``new_key`` wherever a setup for ``profile`` wrote it."""
    if not old_key or old_key == new_key:
        return []
    from bytespike_cli import tools as registry
    from bytespike_cli.formats.common import decode_path
    from bytespike_cli.tools.base import FilePlan, Plan, Set
    from bytespike_cli.setup.engine import Engine, _open, _still_written

    engine = engine or Engine()
    results: list[Refreshed] = []
    for tool, owned in engine.load_journal().get("owned", {}).items():
        if owned.get("profile") != profile or tool not in registry.REGISTRY:
            continue
        file_plans = []
        try:
            for info in owned.get("files", {}).values():
                if not info.get("secret"):
                    continue
                path = Path(info["path"])
                doc, _, _ = _open(info["format"], path)
                edits = tuple(
                    Set(decode_path(record["path"]), new_key) for record in info.get("keys", [])
                    if _still_written(old_key, record.get("written"))
                    and doc.get(decode_path(record["path"])) == old_key)
                if edits:
                    file_plans.append(FilePlan(path, info["format"], edits, secret=True))
            if not file_plans:
                continue
            plan = Plan(tool, tuple(file_plans), secrets=(old_key, new_key))
            result = engine.apply(registry.get(tool), plan, profile=profile)
            results.append(Refreshed(tool, tuple(result.written)))
        except BytespikeError as exc:
            results.append(Refreshed(tool, problem=exc.message))
    return results


def key_copies(profile: str, key: str | None, engine=None) -> list[tuple[str, tuple[Path, ...]]]:
    """(tool, files) for each tool whose setup for ``profile`` wrote ``key`` into a file that still holds it:
    those copies keep working after ``bytespike logout`` (Gemini CLI's and Qwen Code's .env, inline modes)."""
    if not key:
        return []
    return _holding(profile, key, secret_only=True, engine=engine)


def key_file_readers(profile: str, engine=None) -> list[tuple[str, tuple[Path, ...]]]:
    """(tool, files) for each tool whose setup for ``profile`` names bytespike's key file in a setting (opencode's
    and Kilo's ``{file:…}``): once logout deletes that file, those tools refuse to load their config at all."""
    from bytespike_cli import paths

    return _holding(profile, str(paths.key_file(profile)), secret_only=False, engine=engine)


def _holding(profile: str, needle: str, *, secret_only: bool, engine=None) -> list[tuple[str, tuple[Path, ...]]]:
    from bytespike_cli.formats.common import decode_path
    from bytespike_cli.setup.engine import Engine, _open

    engine = engine or Engine()
    try:
        owned = engine.load_journal().get("owned", {})
    except BytespikeError:
        return []
    found: list[tuple[str, tuple[Path, ...]]] = []
    for tool, info in owned.items():
        if (info or {}).get("profile") != profile:
            continue
        files: list[Path] = []
        for file_info in (info.get("files") or {}).values():
            if secret_only and not file_info.get("secret"):
                continue
            path = Path(file_info["path"])
            try:
                doc, _, _ = _open(file_info["format"], path)
                values = [doc.get(decode_path(record["path"])) for record in file_info.get("keys", [])]
            except (BytespikeError, KeyError, TypeError):
                continue
            if any(isinstance(value, str) and needle in value for value in values):
                files.append(path)
        if files:
            found.append((tool, tuple(files)))
    return found
