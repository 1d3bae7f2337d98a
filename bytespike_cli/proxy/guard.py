"""Who may use the proxy: it spends the user's budget, so it is private by default.

- Bound to loopback, any local program may use it, but only by a loopback name with the port:
  a ``Host`` such as ``evil.example:8787`` is a DNS-rebinding page reaching us through the
  browser, and is refused.
- A browser ``Origin`` must be loopback or explicitly allowed; browser requests that carry no
  Origin but say ``Sec-Fetch-Site: cross-site`` (an ``<img>`` or ``<script>`` from another site)
  are refused too. Programs that are not browsers send neither header.
- Bound to anything else (``--host 0.0.0.0``), a token is required and every client presents it
  in the place its SDK puts an API key; the Host check is then left to the token, because LAN
  clients reach the proxy by whatever name or address they know it by.
"""

from __future__ import annotations

import hmac
import ipaddress
import socket
from urllib.parse import urlsplit

from bytespike_cli.proxy.refusals import Refusal

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that only ever mean this machine."""
    name = host.strip().lower().strip("[]").rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _local_addresses() -> set[str]:
    found = {"0.0.0.0", "::"}
    try:
        for info in socket.getaddrinfo(socket.gethostname(), None):
            found.add(str(info[4][0]))
    except OSError:
        pass
    return found


def upstream_is_self(upstream_host: str, upstream_port: int, bind_host: str, bind_port: int) -> bool:
    """Would forwarding to the upstream reach this very proxy (an endless loop)?"""
    if bind_port == 0 or upstream_port != bind_port:
        return False
    host = upstream_host.strip().lower().strip("[]")
    bind = bind_host.strip().lower().strip("[]")
    if host == bind or (is_loopback_host(host) and (is_loopback_host(bind) or bind in ("0.0.0.0", "::"))):
        return True
    return bind in ("0.0.0.0", "::") and host in _local_addresses()


class Guard:
    def __init__(self, *, port: int, bind_host: str, token: str | None = None,
                 allowed_origins: tuple[str, ...] = ()) -> None:
        self.check_host = is_loopback_host(bind_host)
        self.token = token.encode() if token else None
        self.port = port
        self.allowed_hosts = frozenset(self._host_values(port, bind_host))
        self.allowed_origins = frozenset(o.strip().rstrip("/").lower().encode() for o in allowed_origins if o.strip())
        self._origin_cache: dict[bytes, bool] = {}

    @staticmethod
    def _host_values(port: int, bind_host: str) -> list[bytes]:
        names = set(LOOPBACK_NAMES)
        names.add(bind_host.lower() if ":" not in bind_host else f"[{bind_host.strip('[]').lower()}]")
        values = [f"{name}:{port}".encode() for name in names]
        if port == 80:
            values += [name.encode() for name in names]
        return values

    def set_port(self, port: int, bind_host: str) -> None:
        """The real port once bound (``--port 0`` picks one)."""
        self.port = port
        self.allowed_hosts = frozenset(self._host_values(port, bind_host))

    def refuse(self, host: bytes | None, origin: bytes | None, fetch_site: bytes | None) -> Refusal | None:
        """Host and Origin checks; ``None`` means go ahead."""
        if self.check_host and (host is None or host.lower() not in self.allowed_hosts):
            shown = host.decode("latin-1")[:100] if host else "(none)"
            return Refusal(
                403, "host_not_allowed",
                f"bytespike proxy: Host '{shown}' is not this proxy's loopback address; use "
                f"http://127.0.0.1:{self.port} (requests under other names are refused to stop DNS rebinding)",
            )
        if origin is not None:
            if not self.origin_allowed(origin):
                return Refusal(
                    403, "origin_not_allowed",
                    f"bytespike proxy: browser Origin '{origin.decode('latin-1')[:100]}' is not allowed: a web page "
                    "must not spend your budget (allow a trusted page with --allow-origin URL)",
                )
        elif fetch_site is not None and fetch_site.lower() in (b"cross-site", b"same-site"):
            return Refusal(403, "origin_not_allowed",
                           "bytespike proxy: a cross-site browser request without an Origin is not allowed")
        return None

    def origin_allowed(self, origin: bytes) -> bool:
        cached = self._origin_cache.get(origin)
        if cached is None:
            cached = self._judge_origin(origin)
            if len(self._origin_cache) < 256:
                self._origin_cache[origin] = cached
        return cached

    def _judge_origin(self, origin: bytes) -> bool:
        value = origin.strip().rstrip(b"/").lower()
        if value in self.allowed_origins:
            return True
        if value == b"null":  # sandboxed iframes and file:// pages
            return False
        try:
            parts = urlsplit(value.decode("latin-1"))
        except ValueError:
            return False
        return parts.scheme in ("http", "https") and parts.hostname is not None and is_loopback_host(parts.hostname)

    def token_ok(self, credentials: list[bytes]) -> bool:
        """The client's token, sent wherever its SDK sends an API key (Bearer, x-api-key, ?key=)."""
        token = self.token
        if token is None:
            return True
        for value in credentials:
            if value[:7].lower() == b"bearer ":
                value = value[7:].strip()
            if hmac.compare_digest(value, token):
                return True
        return False
