"""Every file location bytespike uses, in one place.

``BYTESPIKE_HOME`` relocates all of bytespike's own files (tests and portable installs use it).
Editors' files are found relative to :func:`user_home`, which follows ``HOME`` so that tests can
point it at a temporary directory.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "bytespike"


def _override() -> Path | None:
    value = os.environ.get("BYTESPIKE_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    """Settings (config.toml) and key files."""
    if (home := _override()) is not None:
        return home
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def state_dir() -> Path:
    """Backups of editors' files, the setup journal, locks."""
    if (home := _override()) is not None:
        return home / "state"
    import platformdirs

    return Path(platformdirs.user_state_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    if (home := _override()) is not None:
        return home / "cache"
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_file() -> Path:
    return config_dir() / "config.toml"


def keys_dir() -> Path:
    return config_dir() / "keys"


def key_file(profile: str) -> Path:
    return keys_dir() / f"{profile}.key"


def user_home() -> Path:
    """The user's home directory, where most editors keep their settings."""
    return Path(os.path.expanduser("~"))
