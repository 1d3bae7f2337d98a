"""The offline gateway as an aiohttp application: routing, auth, quota headers, faults, streaming."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from aiohttp import web
from multidict import CIMultiDict

from bytespike_cli.fakegateway import accounts
from bytespike_cli.fakegateway.catalogue import BY_ID, RETIRED, CatalogueModel, filter_models, models_for_group
from bytespike_cli.fakegateway.faults import FAULT_HEADER, NO_FAULT, Fault, FaultSpecError, parse_fault
from bytespike_cli.fakegateway.keys import (
    EMPTY_WALLET, IP_DENIED, KEY_TABLE, PAUSED_ORG, QUOTA_REACHED, RATE_LIMITED, REVOKED,
    KeyRecord,
)
from bytespike_cli.fakegateway.problems import ANTHROPIC, GEMINI, STATUS_FAULTS, ApiError, protocol_for_path
from bytespike_cli.fakegateway.protocols import (
    ANTHROPIC_MESSAGES, GEMINI_NATIVE, OPENAI_CHAT, OPENAI_RESPONSES, Event, Protocol,
)
from bytespike_cli.fakegateway.replies import Conversation, compose, input_tokens
from bytespike_cli.redact import mask_key

MAX_BODY_BYTES = 32 * 1024 * 1024  # images travel as data URLs
MAX_RECORDED = 10_000  # a long-lived offline gateway keeps only the latest requests


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict
    headers: CIMultiDict
    json: Any
    body: bytes


@dataclass
class GatewayState:
    cold_start_ms: int = 0
    fault_setting: Fault = NO_FAULT
    record_requests: bool = True
    requests: list[RecordedRequest] = field(default_factory=list)
    warm: dict[str, asyncio.Event] = field(default_factory=dict)  # replaced wholesale by reset_cold()
    fault_uses: dict[str, int] = field(default_factory=dict)
    spent: dict[str, float] = field(default_factory=dict)
    usage: dict[tuple, accounts.UsageRecord] = field(default_factory=dict)  # (key, model, hour) -> totals
    ids: Any = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        return f"{prefix}offline{next(self.ids):016x}"

    def set_fault(self, spec: str | None) -> None:
        self.fault_setting = parse_fault(spec)
        self.fault_uses = {}

    def record_usage(self, call: accounts.UsageRecord) -> None:
        """Billed calls, summed per key, model and hour so memory stays flat however long it runs.

        A slot keeps the time of its latest call, so `since` just before a call still counts it.
        """
        slot = (call.key, call.model, int(call.at // 3600))
        seen = self.usage.get(slot)
        if seen is not None:
            call = accounts.UsageRecord(call.at, call.key, call.model, seen.input_tokens + call.input_tokens,
                                        seen.output_tokens + call.output_tokens, seen.usd + call.usd,
                                        seen.calls + call.calls)
        self.usage[slot] = call

    def live_usage(self) -> list[accounts.UsageRecord]:
        return list(self.usage.values())


STATE = web.AppKey("bytespike_fakegateway_state", GatewayState)


@dataclass
class RequestContext:
    """What the middleware learnt about a request, for the handlers and the quota-header hook."""

    json: Any = None
    key_record: KeyRecord | None = None
    fault: Fault = NO_FAULT
    fault_fires: bool = True


# aiohttp >= 3.12 wants typed request keys; older versions take a string.
_CTX: Any = web.RequestKey("bytespike_fakegateway_ctx", RequestContext) if hasattr(web, "RequestKey") \
    else "bytespike_fakegateway_ctx"


def ctx(request: web.Request) -> RequestContext:
    return request.get(_CTX) or RequestContext()


# --------------------------------------------------------------------------------------------- auth
def presented_key(request: web.Request, protocol: str) -> str | None:
    """Which credential the gateway reads: x-api-key wins over Authorization; Gemini also reads ?key=."""
    headers = request.headers
    if headers.get("x-api-key"):
        return headers["x-api-key"].strip()
    if protocol == GEMINI:
        if headers.get("x-goog-api-key"):
            return headers["x-goog-api-key"].strip()
        if request.query.get("key"):
            return request.query["key"].strip()
    auth = headers.get("Authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def _authorize(key: str | None, record: KeyRecord | None, protocol: str) -> KeyRecord:
    if not key:
        raise ApiError("invalid_api_key", "missing API key: send Authorization: Bearer sk-byts-… or x-api-key"
                       + (" (or ?key= / x-goog-api-key)" if protocol == GEMINI else ""))
    if record is None or record.state == REVOKED:
        if protocol == ANTHROPIC:
            message = "invalid x-api-key"
        elif protocol == GEMINI:
            message = "API key not valid. Please pass a valid API key."
        else:
            message = f"Incorrect API key provided: {mask_key(key)}. You can find your keys at console.bytespike.ai/keys"
        if record is not None:
            message += " (this key was revoked)"
        raise ApiError("invalid_api_key", message)
    if record.state == IP_DENIED:
        raise ApiError("permission_denied", "permission_denied: your IP address is not allowed to use this key "
                       "(check the key's IP allow/deny lists at console.bytespike.ai/keys)")
    if record.state == PAUSED_ORG:
        raise ApiError("permission_error", "permission_error: the organization that owns this key is paused; "
                       "contact your admin")
    return record


# ---------------------------------------------------------------------------------- quota headers
def quota_headers(state: GatewayState, record: KeyRecord | None, now: float) -> dict[str, str]:
    if record is None:
        return {"X-RateLimit-Limit": "0.00", "X-RateLimit-Remaining": "0.00", "X-RateLimit-Reset": str(int(now)),
                "X-Quota-Remaining-Credits": "0.00"}
    spent = state.spent.get(record.key, 0.0)
    window_left = max(0.0, record.window_limit_usd - record.window_used_usd - spent)
    reset = math.ceil((now + 1) / record.window_seconds) * record.window_seconds
    if record.quota_cap_usd:
        quota_left = max(0.0, record.quota_cap_usd - record.quota_used_usd - spent)
    else:
        quota_left = max(0.0, record.wallet_usd - spent)
    headers = {
        "X-RateLimit-Limit": f"{record.window_limit_usd:.2f}",
        "X-RateLimit-Remaining": f"{window_left:.2f}",
        "X-RateLimit-Reset": str(reset),
        "X-Quota-Remaining-Credits": "0.00" if record.state == QUOTA_REACHED else f"{quota_left:.2f}",
    }
    if record.org:
        headers["X-Org-Quota-Remaining-Credits"] = f"{max(0.0, record.wallet_usd - spent):.2f}"
    return headers


async def _add_quota_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Runs for every response just before its headers go out, streams included."""
    state = request.app[STATE]
    for name, value in quota_headers(state, ctx(request).key_record, time.time()).items():
        response.headers.setdefault(name, value)


# ------------------------------------------------------------------------------------------ faults
def _fault_for(state: GatewayState, request: web.Request, record: KeyRecord | None) -> Fault:
    fault = parse_fault(record.fault) if record and record.fault else NO_FAULT
    fault = fault.merged(state.fault_setting)
    header = request.headers.get(FAULT_HEADER)
    if header:
        try:
            fault = fault.merged(parse_fault(header))
        except FaultSpecError as exc:
            raise ApiError("invalid_param", f"{FAULT_HEADER}: {exc}", param=FAULT_HEADER) from None
    return fault


def _fault_fires(state: GatewayState, fault: Fault) -> bool:
    """status/delay faults with times=N hit only the first N requests carrying that spec."""
    if fault.times is None:
        return True
    used = state.fault_uses.get(fault.spec, 0)
    state.fault_uses[fault.spec] = used + 1
    return used < fault.times


def raise_status_fault(request: web.Request) -> None:
    fault = ctx(request).fault
    if fault.status is None or not ctx(request).fault_fires:
        return
    code = STATUS_FAULTS[fault.status]
    if fault.status == 429:
        reset = math.ceil(time.time() + max(fault.reset_s, 1))
        raise ApiError(code, f"rate_limit_5h exceeded (offline gateway fault); resets at "
                             f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(reset))}",
                       headers={"X-RateLimit-Remaining": "0.00", "X-RateLimit-Reset": str(reset)})
    messages = {500: "internal gateway error", 502: "upstream returned an invalid response",
                503: "no capacity for this model right now", 504: "upstream timed out"}
    raise ApiError(code, f"{messages[fault.status]} (offline gateway fault status={fault.status})")


# -------------------------------------------------------------------------------------- middleware
@web.middleware
async def gateway_middleware(request: web.Request, handler):
    state = request.app[STATE]
    protocol = protocol_for_path(request.path)
    context = request[_CTX] = RequestContext()
    try:
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError("request_too_large", f"request body is larger than {MAX_BODY_BYTES} bytes") from None
        parsed = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        context.json = parsed
        if state.record_requests:
            if len(state.requests) >= MAX_RECORDED:
                del state.requests[: MAX_RECORDED // 2]
            state.requests.append(RecordedRequest(request.method, request.path, dict(request.query),
                                                  CIMultiDict(request.headers), parsed, body))
        key = presented_key(request, protocol)
        record = KEY_TABLE.get(key) if key else None
        context.key_record = record
        fault = context.fault = _fault_for(state, request, record)
        if fault.status is not None or fault.delay_ms:
            context.fault_fires = _fault_fires(state, fault)
        if fault.delay_ms and context.fault_fires:
            await asyncio.sleep(fault.delay_ms / 1000)
        route_error = request.match_info.http_exception
        if route_error is not None:
            if route_error.status == 405:
                raise ApiError("method_not_allowed", f"{request.method} is not allowed on {request.path}")
            raise ApiError("not_found", f"no route {request.method} {request.path} on this gateway")
        _authorize(key, record, protocol)
        if request.method == "POST" and body and parsed is None:
            raise ApiError("invalid_param", "request body is not valid JSON")
        return await handler(request)
    except ApiError as err:
        return web.json_response(err.body_for(protocol), status=err.status_for(protocol), headers=err.headers)


# ---------------------------------------------------------------------------------------- handlers
async def list_models(request: web.Request) -> web.Response:
    raise_status_fault(request)
    record: KeyRecord = ctx(request).key_record
    models = filter_models(models_for_group(record.group), request.query.getall("family", []),
                           request.query.getall("capability", []))
    return web.json_response({"object": "list", "data": [m.payload() for m in models]})


async def get_model(request: web.Request) -> web.Response:
    raise_status_fault(request)
    record: KeyRecord = ctx(request).key_record
    model = BY_ID.get(request.match_info["model"])
    if model is None or record.group not in model.groups:
        raise ApiError("not_found", f"The model '{request.match_info['model']}' does not exist or is not in "
                                    f"this key's group")
    return web.json_response(model.payload())


def _gemini_model(model: CatalogueModel) -> dict:
    return {"name": f"models/{model.id}", "version": "001", "displayName": model.id,
            "description": f"{model.id} via ByteSpike (offline)", "inputTokenLimit": model.context_window,
            "outputTokenLimit": model.max_output_tokens,
            "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"]}


async def gemini_list_models(request: web.Request) -> web.Response:
    raise_status_fault(request)
    record: KeyRecord = ctx(request).key_record
    models = [m for m in models_for_group(record.group) if m.is_text]
    return web.json_response({"models": [_gemini_model(m) for m in models]})


async def account(request: web.Request) -> web.Response:
    raise_status_fault(request)
    state, record = request.app[STATE], ctx(request).key_record
    return web.json_response(accounts.account(record, state.spent.get(record.key, 0.0), state.live_usage()))


async def usage(request: web.Request) -> web.Response:
    raise_status_fault(request)
    state, record = request.app[STATE], ctx(request).key_record
    return web.json_response(accounts.usage_report(record, state.live_usage(), request.query))


async def transactions(request: web.Request) -> web.Response:
    raise_status_fault(request)
    return web.json_response(accounts.transactions(ctx(request).key_record, request.query))


def _check_model(model_id: str, record: KeyRecord, fault: Fault) -> CatalogueModel:
    if model_id in RETIRED:
        raise ApiError("unsupported_model", f"unsupported_model: '{model_id}' was retired on 2026-07-24; "
                                            f"use '{RETIRED[model_id]}'", param="model")
    model = BY_ID.get(model_id)
    if model is None:
        raise ApiError("model_not_found", f"model_not_found: the model '{model_id}' does not exist; "
                                          "list the available ids with GET /v1/models", param="model")
    if record.group not in model.groups:
        if fault.model_error == 400:
            raise ApiError("model_not_allowed", f"model_not_allowed: '{model_id}' is not available to this key's "
                                                f"group '{record.group}'", param="model")
        raise ApiError("model_not_in_group", f"model_not_in_group: '{model_id}' is not in this key's group "
                                             f"'{record.group}'; use another key or model", param="model")
    if not model.is_text:
        raise ApiError("invalid_param", f"'{model_id}' is not a text model; submit it through /v1/tasks/submit",
                       param="model")
    return model


def _check_limits(conv: Conversation, model: CatalogueModel) -> None:
    if conv.max_tokens is not None and conv.max_tokens > model.max_output_tokens:
        raise ApiError("invalid_param", f"max_tokens: {conv.max_tokens} > {model.max_output_tokens}, which is the "
                                        f"maximum allowed number of output tokens for {model.id}", param="max_tokens")
    needed = input_tokens(conv) + (conv.max_tokens or 0)
    if needed > model.context_window:
        raise ApiError("context_length_exceeded", f"context_length_exceeded: prompt plus max_tokens is {needed} "
                                                  f"tokens; {model.id} takes {model.context_window}")


def _check_billing(record: KeyRecord, now: float) -> None:
    if record.state == EMPTY_WALLET:
        raise ApiError("insufficient_balance", "insufficient_balance: the wallet is empty; top up at "
                                               "console.bytespike.ai/billing")
    if record.state == QUOTA_REACHED:
        raise ApiError("quota_exceeded", f"quota_exceeded: this key's quota of {record.quota_cap_usd:.2f} USD is "
                                         "used up; raise it at console.bytespike.ai/keys")
    if record.state == RATE_LIMITED:
        reset = math.ceil((now + 1) / record.window_seconds) * record.window_seconds
        raise ApiError("rate_limit_exceeded", f"rate_limit_5h exceeded: {record.window_used_usd:.2f} / "
                                              f"{record.window_limit_usd:.2f} used; resets at "
                                              f"{time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime(reset))}",
                       headers={"X-RateLimit-Remaining": "0.00", "X-RateLimit-Reset": str(reset)})


async def _cold_start(state: GatewayState, model_id: str, cold_ms: int) -> None:
    """The first request to a model pays cold_ms; requests arriving meanwhile wait for the same warm-up."""
    warm = state.warm
    ready = warm.get(model_id)
    if ready is not None:
        await ready.wait()
        return
    ready = warm[model_id] = asyncio.Event()
    try:
        if cold_ms > 0:
            await asyncio.sleep(cold_ms / 1000)
    finally:
        ready.set()


def _frame(protocol: Protocol, event: Event) -> bytes:
    name, payload = event
    data = payload if isinstance(payload, str) else json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    if protocol.named_events and name:
        return f"event: {name}\ndata: {data}\n\n".encode()
    return f"data: {data}\n\n".encode()


async def _inference(request: web.Request, protocol: Protocol, *, path_model: str | None = None,
                     stream: bool | None = None) -> web.StreamResponse:
    state: GatewayState = request.app[STATE]
    record: KeyRecord = ctx(request).key_record
    fault: Fault = ctx(request).fault
    if protocol is ANTHROPIC_MESSAGES and not request.headers.get("anthropic-version"):
        raise ApiError("invalid_param", "anthropic-version: header is required", param="anthropic-version")
    body = ctx(request).json
    if not isinstance(body, dict):
        raise ApiError("invalid_param", "request body must be a JSON object")
    conv = protocol.parse(body, path_model)
    if stream is not None:
        conv.stream = stream
    model = _check_model(conv.model, record, fault)
    _check_limits(conv, model)
    _check_billing(record, time.time())
    raise_status_fault(request)
    await _cold_start(state, model.id, fault.cold_ms if fault.cold_ms is not None else state.cold_start_ms)
    reply = compose(conv)

    def settle() -> None:  # only successful calls are billed
        usd = accounts.cost_usd(model, reply.input_tokens, reply.output_tokens)
        state.spent[record.key] = state.spent.get(record.key, 0.0) + usd
        state.record_usage(accounts.UsageRecord(time.time(), record.key, model.id, reply.input_tokens,
                                                reply.output_tokens, usd))

    if not conv.stream:
        settle()
        return web.json_response(protocol.response(conv, reply, state.new_id))
    return await _stream(request, protocol, protocol.events(conv, reply, state.new_id), fault, settle)


async def _stream(request: web.Request, protocol: Protocol, events: Iterable[Event], fault: Fault,
                  settle) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream; charset=utf-8",
                                           "Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    await response.prepare(request)  # headers (quota headers included) leave now, before any event
    sent = 0
    try:
        for event in events:
            if fault.drop_after is not None and sent >= fault.drop_after:
                _drop_connection(request, response)
                return response
            if fault.error_after is not None and sent >= fault.error_after:
                response.force_close()
                await response.write(_frame(protocol, protocol.midstream_error(sent)))
                await response.write_eof()
                return response
            if fault.slow_stream_ms:  # also before the first event: headers first, then a slow model
                await asyncio.sleep(fault.slow_stream_ms / 1000)
            await response.write(_frame(protocol, event))
            sent += 1
        await response.write_eof()
    except (ConnectionResetError, ConnectionError):
        return response  # the client went away: that is how callers abort a stream
    settle()
    return response


def _drop_connection(request: web.Request, response: web.StreamResponse) -> None:
    """Close the socket in the middle of the chunked body: the client sees a truncated response."""
    response.force_close()
    transport = request.transport
    if transport is not None:
        transport.close()


async def chat_completions(request: web.Request) -> web.StreamResponse:
    return await _inference(request, OPENAI_CHAT)


async def messages(request: web.Request) -> web.StreamResponse:
    return await _inference(request, ANTHROPIC_MESSAGES)


async def responses(request: web.Request) -> web.StreamResponse:
    return await _inference(request, OPENAI_RESPONSES)


async def gemini_action(request: web.Request) -> web.StreamResponse:
    model_id, _, action = request.match_info["target"].rpartition(":")
    if action == "generateContent":
        return await _inference(request, GEMINI_NATIVE, path_model=model_id, stream=False)
    if action == "streamGenerateContent":
        if request.query.get("alt") != "sse":
            return await _gemini_json_array_stream(request, model_id)
        return await _inference(request, GEMINI_NATIVE, path_model=model_id, stream=True)
    if action == "countTokens":
        context = ctx(request)
        _check_model(model_id, context.key_record, context.fault)
        raise_status_fault(request)
        body = context.json if isinstance(context.json, dict) else {}
        conv = GEMINI_NATIVE.parse(body.get("generateContentRequest", body), model_id)
        return web.json_response({"totalTokens": input_tokens(conv)})  # free: never billed
    raise ApiError("not_found", f"unknown method '{action}' on models/{model_id}")


async def _gemini_json_array_stream(request: web.Request, model_id: str) -> web.StreamResponse:
    """Without alt=sse Google streams one JSON array of responses; answered whole here."""
    inner = await _inference(request, GEMINI_NATIVE, path_model=model_id, stream=False)
    return web.json_response([json.loads(inner.body)])


async def gemini_get_model(request: web.Request) -> web.Response:
    raise_status_fault(request)
    target = request.match_info["target"]
    model = BY_ID.get(target)
    if model is None or ctx(request).key_record.group not in model.groups or not model.is_text:
        raise ApiError("not_found", f"models/{target} is not found for API version v1beta")
    return web.json_response(_gemini_model(model))


def create_app(*, cold_start_ms: int = 0, fault: str | None = None, record_requests: bool = True) -> web.Application:
    """The offline gateway as an aiohttp Application, for running inside an existing event loop."""
    app = web.Application(middlewares=[gateway_middleware], client_max_size=MAX_BODY_BYTES)
    state = GatewayState(cold_start_ms=cold_start_ms, record_requests=record_requests)
    state.set_fault(fault)
    app[STATE] = state
    app.on_response_prepare.append(_add_quota_headers)
    app.router.add_get("/v1/models", list_models)
    app.router.add_get("/v1/models/{model}", get_model)
    app.router.add_post("/v1/chat/completions", chat_completions)
    app.router.add_post("/v1/messages", messages)
    app.router.add_post("/v1/responses", responses)
    app.router.add_get("/v1beta/models", gemini_list_models)
    app.router.add_post("/v1beta/models/{target}", gemini_action)
    app.router.add_get("/v1beta/models/{target}", gemini_get_model)
    app.router.add_get("/api/v1/me/account", account)
    app.router.add_get("/api/v1/me/usage", usage)
    app.router.add_get("/api/v1/me/billing/transactions", transactions)
    return app
