"""Masking of ByteSpike keys. Every string that leaves the program passes through here."""

from __future__ import annotations

import re

KEY_PREFIX = "sk-byts-"
# Anything that looks like a key, including ones pasted with odd characters after the prefix.
_KEY_RE = re.compile(r"sk-byts-[A-Za-z0-9._~+/=-]+")


def mask_key(key: str | None) -> str:
    """``sk-byts-…abcd``: enough to tell two keys apart, never enough to use one."""
    if not key:
        return "(none)"
    tail = key[-4:] if len(key) >= len(KEY_PREFIX) + 8 else ""
    if key.startswith(KEY_PREFIX):
        return f"{KEY_PREFIX}…{tail}"
    return f"…{tail}" if tail else "…"


def redact(text: str, *known_keys: str | None) -> str:
    """Replace every key-like token, and every known key even without the prefix, by its mask."""
    for key in known_keys:
        if key and len(key) >= 8 and key in text:
            text = text.replace(key, mask_key(key))
    return _KEY_RE.sub(lambda m: mask_key(m.group(0)), text)
