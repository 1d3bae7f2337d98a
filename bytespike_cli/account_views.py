"""Spend and balance: ``/api/v1/me/usage`` and ``/api/v1/me/account`` (gateway-api.md §3.4).

Core only: returns data and raises BytespikeError; ``cli/account.py`` renders. A gateway that does not
offer an endpoint to a working key (403/404/405/501 or an HTML page, while ``/v1/models`` answers)
gets one clear message instead of a raw error or an "IP not allowed", and ``balance`` falls back to
the quota headers every response carries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from bytespike_cli.errors import BytespikeError, GatewayError, UsageError
from bytespike_cli.settings import Resolved

CONSOLE = "https://console.bytespike.ai"
GROUP_BY = {"day": "day", "model": "model", "key": "api_key"}
HISTORY_DAYS = 90
_RELATIVE = re.compile(r"^(\d+)\s*([hdwm])$", re.I)
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1), "m": timedelta(days=30)}
_BLOCKS = " ▏▎▍▌▋▊▉█"


def parse_when(value: str, name: str, *, now: datetime | None = None) -> datetime:
    """``YYYY-MM-DD`` (start of that day, UTC), an ISO timestamp, or a span back from now: ``7d``, ``12h``,
    ``2w``, ``3m`` (30-day months)."""
    now = now or datetime.now(timezone.utc)
    text = value.strip()
    match = _RELATIVE.match(text)
    if match:
        return now - int(match.group(1)) * _UNITS[match.group(2).lower()]
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{name} {value!r} is not a date",
                         f"use YYYY-MM-DD (e.g. {now:%Y-%m-%d}) or a span back from now like 7d, 12h, 2w") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class UsageReport:
    group_by: str  # day | model | key
    since: str
    until: str
    buckets: list[dict[str, Any]]
    totals: dict[str, Any]

    def label(self, bucket: dict[str, Any]) -> str:
        field_name = GROUP_BY[self.group_by]
        return str(bucket.get(field_name if field_name != "day" else "bucket") or bucket.get("bucket") or "?")

    def to_json(self) -> dict[str, Any]:
        return {"group_by": self.group_by, "since": self.since, "until": self.until,
                "buckets": self.buckets, "totals": self.totals}


def _closed(client, endpoint: str, what: str, exc: BytespikeError) -> BytespikeError:
    """The error to raise when ``endpoint`` failed: if the key itself works (``/v1/models``), a 403,
    404, 405, 501 or a non-JSON page means the endpoint is not offered to this key; a bare 403 there is
    no IP denial, and the gateway's own page is never shown. Otherwise the key's own problem."""
    from bytespike_cli.gateway import account_not_offered

    if not account_not_offered(exc):
        return exc
    try:
        client.list_models()
    except BytespikeError as key_error:
        return key_error
    page = "usage" if "usage" in endpoint else "billing"
    status = getattr(exc, "status", None)
    said = (f"this key cannot read {what} ({status} on {endpoint})" if status == 403 else
            f"this gateway does not offer {what} ({status or 'no JSON'} on {endpoint})")
    return GatewayError(said, f"see it in the console: {CONSOLE}/{page}")


def usage(resolved: Resolved, *, since: str | None = None, until: str | None = None, by: str = "day",
          now: datetime | None = None) -> UsageReport:
    from bytespike_cli.gateway import GatewayClient

    if by not in GROUP_BY:
        raise UsageError(f"--by {by!r} is not one of {', '.join(GROUP_BY)}", "e.g. --by model")
    now = now or datetime.now(timezone.utc)
    start = parse_when(since, "--since", now=now) if since else now - timedelta(days=30)
    end = parse_when(until, "--until", now=now) if until else now
    if start >= end:
        raise UsageError(f"--since ({_iso(start)}) must be before --until ({_iso(end)})", "e.g. --since 7d")
    if start < now - timedelta(days=HISTORY_DAYS):
        raise UsageError(f"the gateway keeps {HISTORY_DAYS} days of history; --since {since} is older",
                         f"use --since {HISTORY_DAYS}d or later")
    params = {"since": _iso(start), "until": _iso(end), "group_by": GROUP_BY[by]}
    with GatewayClient(resolved) as client:
        try:
            reply = client.request("GET", "/api/v1/me/usage", params=params)
        except BytespikeError as exc:
            raise _closed(client, "GET /api/v1/me/usage", "usage reports", exc) from None
    data = reply.data if isinstance(reply.data, dict) else {}
    buckets = [b for b in data.get("buckets") or [] if isinstance(b, dict)]
    if by == "day":
        buckets.sort(key=lambda b: str(b.get("bucket")))
    else:
        buckets.sort(key=lambda b: -float(b.get("total_usd") or 0))
    totals = data.get("totals") if isinstance(data.get("totals"), dict) else _sum(buckets)
    return UsageReport(by, params["since"], params["until"], buckets, totals)


def _sum(buckets: list[dict[str, Any]]) -> dict[str, Any]:
    totals = {"total_usd": 0.0, "input_tokens": 0, "output_tokens": 0, "call_count": 0}
    for bucket in buckets:
        for name in totals:
            totals[name] += bucket.get(name) or 0
    return totals


def bar(value: float, largest: float, width: int = 20) -> str:
    """A horizontal bar in eighth-blocks, ``width`` cells for ``largest``."""
    if largest <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / largest * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[rest] if rest else "")


@dataclass(frozen=True)
class Balance:
    source: str  # "account" | "quota headers"
    available_usd: float | None = None
    low_balance_threshold_usd: float | None = None
    low_balance_flagged: bool = False
    lifetime_topup_usd: float | None = None
    lifetime_spent_usd: float | None = None
    username: str | None = None
    tier: str | None = None
    org: str | None = None
    quota: dict[str, float | None] = field(default_factory=dict)
    note: str | None = None  # why the account view was not available

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source, "available_usd": self.available_usd,
            "low_balance_threshold_usd": self.low_balance_threshold_usd,
            "low_balance_flagged": self.low_balance_flagged, "lifetime_topup_usd": self.lifetime_topup_usd,
            "lifetime_spent_usd": self.lifetime_spent_usd, "username": self.username, "tier": self.tier,
            "org": self.org, "quota": self.quota, "note": self.note,
        }


def balance(resolved: Resolved) -> Balance:
    from bytespike_cli.gateway import GatewayClient

    with GatewayClient(resolved) as client:
        try:
            reply = client.request("GET", "/api/v1/me/account")
        except BytespikeError as exc:
            from bytespike_cli.gateway import account_not_offered

            if not account_not_offered(exc):
                raise
            note = f"the account endpoint is not available to this key ({getattr(exc, 'status', None) or 'no JSON'})"
            # every response carries the quota headers; /v1/models is free, and proves the key itself works
            try:
                _models, models_reply = client.list_models()
            except BytespikeError as key_error:
                raise key_error from None
            quota = models_reply.quota
            if not quota.present:
                raise GatewayError(f"this gateway reports no balance for this key: {note}, and its answers carry "
                                   "no quota headers", f"see your balance in the console: {CONSOLE}/billing") from None
            # an org wallet when the key belongs to one; else the key's remaining quota (the wallet when uncapped)
            left = quota.org_remaining_usd if quota.org_remaining_usd is not None else quota.key_remaining_usd
            return Balance("quota headers", available_usd=left, quota=quota.to_json(), note=note)
    data = reply.data if isinstance(reply.data, dict) else {}
    money = data.get("balance") if isinstance(data.get("balance"), dict) else {}
    user = data.get("user") if isinstance(data.get("user"), dict) else {}
    org = data.get("org") if isinstance(data.get("org"), dict) else {}
    return Balance(
        "account",
        available_usd=_num(money.get("available_usd")),
        low_balance_threshold_usd=_num(money.get("low_balance_threshold_usd")),
        low_balance_flagged=bool(money.get("low_balance_flagged")),
        lifetime_topup_usd=_num(money.get("lifetime_topup_usd")),
        lifetime_spent_usd=_num(money.get("lifetime_spent_usd")),
        username=user.get("username"), tier=user.get("tier"), org=org.get("name"),
        quota=reply.quota.to_json() if reply.quota.present else {},
    )


def _num(value: Any) -> float | None:
    try:
        return float(value) if value is not None else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class KeyStatus:
    """What `bytespike status` learns from the gateway about the key in use.

    ``problem``: the key or the gateway failed; ``blocked``: the key works but every billed request would
    fail (a limit or an empty balance); ``account_not_offered``: the gateway keeps the account endpoint
    from this key, so only the quota headers are known."""

    account: Any = None  # gateway.Account
    quota: Any = None  # gateway.Quota
    problem: BytespikeError | None = None
    blocked: BytespikeError | None = None
    account_not_offered: bool = False


def key_status(resolved: Resolved, *, timeout: float = 8.0) -> KeyStatus:
    """The account and quota for ``resolved.key`` (which must be set); failures are data, not raised."""
    from bytespike_cli import credentials
    from bytespike_cli.gateway import GatewayClient, Quota, account_not_offered
    from bytespike_cli.verify import blocking_limit

    account, quota, not_offered = None, Quota(), False
    try:
        credentials.check_key_format(resolved.key)
        with GatewayClient(resolved, timeout=timeout) as client:
            try:
                account, reply = client.account()
                quota = reply.quota
            except BytespikeError as exc:
                if not account_not_offered(exc):
                    raise
                _models, reply = client.list_models()  # the key itself must still work
                quota, not_offered = reply.quota, True
        # free endpoints answer 200 even when nothing billed would go through: say what blocks
        blocked = blocking_limit(account.available_usd if account else None, quota)
    except BytespikeError as exc:
        return KeyStatus(account, quota, problem=exc, account_not_offered=not_offered)
    return KeyStatus(account, quota, blocked=blocked, account_not_offered=not_offered)
