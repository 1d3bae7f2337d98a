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
    models: list = field(default_factory=list)
    chat_model: str | None = None
    slow_explained: bool = False

    @property
    def exit_code(self) -> int:
        failed = [c for c in self.checks if c.status == "fail"]
        return failed[0].exit_code if failed else 0


def _failed(name: str, exc: BytespikeError) -> Check:
    return Check(name, "fail", exc.message, exc.hint, int(exc.exit_code))


SLOW_MS = 2000  # an answer slower than this is marked "!" with its likely cause
PROMPT = "Reply with one word."


def run_checks(resolved: Resolved, *, model: str | None = None, chat: bool = False,
               on_check: Callable[[Check], None] | None = None,
               on_step: Callable[[str], None] | None = None) -> Outcome:
    """Run every check, stopping at the first failure (later checks depend on earlier ones).

    ``on_step`` names each network step before it starts (the CLI shows it in a spinner)."""
    outcome = Outcome()
    for check in _checks(resolved, model, chat, outcome, on_step or (lambda _text: None)):
        outcome.checks.append(check)
        if on_check:
            on_check(check)
        if check.status == "fail":
            break
    return outcome


def slow_cause(resolved: Resolved) -> str:
    """The likely reason an answer from ``resolved``'s gateway was slow."""
    from bytespike_cli.gateway import proxy_in_use

    proxy = proxy_in_use(resolved.base_url)
    if proxy:
        from urllib.parse import urlsplit

        return (f"requests go through the proxy in {proxy[0]}, which may be slow or buffering: "
                f"export NO_PROXY={urlsplit(resolved.base_url).hostname} to go direct")
    return "a slow network path or a busy gateway: editors will wait this long on every request; retry later"


def _timed(name: str, detail: str, elapsed_ms: float, r: Resolved, outcome: Outcome) -> Check:
    if elapsed_ms > SLOW_MS:
        # the likely cause once; later slow steps point back to it
        hint = "the same cause as above" if outcome.slow_explained else slow_cause(r)
        outcome.slow_explained = True
        return Check(name, "warn", f"{detail} — slow (over {SLOW_MS / 1000:g} s)", hint)
    return Check(name, "ok", detail)


def _checks(r: Resolved, model: str | None, chat: bool, outcome: Outcome, step: Callable[[str], None]) -> Iterator[Check]:
    try:
        key = credentials.check_key_format(r.require_key())
    except BytespikeError as exc:
        yield _failed("key format", exc)
        return
    yield Check("key format", "ok", f"{_masked(key)} from {r.key_source}")

    with GatewayClient(r, timeout=15.0) as client:
        step(f"reaching {r.base_url} …")
        try:
            ping = client.ping()
        except BytespikeError as exc:
            yield _failed("reachability", exc)
            return
        proxy = next((f"{n}" for n in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY") if os.environ.get(n)), None)
        via = f" via {proxy}" if proxy and not r.base_url.startswith("http://127.") else ""
        yield _timed("reachability", f"{r.base_url} answered in {ping.elapsed_ms:.0f} ms ({ping.http_version}){via}",
                     ping.elapsed_ms, r, outcome)

        step("checking the key (GET /v1/models) …")
        try:
            models, reply = client.list_models()
        except BytespikeError as exc:
            yield _failed("key accepted (GET /v1/models)", exc)
            return
        outcome.quota = reply.quota
        outcome.models = models
        if not models:
            yield Check("key accepted (GET /v1/models)", "fail", "the key works but its group lists no models",
                        "ask your admin to grant the key a model group, or create a key in another group",
                        int(ExitCode.PERMISSION))
            return
        yield _timed("key accepted (GET /v1/models)", f"{len(models)} models in this key's group"
                     + (f" (in {reply.elapsed_ms:.0f} ms)" if reply.elapsed_ms > SLOW_MS else ""), reply.elapsed_ms, r,
                     outcome)

        step("reading the balance …")
        account = None
        try:
            account, reply = client.account()
            outcome.quota = reply.quota if reply.quota.present else outcome.quota
            yield _balance_check(account, reply.quota)
            if account.available_usd is not None and account.available_usd <= 0:
                return
        except BytespikeError as exc:
            if not account_not_offered(exc):
                yield _failed("account and balance", exc)
                return
            yield Check("account and balance", "warn",
                        f"balance unknown: the gateway does not offer the account endpoint to this key ({exc.status})",
                        "see the balance at https://console.bytespike.ai/billing")

        quota = outcome.quota or Quota()
        blocked = blocking_limit(None, quota)
        if blocked is not None:
            yield _failed("spend limits", blocked)
            return
        words = quota_in_words(quota)
        if words:
            yield Check("spend limits", "ok", words)

        if model:
            if model not in {m.id for m in models}:
                near = closest_model_ids(model, models)
                hint = f"did you mean {', '.join(near)}?" if near else "run `bytespike models` for the ids you can use"
                yield Check(f"model {model}", "fail", f"model '{model}' is not in this key's catalogue", hint,
                            int(ExitCode.PERMISSION))
                return
            yield Check(f"model {model}", "ok", "in this key's catalogue")

        if chat:
            from bytespike_cli.chat import stream, wire_for

            chosen = next((m for m in models if m.id == model), None) or default_models(models)[0]
            wire = wire_for(chosen)
            name = f"streamed chat ({chosen.id}, {wire})"
            step(f"streaming one tiny request to {chosen.id} …")
            try:
                result = stream(r, wire, chosen.id, PROMPT, max_tokens=1)
            except BytespikeError as exc:
                yield _failed(name, exc)
                return
            outcome.quota = result.quota if result.quota.present else outcome.quota
            outcome.chat_model = chosen.id
            detail = (f"first byte {result.ttfb_ms:.0f} ms, first token {result.ttft_ms:.0f} ms, "
                      f"complete in {result.total_ms:.0f} ms (billed, 1 token)") if result.ttft_ms is not None else \
                f"the stream completed in {result.total_ms:.0f} ms but held no token (billed)"
            if result.ttft_ms is None:
                yield Check(name, "warn", detail, "the model answered nothing: try another with --model")
            elif result.ttft_ms > SLOW_MS:
                yield Check(name, "warn", f"{detail} — slow first token",
                            f"a cold model pays a start-up cost (`bytespike warm {chosen.id}` before a session); "
                            "if it is always slow: " + ("the same cause as above" if outcome.slow_explained
                                                         else slow_cause(r)))
            else:
                yield Check(name, "ok", detail)


def blocking_limit(available_usd: float | None, quota: Quota) -> BytespikeError | None:
    """The limit that stops every billed request now, if any: an empty wallet (exit 4), a used-up key
    quota (exit 4), a spent window (exit 6). Free endpoints answer 200 even then, so this is read
    from the balance and the quota headers instead of spending money to find out."""
    if available_usd is not None and available_usd <= 0:
        return error_for_status(402, ErrorDetail(code="insufficient_balance"), quota)
    if quota.key_remaining_usd is not None and quota.key_remaining_usd <= 0:
        return error_for_status(402, ErrorDetail(code="quota_exceeded"), quota)
    if quota.remaining_usd is not None and quota.remaining_usd <= 0:
        return error_for_status(429, ErrorDetail(type="rate_limit_error"), quota)
    return None


def quota_in_words(quota: Quota) -> str | None:
    """"spend window $17.65 of $20.00 left, resets 17:00 (in 4 h); this key can spend $57.60 more"."""
    from bytespike_cli.gateway import _reset_text

    parts = []
    if quota.remaining_usd is not None and quota.limit_usd is not None:
        window = f"spend window ${quota.remaining_usd:.2f} of ${quota.limit_usd:.2f} left"
        if quota.reset_at:
            window += ", resets " + _reset_text(quota.reset_at).removeprefix("at ")
        parts.append(window)
    if quota.key_remaining_usd is not None:
        parts.append(f"this key can spend ${quota.key_remaining_usd:.2f} more")
    if quota.org_remaining_usd is not None:
        parts.append(f"organisation wallet ${quota.org_remaining_usd:.2f}")
    return "; ".join(parts) or None


def _balance_check(account: Account, quota: Quota) -> Check:
    # Free endpoints answer 200 even when nothing billed would go through, so read the budget
    # from the balance and the quota headers instead of spending money to find out.
    if account.available_usd is not None and account.available_usd <= 0:
        return _failed("account and balance", blocking_limit(account.available_usd, quota))
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
