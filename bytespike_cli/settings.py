"""Which profile, base URL and key a command uses, and where each came from.

Lookup order (documented in README.md):
- profile:  --profile  >  $BYTESPIKE_PROFILE  >  config.toml active_profile  >  "default"
- base URL: --base-url >  $BYTESPIKE_BASE_URL >  the profile's base_url      >  https://llm.bytespike.ai
- key:      $BYTESPIKE_API_KEY  >  the profile's key file
An explicit ``--profile`` is a stronger statement than the environment: that profile's stored key
and base URL win over the variables (which then only fill in what the profile lacks). Otherwise
``export BYTESPIKE_API_KEY=…`` for Zed would silently hijack every tool set up for another profile
(their credential helpers run ``bytespike print-key --profile P``).
Offline mode (--offline, $BYTESPIKE_OFFLINE=1, or ``offline = true`` in the profile) replaces the
base URL and key with the built-in offline gateway's.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

from bytespike_cli import config, credentials, paths
from bytespike_cli.errors import AuthError

OFFLINE_SOURCE = "built-in offline gateway"


@dataclass(frozen=True)
class Resolved:
    profile: str
    profile_source: str
    base_url: str  # the gateway root, e.g. https://llm.bytespike.ai (no /v1)
    base_url_source: str
    key: str | None
    key_source: str
    offline: bool = False
    known_profiles: tuple[str, ...] = ()

    @property
    def openai_base(self) -> str:
        return self.base_url + "/v1"

    @property
    def anthropic_base(self) -> str:
        return self.base_url

    @property
    def gemini_base(self) -> str:
        return self.base_url + "/v1beta"

    def require_key(self) -> str:
        if self.key:
            return self.key
        if self.profile_source == "--profile" and self.profile not in self.known_profiles:
            import difflib

            listing = ", ".join(self.known_profiles) or "none yet"
            near = difflib.get_close_matches(self.profile, list(self.known_profiles), n=1)
            raise AuthError(
                f"there is no profile '{self.profile}' (profiles: {listing})",
                (f"did you mean --profile {near[0]}? " if near else "")
                + f"create it with `bytespike login --profile {self.profile}`, or pick one from `bytespike profiles`",
            )
        raise AuthError(
            f"no ByteSpike key for profile '{self.profile}'",
            "run `bytespike login`, set BYTESPIKE_API_KEY, or try everything offline with `bytespike --offline …`",
        )


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _from_env(name: str, check):
    """``check(os.environ[name])``; a bad value's error names the variable it came from."""
    from bytespike_cli.errors import UsageError

    try:
        return check(os.environ[name])
    except UsageError as exc:
        raise UsageError(f"{exc.message} (from the environment variable {name})",
                         f"fix it, or `unset {name}`; {exc.hint}" if exc.hint else f"fix it, or `unset {name}`") from None


def resolve(profile: str | None = None, *, offline: bool = False, base_url: str | None = None) -> Resolved:
    doc = config.load()
    if profile:
        name, profile_source = config.check_profile_name(profile), "--profile"
    elif os.environ.get("BYTESPIKE_PROFILE"):
        name, profile_source = _from_env("BYTESPIKE_PROFILE", config.check_profile_name), "env BYTESPIKE_PROFILE"
    elif config.active_profile(doc):
        name, profile_source = config.active_profile(doc), f"active profile in {paths.config_file()}"
    else:
        name, profile_source = config.DEFAULT_PROFILE, "default"
    known = config.profiles(doc)
    stored = known.get(name, {})

    if offline or _env_flag("BYTESPIKE_OFFLINE") or bool(stored.get("offline")):
        from bytespike_cli.fakegateway import DEMO_KEY

        return Resolved(name, profile_source, offline_gateway_url(), OFFLINE_SOURCE, DEMO_KEY, OFFLINE_SOURCE, True,
                        tuple(known))

    explicit = bool(profile)
    if base_url:
        url, url_source = config.normalize_base_url(base_url), "--base-url"
    elif explicit and stored.get("base_url"):
        url, url_source = config.normalize_base_url(str(stored["base_url"])), f"profile '{name}'"
    elif os.environ.get("BYTESPIKE_BASE_URL"):
        url, url_source = _from_env("BYTESPIKE_BASE_URL", config.normalize_base_url), "env BYTESPIKE_BASE_URL"
    elif stored.get("base_url"):
        url, url_source = config.normalize_base_url(str(stored["base_url"])), f"profile '{name}'"
    else:
        url, url_source = config.DEFAULT_BASE_URL, "default"

    env_key = (os.environ.get("BYTESPIKE_API_KEY") or "").strip()
    stored_key = credentials.load_key(name)
    if stored_key and (explicit or not env_key):
        key, key_source = stored_key, f"key file {paths.key_file(name)}"
    elif env_key:
        key, key_source = credentials.clean_key(env_key), "env BYTESPIKE_API_KEY"
    else:
        key, key_source = None, "none"
    return Resolved(name, profile_source, url, url_source, key, key_source, False, tuple(known))


_allow_plain_http = False


def allow_plain_http(value: bool = True) -> None:
    """``--insecure`` / ``BYTESPIKE_INSECURE=1``: allow sending the key over http:// to another host."""
    global _allow_plain_http
    _allow_plain_http = value


def _is_loopback_host(host: str) -> bool:
    import ipaddress

    if host.lower() in ("localhost", "localhost.") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(base_url: str, source: str = "") -> None:
    """Refuse plain http:// to a host that is not this computer: the key would cross the network in clear text."""
    from urllib.parse import urlsplit

    from bytespike_cli.errors import UsageError

    parts = urlsplit(base_url)
    if parts.scheme != "http" or _is_loopback_host(parts.hostname or "") or _allow_plain_http \
            or _env_flag("BYTESPIKE_INSECURE"):
        return
    where = f" (from {source})" if source and source not in ("--base-url", "login") else ""
    raise UsageError(
        f"refusing to send the key in clear text to {base_url}{where}: plain http:// to another host "
        "can be read by anyone on the network path",
        f"use https://{parts.netloc}{parts.path}, or add --insecure (e.g. `bytespike --insecure verify`, "
        "or BYTESPIKE_INSECURE=1) if the network is trusted",
    )


_offline_lock = threading.Lock()
_offline_gateway = None


def offline_gateway_url() -> str:
    """Start the built-in offline gateway once per process (a daemon thread) and return its root URL."""
    global _offline_gateway
    with _offline_lock:
        if _offline_gateway is None:
            from bytespike_cli.fakegateway import FakeGateway

            _offline_gateway = FakeGateway(record_requests=False).start()
        return _offline_gateway.base_url
