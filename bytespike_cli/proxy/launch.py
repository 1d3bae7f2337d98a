"""What `bytespike proxy` decides before it listens, and what it says when it starts and stops.

The CLI resolves the profile and renders; everything here returns data or raises BytespikeError.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass, replace

from bytespike_cli.config import normalize_base_url
from bytespike_cli.errors import PermissionDenied, UsageError
from bytespike_cli.proxy.config import ProxyConfig
from bytespike_cli.proxy.guard import is_loopback_host, upstream_is_self
from bytespike_cli.proxy.upstream import Upstream, display_url
from bytespike_cli.redact import mask_key
from bytespike_cli.settings import Resolved, check_transport

MIN_TOKEN_LENGTH = 16
_PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


@dataclass(frozen=True)
class ProxyPlan:
    config: ProxyConfig
    profile: str
    where: str  # what the banner says it forwards to
    warm_models: tuple[str, ...]
    warnings: tuple[str, ...]


def check_listen(host: str, token: str | None) -> None:
    """Refuse a listen address or token that would let others spend the budget (before any profile lookup)."""
    if not is_loopback_host(host) and not token:
        raise UsageError(
            f"--host {host} would let other machines spend your budget, so it needs a token",
            "add --token SECRET (or set BYTESPIKE_PROXY_TOKEN; clients send it as their API key), "
            "or keep the default --host 127.0.0.1",
        )
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise UsageError(
            f"--token must be at least {MIN_TOKEN_LENGTH} characters: a short one can be guessed",
            "use a random one, e.g. --token \"$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')\"",
        )


def plan_proxy(resolved: Resolved, *, upstream: str | None, host: str, port: int, token: str | None,
               warm: list[str] | None, allow_origin: list[str] | None) -> ProxyPlan:
    check_listen(host, token)
    key = resolved.require_key()
    target = normalize_base_url(upstream) if upstream else resolved.base_url
    if upstream:
        check_transport(target, "--upstream")
    up = Upstream(target)
    if upstream_is_self(up.host, up.port, host, port):
        raise UsageError(
            f"--upstream {display_url(target)} is this proxy itself ({host}:{port}): every request would loop",
            "point --upstream at the gateway (e.g. https://llm.bytespike.ai), or use another --port",
        )
    warnings = []
    if any(os.environ.get(n) for n in _PROXY_VARIABLES) and not urllib.request.proxy_bypass_environment(up.host):
        warnings.append("HTTPS_PROXY/HTTP_PROXY is set, but the proxy connects to the gateway directly "
                        "(it does not tunnel through another proxy yet)")
    models = tuple(m.strip() for item in (warm or ()) for m in item.split(",") if m.strip())
    if models:
        check_warm_models(replace(resolved, base_url=target), key, models)
    config = ProxyConfig(upstream=target, key=key, host=host, port=port, token=token,
                         allowed_origins=tuple(allow_origin or ()))
    where = "the offline gateway" if resolved.offline and not upstream else display_url(target)
    return ProxyPlan(config, resolved.profile, where, models, tuple(warnings))


def check_warm_models(resolved: Resolved, key: str, models: tuple[str, ...]) -> None:
    """A typo'd --warm id would fail quietly every few minutes: check the ids against the catalogue first."""
    from bytespike_cli.gateway import GatewayClient, closest_model_ids

    with GatewayClient(resolved, key=key) as client:
        catalogue, _ = client.list_models()
    known = {m.id for m in catalogue}
    for model in models:
        if model not in known:
            near = closest_model_ids(model, catalogue)
            raise PermissionDenied(
                f"--warm {model}: no such model for this key",
                f"did you mean {near[0]}? (`bytespike models` lists them)" if near else "`bytespike models` lists them",
            )


def ready_event(plan: ProxyPlan, base: str) -> dict:
    return {"event": "ready", "listen": base, "openai_base_url": f"{base}/v1", "anthropic_base_url": base,
            "gemini_base_url": f"{base}/v1beta", "upstream": display_url(plan.config.upstream),
            "key": mask_key(plan.config.key), "profile": plan.profile, "warm_models": list(plan.warm_models)}


def banner(plan: ProxyPlan, base: str) -> str:
    """The listen address first, then one copy-paste line per protocol."""
    return (
        f"bytespike proxy listening on {base} → {plan.where} (key {mask_key(plan.config.key)}, profile {plan.profile})\n"
        f"  OpenAI {base}/v1      export OPENAI_BASE_URL={base}/v1 OPENAI_API_KEY=placeholder\n"
        f"  Anthropic {base}      export ANTHROPIC_BASE_URL={base} ANTHROPIC_API_KEY=placeholder\n"
        f"  Gemini {base}/v1beta  export GOOGLE_GEMINI_BASE_URL={base} GEMINI_API_KEY=placeholder\n"
        + ("  clients send the --token as their API key instead of the placeholder\n" if plan.config.token else "")
        + "Ctrl-C to stop"
    )


def stopped(requests: int, refused: int, signal: str | None) -> tuple[str, dict]:
    """(the summary line, the NDJSON event) once the proxy has stopped."""
    return (f"bytespike proxy stopped: {requests} requests forwarded, {refused} refused",
            {"event": "stopped", "requests": requests, "refused": refused, "signal": signal})


def port_in_use(host: str, port: int, exc: OSError) -> UsageError:
    return UsageError(
        f"cannot listen on {host}:{port}: {exc.strerror or exc}",
        f"another program may use that port: pick another with --port, e.g. --port {port + 1 if port else 8787}",
    )
