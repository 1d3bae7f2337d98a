"""The network path to the gateway: proxy settings, DNS, connection and TLS, the clock."""

from __future__ import annotations

import email.utils
import ipaddress
import socket
import time
from typing import Mapping
from urllib.parse import urlsplit, urlunsplit

from bytespike_cli.doctor.findings import Finding, fail, ok, skip, warn
from bytespike_cli.errors import BytespikeError, ExitCode
from bytespike_cli.settings import Resolved

AREA = "network"
SLOW_MS = 2000  # an answer slower than this is marked ! with its likely cause
SKEW_WARN_S = 120  # TLS certificates and the rate-limit reset times shown to you go wrong beyond this
_PROXY_VARS = {
    "https": ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"),
    "http": ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
}


def proxy_for(url: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """(variable, proxy URL) that a request to ``url`` goes through, honouring NO_PROXY; None: direct."""
    import urllib.request

    parts = urlsplit(url)
    for name in _PROXY_VARS.get(parts.scheme, ()):
        value = env.get(name, "").strip()
        if value:
            no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
            host = parts.hostname or ""
            if no_proxy and urllib.request.proxy_bypass_environment(host, {"no": no_proxy}):
                return None
            return name, value
    return None


def any_proxy_set(env: Mapping[str, str]) -> str | None:
    return next((n for names in _PROXY_VARS.values() for n in names if env.get(n, "").strip()), None)


def safe_url(url: str) -> str:
    """A proxy URL without its user:password part."""
    parts = urlsplit(url if "://" in url else "http://" + url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def no_proxy_fix(host: str, env: Mapping[str, str]) -> str:
    current = env.get("NO_PROXY") or env.get("no_proxy") or ""
    value = f"{current},{host}" if current else host
    return (f"export NO_PROXY={value}  (and the same in lower case, no_proxy, for tools that only read that; "
            "add it to your shell profile)")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_network(resolved: Resolved, env: Mapping[str, str]) -> tuple[list[Finding], bool]:
    """Findings about the path to the gateway, and whether the gateway answered at all."""
    url = resolved.base_url
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    findings: list[Finding] = []

    via = proxy_for(url, env)
    if via:
        name, proxy = via
        findings.append(warn(
            AREA, "proxy",
            f"requests to {host} go through the proxy {safe_url(proxy)} (from {name}); proxies that buffer "
            "responses break streaming: answers stall after the first words or arrive all at once",
            no_proxy_fix(host, env)))
    elif any_proxy_set(env):
        findings.append(ok(AREA, "proxy", f"{any_proxy_set(env)} is set, but NO_PROXY exempts {host}: "
                                          "streams go direct"))
    else:
        findings.append(ok(AREA, "proxy", "no HTTP(S) proxy in the environment: direct connection"))

    if _is_ip(host):
        findings.append(ok(AREA, "dns", f"{host} is an IP address (no DNS lookup)"))
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            addresses = sorted({info[4][0] for info in infos})
            shown = ", ".join(addresses[:3]) + ("…" if len(addresses) > 3 else "")
            findings.append(ok(AREA, "dns", f"{host} resolves to {shown}"))
        except (socket.gaierror, UnicodeError, OSError) as exc:
            detail = f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}"
            fix = ("check the base URL for typos (`bytespike status` shows it and where it comes from) "
                   "and your DNS / network connection")
            if via:  # the proxy resolves names itself; a local failure is expected on locked-down networks
                findings.append(warn(AREA, "dns", detail + " here (the proxy resolves it instead)"))
            else:
                findings.append(fail(AREA, "dns", detail, fix, ExitCode.NETWORK))

    from bytespike_cli.gateway import GatewayClient

    reachable = False
    try:
        with GatewayClient(resolved, timeout=15.0) as client:
            reply = client.ping()
        reachable = True
        how = "TLS verified, " if parts.scheme == "https" else ""
        text = (f"{url} answered in {reply.elapsed_ms:.0f} ms ({how}{reply.http_version})"
                + (f" via {safe_url(via[1])}" if via else ""))
        if reply.elapsed_ms > SLOW_MS:
            findings.append(warn(AREA, "connect-slow", f"{text} — slow (over {SLOW_MS / 1000:g} s): every request "
                                                       "from your tools will wait at least this long",
                                 f"the proxy may be slow: {no_proxy_fix(host, env)}" if via else
                                 "a slow network path or a busy gateway; retry later, or from another network"))
        else:
            findings.append(ok(AREA, "connect", text))
    except BytespikeError as exc:
        detail, fix = exc.message, exc.hint
        if via:
            detail = detail.replace(via[1], safe_url(via[1]))  # never show the proxy's password
            if "NO_PROXY" not in (fix or ""):
                fix = f"{fix}; if the proxy is the problem, bypass it: {no_proxy_fix(host, env)}"
        findings.append(fail(AREA, "connect", detail, fix, exc.exit_code))

    if not via:
        findings.extend(_clock(parts.scheme, host, port))
    return findings, reachable


def _clock(scheme: str, host: str, port: int) -> list[Finding]:
    """Compare this computer's clock with the gateway's Date header (only visible on a direct path)."""
    try:
        server_time = _server_date(scheme, host, port)
    except (OSError, ValueError):
        return []
    if server_time is None:
        return [skip(AREA, "clock", "the gateway sent no Date header: clock skew not visible")]
    skew = time.time() - server_time
    if abs(skew) <= SKEW_WARN_S:
        return [ok(AREA, "clock", f"clock within {max(1, round(abs(skew)))} s of the gateway's")]
    direction = "ahead of" if skew > 0 else "behind"
    minutes = abs(skew) / 60
    span = f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"
    return [warn(AREA, "clock",
                 f"this computer's clock is {span} {direction} the gateway's: TLS certificate checks can fail "
                 "and rate-limit reset times will look wrong",
                 "turn on automatic time sync (Linux: `sudo timedatectl set-ntp true`; macOS/Windows: "
                 "Date & Time settings → set automatically)")]


def _server_date(scheme: str, host: str, port: int, timeout: float = 5.0) -> float | None:
    raw = socket.create_connection((host, port), timeout=timeout)
    try:
        sock = raw
        if scheme == "https":
            import ssl

            sock = ssl.create_default_context().wrap_socket(raw, server_hostname=host)
        sock.settimeout(timeout)
        sock.sendall(f"HEAD / HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bytespike-doctor\r\n"
                     "Connection: close\r\n\r\n".encode("ascii"))
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    finally:
        raw.close()
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"date":
            parsed = email.utils.parsedate_to_datetime(value.strip().decode("latin-1"))
            return parsed.timestamp()
    return None
