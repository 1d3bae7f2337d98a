"""bytespike proxy: a local forwarding proxy that adds the key, so tools never hold it."""

from __future__ import annotations

from enum import Enum
from typing import List, Optional

import typer

from bytespike_cli.cli._options import OfflineOpt, ProfileOpt


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
    from bytespike_cli.proxy import launch
    from bytespike_cli.proxy.log import JsonLog, make_log
    from bytespike_cli.proxy.server import ProxyServer, serve
    from bytespike_cli.settings import resolve

    launch.check_listen(host, token)
    resolved = resolve(profile, offline=offline or bool((ctx.obj or {}).get("offline")))
    plan = launch.plan_proxy(resolved, upstream=upstream, host=host, port=port, token=token, warm=warm,
                             allow_origin=allow_origin)
    for warning in plan.warnings:
        _ui.warn(warning)
    request_log = make_log(log.value, sys.stdout, (plan.config.key, token), color=_ui.is_tty(sys.stdout))
    server = ProxyServer(plan.config, request_log, warm_models=plan.warm_models)
    try:
        stopped_by = serve(server, lambda srv: _announce(plan, request_log, srv.url))
    except OSError as exc:
        raise launch.port_in_use(host, port, exc) from None
    relay = server.relay
    summary, event = launch.stopped(relay.requests if relay else 0, relay.refusals if relay else 0, stopped_by)
    if isinstance(request_log, JsonLog):
        request_log.event(event)
        request_log.flush()
    _ui.stderr().print(summary, markup=False, highlight=False)
    if stopped_by == "SIGINT":
        raise typer.Exit(130)  # interrupted, like every other command; SIGTERM is a requested stop: 0


def _announce(plan, request_log, base: str) -> None:
    """The ready event (NDJSON) and the banner, once the proxy listens."""
    from bytespike_cli.cli import _ui
    from bytespike_cli.proxy import launch
    from bytespike_cli.proxy.log import JsonLog

    if isinstance(request_log, JsonLog):
        request_log.event(launch.ready_event(plan, base))
        request_log.flush()
    _ui.stderr().print(launch.banner(plan, base), markup=False, highlight=False, soft_wrap=True)
    if plan.warm_models:
        _ui.info(f"warming {', '.join(plan.warm_models)} now and every few minutes while idle (billed requests)")
