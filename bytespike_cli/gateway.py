"""The only place that talks HTTP to the gateway: endpoints, quota headers, status → error mapping."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from bytespike_cli import __version__
from bytespike_cli.errors import (
    AuthError,
    BudgetError,
    BytespikeError,
    GatewayError,
    NetworkError,
    PermissionDenied,
    RateLimited,
)
from bytespike_cli.redact import redact
from bytespike_cli.settings import Resolved

CONSOLE = "https://console.bytespike.ai"
USER_AGENT = f"bytespike-cli/{__version__}"

# The catalogue says which family a model belongs to, not which protocol serves it natively
# (gateway-api.md §6): this table is the documented native protocol per family.
NATIVE_PROTOCOLS: dict[str, tuple[str, ...]] = {
    "claude": ("anthropic",),
    "gpt": ("openai",),
    "gemini": ("gemini",),
    "deepseek": ("anthropic", "openai"),
}
ALL_PROTOCOLS = ("anthropic", "openai", "gemini")
# Low-latency tiers are named that way across vendors (haiku, mini, flash, nano, lite).
_LOW_LATENCY = re.compile(r"(^|[-_.])(haiku|mini|flash|nano|lite)([-_.]|$)")


@dataclass(frozen=True)
class Model:
    id: str
    family: str
    owned_by: str = ""
    context_window: int | None = None
    max_output_tokens: int | None = None
    capabilities: tuple[str, ...] = ()
    input_modalities: tuple[str, ...] = ()
    native_protocols: tuple[str, ...] = ("openai",)
    low_latency: bool = False
    context_source: str | None = None  # where context_window came from (model_limits.limits)

    @property
    def translated_protocols(self) -> tuple[str, ...]:
        return tuple(p for p in ALL_PROTOCOLS if p not in self.native_protocols)

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> "Model":
        from bytespike_cli.model_limits import limits

        family = str(item.get("family") or item.get("owned_by") or "").lower()
        model_id = str(item["id"])
        context, output, source = limits(item)
        return cls(
            id=model_id,
            family=family,
            owned_by=str(item.get("owned_by") or ""),
            context_window=context,
            max_output_tokens=output,
            capabilities=tuple(str(c) for c in item.get("capabilities") or ()),
            input_modalities=tuple(str(c) for c in item.get("input_modalities") or ()),
            native_protocols=NATIVE_PROTOCOLS.get(family, ("openai",)),
            low_latency=bool(_LOW_LATENCY.search(model_id.lower())),
            context_source=source,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "family": self.family,
            "context_window": self.context_window,
            "max_output_tokens": self.max_output_tokens,
            "context_source": self.context_source,
            "capabilities": list(self.capabilities),
            "native_protocols": list(self.native_protocols),
            "translated_protocols": list(self.translated_protocols),
            "low_latency": self.low_latency,
        }


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _float_or_none(value: str | None) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Quota:
    """The gateway's quota headers (sent on every response, success or error)."""

    limit_usd: float | None = None
    remaining_usd: float | None = None
    reset_at: float | None = None  # Unix seconds
    key_remaining_usd: float | None = None
    org_remaining_usd: float | None = None

    @classmethod
    def from_headers(cls, headers: httpx.Headers | dict[str, str]) -> "Quota":
        get = headers.get
        return cls(
            limit_usd=_float_or_none(get("x-ratelimit-limit")),
            remaining_usd=_float_or_none(get("x-ratelimit-remaining")),
            reset_at=_float_or_none(get("x-ratelimit-reset")),
            key_remaining_usd=_float_or_none(get("x-quota-remaining-credits")),
            org_remaining_usd=_float_or_none(get("x-org-quota-remaining-credits")),
        )

    @property
    def present(self) -> bool:
        return any(v is not None for v in self.to_json().values())

    def to_json(self) -> dict[str, float | None]:
        return {
            "ratelimit_limit_usd": self.limit_usd,
            "ratelimit_remaining_usd": self.remaining_usd,
            "ratelimit_reset": self.reset_at,
            "key_remaining_usd": self.key_remaining_usd,
            "org_remaining_usd": self.org_remaining_usd,
        }


@dataclass(frozen=True)
class Account:
    username: str | None
    tier: str | None
    available_usd: float | None
    low_balance_threshold_usd: float | None
    low_balance_flagged: bool
    org_name: str | None
    allowed_models: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> "Account":
        user = data.get("user") or {}
        balance = data.get("balance") or {}
        org = data.get("org") or {}
        return cls(
            username=user.get("username"),
            tier=user.get("tier"),
            available_usd=balance.get("available_usd"),
            low_balance_threshold_usd=balance.get("low_balance_threshold_usd"),
            low_balance_flagged=bool(balance.get("low_balance_flagged")),
            org_name=org.get("name") if isinstance(org, dict) else None,
            allowed_models=tuple(m.get("id") for m in data.get("allowed_models") or () if isinstance(m, dict)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "tier": self.tier,
            "available_usd": self.available_usd,
            "low_balance_threshold_usd": self.low_balance_threshold_usd,
            "low_balance_flagged": self.low_balance_flagged,
            "org": self.org_name,
        }


@dataclass(frozen=True)
class Reply:
    """A successful answer: its JSON, quota headers and how long it took."""

    data: Any
    quota: Quota
    status: int
    elapsed_ms: float
    http_version: str = ""


@dataclass(frozen=True)
class ErrorDetail:
    type: str = ""
    code: str = ""
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


_CODE_PREFIX = re.compile(r"^([a-z][a-z0-9_]+):\s")


def parse_error_body(body: bytes | str) -> ErrorDetail:
    """Read an error in any of the three envelopes (OpenAI, Anthropic, Google).

    The specific condition (``model_not_in_group``, ``quota_exceeded``…) sits in a different place
    in each: OpenAI's ``code``; Google's ErrorInfo ``reason`` (its ``code`` is the HTTP status);
    Anthropic has no code field, so the gateway leads the message with it.
    """
    try:
        data = json.loads(body)
    except (ValueError, TypeError):
        text = (body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body)).strip()
        if text.startswith("<") or "<html" in text[:200].lower():
            return ErrorDetail(message="the server answered with an HTML page, not a gateway error")
        return ErrorDetail(message=" ".join(text.split())[:160])
    err = data.get("error") if isinstance(data, dict) else None
    if not isinstance(err, dict):
        return ErrorDetail(message=str(data)[:200])
    message = str(err.get("message") or "")
    code = err.get("code")
    code = str(code) if isinstance(code, str) else ""
    if not code:
        for detail in err.get("details") or ():
            if isinstance(detail, dict) and detail.get("reason"):
                code = str(detail["reason"]).lower()
                break
    if not code and (match := _CODE_PREFIX.match(message)):
        code = match.group(1)
    return ErrorDetail(type=str(err.get("type") or err.get("status") or ""), code=code, message=message)


def _reset_text(reset_at: float | None) -> str:
    if not reset_at:
        return "when the window resets"
    wait = max(0, int(reset_at - time.time()))
    day = "" if time.localtime(reset_at)[:3] == time.localtime()[:3] else time.strftime("%a ", time.localtime(reset_at))
    local = day + time.strftime("%H:%M", time.localtime(reset_at))
    return f"at {local} (in {span_text(wait)})"


def span_text(seconds: float) -> str:
    """A wait in words: 40 s, 12 min, 4 h, 4 h 30 min, 2 d."""
    seconds = max(0, int(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, rest = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h" + (f" {rest} min" if rest and hours < 10 else "")
    return f"{hours // 24} d"


def error_for_status(status: int, detail: ErrorDetail, quota: Quota, *, model: str | None = None) -> BytespikeError:
    """Map the gateway's error table (gateway-api.md §5.2) to a message, a hint and an exit code."""
    error = _error_for_status(status, detail, quota, model=model)
    error.status = status
    return error


def _error_for_status(status: int, detail: ErrorDetail, quota: Quota, *, model: str | None = None) -> BytespikeError:
    tag = (detail.code or detail.type).lower()
    text = detail.message.removeprefix(f"{detail.code}: ") if detail.code else detail.message
    said = f" ({status} {detail.code or detail.type}: {text})" if text else f" ({status})"
    what_model = f"model '{model}'" if model else "the model"
    if status == 401:
        return AuthError(
            f"the gateway rejected the key: it is wrong, revoked or expired{said}",
            f"create or rotate a key at {CONSOLE}/keys, then run `bytespike login`",
        )
    if status == 402:
        if "quota" in tag:
            return BudgetError(
                f"this key has used up its lifetime quota{said}",
                f"raise the key's quota at {CONSOLE}/keys (quota 0 = unlimited), or use another key",
            )
        return BudgetError(
            f"the wallet is empty: the balance cannot cover this request{said}",
            f"top up at {CONSOLE}/billing (credits land in about 30 s); a smaller max_tokens also needs less",
        )
    if status == 403:
        if "model" in tag or tag == "permission_denied" and "model" in detail.message.lower():
            return PermissionDenied(
                f"{what_model} is not in this key's group{said}",
                "pick a model from `bytespike models`, or use a key whose group includes it "
                f"(groups are set per key at {CONSOLE}/keys)",
            )
        if tag == "permission_error" or "org" in detail.message.lower():
            return PermissionDenied(
                f"the key's organisation is paused{said}",
                "ask your organisation's admin to resume it or to issue you another key",
            )
        return PermissionDenied(
            f"this machine's IP address is not allowed to use the key{said}",
            f"edit the key's IP allow/deny lists at {CONSOLE}/keys, or use the key from an allowed network",
        )
    if status == 429:
        if "concurrency" in tag:
            return RateLimited(
                f"too many requests at once for this account{said}",
                "wait 1–3 seconds and retry, or lower --concurrency",
                reset_at=quota.reset_at,
            )
        return RateLimited(
            f"the key's spend limit for this window is reached{said}",
            f"wait until it resets {_reset_text(quota.reset_at)}, or raise rate_limit_5h/1d/7d at {CONSOLE}/keys",
            reset_at=quota.reset_at,
        )
    if status in (400, 404) and (
        "model" in tag or tag in ("not_found_error", "not_found") and model is not None
    ):
        if "unsupported" in tag:
            return PermissionDenied(
                f"{what_model} is retired or not supported any more{said}",
                "run `bytespike models` for the current ids",
            )
        if "not_allowed" in tag or "group" in tag:
            return PermissionDenied(
                f"{what_model} is not allowed for this key's group{said}",
                "pick a model from `bytespike models`, or use a key whose group includes it",
            )
        return PermissionDenied(
            f"{what_model} does not exist on the gateway{said}",
            "run `bytespike models` for the ids your key can use (ids are dashed, e.g. gemini-3-1-pro)",
        )
    if status == 404:
        if not (detail.code or detail.type):  # no gateway error envelope: another server answered
            return GatewayError(
                f"the server does not look like a ByteSpike gateway: it answered 404 without a gateway error{said}",
                "check the base URL: it is the gateway root, e.g. https://llm.bytespike.ai (bytespike adds /v1)",
            )
        return GatewayError(
            f"the gateway has no such endpoint{said}",
            "check the base URL: it is the gateway root, e.g. https://llm.bytespike.ai (bytespike adds /v1)",
        )
    if status >= 500:
        return GatewayError(
            f"the gateway could not serve the request{said}",
            "retry in a moment (nothing was billed); if it persists, try another model" if model else
            "retry in a moment (nothing was billed); if it persists, the gateway itself is having trouble",
        )
    return GatewayError(f"the gateway refused the request{said}", "run with BYTESPIKE_DEBUG=1 for details")


_PROXY_VARS = {
    "https": ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"),
    "http": ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"),
}


def proxy_in_use(url: str) -> tuple[str, str] | None:
    """(variable, proxy URL) a request to ``url`` goes through (NO_PROXY honoured, as httpx does); None: direct."""
    import os
    import urllib.request
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    for name in _PROXY_VARS.get(parts.scheme, ()):
        value = os.environ.get(name, "").strip()
        if value:
            no_proxy = os.environ.get("NO_PROXY") or os.environ.get("no_proxy") or ""
            if no_proxy and urllib.request.proxy_bypass_environment(parts.hostname or "", {"no": no_proxy}):
                return None
            return name, value
    return None


def _proxy_env(url: str) -> str:
    found = proxy_in_use(url)
    return f"{found[0]}={without_credentials(found[1])}" if found else ""


def without_credentials(url: str) -> str:
    """A proxy URL with any ``user:password@`` replaced by ``***@``: it is printed in errors.

    httpx also accepts a proxy without a scheme (``user:secret@host:8080``); urlsplit would read
    ``user`` as the scheme there, so the credentials are found by the last ``@`` before the host.
    """
    from urllib.parse import urlsplit, urlunsplit

    text = url.strip()
    if "://" not in text:
        if "@" in text.split("/", 1)[0]:
            return "***@" + redact(text.split("/", 1)[0].rsplit("@", 1)[1])
        return redact(text)
    try:
        parts = urlsplit(text)
    except ValueError:
        return "(unparsable proxy URL)"
    if "@" not in parts.netloc:
        return redact(text)
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc="***@" + host))


def _waited(timeout_s: float | None) -> str:
    import os

    if timeout_s is None:
        return ""
    source = " (BYTESPIKE_TIMEOUT)" if os.environ.get("BYTESPIKE_TIMEOUT") else ""
    return f" after {timeout_s:g} s{source}"


def network_error(exc: httpx.HTTPError, url: str, *, timeout: httpx.Timeout | float | None = None) -> NetworkError:
    """One message and hint per way a connection fails: DNS, refused, TLS, proxy, timeout."""
    timeout_s = _seconds(timeout, exc)
    host = httpx.URL(url).host
    text = f"{exc} {exc.__cause__ or ''} {exc.__context__ or ''}"
    proxy = proxy_in_use(url)
    via = f" (through {proxy[0]}={without_credentials(proxy[1])})" if proxy else ""
    lowered = text.lower()
    if proxy and (isinstance(exc, (httpx.ProxyError, httpx.ConnectError, httpx.ConnectTimeout))
                  or "proxy" in lowered):
        # Through a proxy every connection is made to the proxy: a refusal or a DNS failure is the proxy's.
        name, value = proxy
        what = ("refused the connection" if "refused" in lowered else
                "timed out" if isinstance(exc, httpx.TimeoutException) else
                "cannot be resolved" if "name" in lowered and "resolv" in lowered or "getaddrinfo" in lowered else
                "failed")
        if isinstance(exc, httpx.ProxyError) and not any(w in lowered for w in ("refused", "resolv")):
            what = f"could not open the way to {host} ({exc})"
        error = NetworkError(
            f"the proxy {without_credentials(value)} (from {name}) {what}: {host} was never reached",
            f"start or fix the proxy, or bypass it for the gateway: export NO_PROXY={host} (or unset {name})",
        )
        error.proxy_failed = True  # type: ignore[attr-defined]  (the base URL is not to blame)
        return error
    if isinstance(exc, httpx.TimeoutException):
        phase = "connecting to" if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)) else "waiting for"
        return NetworkError(
            f"timed out{_waited(timeout_s)} {phase} {host}{via}",
            ("raise BYTESPIKE_TIMEOUT (seconds) or unset it; " if _waited(timeout_s).endswith("(BYTESPIKE_TIMEOUT)")
             else "") + "check your connection and retry; a buffering corporate proxy also causes this "
            f"(export NO_PROXY={host})",
        )
    if any(s in lowered for s in ("name or service not known", "nodename nor servname", "getaddrinfo failed",
                                  "temporary failure in name resolution", "no address associated", "name resolution")):
        return NetworkError(
            f"cannot resolve {host}: DNS lookup failed{via}",
            "check the base URL for typos (`bytespike status`) and your DNS / network connection",
        )
    if "certificate" in lowered or "ssl" in lowered or "tls" in lowered:
        return NetworkError(
            f"TLS handshake with {host} failed: {type(exc).__name__}{via}",
            "a corporate proxy may intercept TLS: point SSL_CERT_FILE at its CA bundle, or set NO_PROXY for the host",
        )
    if "refused" in lowered:
        return NetworkError(
            f"connection to {host} refused{via}",
            "nothing listens at that address: check the base URL and port (`bytespike status`)",
        )
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return NetworkError(
            f"{host} closed the connection before answering{via}",
            "retry; if it keeps happening, check the base URL and any proxy in between",
        )
    return NetworkError(f"cannot reach {host}: {type(exc).__name__}{via}", "check your network connection and retry")


def with_sources(exc: BytespikeError, resolved: Resolved) -> BytespikeError:
    """Name the environment variable behind the value that failed, so the hint fixes the right thing.

    Without this, a bad ``BYTESPIKE_API_KEY`` says "run bytespike login" — which saves a key the
    variable still outranks.
    """
    if exc.status == 401 and resolved.key_source.startswith("env "):
        exc.message += " — this key comes from the BYTESPIKE_API_KEY environment variable"
        from bytespike_cli import credentials
        from bytespike_cli.redact import mask_key

        try:
            saved = credentials.load_key(resolved.profile)
        except BytespikeError:
            saved = None
        if saved and saved != resolved.key:
            exc.hint = (f"unset BYTESPIKE_API_KEY to use the key saved for profile '{resolved.profile}' "
                        f"({mask_key(saved)}), or export a working key (create or rotate a key at {CONSOLE}/keys)")
        else:
            exc.hint = (f"export a working key in BYTESPIKE_API_KEY (create or rotate a key at {CONSOLE}/keys), or "
                        "unset BYTESPIKE_API_KEY and run `bytespike login` — a saved key is used only without it")
    elif resolved.base_url_source.startswith("env ") and not getattr(exc, "proxy_failed", False) and (
            isinstance(exc, NetworkError) or exc.status == 404 or
            isinstance(exc, GatewayError) and "did not answer like" in exc.message):
        exc.message += f" — the base URL {resolved.base_url} comes from BYTESPIKE_BASE_URL"
        exc.hint = f"{exc.hint}; or fix/unset BYTESPIKE_BASE_URL" if exc.hint else "fix or unset BYTESPIKE_BASE_URL"
    return exc


DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=30.0, pool=10.0)


def timeout_from_env(default: httpx.Timeout | float) -> httpx.Timeout | float:
    """``BYTESPIKE_TIMEOUT=SECONDS`` caps every wait (slow links, scripts that must not hang)."""
    seconds = timeout_seconds_from_env()
    return httpx.Timeout(seconds) if seconds is not None else default


def timeout_seconds_from_env() -> float | None:
    import math
    import os

    from bytespike_cli.errors import UsageError

    value = os.environ.get("BYTESPIKE_TIMEOUT", "").strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not math.isfinite(seconds) or seconds <= 0:
        raise UsageError(f"BYTESPIKE_TIMEOUT={value!r} is not a number of seconds",
                         "export BYTESPIKE_TIMEOUT=30 (seconds), or unset BYTESPIKE_TIMEOUT for the defaults")
    return seconds


def _seconds(timeout: httpx.Timeout | float | None, exc: httpx.HTTPError) -> float | None:
    """How long the failed phase was allowed to take."""
    if timeout is None or isinstance(timeout, (int, float)):
        return timeout
    if isinstance(exc, httpx.ConnectTimeout):
        return timeout.connect
    if isinstance(exc, httpx.WriteTimeout):
        return timeout.write
    if isinstance(exc, httpx.PoolTimeout):
        return timeout.pool
    return timeout.read


class GatewayClient:
    """A thin synchronous client. One per command; closed with ``with``."""

    def __init__(self, resolved: Resolved, *, timeout: httpx.Timeout | float = DEFAULT_TIMEOUT, key: str | None = None):
        from bytespike_cli.settings import check_transport

        check_transport(resolved.base_url, resolved.base_url_source)
        self.resolved = resolved
        self.key = key if key is not None else resolved.key
        self.timeout = timeout_from_env(timeout)
        self._client = httpx.Client(
            base_url=resolved.base_url,
            timeout=self.timeout,
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    def __enter__(self) -> "GatewayClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _network_error(self, exc: httpx.HTTPError) -> NetworkError:
        error = network_error(exc, self.resolved.base_url, timeout=self.timeout)
        return with_sources(error, self.resolved)  # type: ignore[return-value]

    def _auth(self) -> dict[str, str]:
        if not self.key:
            self.resolved.require_key()
        return {"Authorization": f"Bearer {self.key}"}

    def request(self, method: str, path: str, *, model: str | None = None, **kwargs: Any) -> Reply:
        headers = {**self._auth(), **kwargs.pop("headers", {})}
        started = time.perf_counter()
        try:
            response = self._client.request(method, path, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            raise self._network_error(exc) from None
        elapsed = (time.perf_counter() - started) * 1000
        quota = Quota.from_headers(response.headers)
        if response.status_code >= 400:
            error = error_for_status(response.status_code, parse_error_body(response.content), quota, model=model)
            raise with_sources(error, self.resolved) from None
        try:
            data = response.json()
        except ValueError:
            raise with_sources(GatewayError(
                f"{self.resolved.base_url}{path} did not answer like a ByteSpike gateway (no JSON)",
                "check the base URL: it is the gateway root, e.g. https://llm.bytespike.ai",
                status=response.status_code,
            ), self.resolved) from None
        return Reply(data, quota, response.status_code, elapsed, response.http_version)

    def ping(self) -> Reply:
        """Reach the host without credentials: any HTTP answer proves DNS, TCP, TLS and proxy work."""
        started = time.perf_counter()
        try:
            response = self._client.get("/", headers={"Accept": "*/*"})
        except httpx.HTTPError as exc:
            raise self._network_error(exc) from None
        return Reply(None, Quota.from_headers(response.headers), response.status_code,
                     (time.perf_counter() - started) * 1000, response.http_version)

    def list_models(self, family: str | None = None, capability: list[str] | tuple[str, ...] | None = None):
        params: list[tuple[str, str]] = []
        if family:
            params.append(("family", family))
        for cap in capability or ():
            params.append(("capability", cap))
        reply = self.request("GET", "/v1/models", params=params)
        items = reply.data.get("data") if isinstance(reply.data, dict) else None
        if not isinstance(items, list):
            raise GatewayError("the model list from the gateway is not in the expected shape",
                               "check the base URL: it is the gateway root, e.g. https://llm.bytespike.ai")
        models = [Model.from_api(item) for item in items if isinstance(item, dict) and item.get("id")]
        # Filter client-side too: an older gateway may ignore the query parameters.
        if family:
            models = [m for m in models if m.family == family.lower() or m.owned_by == family.lower()]
        for cap in capability or ():
            models = [m for m in models if cap in m.capabilities]
        return models, reply

    def account(self) -> tuple[Account, Reply]:
        """The account and balance. Raises; see :func:`account_not_offered` for the benign failures."""
        reply = self.request("GET", "/api/v1/me/account")
        return Account.from_api(reply.data if isinstance(reply.data, dict) else {}), reply

    def chat_probe(self, model: str) -> Reply:
        """One billed, tiny chat completion, the way editors' "Verify" buttons check a key."""
        body = {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1, "stream": False}
        return self.request("POST", "/v1/chat/completions", json=body, model=model)


def account_not_offered(error: BytespikeError) -> bool:
    """True when /api/v1/me/* is missing or closed to this key although the key itself works.

    Call it only after a key-checking call (``/v1/models``) succeeded: then a 403, 404, 405, 501 or a
    non-JSON answer from the account endpoint says "not offered here", not "your key is bad".
    """
    return isinstance(error, (GatewayError, PermissionDenied)) and (
        error.status in (403, 404, 405, 501) or (error.status is not None and error.status < 400)
    )


def default_models(models: list[Model], prefer_family: str | None = None) -> tuple[Model, Model | None]:
    """A sensible chat model and a fast model from the live catalogue (never a hard-coded id).

    Chat: a tool-using, streaming model that is not a low-latency tier; the "sonnet"/general tier of the
    preferred family first. Fast: a low-latency tool-using model, same family first.
    """
    if not models:
        raise GatewayError("the gateway lists no models for this key",
                           "the key's group has no models: ask your admin to grant a group, or use another key")
    families = [prefer_family] if prefer_family else []
    families += ["claude", "gpt", "gemini", "deepseek"]

    def rank(model: Model) -> tuple[int, int, int]:
        family_rank = families.index(model.family) if model.family in families else len(families)
        capable = 0 if {"tool_use", "streaming"} <= set(model.capabilities) else 1
        return (family_rank, capable, 0 if "sonnet" in model.id else 1)

    text_models = [m for m in models if "text" in m.capabilities or not m.capabilities] or models
    chat_pool = [m for m in text_models if not m.low_latency] or text_models
    chat = min(chat_pool, key=rank)
    fast_pool = [m for m in text_models if m.low_latency and m.id != chat.id]
    fast = min(fast_pool, key=lambda m: (m.family != chat.family, rank(m))) if fast_pool else None
    return chat, fast


def closest_model_ids(wanted: str, models: list[Model], n: int = 3) -> list[str]:
    import difflib

    return difflib.get_close_matches(wanted, [m.id for m in models], n=n, cutoff=0.5)
