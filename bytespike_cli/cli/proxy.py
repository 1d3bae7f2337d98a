"""bytespike proxy: a local forwarding proxy that adds the key, so tools never hold it."""

from __future__ import annotations

from dataclasses import replace
from enum import Enum
from typing import List, Optional

import typer

from bytespike_cli.cli._options import OfflineOpt, ProfileOpt


def _env_proxy_applies(host: str) -> bool:
    import os
    import urllib.request

    names = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")
    return any(os.environ.get(n) for n in names) and not urllib.request.proxy_bypass_environment(host)


MIN_TOKEN_LENGTH = 16


class LogFormat(str, Enum):
    pretty = "pretty"
    json = "json"
    off = "off"


def proxy(
    ctx: typer.Context,
    port: int = typer.Option(8787, "--port", min=0, max=65535, help="Port to listen on (0 picks a free one)."),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on. Anything but loopback needs --token."),
    profile: ProfileOpt = None,
    upstream: Optional[str] = typer.Option(
        None, "--upstream", metavar="URL", help="Gateway root to forward to (default: the profile's base URL)."),
    offline: OfflineOpt = False,
    log: LogFormat = typer.Option(LogFormat.pretty, "--log", metavar="FORMAT", case_sensitive=False,
                                  help="One line per request on stdout: pretty, json (NDJSON) or off."),
    warm: Optional[List[str]] = typer.Option(
        None, "--warm", metavar="MODEL",
        help="Keep this model warm: a 1-token request at start and every few minutes while idle (billed; repeatable)."),
    token: Optional[str] = typer.Option(
        None, "--token", metavar="TOKEN", envvar="BYTESPIKE_PROXY_TOKEN", show_envvar=True,
        help="Secret every client must send as its API key; required with a non-loopback --host."),
    allow_origin: Optional[List[str]] = typer.Option(
        None, "--allow-origin", metavar="URL", help="A browser page origin allowed to use the proxy (repeatable)."),
) -> None:
    """Forward local tools to the gateway with your key added; streams pass through byte for byte.

    Point an SDK or editor at the URLs printed on start (OpenAI base …/v1, Anthropic root, Gemini
    …/v1beta) with any placeholder API key: the proxy drops it and sends the profile's key instead.
    """
    import sys

    from bytespike_cli.cli import _ui
    from bytespike_cli.config import normalize_base_url
    from bytespike_cli.errors import UsageError
    from bytespike_cli.proxy.app import ProxyConfig, Upstream, display_url
    from bytespike_cli.proxy.guard import is_loopback_host, upstream_is_self
    from bytespike_cli.proxy.log import JsonLog, make_log
    from bytespike_cli.proxy.server import ProxyServer, serve
    from bytespike_cli.redact import mask_key
    from bytespike_cli.settings import check_transport, resolve

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
    resolved = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
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
    if _env_proxy_applies(up.host):
        _ui.warn("HTTPS_PROXY/HTTP_PROXY is set, but the proxy connects to the gateway directly "
                 "(it does not tunnel through another proxy yet)")
    models = tuple(m.strip() for item in (warm or ()) for m in item.split(",") if m.strip())
    if models:
        _check_warm_models(replace(resolved, base_url=target), key, models)
    origins = tuple(allow_origin or ())
    request_log = make_log(log.value, sys.stdout, (key, token), color=_ui.is_tty(sys.stdout))
    config = ProxyConfig(upstream=target, key=key, host=host, port=port, token=token, allowed_origins=origins)
    server = ProxyServer(config, request_log, warm_models=models)
    where = "the offline gateway" if resolved.offline and not upstream else display_url(target)

    def ready(srv: ProxyServer) -> None:
        base = srv.url
        if isinstance(request_log, JsonLog):
            request_log.event({"event": "ready", "listen": base, "openai_base_url": f"{base}/v1",
                               "anthropic_base_url": base, "gemini_base_url": f"{base}/v1beta",
                               "upstream": display_url(target), "key": mask_key(key),
                               "profile": resolved.profile, "warm_models": list(models)})
            request_log.flush()
        _ui.stderr().print(
            f"bytespike proxy listening on {base} → {where} (key {mask_key(key)}, profile {resolved.profile})\n"
            f"  OpenAI {base}/v1      export OPENAI_BASE_URL={base}/v1 OPENAI_API_KEY=placeholder\n"
            f"  Anthropic {base}      export ANTHROPIC_BASE_URL={base} ANTHROPIC_API_KEY=placeholder\n"
            f"  Gemini {base}/v1beta  export GOOGLE_GEMINI_BASE_URL={base} GEMINI_API_KEY=placeholder\n"
            + ("  clients send the --token as their API key instead of the placeholder\n" if token else "")
            + "Ctrl-C to stop",
            markup=False, highlight=False, soft_wrap=True,
        )
        if models:
            _ui.info(f"warming {', '.join(models)} now and every few minutes while idle (billed requests)")

    try:
        stopped_by = serve(server, ready)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            f"another program may use that port: pick another with --port, e.g. --port {port + 1 if port else 8787}",
        ) from None
    relay = server.relay
    summary = (f"bytespike proxy stopped: {relay.requests} requests forwarded, {relay.refusals} refused"
               if relay is not None else "bytespike proxy stopped")
    if isinstance(request_log, JsonLog):
        request_log.event({"event": "stopped", "requests": relay.requests if relay else 0,
                           "refused": relay.refusals if relay else 0, "signal": stopped_by})
        request_log.flush()
    _ui.stderr().print(summary, markup=False, highlight=False)
    if stopped_by == "SIGINT":
        raise typer.Exit(130)  # interrupted, like every other command; SIGTERM is a requested stop: 0


def _check_warm_models(resolved, key: str, models: tuple[str, ...]) -> None:
    """A typo'd --warm id would fail quietly every few minutes: check the ids against the catalogue first."""
    from bytespike_cli.errors import PermissionDenied
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
