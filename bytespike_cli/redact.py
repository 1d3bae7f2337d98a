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


# -- settings text (diffs of other programs' files) ------------------------------------------------------
# A setting whose name says it holds a credential: JSON "name": "v", YAML name: v, TOML name = "v",
# dotenv NAME=v. The name may be quoted; the value is a quoted string or a bare word.
_SECRET_NAME = r"[A-Za-z0-9_.-]*(?:key|token|secret|passw(?:or)?d|auth(?!or))[A-Za-z0-9_.-]*"
_SECRET_SETTING_RE = re.compile(
    r"""(?P<name>(?P<q>["']?)""" + _SECRET_NAME + r"""(?P=q))(?P<sep>[ \t]*[:=][ \t]*)"""
    r"""(?P<value>"(?:[^"\\\r\n]|\\.)*"|'[^'\r\n]*'|[^\s,#{}\[\]"']+)""",
    re.IGNORECASE,
)
# names that contain one of the words but hold no secret: a command, a file, a variable's name, a count
_NOT_SECRET_NAME = re.compile(
    r"(?:helper|command|cmd|file|path|dir|url|uri|source|type|mode|method|instructions|name|env|var|"
    r"provider|model|count|limit|size|length|ttl|ms|timeout|expires?(?:at)?|refresh_interval_ms|enabled)[\"']?$",
    re.IGNORECASE,
)
# credential shapes worth hiding wherever they appear
_KEY_SHAPES_RE = re.compile(
    r"sk-ant-[A-Za-z0-9_-]{6,}|sk-(?!byts-)(?:proj-|svcacct-)?[A-Za-z0-9_-]{16,}|AIza[0-9A-Za-z_-]{20,}"
    r"|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}"
)
_KNOWN_PREFIXES = ("sk-ant-", "sk-proj-", "sk-", "AIza", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_")


def mask_secret(value: str) -> str:
    """Any credential (not only ByteSpike's), masked like :func:`mask_key`: its kind and last 4 characters."""
    if value.startswith(KEY_PREFIX):
        return mask_key(value)
    prefix = next((p for p in _KNOWN_PREFIXES if value.startswith(p)), "")
    tail = value[-4:] if len(value) >= len(prefix) + 12 else ""
    return f"{prefix}…{tail}"


def _looks_like_a_value_to_hide(value: str) -> bool:
    if not value or value.lower() in ("true", "false", "null", "none", "~", "yes", "no"):
        return False
    if re.fullmatch(r"-?[0-9][0-9_.eE+-]*", value):  # a number (max_tokens, maxTokens)
        return False
    if any(ch.isspace() for ch in value) or value.startswith(("/", "~", "$", "%", "…", "(hidden")):
        return False  # a command line, a path, a ${{ secrets.X }} / $VAR reference, already masked
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", value):  # the *name* of an environment variable (env_key)
        return False
    if re.fullmatch(r"\{(?:file|env):[^{}]+\}", value):  # opencode/Kilo: where the key is read, not the key
        return False
    return "…" not in value


def redact_settings(text: str, *known_keys: str | None) -> str:
    """:func:`redact`, and also every other credential in a settings file's text: the values of settings
    whose names say key/token/secret/password/auth, and well-known key shapes (sk-ant-…, sk-…, AIza…,
    ghp_…) anywhere. For diffs of the user's files, which hold their own keys next to ours."""
    text = redact(text, *known_keys)

    def setting(match: re.Match) -> str:
        if _NOT_SECRET_NAME.search(match.group("name")):
            return match.group(0)
        raw = match.group("value")
        quote = raw[0] if raw[:1] in ("'", '"') and len(raw) >= 2 and raw[-1] == raw[0] else ""
        value = raw[1:-1] if quote else raw
        if not _looks_like_a_value_to_hide(value):
            return match.group(0)
        return f"{match.group('name')}{match.group('sep')}{quote}{mask_secret(value)}{quote}"

    text = _SECRET_SETTING_RE.sub(setting, text)
    return _KEY_SHAPES_RE.sub(lambda m: mask_secret(m.group(0)), text)
