"""login, logout, status, print-key and profiles."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import BaseUrlOpt, JsonOpt, OfflineOpt, ProfileOpt
from bytespike_cli.errors import AuthError, BytespikeError, UsageError


def _offline(ctx: typer.Context, flag: bool) -> bool:
    return flag or bool((ctx.obj or {}).get("offline"))


KEYS_PAGE = "https://console.bytespike.ai/keys"


def _read_key(from_stdin: bool) -> str:
    if not from_stdin and _ui.stdin_is_tty():
        import questionary

        _ui.stderr().print(f"Create or copy a key at {KEYS_PAGE} (it starts with sk-byts-).", markup=False)
        for _attempt in range(3):
            answer = questionary.password("Paste your ByteSpike key (sk-byts-…):").ask()
            if answer is None:  # Ctrl-C / Ctrl-D in the prompt
                raise KeyboardInterrupt
            if answer.strip():
                return answer
            _ui.stderr().print("nothing was pasted; paste the key and press Enter (Ctrl-C to stop)",
                               style="yellow", markup=False)
        raise AuthError("no key was given", f"copy the key from {KEYS_PAGE}, then run `bytespike login` again")
    if _ui.stdin_is_tty():
        raise UsageError("--key-stdin reads the key from standard input, but it is a terminal",
                         "pipe it in: printf %s \"$KEY\" | bytespike login --key-stdin")
    return sys.stdin.read()


def login(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    base_url: BaseUrlOpt = None,
    key_stdin: bool = typer.Option(False, "--key-stdin", help="Read the key from standard input (for scripts)."),
    no_verify: bool = typer.Option(False, "--no-verify", help="Save without checking the key with the gateway."),
    offline: OfflineOpt = False,
    key: Optional[str] = typer.Option(None, "--key", hidden=True),
) -> None:
    """Store a key for a profile (asks for it hidden; never as an argument)."""
    from bytespike_cli import config, credentials
    from bytespike_cli.settings import Resolved, resolve

    if key is not None:
        raise UsageError(
            "refusing a key given as an argument: it is now in your shell history",
            "rotate that key at https://console.bytespike.ai/keys, then run `bytespike login` "
            "and paste it at the prompt (or pipe it to `bytespike login --key-stdin`)",
        )
    offline = _offline(ctx, offline)
    name = config.check_profile_name(profile) if profile else resolve().profile
    if offline:  # the offline gateway has its own public demo key: nothing to paste
        credentials.use_offline_gateway(name)
        _ui.result(f"✓ Profile '{name}' now uses the built-in offline gateway (no key needed, nothing billed)")
        _ui.info(f"'{name}' is now the active profile; next: `bytespike verify`, `bytespike chat \"hello\"`, "
                 "or `bytespike login` again for a real key")
        return
    if base_url:
        from bytespike_cli.settings import check_transport

        check_transport(config.normalize_base_url(base_url), "--base-url")
    raw = _read_key(key_stdin)
    secret = credentials.check_key_format(credentials.clean_key(raw))

    current = resolve(name, base_url=base_url)
    target = Resolved(name, "--profile", current.base_url, current.base_url_source, secret, "login")
    detail = ""
    if not no_verify:
        from bytespike_cli.gateway import GatewayClient
        from bytespike_cli.errors import NetworkError

        try:
            with _ui.spinner(f"checking the key with {target.base_url} …"), GatewayClient(target, key=secret) as client:
                models, _ = client.list_models()
        except NetworkError as exc:
            raise NetworkError(exc.message, f"{exc.hint}; or save it unchecked with --no-verify") from None
        detail = f"; {len(models)} models available"

    path, previous = credentials.save_login(name, target.base_url, secret)
    _ui.result(f"✓ Logged in to {target.base_url} as profile '{name}' with {_mask(secret)}{detail}")
    _ui.info(f"key saved to {path} (mode 0600); '{name}' is now the active profile")
    _refresh_key_copies(name, previous, secret)
    _warn_env_overrides(name, secret, base_url_given=bool(base_url))
    _ui.info("next: `bytespike chat \"hello\"` for a first answer, `bytespike setup` to wire your editors"
             + (" (with --no-verify nothing was checked: `bytespike verify`)" if no_verify else ""))


def _warn_env_overrides(name: str, secret: str, *, base_url_given: bool) -> None:
    """Say it when this shell's variables outrank what was just saved (the lookup order in settings.py)."""
    import os

    env_key = credentials_clean(os.environ.get("BYTESPIKE_API_KEY", ""))
    if env_key and env_key != secret:
        _ui.warn(f"BYTESPIKE_API_KEY is set in this shell ({_mask(env_key)}): it outranks the key just saved for "
                 "every command run without --profile — clear it with `unset BYTESPIKE_API_KEY` (and remove the "
                 "export from your shell profile), or run commands with --profile " + name)
    env_url = os.environ.get("BYTESPIKE_BASE_URL", "").strip()
    if env_url and base_url_given:
        _ui.warn(f"BYTESPIKE_BASE_URL={env_url} is set in this shell: it outranks the base URL just saved for "
                 "commands run without --profile — `unset BYTESPIKE_BASE_URL` to use the saved one")
    env_profile = os.environ.get("BYTESPIKE_PROFILE", "").strip()
    if env_profile and env_profile != name:
        _ui.warn(f"BYTESPIKE_PROFILE={env_profile} is set in this shell: commands use that profile, not '{name}' "
                 "— `unset BYTESPIKE_PROFILE` to use the active one")


def credentials_clean(raw: str) -> str:
    from bytespike_cli import credentials

    return credentials.clean_key(raw) if raw.strip() else ""


def _refresh_key_copies(profile: str, previous: str | None, secret: str) -> None:
    """A new key for a profile: the copies that setups wrote into tools' files follow (issue 10)."""
    from bytespike_cli.setup.keysync import refresh_key_copies

    for item in refresh_key_copies(profile, previous, secret):
        if item.problem:
            _ui.warn(f"{item.tool}: still has the old key ({item.problem}); run `bytespike setup {item.tool}` "
                     "again once that is fixed")
        else:
            _ui.info(f"{item.tool}: the key in {', '.join(str(p) for p in item.files)} now is {_mask(secret)}")


def _mask(key: str | None) -> str:
    from bytespike_cli.redact import mask_key

    return mask_key(key)


def logout(
    profile: ProfileOpt = None,
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask, even when tools use this profile."),
) -> None:
    """Forget a profile's key and settings (says which tools use it, and asks first on a terminal)."""
    from bytespike_cli import config, credentials
    from bytespike_cli.settings import resolve

    name = config.check_profile_name(profile) if profile else resolve().profile
    doc = config.load()
    if name not in config.profiles(doc) and credentials.load_key(name) is None:
        raise UsageError(f"there is no profile '{name}'", "list profiles with `bytespike profiles`")
    wired = _tools_using(name)  # [(tool id, title)]
    ids = " ".join(tool for tool, _title in wired)
    copies = dict(_key_copies(name))  # tool id -> files that hold a copy of the key
    readers = dict(_key_file_readers(name))  # tool id -> files whose settings read the key file itself
    referencing = [(tool, title) for tool, title in wired if tool not in copies and tool not in readers]
    if referencing:
        listing = ", ".join(title for _tool, title in referencing)
        _ui.warn(f"{listing} {'uses' if len(referencing) == 1 else 'use'} profile '{name}' (wired by `bytespike setup`): "
                 "after logout they get no key and their requests fail")
    for tool, title in wired:
        if tool in readers and tool not in copies:  # opencode/Kilo: a {file:} reference to a missing file is fatal
            shown = ", ".join(_shown(path) for path in readers[tool])
            _ui.warn(f"{title} will not start at all after logout: {shown} reads the key file logout deletes — "
                     f"run `bytespike setup {tool} --remove` first, or log in again as '{name}'")
        if tool in copies:  # logout deletes only bytespike's key file: these copies keep working
            shown = ", ".join(_shown(path) for path in copies[tool])
            _ui.warn(f"{title} keeps a copy of profile '{name}''s key in {shown}: it keeps working after logout "
                     f"— take it out with `bytespike setup {tool} --remove`")
    if wired:
        if _ui.stdin_is_tty() and not yes:
            import questionary

            answer = questionary.confirm(f"Log out of '{name}' anyway?", default=False).ask()
            if not answer:
                _ui.result("Nothing changed.")
                _ui.info(f"to unwire them first: bytespike setup {ids} --remove")
                raise typer.Exit(1)
    was_active = config.active_profile(doc) == name
    had_key = credentials.delete_key(name)
    config.remove_profile(doc, name)
    config.save(doc)
    _ui.result(f"✓ Logged out of profile '{name}'" + ("" if had_key else " (it had no key)"))
    if was_active:
        now = config.active_profile(doc)
        _ui.info(f"'{name}' was the active profile; " + (f"'{now}' is active now (`bytespike profiles use NAME` to change)"
                                                       if now else "no profile is left: run `bytespike login`"))
    if wired:
        _ui.info(f"to unwire the tools: bytespike setup {ids} --remove")


def _key_copies(profile: str) -> list[tuple[str, tuple]]:
    from bytespike_cli import credentials
    from bytespike_cli.errors import BytespikeError
    from bytespike_cli.setup.keysync import key_copies

    try:
        return key_copies(profile, credentials.load_key(profile))
    except BytespikeError:
        return []


def _key_file_readers(profile: str) -> list[tuple[str, tuple]]:
    from bytespike_cli.errors import BytespikeError
    from bytespike_cli.setup.keysync import key_file_readers

    try:
        return key_file_readers(profile)
    except BytespikeError:
        return []


def _shown(path) -> str:
    from bytespike_cli import paths
    from bytespike_cli.doctor.effective import shown_path

    return shown_path(path, paths.user_home())


def _tools_using(profile: str) -> list[tuple[str, str]]:
    """Titles of tools whose bytespike setup (still in place) names ``profile``, from setup's journal."""
    from bytespike_cli import tools as registry
    from bytespike_cli.errors import BytespikeError
    from bytespike_cli.setup.engine import Engine

    engine = Engine()
    try:
        owned = engine.load_journal()["owned"]
    except BytespikeError:
        return []
    found = []
    for tool, info in owned.items():
        if (info or {}).get("profile") != profile:
            continue
        try:
            if not engine.still_configured(tool):
                continue
            title = registry.get(tool).title
        except BytespikeError:
            title = tool
        found.append((tool, title))
    return found


def status(ctx: typer.Context, profile: ProfileOpt = None, offline: OfflineOpt = False, json_out: JsonOpt = False) -> None:
    """Show the profile, base URL and masked key in use, where each came from, and the balance."""
    from bytespike_cli.account_views import KeyStatus, key_status
    from bytespike_cli.gateway import Quota
    from bytespike_cli.settings import resolve
    from bytespike_cli.verify import quota_in_words

    r = resolve(profile, offline=_offline(ctx, offline))
    state = KeyStatus(quota=Quota())
    if r.key:
        with _ui.spinner(f"reading the account from {r.base_url} …"):
            state = key_status(r)
    reason = state.problem or state.blocked
    if not r.key:
        reason = AuthError(f"not logged in (profile '{r.profile}')", "run `bytespike login`, or set BYTESPIKE_API_KEY")
    data = {
        "profile": r.profile, "base_url": r.base_url, "key": _mask(r.key) if r.key else None,
        "offline": r.offline,
        # where each came from: {"source": flag|env|config|profile|key_file|offline|default|none, + path/variable/flag}
        "sources": {"profile": source_json(r.profile_source), "base_url": source_json(r.base_url_source),
                    "key": source_json(r.key_source)},
        "account": state.account.to_json() if state.account else None,
        "limits": quota_in_words(state.quota),
        "quota": quota_json(state.quota),
    }
    if json_out:
        _ui.print_json(data, error=reason)
        if reason:
            raise typer.Exit(int(reason.exit_code))
        return
    _render_status(r, state, data["limits"])
    if not r.key:
        raise reason
    if reason:
        blocked = state.blocked
        if blocked and not state.problem:  # the free endpoints answered, so the account looks fine above: say what blocks it
            _ui.error(f"{blocked.message}: every billed request fails until this changes", blocked.hint)
        else:
            _ui.error(reason.message, reason.hint)
        raise typer.Exit(int(reason.exit_code))


def _render_status(r, state, limits: str | None) -> None:
    from bytespike_cli import credentials

    _ui.result(f"Profile   {r.profile}  ({r.profile_source})")
    _ui.result(f"Base URL  {r.base_url}  ({r.base_url_source})")
    _ui.result(f"Key       {_mask(r.key) if r.key else 'none'}  ({r.key_source})")
    shadowed = _shadowed_key(r)
    if shadowed:
        _ui.result(f"          outranks the key saved for '{r.profile}' ({_mask(shadowed)}): "
                   "`unset BYTESPIKE_API_KEY` to use that one")
    account = state.account
    if account:
        who = account.username or "?"
        balance = f"${account.available_usd:.2f}" if account.available_usd is not None else "unknown"
        low = "  (low balance!)" if account.low_balance_flagged else ""
        _ui.result(f"Account   {who} · balance {balance}{low}")
    elif state.problem:
        _ui.result(f"Account   unavailable: {state.problem.message}")
    elif state.account_not_offered:
        _ui.result("Account   the gateway does not offer the account endpoint to this key (balance unknown)")
    if limits:
        _ui.result(f"Limits    {limits}")
    if not r.offline and r.key and credentials.key_file_too_open(r.profile):
        _ui.warn(f"the key file is readable by other users: chmod 600 {r.key_source.removeprefix('key file ')}")


def source_json(source: str) -> dict:
    """Where a value came from, as an enum plus a separate path or variable (never prose)."""
    from bytespike_cli.settings import OFFLINE_SOURCE

    if source.startswith("--"):
        return {"source": "flag", "flag": source}
    if source.startswith("env "):
        return {"source": "env", "variable": source[4:]}
    if source.startswith("key file "):
        return {"source": "key_file", "path": source[len("key file "):]}
    if source.startswith("active profile in "):
        return {"source": "config", "path": source[len("active profile in "):]}
    if source.startswith("profile '"):
        from bytespike_cli import paths

        return {"source": "profile", "path": str(paths.config_file())}
    if source == OFFLINE_SOURCE:
        return {"source": "offline"}
    if source == "login":
        return {"source": "login"}
    return {"source": source if source in ("default", "none") else "other"}


def quota_json(quota) -> dict | None:
    """The quota headers with numbers as numbers and the reset time in ISO-8601."""
    if quota is None or not getattr(quota, "present", True):
        return None
    data = quota.to_json()
    data["ratelimit_reset"] = _ui.iso_time(data.get("ratelimit_reset"))
    return data


def _shadowed_key(r) -> str | None:
    """The saved key of ``r.profile`` when BYTESPIKE_API_KEY outranks it (and differs)."""
    from bytespike_cli import credentials

    if not r.key_source.startswith("env "):
        return None
    try:
        saved = credentials.load_key(r.profile)
    except BytespikeError:
        return None
    return saved if saved and saved != r.key else None


def print_key(ctx: typer.Context, profile: ProfileOpt = None, offline: OfflineOpt = False) -> None:
    """Print the active key and nothing else (for apiKeyHelper and credential commands)."""
    from bytespike_cli.settings import resolve

    key = resolve(profile, offline=_offline(ctx, offline)).require_key()
    sys.stdout.write(key + "\n")
    sys.stdout.flush()


from bytespike_cli.cli._framework import BytespikeGroup  # noqa: E402

profiles_app = typer.Typer(cls=BytespikeGroup, help="List profiles, or switch the active one.", invoke_without_command=True,
                           no_args_is_help=False)


@profiles_app.callback()
def profiles(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List profiles (the active one is marked)."""
    if ctx.invoked_subcommand:
        return
    from bytespike_cli import config, credentials

    doc = config.load()
    active = config.active_profile(doc)
    rows = []
    for name, values in config.profiles(doc).items():
        key = credentials.load_key(name)
        rows.append({"profile": name, "active": name == active, "base_url": values.get("base_url"),
                     "offline": bool(values.get("offline")), "key": _mask(key) if key else None})
    if json_out:
        _ui.print_json({"profiles": rows})
        return
    if not rows:
        _ui.result("No profiles yet.")
        _ui.info("create one with `bytespike login` (or try `bytespike --offline verify` first)")
        return
    _ui.table([("PROFILE", "left", 0), ("ACTIVE", "left", 0), ("GATEWAY", "left", 1), ("KEY", "left", 0)],
              [[row["profile"], "active" if row["active"] else "",
                "offline gateway" if row["offline"] else (row["base_url"] or "default"), row["key"] or "no key"]
               for row in rows])


@profiles_app.command("use")
def profiles_use(name: str = typer.Argument(..., metavar="PROFILE", help="Profile to make active.")) -> None:
    """Make PROFILE the active profile."""
    from bytespike_cli import config

    doc = config.load()
    known = config.profiles(doc)
    if name not in known:
        listing = ", ".join(known) or "none yet"
        raise UsageError(f"there is no profile '{name}' (profiles: {listing})",
                         _did_you_mean_profile(name, known) + f"create it with `bytespike login --profile {name}`")
    config.set_active(doc, name)
    config.save(doc)
    _ui.result(f"✓ Active profile is now '{name}'")


_SETTINGS = {"base_url": "the gateway root URL, e.g. https://llm.bytespike.ai",
             "offline": "true: use the built-in offline gateway (no key, nothing billed); false: the real one"}


def _known_profile(doc, name: str) -> str:
    from bytespike_cli import config, credentials

    config.check_profile_name(name)
    known = config.profiles(doc)
    if name not in known and credentials.load_key(name) is None:
        listing = ", ".join(known) or "none yet"
        raise UsageError(f"there is no profile '{name}' (profiles: {listing})",
                         _did_you_mean_profile(name, known) + f"create it with `bytespike login --profile {name}`")
    return name


def _did_you_mean_profile(name: str, known) -> str:
    import difflib

    near = difflib.get_close_matches(name, list(known), n=1)
    return f"did you mean '{near[0]}'? " if near else ""


def _setting_name(setting: str) -> str:
    name = setting.strip().lower().replace("-", "_")
    if name not in _SETTINGS:
        raise UsageError(f"unknown profile setting {setting!r}",
                         "settings: " + "; ".join(f"{k} ({v})" for k, v in _SETTINGS.items()))
    return name


@profiles_app.command("set")
def profiles_set(
    name: str = typer.Argument(..., metavar="PROFILE", help="Profile to change."),
    setting: str = typer.Argument(..., metavar="SETTING", help="base_url or offline."),
    value: str = typer.Argument(..., metavar="VALUE", help="The new value."),
) -> None:
    """Change one setting of a profile (its key stays), e.g. `profiles set work base_url https://…`."""
    from bytespike_cli import config
    from bytespike_cli.settings import check_transport

    doc = config.load()
    _known_profile(doc, name)
    key = _setting_name(setting)
    if key == "base_url":
        stored: object = config.normalize_base_url(value)
        check_transport(str(stored), f"profile '{name}'")
        shown = str(stored)
    else:
        lowered = value.strip().lower()
        if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise UsageError(f"offline must be true or false, not {value!r}", f"e.g. bytespike profiles set {name} offline true")
        stored = lowered in ("true", "1", "yes", "on") or None  # false: drop the line
        shown = "true" if stored else "false"
    before = config.profiles(doc).get(name, {}).get(key)
    config.set_profile(doc, name, **{key: stored})
    config.save(doc)
    was = f" (was {before})" if before not in (None, stored) else ""
    _ui.result(f"✓ {name}.{key} = {shown}{was}")
    if key == "base_url":
        import os

        if os.environ.get("BYTESPIKE_BASE_URL"):
            _ui.warn("BYTESPIKE_BASE_URL is set in this shell and outranks this for commands without --profile")
        _ui.info(f"check it: bytespike verify --profile {name}")


@profiles_app.command("get")
def profiles_get(
    name: str = typer.Argument(..., metavar="PROFILE", help="Profile to read."),
    setting: str = typer.Argument(..., metavar="SETTING", help="base_url or offline."),
) -> None:
    """Print one setting of a profile (base_url prints the default when none is saved)."""
    from bytespike_cli import config

    doc = config.load()
    _known_profile(doc, name)
    key = _setting_name(setting)
    value = config.profiles(doc).get(name, {}).get(key)
    if key == "base_url":
        _ui.result(str(value or config.DEFAULT_BASE_URL))
        if not value:
            _ui.info("(the default: this profile saves no base_url)")
    else:
        _ui.result("true" if value else "false")
