"""Keys: cleaning what users paste, storing it 0600 per profile, reading it back.

Why a file and not the OS keyring: bytespike must hand the key to other programs without a prompt
(``bytespike print-key`` runs as Claude Code's apiKeyHelper and Codex's auth command), and it must
behave the same on headless Linux, in containers and over SSH, where keyring backends are often
missing or pop up unlock dialogs. A 0600 file in a 0700 directory is what gh, aws and gcloud fall
back to, and it is easy to inspect and to delete.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from bytespike_cli import paths
from bytespike_cli.errors import AuthError, ConfigFileError
from bytespike_cli.redact import KEY_PREFIX, mask_key

_KEY_BODY = re.compile(r"^[A-Za-z0-9_-]{16,200}$")
_EMBEDDED_KEY = re.compile(r"sk-byts-[A-Za-z0-9_-]{16,200}(?![A-Za-z0-9_-])")
# Characters a copy from a web page or a chat app brings along.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00a0"), None)
_PASTE_PREFIXES = ("bearer ", "authorization: bearer ", "x-api-key:", "bytespike_api_key=", "export bytespike_api_key=")


def clean_key(raw: str) -> str:
    """The key inside whatever was pasted.

    People paste ``"Bearer sk-byts-…"``, ``export ANTHROPIC_AUTH_TOKEN=sk-byts-…``, ``<sk-byts-…>``
    or a key with a full stop after it: when a ByteSpike key is in there, take exactly that.
    Otherwise trim the usual noise so the format check can say what is wrong.
    """
    text = raw.translate(_INVISIBLE)
    found = _EMBEDDED_KEY.search(text)
    if found:
        return found.group(0)
    key = text.strip()
    lowered = key.lower()
    for prefix in _PASTE_PREFIXES:
        if lowered.startswith(prefix):
            key = key[len(prefix):].strip()
            break
    return key.strip().strip("'\"`<>").strip()


def check_key_format(key: str) -> str:
    """Raise AuthError unless ``key`` looks like a ByteSpike key. Returns the key."""
    if not key:
        raise AuthError("no key was given", "paste the key from https://console.bytespike.ai/keys")
    if not key.startswith(KEY_PREFIX):
        raise AuthError(
            f"that is not a ByteSpike key ({mask_key(key)}): ByteSpike keys start with {KEY_PREFIX}",
            "copy the key from https://console.bytespike.ai/keys (other providers' keys do not work here)",
        )
    if not _KEY_BODY.match(key[len(KEY_PREFIX):]):
        raise AuthError(
            f"the key {mask_key(key)} is malformed: it is too short or holds spaces or odd characters",
            "copy it again from https://console.bytespike.ai/keys; a key is sk-byts- followed by letters and digits",
        )
    return key


def store_key(profile: str, key: str) -> Path:
    """Write the key for ``profile`` into a file only the user can read."""
    from bytespike_cli.formats.safe_write import write_atomic

    directory = paths.keys_dir()
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(directory, 0o700)
    target = paths.key_file(profile)
    write_atomic(target, (key + "\n").encode("ascii"), mode=0o600)
    return target


def load_key(profile: str) -> str | None:
    path = paths.key_file(profile)
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(path, f"cannot read the key file: {exc}", "run `bytespike login` again") from None
    return text.strip() or None


def delete_key(profile: str) -> bool:
    try:
        paths.key_file(profile).unlink()
    except FileNotFoundError:
        return False
    return True


def key_file_too_open(profile: str) -> bool:
    """True when others can read the key file (the fix is ``chmod 600``)."""
    try:
        mode = paths.key_file(profile).stat().st_mode
    except OSError:
        return False
    return os.name != "nt" and bool(mode & (stat.S_IRWXG | stat.S_IRWXO))


def save_login(profile: str, base_url: str, key: str) -> tuple[Path, str | None]:
    """`bytespike login`: the profile points at ``base_url`` and becomes the active one, its key is stored.
    Returns the key file and the key it replaced (None if there was none)."""
    from bytespike_cli import config

    doc = config.load()
    config.set_profile(doc, profile, base_url=base_url, offline=None)
    config.set_active(doc, profile)
    config.save(doc)
    previous = load_key(profile)
    return store_key(profile, key), previous


def use_offline_gateway(profile: str) -> None:
    """`bytespike login --offline`: the profile uses the built-in offline gateway and becomes the active one."""
    from bytespike_cli import config

    doc = config.load()
    config.set_profile(doc, profile, offline=True)
    config.set_active(doc, profile)
    config.save(doc)
