"""bytespike usage / balance: what you spent, and what is left."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from bytespike_cli.cli import _ui
from bytespike_cli.cli._options import JsonOpt, OfflineOpt, ProfileOpt


class By(str, Enum):
    day = "day"
    model = "model"
    key = "key"


def _money(value) -> str:
    return "—" if value is None else f"${value:,.2f}"


def _count(value) -> str:
    return "—" if value is None else f"{int(value):,}"


def usage(
    ctx: typer.Context,
    since: Optional[str] = typer.Option(None, "--since", metavar="WHEN",
                                        help="Start: YYYY-MM-DD or a span back from now like 7d, 12h, 2w (default 30d).",
                                        show_default=False),
    until: Optional[str] = typer.Option(None, "--until", metavar="WHEN", help="End (exclusive), same forms (default now).",
                                        show_default=False),
    by: By = typer.Option(By.day, "--by", metavar="GROUP", case_sensitive=False, help="One row per day, model or key."),
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """Spend per day, model or key from the gateway's usage report (a bar chart per row on a terminal)."""
    import sys

    from bytespike_cli.account_views import bar, usage as fetch_usage
    from bytespike_cli.settings import resolve

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    r.require_key()
    with _ui.spinner(f"reading the usage report from {r.base_url} …"):
        report = fetch_usage(r, since=since, until=until, by=by.value)
    if json_out:
        data = report.to_json()
        # each bucket names what it groups by with the field every command uses ("model", "key", "day")
        data["buckets"] = [{by.value: report.label(b), **b} for b in data["buckets"]]
        _ui.print_json(data)
        return
    if not report.buckets:
        _ui.result(f"no usage between {report.since} and {report.until}")
        return
    tty = _ui.is_tty(sys.stdout)
    totals = report.totals
    largest = max((float(b.get("total_usd") or 0) for b in report.buckets), default=0.0)
    columns = [(report.group_by.upper(), "left", 0), ("CALLS", "right", 0), ("INPUT TOK", "right", 2),
               ("OUTPUT TOK", "right", 2), ("COST", "right", 0)]
    rows = [[report.label(b), _count(b.get("call_count")), _count(b.get("input_tokens")),
             _count(b.get("output_tokens")), _money(b.get("total_usd"))] for b in report.buckets]
    if tty:  # the bar is decoration: first to go on a narrow terminal, never in a pipe
        columns.append(("", "left", 9))
        for row, bucket in zip(rows, report.buckets):
            row.append(bar(float(bucket.get("total_usd") or 0), largest))
        _ui.info(f"usage {report.since[:10]} → {report.until[:10]}")
        rows.append(["total", _count(totals.get("call_count")), _count(totals.get("input_tokens")),
                     _count(totals.get("output_tokens")), _money(totals.get("total_usd")), ""])
    _ui.table(columns, rows)


def balance(
    ctx: typer.Context,
    profile: ProfileOpt = None,
    offline: OfflineOpt = False,
    json_out: JsonOpt = False,
) -> None:
    """What is left: wallet balance and low-balance flag, or the key's quota headers when the account
    endpoint is not available to the key."""
    from bytespike_cli.account_views import CONSOLE, balance as fetch_balance
    from bytespike_cli.settings import resolve

    r = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    r.require_key()
    with _ui.spinner(f"reading the balance from {r.base_url} …"):
        b = fetch_balance(r)
    blocked = _blocked(b)
    if json_out:
        data = b.to_json()
        data["source"] = str(data["source"]).replace(" ", "_")  # an enum: "account" or "quota_headers"
        if data.get("quota"):
            data["quota"] = {**data["quota"], "ratelimit_reset": _ui.iso_time(data["quota"].get("ratelimit_reset"))}
        _ui.print_json(data, error=blocked)
        if blocked:
            raise typer.Exit(int(blocked.exit_code))
        return
    if b.source == "account":
        who = ", ".join(x for x in (b.username, b.tier, f"org {b.org}" if b.org else None) if x)
        _ui.result(f"balance: {_money(b.available_usd)}" + (f"  ({who})" if who else ""))
        if b.lifetime_topup_usd is not None or b.lifetime_spent_usd is not None:
            _ui.result(f"lifetime: {_money(b.lifetime_topup_usd)} topped up, {_money(b.lifetime_spent_usd)} spent")
        if b.low_balance_flagged:
            _ui.warn(f"balance is below your low-balance threshold ({_money(b.low_balance_threshold_usd)}): "
                     f"top up at {CONSOLE}/billing")
    else:
        _ui.info(f"{b.note}; showing the quota headers instead")
        _ui.result(f"left: {_money(b.available_usd)} (from the quota headers)")
    quota = b.quota or {}
    if quota.get("key_remaining_usd") is not None:
        _ui.result(f"key quota left: {_money(quota['key_remaining_usd'])}")
    if quota.get("org_remaining_usd") is not None:
        _ui.result(f"organisation wallet: {_money(quota['org_remaining_usd'])}")
    if quota.get("ratelimit_remaining_usd") is not None:
        from bytespike_cli.gateway import _reset_text

        reset = quota.get("ratelimit_reset")
        when = ", resets " + _reset_text(reset).removeprefix("at ") if reset else ""
        _ui.result(f"spend window: {_money(quota['ratelimit_remaining_usd'])} of "
                   f"{_money(quota.get('ratelimit_limit_usd'))} left{when}")
    if blocked:
        # balance, quota and window are each shown above; this says which one stops billed requests now
        _ui.error(f"{blocked.message}: every billed request fails until this changes", blocked.hint)
        raise typer.Exit(int(blocked.exit_code))


def _blocked(b):
    """The limit that stops billed requests (wallet, key quota, spend window), as an error; None if none."""
    from bytespike_cli.gateway import Quota
    from bytespike_cli.verify import blocking_limit

    q = b.quota or {}
    quota = Quota(limit_usd=q.get("ratelimit_limit_usd"), remaining_usd=q.get("ratelimit_remaining_usd"),
                  reset_at=q.get("ratelimit_reset"), key_remaining_usd=q.get("key_remaining_usd"),
                  org_remaining_usd=q.get("org_remaining_usd"))
    return blocking_limit(b.available_usd, quota)
