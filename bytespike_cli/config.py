"""bytespike's own settings: profiles in a TOML file, edited with tomlkit so comments survive.

    # config.toml
    active_profile = "work"

    [profiles.work]
    base_url = "https://llm.bytespike.ai"

Keys never live here; see :mod:`bytespike_cli.credentials`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bytespike_cli import paths
from bytespike_cli.errors import ConfigFileError, UsageError

DEFAULT_PROFILE = "default"
DEFAULT_BASE_URL = "https://llm.bytespike.ai"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

_HEADER = """\
# bytespike settings (see `bytespike --help`).
# Keys are not stored here: each profile's key is in keys/<profile>.key (mode 0600).
"""


def check_profile_name(name: str) -> str:
    if not _PROFILE_NAME.match(name):
        raise UsageError(
            f"invalid profile name {name!r}",
            "use letters, digits, '.', '_' or '-' (up to 64 characters), e.g. --profile work",
        )
    return name


def load(path: Path | None = None):
    """The settings document (a tomlkit document; empty when the file does not exist yet)."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    path = path or paths.config_file()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return tomlkit.document()
    except OSError as exc:
        raise ConfigFileError(path, f"cannot read: {exc.strerror}", "check the file's permissions") from None
    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise ConfigFileError(
            path, f"not valid TOML: {exc}", "fix the line shown, or move the file away to start fresh", line=exc.line
        ) from None


def save(doc, path: Path | None = None) -> None:
    import tomlkit

    from bytespike_cli.formats.safe_write import write_atomic

    path = path or paths.config_file()
    text = tomlkit.dumps(doc)
    if not text.startswith("#"):
        text = _HEADER + ("\n" if text else "") + text
    write_atomic(path, text.encode("utf-8"))


def profiles(doc) -> dict[str, dict[str, Any]]:
    table = doc.get("profiles") or {}
    return {str(name): dict(values) for name, values in table.items()}


def active_profile(doc) -> str | None:
    value = doc.get("active_profile")
    return str(value) if value else None


def set_profile(doc, name: str, **values: Any) -> None:
    """Set (or, with a None value, remove) settings of one profile, creating it if needed."""
    import tomlkit

    check_profile_name(name)
    if "profiles" not in doc:
        doc["profiles"] = tomlkit.table(is_super_table=True)
    table = doc["profiles"]
    if name not in table:
        table[name] = tomlkit.table()
    for key, value in values.items():
        if value is None:
            table[name].pop(key, None)
        else:
            table[name][key] = value


def remove_profile(doc, name: str) -> bool:
    table = doc.get("profiles")
    if table is None or name not in table:
        return False
    del table[name]
    if active_profile(doc) == name:
        remaining = list(table.keys())
        if remaining:
            doc["active_profile"] = remaining[0]
        else:
            doc.pop("active_profile", None)
    return True


def set_active(doc, name: str) -> None:
    doc["active_profile"] = check_profile_name(name)


def normalize_base_url(url: str) -> str:
    """The gateway root: scheme and host (and a path prefix if any), never ``/v1`` or ``/v1beta``.

    Users paste whatever their last tool wanted (``…/v1``, ``…/v1/``, ``…/v1beta``); bytespike
    derives each protocol's base from the root, so it stores only the root.
    """
    from urllib.parse import urlsplit

    value = url.strip().strip("'\"")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(
            f"not a gateway URL: {value!r}",
            f"give the root URL with its scheme, e.g. --base-url {DEFAULT_BASE_URL}",
        )
    path = parts.path.rstrip("/")
    for suffix in ("/v1beta", "/v1"):
        if path.endswith(suffix):
            path = path[: -len(suffix)]
            break
    return f"{parts.scheme}://{parts.netloc}{path}"
