"""The key: present, well formed, where it comes from, accepted, and the money behind it.

The live part is ``verify.run_checks`` (the checks behind ``bytespike verify``); this module adds what
only a diagnosis needs: which source won and whether another one is silently ignored.
"""

from __future__ import annotations

import os
from typing import Mapping

from bytespike_cli import credentials, paths
from bytespike_cli.doctor.findings import Finding, fail, ok, warn
from bytespike_cli.redact import mask_key
from bytespike_cli.settings import Resolved

AREA = "key"
_VERIFY_CODES = {
    "key format": "format",
    "key accepted (GET /v1/models)": "live",
    "account and balance": "balance",
    "spend limits": "limits",
}


def check_key(resolved: Resolved, env: Mapping[str, str], *, reachable: bool) -> list[Finding]:
    from bytespike_cli.verify import run_checks

    findings = _sources(resolved, env)
    if reachable:
        checks = run_checks(resolved).checks
    else:  # the network findings already say why; only the local check makes sense
        checks = run_checks_offline(resolved)
    home = str(paths.user_home()).rstrip("/\\")
    for check in checks:
        if check.name == "reachability":
            continue  # the network area reports the connection in more detail
        code = _VERIFY_CODES.get(check.name, check.name.replace(" ", "-"))
        detail = check.detail.replace(home + os.sep, "~" + os.sep) if home else check.detail
        if check.status == "ok":
            findings.append(ok(AREA, code, f"{check.name}: {detail}"))
        elif check.status == "warn":
            findings.append(warn(AREA, code, f"{check.name}: {detail}", check.hint))
        else:
            findings.append(fail(AREA, code, f"{check.name}: {detail}", check.hint, check.exit_code))
    return findings


def run_checks_offline(resolved: Resolved):
    from bytespike_cli.errors import BytespikeError
    from bytespike_cli.verify import Check

    try:
        key = credentials.check_key_format(resolved.require_key())
    except BytespikeError as exc:
        return [Check("key format", "fail", exc.message, exc.hint, int(exc.exit_code))]
    return [Check("key format", "ok", f"{mask_key(key)} from {resolved.key_source}")]


def _sources(resolved: Resolved, env: Mapping[str, str]) -> list[Finding]:
    """An environment variable that silently beats bytespike's own settings."""
    if resolved.offline:
        return []
    findings: list[Finding] = []
    stored = credentials.load_key(resolved.profile)
    if resolved.key_source.startswith("env") and stored and stored != resolved.key:
        findings.append(warn(
            AREA, "env-shadows-file",
            f"BYTESPIKE_API_KEY in your environment ({mask_key(resolved.key)}) is used instead of the key saved "
            f"for profile '{resolved.profile}' ({mask_key(stored)})",
            "unset BYTESPIKE_API_KEY (and remove it from your shell profile) to use the saved key, "
            f"or save this one with `bytespike login --profile {resolved.profile}`"))
    stored_url = _profile_base_url(resolved.profile)
    if resolved.base_url_source == "env BYTESPIKE_BASE_URL" and stored_url and stored_url != resolved.base_url:
        findings.append(warn(
            AREA, "env-base-url",
            f"BYTESPIKE_BASE_URL in your environment sets the gateway to {resolved.base_url}, over "
            f"{stored_url} saved in profile '{resolved.profile}'",
            "unset BYTESPIKE_BASE_URL (and remove it from your shell profile) unless you mean it"))
    if stored and credentials.key_file_too_open(resolved.profile):
        path = paths.key_file(resolved.profile)
        findings.append(warn(AREA, "file-mode", f"{path} can be read by other users", f"chmod 600 {path}"))
    return findings


def _profile_base_url(profile: str) -> str | None:
    from bytespike_cli import config

    try:
        value = config.profiles(config.load()).get(profile, {}).get("base_url")
    except Exception:  # a broken config.toml is reported by the commands that need it
        return None
    return config.normalize_base_url(str(value)) if value else None
