"""The checks behind ``bytespike verify``, in the order a problem is best found."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Callable, Iterator

from bytespike_cli import credentials
from bytespike_cli.errors import BytespikeError, ExitCode
from bytespike_cli.gateway import (
    Account,
    ErrorDetail,
    GatewayClient,
    Quota,
    account_not_offered,
    closest_model_ids,
    default_models,
    error_for_status,
)
from bytespike_cli.settings import Resolved


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok" | "warn" | "fail"
    detail: str
    hint: str | None = None
    exit_code: int = 0

    def to_json(self) -> dict:
        return {"name": self.name, "status": self.status, "detail": self.detail, "hint": self.hint,
                "exit_code": self.exit_code}


@dataclass
class Outcome:
    checks: list[Check] = field(default_factory=list)
    quota: Quota | None = None

    @property
    def exit_code(self) -> int:
        failed = [c for c in self.checks if c.status == "fail"]
        return failed[0].exit_code if failed else 0


def _failed(name: str, exc: BytespikeError) -> Check:
    return Check(name, "fail", exc.message, exc.hint, int(exc.exit_code))


def run_checks(resolved: Resolved, *, model: str | None = None, chat: bool = False,
               on_check: Callable[[Check], None] | None = None) -> Outcome:
    """Run every check, stopping at the first failure (later checks depend on earlier ones)."""
    outcome = Outcome()
    for check in _checks(resolved, model, chat, outcome):
        outcome.checks.append(check)
        if on_check:
            on_check(check)
        if check.status == "fail":
            break
    return outcome


def _checks(r: Resolved, model: str | None, chat: bool, outcome: Outcome) -> Iterator[Check]:
    try:
        key = credentials.check_key_format(r.require_key())
    except BytespikeError as exc:
        yield _failed("key format", exc)
        return
    yield Check("key format", "ok", f"{_masked(key)} from {r.key_source}")

    with GatewayClient(r, timeout=15.0) as client:
        try:
            ping = client.ping()
        except BytespikeError as exc:
            yield _failed("reachability", exc)
            return
        proxy = next((f"{n}" for n in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY") if os.environ.get(n)), None)
        via = f" via {proxy}" if proxy and not r.base_url.startswith("http://127.") else ""
        yield Check("reachability", "ok", f"{r.base_url} answered in {ping.elapsed_ms:.0f} ms ({ping.http_version}){via}")

        try:
            models, reply = client.list_models()
        except BytespikeError as exc:
            yield _failed("key accepted (GET /v1/models)", exc)
            return
        outcome.quota = reply.quota
        if not models:
            yield Check("key accepted (GET /v1/models)", "fail", "the key works but its group lists no models",
                        "ask your admin to grant the key a model group, or create a key in another group",
                        int(ExitCode.PERMISSION))
            return
        yield Check("key accepted (GET /v1/models)", "ok", f"{len(models)} models in this key's group")

        try:
            account, reply = client.account()
            outcome.quota = reply.quota if reply.quota.present else outcome.quota
            yield _balance_check(account, reply.quota)
        except BytespikeError as exc:
            if not account_not_offered(exc):
                yield _failed("account and balance", exc)
                return
            yield Check("account and balance", "warn",
                        f"balance unknown: the gateway does not offer the account endpoint to this key ({exc.status})",
                        "see the balance at https://console.bytespike.ai/billing")

        quota = outcome.quota or Quota()
        if quota.key_remaining_usd is not None and quota.key_remaining_usd <= 0:
            yield _failed("spend limits", error_for_status(402, ErrorDetail(code="quota_exceeded"), quota))
            return
        if quota.remaining_usd is not None and quota.remaining_usd <= 0:
            yield _failed("spend limits", error_for_status(429, ErrorDetail(type="rate_limit_error"), quota))
            return
        if quota.present:
            left = f"${quota.remaining_usd:.2f} of ${quota.limit_usd:.2f} left in the current window" \
                if quota.remaining_usd is not None and quota.limit_usd is not None else "within limits"
            yield Check("spend limits", "ok", left)

        if model:
            if model not in {m.id for m in models}:
                near = closest_model_ids(model, models)
                hint = f"did you mean {', '.join(near)}?" if near else "run `bytespike models` for the ids you can use"
                yield Check(f"model {model}", "fail", f"model '{model}' is not in this key's catalogue", hint,
                            int(ExitCode.PERMISSION))
                return
            yield Check(f"model {model}", "ok", "in this key's catalogue")

        if chat:
            target = model or default_models(models)[0].id
            try:
                probe = client.chat_probe(target)
            except BytespikeError as exc:
                yield _failed(f"chat completion ({target})", exc)
                return
            outcome.quota = probe.quota if probe.quota.present else outcome.quota
            yield Check(f"chat completion ({target})", "ok", f"answered in {probe.elapsed_ms:.0f} ms (billed, 1 token)")


def _balance_check(account: Account, quota: Quota) -> Check:
    # Free endpoints answer 200 even when nothing billed would go through, so read the budget
    # from the balance and the quota headers instead of spending money to find out.
    if account.available_usd is not None and account.available_usd <= 0:
        return _failed("account and balance", error_for_status(402, ErrorDetail(code="insufficient_balance"), quota))
    if account.available_usd is None:
        return Check("account and balance", "warn", "the gateway did not report a balance")
    if account.low_balance_flagged:
        return Check("account and balance", "warn",
                     f"balance ${account.available_usd:.2f} is below your low-balance threshold"
                     f" (${account.low_balance_threshold_usd or 0:.2f})",
                     "top up at https://console.bytespike.ai/billing")
    return Check("account and balance", "ok", f"balance ${account.available_usd:.2f}")


def _masked(key: str) -> str:
    from bytespike_cli.redact import mask_key

    return mask_key(key)
