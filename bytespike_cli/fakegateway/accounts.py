"""Deterministic account, usage and billing data for the management API (gateway-api.md §3.4).

History is derived from the key and the calendar day, so it is the same on every run that day;
calls made during this gateway's life are added on top, so `usage` and the wallet move as you use it.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from bytespike_cli.fakegateway.catalogue import CatalogueModel, models_for_group
from bytespike_cli.fakegateway.keys import KeyRecord
from bytespike_cli.fakegateway.problems import ApiError
from bytespike_cli.redact import mask_key

HISTORY_DAYS = 90
GROUP_BYS = ("day", "hour", "model", "api_key")


@dataclass(frozen=True)
class UsageRecord:
    at: float  # unix seconds
    key: str
    model: str
    input_tokens: int
    output_tokens: int
    usd: float
    calls: int = 1


def cost_usd(model: CatalogueModel, input_tokens: int, output_tokens: int) -> float:
    price_in, price_out = model.price_per_mtok
    return (input_tokens * price_in + output_tokens * price_out) / 1_000_000


def _seed(*parts: object) -> int:
    return int.from_bytes(hashlib.sha256("|".join(map(str, parts)).encode()).digest()[:4], "big")


def history(record: KeyRecord, now: float | None = None) -> list[UsageRecord]:
    """About 90 days of daily traffic on the first few models of the key's group."""
    now = time.time() if now is None else now
    today = datetime.fromtimestamp(now, timezone.utc).replace(hour=12, minute=0, second=0, microsecond=0)
    models = [m for m in models_for_group(record.group) if m.is_text][:3]
    out = []
    for days_ago in range(1, HISTORY_DAYS):
        day = today - timedelta(days=days_ago)
        for model in models:
            seed = _seed(record.key, model.id, day.date())
            if seed % 5 == 0:  # quiet days
                continue
            calls = 5 + seed % 40
            tokens_in, tokens_out = calls * (400 + seed % 900), calls * (60 + seed % 200)
            out.append(UsageRecord(day.timestamp(), record.key, model.id, tokens_in, tokens_out,
                                   cost_usd(model, tokens_in, tokens_out), calls))
    return out


def _parse_time(value: str | None, name: str, default: float) -> float:
    if not value:
        return default
    text = value.strip().replace("Z", "+00:00")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ApiError("invalid_param", f"{name}: expected an ISO-8601 date or timestamp, got {value!r}",
                       param=name) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def usage_report(record: KeyRecord, live: list[UsageRecord], query, now: float | None = None) -> dict:
    now = time.time() if now is None else now
    since = _parse_time(query.get("since"), "since", now - 30 * 86400)
    until = _parse_time(query.get("until"), "until", now)
    if since >= until:
        raise ApiError("invalid_param", "since must be earlier than until", param="since")
    since = max(since, now - HISTORY_DAYS * 86400)  # history is capped at 90 days
    group_by = [g.strip() for g in (query.get("group_by") or "day").split(",") if g.strip()]
    unknown = [g for g in group_by if g not in GROUP_BYS]
    if unknown:
        raise ApiError("invalid_param", f"group_by: unknown value {unknown[0]!r}; use {', '.join(GROUP_BYS)}",
                       param="group_by")
    model_filter = query.get("model")
    key_filter = query.get("api_key")
    rows = [
        r for r in history(record, now) + [r for r in live if r.key == record.key]
        if since <= r.at < until
        and (not model_filter or r.model == model_filter)
        and (not key_filter or key_filter in (r.key, mask_key(r.key)))
    ]
    buckets: dict[tuple, dict] = {}
    for r in sorted(rows, key=lambda r: r.at):
        moment = datetime.fromtimestamp(r.at, timezone.utc)
        label = ("all" if not {"day", "hour"} & set(group_by)
                 else moment.strftime("%Y-%m-%dT%H:00:00Z") if "hour" in group_by else moment.strftime("%Y-%m-%d"))
        ident = (label, r.model if "model" in group_by else None, r.key if "api_key" in group_by else None)
        bucket = buckets.get(ident)
        if bucket is None:
            bucket = buckets[ident] = {"bucket": label}
            if "model" in group_by:
                bucket["model"] = r.model
            if "api_key" in group_by:
                bucket["api_key"] = mask_key(r.key)
            bucket.update(total_usd=0.0, input_tokens=0, output_tokens=0, call_count=0)
        _add(bucket, r)
    totals = {"total_usd": 0.0, "input_tokens": 0, "output_tokens": 0, "call_count": 0}
    for r in rows:
        _add(totals, r)
    for entry in [*buckets.values(), totals]:
        entry["total_usd"] = round(entry["total_usd"], 6)  # micro-USD, the gateway's credit unit
    return {"buckets": list(buckets.values()), "totals": totals}


def _add(entry: dict, r: UsageRecord) -> None:
    entry["total_usd"] += r.usd
    entry["input_tokens"] += r.input_tokens
    entry["output_tokens"] += r.output_tokens
    entry["call_count"] += r.calls


def account(record: KeyRecord, spent: float, live: list[UsageRecord]) -> dict:
    available = max(0.0, record.wallet_usd - spent)
    lifetime_spent = round(record.quota_used_usd + 18.6 + spent, 2) if record.wallet_usd else 50.0
    per_model: dict[str, float] = {}
    for r in live:
        if r.key == record.key:
            per_model[r.model] = per_model.get(r.model, 0.0) + r.usd
    allowed = []
    for model in models_for_group(record.group):
        base = (_seed(record.key, model.id) % 9000) / 100 if model.is_text else 0.0
        allowed.append({"id": model.id, "quota_used_usd": round(base + per_model.get(model.id, 0.0), 2),
                        "quota_cap_usd": 100.0 if model.id == "claude-opus-4-8" and record.quota_cap_usd else None})
    return {
        "user": {"id": record.user_id, "username": record.username, "email": f"{record.username}@example.com",
                 "created_at": "2026-01-04T07:11:00Z", "tier": "enterprise" if record.org else "individual"},
        "balance": {
            "available_usd": round(available, 2),
            "lifetime_topup_usd": round(record.wallet_usd + lifetime_spent - spent, 2) if record.wallet_usd else 50.0,
            "lifetime_spent_usd": lifetime_spent,
            "low_balance_threshold_usd": record.low_balance_threshold_usd,
            "low_balance_flagged": available < record.low_balance_threshold_usd,
        },
        "allowed_models": allowed,
        "org": dict(record.org) if record.org else None,
    }


_KINDS = ("topup", "refund", "admin_credit", "admin_debit", "subscription_renew")


def transactions(record: KeyRecord, query) -> dict:
    try:
        page = int(query.get("page", 1))
        page_size = int(query.get("page_size", 50))
    except ValueError:
        raise ApiError("invalid_param", "page and page_size must be whole numbers", param="page") from None
    if page < 1 or not 1 <= page_size <= 200:
        raise ApiError("invalid_param", "page must be >= 1 and page_size between 1 and 200", param="page_size")
    kind = query.get("kind")
    if kind and kind not in _KINDS:
        raise ApiError("invalid_param", f"kind: use one of {', '.join(_KINDS)}", param="kind")
    items, balance = [], 0.0
    for i, (day, k, amount) in enumerate(((3, "topup", 20.0), (17, "topup", 50.0), (30, "admin_credit", 5.0),
                                          (41, "topup", 20.0), (55, "refund", -2.4))):
        balance += amount
        source = ({"provider": "stripe", "receipt_id": f"rcpt_offline_{i:04d}", "method": "card"}
                  if k in ("topup", "refund") else {"actor": "admin@example.com"})
        items.append({"id": f"txn_offline_{i:04d}", "created_at": f"2026-0{1 + day // 28}-{1 + day % 28:02d}T09:30:00Z",
                      "kind": k, "amount_usd": amount, "balance_after_usd": round(balance, 2), "source": source,
                      "note": None})
    items.reverse()  # newest first
    if kind:
        items = [t for t in items if t["kind"] == kind]
    start = (page - 1) * page_size
    return {"items": items[start:start + page_size], "total": len(items), "page": page, "page_size": page_size}
