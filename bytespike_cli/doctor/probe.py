"""Judge one tool's effective settings, then try them: one free ``/v1/models`` with exactly the URL
and key the tool will use, and (only when asked) one tiny billed request on the tool's own wire.

Keys are only ever sent to the ByteSpike gateway (or to a loopback address, such as a local
``bytespike proxy``): a tool that points elsewhere is reported, never probed.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from urllib.parse import urlsplit

from bytespike_cli.doctor.effective.common import ANTHROPIC, Context, Effective, winner
from bytespike_cli.doctor.findings import Finding, fail, ok, skip, warn
from bytespike_cli.errors import BytespikeError, ExitCode
from bytespike_cli.redact import KEY_PREFIX, mask_key

SLOW_FIRST_ANSWER_MS = 8000
_WIRE_NAME = {"anthropic": "Anthropic Messages", "openai": "OpenAI Chat Completions", "responses": "OpenAI Responses"}


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


def assess(eff: Effective, ctx: Context, *, chat: bool, cache: ProbeCache) -> list[Finding]:
    area = eff.tool
    out = list(eff.findings)
    base = eff.base_url
    if base is None:
        if not out:
            out.append(warn(area, "not-setup", f"{eff.label} is not set up for ByteSpike",
                            f"run {eff.setup}" if eff.setup else None))
        return out
    if not ctx.is_gateway(base) and not is_loopback(base):
        chosen = winner(eff.base)
        shadowed = next((c for c in eff.base if c is not chosen and c.value and ctx.is_gateway(str(c.value))), None)
        if chosen is not None and shadowed is not None:
            out.append(fail(area, "url-shadowed",
                            f"{eff.label} calls {base}: {chosen.source} wins over the ByteSpike URL from "
                            f"{shadowed.source}", chosen.remove, ExitCode.FAILURE))
        elif not any(f.status == "fail" for f in out):
            out.append(warn(area, "not-setup", f"{eff.label} calls {base} ({eff.base_source}), not ByteSpike",
                            f"run {eff.setup}" if eff.setup else None))
        return out

    wire = eff.protocol
    if wire == ANTHROPIC and base.endswith("/v1"):
        out.append(fail(area, "base-path", f"{eff.label}'s base URL {base} ({eff.base_source}) ends in /v1, but "
                                           f"{eff.label} adds /v1/messages itself: it would call {base}/v1/messages",
                        f"use {base[:-3]} (the gateway root)", ExitCode.CONFIG))
        return out
    if wire != ANTHROPIC and not base.endswith("/v1"):
        out.append(fail(area, "base-path", f"{eff.label}'s base URL {base} ({eff.base_source}) has no /v1: it "
                                           f"would call {base}/chat/completions, which the gateway does not serve",
                        f"use {base}/v1", ExitCode.CONFIG))
        return out

    models = ", ".join(f"{m} ({src})" for m, src in eff.models[:3]) or "the tool's default"
    if eff.key is None:
        out.append(ok(area, "effective", f"{eff.label} calls {base} ({eff.base_source}); model {models}"))
        if not any(f.status == "fail" for f in out):
            out.append(skip(area, "key-unknown", f"the key {eff.label} sends cannot be checked: {eff.key_unknown}"))
        return out
    out.append(ok(area, "effective", f"{eff.label} calls {base} ({eff.base_source}) with key {mask_key(eff.key)} "
                                     f"({eff.key_source}); model {models}"))
    if not eff.key.startswith(KEY_PREFIX) and (ctx.is_gateway(base) or not is_loopback(base)):
        out.append(fail(area, "key-format",
                        f"the key {eff.label} sends ({mask_key(eff.key)}, from {eff.key_source}) is not a ByteSpike "
                        "key: the gateway will answer 401",
                        eff.key_remove or (f"run {eff.setup}" if eff.setup else None), ExitCode.AUTH))
        return out

    root = base if wire == ANTHROPIC else base[:-3]
    catalogue, error = _models(ctx, root, eff.key, cache)
    url = f"{base}/models" if wire != ANTHROPIC else f"{base}/v1/models"
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
    out.extend(_model_findings(eff, catalogue))
    if chat:
        out.extend(_chat(eff, ctx, root, catalogue))
    return out


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


def _model_findings(eff: Effective, catalogue: list) -> list[Finding]:
    from bytespike_cli.gateway import closest_model_ids

    by_id = {m.id: m for m in catalogue}
    wire = "anthropic" if eff.protocol == ANTHROPIC else "openai"
    out: list[Finding] = []
    seen: set[str] = set()
    for raw, source in eff.models:
        wanted = model_id(eff, raw)
        if wanted in seen:
            continue
        seen.add(wanted)
        model = by_id.get(wanted)
        if model is None:
            near = closest_model_ids(wanted, catalogue)
            suggestion = f"did you mean {', '.join(near)}? " if near else ""
            out.append(fail(eff.tool, "model-missing",
                            f"model '{wanted}' ({source}) is not among the {len(catalogue)} models this key can use: "
                            "it is not in the key's group, or not a ByteSpike id",
                            f"{suggestion}set it in {source}; `bytespike models` lists the ids", ExitCode.PERMISSION))
            continue
        if wire not in model.native_protocols:
            native = [m.id for m in catalogue if wire in m.native_protocols and "tool_use" in m.capabilities]
            example = f" (e.g. {native[0]})" if native else ""
            out.append(warn(eff.tool, "translated-model",
                            f"model '{wanted}' speaks {', '.join(model.native_protocols)} natively; {eff.label} talks "
                            f"{_WIRE_NAME[eff.protocol]}, so the gateway translates: tool calls can come back as "
                            "malformed JSON and some features are lost",
                            f"if tool calls fail, use a model native to {_WIRE_NAME[eff.protocol]}{example}"))
        else:
            out.append(ok(eff.tool, "model", f"model '{wanted}' ({source}) is in the key's catalogue"))
    return out


def _chat(eff: Effective, ctx: Context, root: str, catalogue: list) -> list[Finding]:
    from bytespike_cli.gateway import default_models

    ids = {m.id for m in catalogue}
    configured = [model_id(eff, m) for m, _ in eff.models if model_id(eff, m) in ids]
    target = configured[0] if configured else default_models(catalogue)[0].id
    try:
        with _client(ctx, root, eff.key or "") as client:
            if eff.protocol == ANTHROPIC:
                reply = client.request("POST", "/v1/messages", model=target,
                                       headers={"anthropic-version": "2023-06-01"},
                                       json={"model": target, "max_tokens": 1,
                                             "messages": [{"role": "user", "content": "ping"}]})
            elif eff.protocol == "responses":
                reply = client.request("POST", "/v1/responses", model=target,
                                       json={"model": target, "input": "ping", "max_output_tokens": 16})
            else:
                reply = client.chat_probe(target)
    except BytespikeError as exc:
        return [fail(eff.tool, "chat", f"{_WIRE_NAME[eff.protocol]} request to '{target}': {exc.message}",
                     exc.hint, exc.exit_code)]
    if reply.elapsed_ms > SLOW_FIRST_ANSWER_MS:
        return [warn(eff.tool, "chat-slow",
                     f"'{target}' answered, but only after {reply.elapsed_ms / 1000:.1f} s: the first request to a cold "
                     "model pays a start-up cost, and a buffering proxy delays every answer",
                     f"`bytespike warm {target}` before a session; if it is always slow, set NO_PROXY for the gateway")]
    return [ok(eff.tool, "chat", f"{_WIRE_NAME[eff.protocol]} request to '{target}' answered in "
                                 f"{reply.elapsed_ms:.0f} ms (billed, a fraction of a cent)")]
