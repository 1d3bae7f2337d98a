"""Judge one tool's effective settings, then try them: one free ``/v1/models`` with exactly the URL
and key the tool will use, and (only when asked) one tiny billed request on the tool's own wire.

Keys are only ever sent to the ByteSpike gateway (or to a loopback address, such as a local
``bytespike proxy``): a tool that points elsewhere is reported, never probed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import Callable
from urllib.parse import urlsplit

from bytespike_cli.doctor.effective import ANTHROPIC, GEMINI, Context, Effective, winner
from bytespike_cli.doctor.findings import Finding, fail, info, ok, skip, warn
from bytespike_cli.errors import BytespikeError, ExitCode
from bytespike_cli.redact import KEY_PREFIX, mask_key

SLOW_FIRST_ANSWER_MS = 2000  # answers slower than this are marked ! with the likely cause
_WIRE_NAME = {"anthropic": "Anthropic Messages", "openai": "OpenAI Chat Completions", "responses": "OpenAI Responses",
              "gemini": "Gemini generateContent"}
_ROOT_WIRES = (ANTHROPIC, GEMINI)  # base URL = the gateway root: the tool adds /v1/messages or /v1beta itself


def is_loopback(url: str | None) -> bool:
    host = (urlsplit(url or "").hostname or "").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ProbeCache:
    """One ``/v1/models`` per (URL, key), however many tools share them."""

    def __init__(self) -> None:
        self.results: dict[tuple[str, str], tuple[list | None, BytespikeError | None]] = {}


def trusted(ctx: Context, url: str | None) -> bool:
    """May a key be sent to ``url``? Only to a configured ByteSpike gateway origin or to loopback."""
    return ctx.is_gateway(url) or is_loopback(url)


def assess(eff: Effective, ctx: Context, *, chat: bool, cache: ProbeCache) -> list[Finding]:
    area = eff.tool
    base = eff.base_url
    if base is None:
        out = list(eff.findings)
        if not out:
            out.append(warn(area, "not-setup", f"{eff.label} is not set up for ByteSpike",
                            f"run {eff.setup}" if eff.setup else None))
        return out
    if not trusted(ctx, base):
        return [_elsewhere(eff, ctx, base), *eff.findings]  # reported, never probed

    out = [info(area, "effective", _effective_text(eff, ctx, base)), *eff.findings]
    wire = eff.protocol
    if wire == ANTHROPIC and base.endswith("/v1"):
        out.append(fail(area, "base-path", f"{eff.label}'s base URL {base} ({eff.base_source}) ends in /v1, but "
                                           f"{eff.label} adds /v1/messages itself: it would call {base}/v1/messages",
                        f"use {base[:-3]} (the gateway root)", ExitCode.CONFIG))
        return out
    if wire == GEMINI and base.endswith(("/v1", "/v1beta")):
        root_url = base.rsplit("/", 1)[0]
        out.append(fail(area, "base-path", f"{eff.label}'s base URL {base} ({eff.base_source}) is not the gateway root: "
                                           f"{eff.label} adds /v1beta itself and would call {base}/v1beta/models/…",
                        f"use {root_url} (the gateway root)", ExitCode.CONFIG))
        return out
    if wire not in _ROOT_WIRES and not base.endswith("/v1"):
        out.append(fail(area, "base-path", f"{eff.label}'s base URL {base} ({eff.base_source}) has no /v1: it "
                                           f"would call {base}/chat/completions, which the gateway does not serve",
                        f"use {base}/v1", ExitCode.CONFIG))
        return out

    if eff.key is None:
        if not any(f.status == "fail" for f in out):
            out.append(skip(area, "key-unknown", f"the key {eff.label} sends cannot be checked: {eff.key_unknown}"))
        return out
    if not eff.key.startswith(KEY_PREFIX) and (ctx.is_gateway(base) or not is_loopback(base)):
        out.append(fail(area, "key-format",
                        f"the key {eff.label} sends ({mask_key(eff.key)}, from {eff.key_source}) is not a ByteSpike "
                        "key: the gateway will answer 401",
                        eff.key_remove or (f"run {eff.setup}" if eff.setup else None), ExitCode.AUTH))
        return out

    root = base if wire in _ROOT_WIRES else base[:-3]
    catalogue, error = _models(ctx, root, eff.key, cache)
    url = f"{base}/models" if wire not in _ROOT_WIRES else f"{base}/v1/models"
    if error is not None:
        out.append(fail(area, "probe", f"GET {url} with {eff.label}'s key ({mask_key(eff.key)}): {error.message}",
                        error.hint, error.exit_code))
        return out
    assert catalogue is not None
    if not catalogue:
        out.append(fail(area, "probe", f"GET {url}: the key works but its group lists no models",
                        "ask your admin to grant the key a model group, or use a key from another group",
                        ExitCode.PERMISSION))
        return out
    out.append(ok(area, "probe", f"GET {url}: key accepted, {len(catalogue)} models"))
    out.extend(_model_findings(eff, catalogue, lambda: _other_catalogues(ctx, cache, skip_key=eff.key)))
    if chat:
        out.extend(_chat(eff, ctx, root, catalogue))
    return out


def _shown(text: str, ctx: Context) -> str:
    home = str(ctx.home).rstrip("/\\")
    return text.replace(home + "/", "~/").replace(home + "\\", "~\\") if home else text


def _effective_text(eff: Effective, ctx: Context, base: str) -> str:
    """What the tool uses, one setting a line (the CLI indents and wraps them)."""
    lines = [f"{eff.label} uses", f"base URL  {base} ({eff.base_source})"]
    if eff.key is not None:
        lines.append(f"key       {mask_key(eff.key)} ({eff.key_source})")
    else:
        lines.append(f"key       unknown ({eff.key_unknown})" if eff.key_unknown else "key       unknown")
    models = eff.models[:3]
    if models:
        lines += [f"model     {m} ({src})" for m, src in models]
    else:
        lines.append("model     the tool's default")
    return _shown("\n".join(lines), ctx)


def _elsewhere(eff: Effective, ctx: Context, base: str) -> Finding:
    """The tool calls a host that is not a configured ByteSpike gateway: say so, never send a key there."""
    area = eff.tool
    chosen = winner(eff.base)
    shadowed = next((c for c in eff.base if c is not chosen and c.value and ctx.is_gateway(str(c.value))), None)
    leaks = bool(eff.key and eff.key.startswith(KEY_PREFIX))
    leak_text = f"; it would send your ByteSpike key ({mask_key(eff.key or '')}) there" if leaks else ""
    if chosen is not None and shadowed is not None:
        return fail(area, "url-shadowed",
                    _shown(f"{eff.label} calls {base}, not ByteSpike: {chosen.source} wins over the ByteSpike URL "
                           f"from {shadowed.source}{leak_text}", ctx),
                    _shown(chosen.remove, ctx), ExitCode.FAILURE)
    if leaks:
        return fail(area, "not-bytespike",
                    _shown(f"{eff.label} calls {base} ({eff.base_source}), not ByteSpike{leak_text}", ctx),
                    _shown(chosen.remove if chosen is not None and chosen.remove else
                           (f"run {eff.setup}" if eff.setup else "point it at the gateway"), ctx),
                    ExitCode.FAILURE)
    return warn(area, "not-bytespike", _shown(f"{eff.label} calls {base} ({eff.base_source}), not ByteSpike", ctx),
                f"run {eff.setup}" if eff.setup else None)


def _other_catalogues(ctx: Context, cache: ProbeCache, *, skip_key: str | None) -> dict[str, str]:
    """model id -> the bytespike profile whose key can use it, from the other profiles' /v1/models."""
    from bytespike_cli import config

    try:
        profiles = config.profiles(config.load())
    except Exception:  # a broken config.toml is reported elsewhere
        profiles = {}
    found: dict[str, str] = {}
    for name in sorted(set(profiles) | {ctx.resolved.profile}):
        key, _where = ctx.profile_key(name)
        if name == ctx.resolved.profile:
            root = ctx.resolved.base_url
        else:
            raw = profiles.get(name, {}).get("base_url") or config.DEFAULT_BASE_URL
            root = config.normalize_base_url(str(raw))
        if not key or key == skip_key or not ctx.is_gateway(root):
            continue
        models, _error = _models(ctx, root.rstrip("/"), key, cache)
        for model in models or ():
            found.setdefault(model.id, name)
    return found


def _client(ctx: Context, root: str, key: str):
    from bytespike_cli.gateway import GatewayClient

    return GatewayClient(dataclasses.replace(ctx.resolved, base_url=root, key=key), timeout=20.0, key=key)


def _models(ctx: Context, root: str, key: str, cache: ProbeCache):
    slot = (root, key)
    if slot not in cache.results:
        try:
            with _client(ctx, root, key) as client:
                models, _reply = client.list_models()
            cache.results[slot] = (models, None)
        except BytespikeError as exc:
            cache.results[slot] = (None, exc)
    return cache.results[slot]


def model_id(eff: Effective, model: str) -> str:
    if eff.strip_model_prefix and model.startswith(eff.strip_model_prefix):
        return model[len(eff.strip_model_prefix):]
    return model


_FAST_SLOT = re.compile(r"haiku|small_fast|weak|fast", re.I)


def _family(model_id: str) -> str:
    return re.split(r"[-_.:/]", model_id.lower(), maxsplit=1)[0]


def _model_findings(eff: Effective, catalogue: list, others: Callable[[], dict[str, str]]) -> list[Finding]:
    from bytespike_cli.gateway import default_models

    by_id = {m.id: m for m in catalogue}
    out: list[Finding] = []
    seen: set[str] = set()
    elsewhere: dict[str, str] | None = None
    for raw, source in eff.models:
        wanted = model_id(eff, raw)
        if wanted in seen:
            continue
        seen.add(wanted)
        model = by_id.get(wanted)
        if model is None:
            if elsewhere is None:
                elsewhere = others()
            out.append(_missing_model(eff, wanted, source, catalogue, elsewhere, default_models(catalogue)))
            continue
        protocol = eff.model_protocols.get(wanted, eff.protocol)  # opencode: a per-model AI SDK package
        wire = protocol if protocol in (ANTHROPIC, GEMINI) else "openai"
        if wire not in model.native_protocols:
            native = [m.id for m in catalogue if wire in m.native_protocols and "tool_use" in m.capabilities]
            example = f" (e.g. {native[0]})" if native else ""
            out.append(warn(eff.tool, "translated-model",
                            f"model '{wanted}' speaks {', '.join(model.native_protocols)} natively; {eff.label} talks "
                            f"{_WIRE_NAME[protocol]}, so the gateway translates: tool calls can come back as "
                            "malformed JSON and some features are lost",
                            f"if tool calls fail, use a model native to {_WIRE_NAME[protocol]}{example}"))
        else:
            out.append(ok(eff.tool, "model", f"model '{wanted}' ({source}) is in the key's catalogue"))
    return out


def _missing_model(eff: Effective, wanted: str, source: str, catalogue: list, elsewhere: dict[str, str],
                   defaults: tuple) -> Finding:
    """A configured model the key cannot use: outside the key's group, or no ByteSpike id at all."""
    from bytespike_cli.gateway import closest_model_ids

    chat, fast = defaults
    near = closest_model_ids(wanted, catalogue)
    same_role = (fast or chat) if _FAST_SLOT.search(source) else chat
    suggestion = (f"did you mean {', '.join(near)}? set it in {source}" if near else
                  f"use {same_role.id} (this key's {'fast' if same_role is fast else 'chat'} model) in {source}")
    count = len(catalogue)
    families = sorted({_family(m.id) for m in catalogue})
    where = f"'{wanted}' ({source})"
    if wanted in elsewhere:
        profile = elsewhere[wanted]
        return fail(eff.tool, "model-not-in-group",
                    f"model {where} exists on ByteSpike (profile '{profile}''s key can use it) but is not in this "
                    f"key's group: the gateway refuses it",
                    f"{suggestion}, or use profile '{profile}''s key (`bytespike print-key --profile {profile}`)",
                    ExitCode.PERMISSION)
    if not near and _family(wanted) not in families:
        return fail(eff.tool, "model-not-in-group",
                    f"model {where} is not in this key's group: its {count} models are all "
                    f"{', '.join(families)} models (or it is not a ByteSpike id at all)",
                    f"{suggestion}, or use a key whose group includes it (groups are set per key at "
                    "https://console.bytespike.ai/keys)", ExitCode.PERMISSION)
    return fail(eff.tool, "model-missing",
                f"model {where} is not a ByteSpike id this key knows (not among its {count} models)",
                f"{suggestion}; `bytespike models` lists the ids", ExitCode.PERMISSION)


def _chat(eff: Effective, ctx: Context, root: str, catalogue: list) -> list[Finding]:
    from bytespike_cli.gateway import default_models

    ids = {m.id for m in catalogue}
    configured = [model_id(eff, m) for m, _ in eff.models if model_id(eff, m) in ids]
    target = configured[0] if configured else default_models(catalogue)[0].id
    from bytespike_cli.chat import stream

    # streamed, as the tool itself would ask: a proxy that buffers or a stream cut mid-answer shows here
    protocol = eff.model_protocols.get(target, eff.protocol)  # opencode: a per-model AI SDK package
    wire = protocol if protocol in ("anthropic", "openai", "responses", "gemini") else "openai"
    resolved = dataclasses.replace(ctx.resolved, base_url=root, key=eff.key)
    try:
        result = stream(resolved, wire, target, "ping", key=eff.key or "", root=root, max_tokens=1,
                        timeout=20.0)
    except BytespikeError as exc:
        return [fail(eff.tool, "chat", f"streamed {_WIRE_NAME[protocol]} request to '{target}': {exc.message}",
                     exc.hint, exc.exit_code)]
    timing = (f"first byte {result.ttfb_ms or 0:.0f} ms, first token "
              + (f"{result.ttft_ms:.0f} ms" if result.ttft_ms is not None else "none") + f", {result.bytes_received} bytes")
    if result.ttft_ms is not None and result.ttft_ms > SLOW_FIRST_ANSWER_MS:
        return [warn(eff.tool, "chat-slow",
                     f"'{target}' streamed its answer, but slowly ({timing}): the first request to a cold "
                     "model pays a start-up cost, and a buffering proxy delays every answer",
                     f"`bytespike warm {target}` before a session; if it is always slow, set NO_PROXY for the gateway")]
    return [ok(eff.tool, "chat", f"streamed {_WIRE_NAME[protocol]} request to '{target}': {timing} "
                                 "(billed, a fraction of a cent)")]
