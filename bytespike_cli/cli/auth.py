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


def _read_key(from_stdin: bool) -> str:
    if not from_stdin and _ui.stdin_is_tty():
        import questionary

        answer = questionary.password("Paste your ByteSpike key (sk-byts-…):").ask()
        if answer is None:  # Ctrl-C / Ctrl-D in the prompt
            raise KeyboardInterrupt
        return answer
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
    raw = _read_key(key_stdin)
    secret = credentials.check_key_format(credentials.clean_key(raw))

    if offline:
        target = resolve(name, offline=True)
    else:
        current = resolve(name, base_url=base_url)
        target = Resolved(name, "--profile", current.base_url, current.base_url_source, secret, "login")
    detail = ""
    if not no_verify:
        from bytespike_cli.gateway import GatewayClient
        from bytespike_cli.errors import NetworkError

        _ui.info(f"checking the key with {target.base_url} …")
        try:
            with GatewayClient(target, key=secret) as client:
                models, _ = client.list_models()
        except NetworkError as exc:
            raise NetworkError(exc.message, f"{exc.hint}; or save it unchecked with --no-verify") from None
        detail = f"; {len(models)} models available"

    doc = config.load()
    values: dict = {"offline": True} if offline else {"base_url": target.base_url, "offline": None}
    config.set_profile(doc, name, **values)
    config.set_active(doc, name)
    config.save(doc)
    previous = credentials.load_key(name)
    path = credentials.store_key(name, secret)
    _ui.result(f"✓ Logged in to {target.base_url} as profile '{name}' with {_mask(secret)}{detail}")
    _ui.info(f"key saved to {path} (mode 0600); '{name}' is now the active profile")
    _refresh_key_copies(name, previous, secret)


def _refresh_key_copies(profile: str, previous: str | None, secret: str) -> None:
    """A new key for a profile: the copies that setups wrote into tools' files follow (issue 10)."""
    from bytespike_cli.integrations.keysync import refresh_key_copies

    for item in refresh_key_copies(profile, previous, secret):
        if item.problem:
            _ui.warn(f"{item.tool}: still has the old key ({item.problem}); run `bytespike setup {item.tool}` "
                     "again once that is fixed")
        else:
            _ui.info(f"{item.tool}: the key in {', '.join(str(p) for p in item.files)} now is {_mask(secret)}")


def _mask(key: str | None) -> str:
    from bytespike_cli.redact import mask_key

    return mask_key(key)


def logout(profile: ProfileOpt = None) -> None:
    """Forget a profile's key and settings."""
    from bytespike_cli import config, credentials
    from bytespike_cli.settings import resolve

    name = config.check_profile_name(profile) if profile else resolve().profile
    doc = config.load()
    had_key = credentials.delete_key(name)
    had_profile = config.remove_profile(doc, name)
    if not (had_key or had_profile):
        raise UsageError(f"there is no profile '{name}'", "list profiles with `bytespike profiles`")
    config.save(doc)
    _ui.result(f"✓ Logged out of profile '{name}'" + ("" if had_key else " (it had no key)"))


def status(ctx: typer.Context, profile: ProfileOpt = None, offline: OfflineOpt = False, json_out: JsonOpt = False) -> None:
    """Show the profile, base URL and masked key in use, where each came from, and the balance."""
    from bytespike_cli import credentials
    from bytespike_cli.gateway import GatewayClient, account_not_offered
    from bytespike_cli.settings import resolve

    r = resolve(profile, offline=_offline(ctx, offline))
    account = None
    problem: BytespikeError | None = None
    not_offered = False
    if r.key:
        try:
            credentials.check_key_format(r.key)
            with GatewayClient(r, timeout=8.0) as client:
                try:
                    account, _ = client.account()
                except BytespikeError as exc:
                    if not account_not_offered(exc):
                        raise
                    client.list_models()  # the key itself must still work
                    not_offered = True
        except BytespikeError as exc:
            problem = exc
    data = {
        "profile": r.profile, "profile_source": r.profile_source,
        "base_url": r.base_url, "base_url_source": r.base_url_source,
        "key": _mask(r.key) if r.key else None, "key_source": r.key_source, "offline": r.offline,
        "account": account.to_json() if account else None,
        "problem": {"message": problem.message, "hint": problem.hint} if problem else None,
    }
    if json_out:
        _ui.print_json(data)
    else:
        _ui.result(f"Profile   {r.profile}  ({r.profile_source})")
        _ui.result(f"Base URL  {r.base_url}  ({r.base_url_source})")
        _ui.result(f"Key       {_mask(r.key) if r.key else 'none'}  ({r.key_source})")
        if account:
            who = account.username or "?"
            balance = f"${account.available_usd:.2f}" if account.available_usd is not None else "unknown"
            low = "  (low balance!)" if account.low_balance_flagged else ""
            _ui.result(f"Account   {who} · balance {balance}{low}")
        elif problem:
            _ui.result(f"Account   unavailable: {problem.message}")
        elif not_offered:
            _ui.result("Account   the gateway does not offer the account endpoint to this key (balance unknown)")
        if not r.offline and r.key and credentials.key_file_too_open(r.profile):
            _ui.warn(f"the key file is readable by other users: chmod 600 {r.key_source.removeprefix('key file ')}")
    if not r.key:
        raise AuthError(f"not logged in (profile '{r.profile}')", "run `bytespike login`, or set BYTESPIKE_API_KEY")
    if problem:
        if not json_out:
            _ui.error(problem.message, problem.hint)
        raise typer.Exit(int(problem.exit_code))


def print_key(ctx: typer.Context, profile: ProfileOpt = None, offline: OfflineOpt = False) -> None:
    """Print the active key and nothing else (for apiKeyHelper and credential commands)."""
    from bytespike_cli.settings import resolve

    key = resolve(profile, offline=_offline(ctx, offline)).require_key()
    sys.stdout.write(key + "\n")
    sys.stdout.flush()


profiles_app = typer.Typer(help="List profiles, or switch the active one.", invoke_without_command=True,
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
        rows.append({"name": name, "active": name == active, "base_url": values.get("base_url"),
                     "offline": bool(values.get("offline")), "key": _mask(key) if key else None})
    if json_out:
        _ui.print_json(rows)
        return
    if not rows:
        _ui.result("No profiles yet.")
        _ui.info("create one with `bytespike login` (or try `bytespike --offline verify` first)")
        return
    for row in rows:
        mark = "*" if row["active"] else " "
        where = "offline gateway" if row["offline"] else (row["base_url"] or "")
        _ui.result(f"{mark} {row['name']:<16} {where:<32} {row['key'] or 'no key'}")


@profiles_app.command("use")
def profiles_use(name: str = typer.Argument(..., help="Profile to make active.")) -> None:
    """Make NAME the active profile."""
    from bytespike_cli import config

    doc = config.load()
    known = config.profiles(doc)
    if name not in known:
        listing = ", ".join(known) or "none yet"
        raise UsageError(f"there is no profile '{name}' (profiles: {listing})",
                         f"create it with `bytespike login --profile {name}`")
    config.set_active(doc, name)
    config.save(doc)
    _ui.result(f"✓ Active profile is now '{name}'")
