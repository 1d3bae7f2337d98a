"""One streamed chat request on a given wire, read the way editors read it: event by event.

Used by ``bytespike chat`` (a real answer), ``verify --chat`` and ``doctor --chat`` (max_tokens 1,
timed to the first byte and the first token). A stream that breaks before its protocol's final
event is an incomplete answer — exactly what an editor would show as a cut-off reply — and raises
a GatewayError (exit 8) that says how many bytes arrived.

Wires: ``anthropic`` (Messages), ``openai`` (Chat Completions), ``responses`` (OpenAI Responses),
``gemini`` (streamGenerateContent). Core only: returns data and raises BytespikeError.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import httpx

from bytespike_cli.errors import BytespikeError, GatewayError
from bytespike_cli.gateway import (
    USER_AGENT,
    Model,
    Quota,
    error_for_status,
    network_error,
    parse_error_body,
    timeout_from_env,
    with_sources,
)
from bytespike_cli.settings import Resolved, check_transport
from bytespike_cli.sse import Event, SSEParser

WIRES = ("anthropic", "openai", "responses", "gemini")
STREAM_TIMEOUT = httpx.Timeout(connect=10.0, read=120.0, write=30.0, pool=10.0)


@dataclass(frozen=True)
class Delta:
    """A piece of the answer as it arrived, with the time since the request was sent."""

    text: str
    at_ms: float


@dataclass
class ChatResult:
    model: str
    wire: str
    text: str = ""
    status: int | None = None
    ttfb_ms: float | None = None  # first byte of the body
    ttft_ms: float | None = None  # first piece of the answer (text or a tool call)
    total_ms: float | None = None
    bytes_received: int = 0
    finish_reason: str | None = None
    quota: Quota = field(default_factory=Quota)
    usage: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        r = lambda v: round(v, 1) if v is not None else None  # noqa: E731
        return {"model": self.model, "wire": self.wire, "text": self.text, "status": self.status,
                "ttfb_ms": r(self.ttfb_ms), "ttft_ms": r(self.ttft_ms), "total_ms": r(self.total_ms),
                "bytes": self.bytes_received, "finish_reason": self.finish_reason, "usage": self.usage}


WIRE_TITLES = {"anthropic": "Anthropic Messages", "gemini": "Gemini streamGenerateContent",
               "openai": "OpenAI Chat Completions"}


def model_for_chat(resolved: Resolved, model_id: str | None) -> Model:
    """The catalogue's model named ``model_id``, or this key's fast ⚡ model (its chat model if none)."""
    from bytespike_cli.errors import PermissionDenied
    from bytespike_cli.gateway import GatewayClient, closest_model_ids, default_models

    with GatewayClient(resolved) as client:
        catalogue, _ = client.list_models()
    if not model_id:
        chat_model, fast = default_models(catalogue)
        return fast or chat_model
    for model in catalogue:
        if model.id == model_id:
            return model
    near = closest_model_ids(model_id, catalogue)
    raise PermissionDenied(f"model '{model_id}' is not in this key's catalogue",
                           f"did you mean {', '.join(near)}?" if near else "run `bytespike models` for the ids you can use")


def wire_for(model: Model) -> str:
    """The model's native protocol (the documented per-family table in gateway.NATIVE_PROTOCOLS)."""
    return model.native_protocols[0]


def build_request(root: str, key: str, wire: str, model: str, prompt: str, *, system: str | None = None,
                  max_tokens: int | None = 1) -> tuple[str, dict[str, str], dict[str, Any]]:
    """(url, headers, body) of a streamed request on ``wire``; ``root`` is the gateway root (no /v1)."""
    root = root.rstrip("/")
    if wire == "anthropic":
        body: dict[str, Any] = {"model": model, "max_tokens": max_tokens or 1024, "stream": True,
                                "messages": [{"role": "user", "content": prompt}]}
        if system:
            body["system"] = system
        return f"{root}/v1/messages", {"x-api-key": key, "anthropic-version": "2023-06-01"}, body
    if wire == "gemini":
        body = {"contents": [{"role": "user", "parts": [{"text": prompt}]}]}
        if max_tokens:
            body["generationConfig"] = {"maxOutputTokens": max_tokens}
        if system:
            body["systemInstruction"] = {"parts": [{"text": system}]}
        return f"{root}/v1beta/models/{model}:streamGenerateContent?alt=sse", {"x-goog-api-key": key}, body
    if wire == "responses":
        body = {"model": model, "input": prompt, "stream": True}
        if max_tokens:
            body["max_output_tokens"] = max(16, max_tokens)  # the Responses API's minimum
        if system:
            body["instructions"] = system
        return f"{root}/v1/responses", {"Authorization": f"Bearer {key}"}, body
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    body = {"model": model, "stream": True, "messages": messages}
    if max_tokens:
        body["max_tokens"] = max_tokens
    return f"{root}/v1/chat/completions", {"Authorization": f"Bearer {key}"}, body


def _json(event: Event) -> Any:
    try:
        return json.loads(event.data)
    except ValueError:
        return None


def read_event(wire: str, event: Event) -> tuple[str, bool, str | None, str | None]:
    """(text, other output such as a tool call, finish reason or None, error message or None)."""
    if wire == "openai" and event.data.strip() == "[DONE]":
        return "", False, "done", None
    data = _json(event)
    if not isinstance(data, dict):
        return "", False, None, None
    if event.event == "error" or data.get("type") == "error" or isinstance(data.get("error"), dict):
        err = data.get("error") if isinstance(data.get("error"), dict) else data
        return "", False, None, str(err.get("message") or err.get("type") or "error event")
    if wire == "anthropic":
        kind = data.get("type") or event.event
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            return str(delta.get("text") or ""), delta.get("type") != "text_delta", None, None
        if kind == "message_delta":
            return "", False, (data.get("delta") or {}).get("stop_reason"), None
        if kind == "message_stop":
            return "", False, "message_stop", None
        return "", False, None, None
    if wire == "responses":
        kind = data.get("type") or event.event or ""
        if kind == "response.output_text.delta":
            return str(data.get("delta") or ""), False, None, None
        if kind == "response.function_call_arguments.delta":
            return "", True, None, None
        if kind in ("response.completed", "response.incomplete"):
            return "", False, kind.split(".")[1], None
        if kind == "response.failed":
            return "", False, None, str(((data.get("response") or {}).get("error") or {}).get("message") or kind)
        return "", False, None, None
    if wire == "gemini":
        text, other, finish = "", False, None
        for candidate in data.get("candidates") or ():
            for part in (candidate.get("content") or {}).get("parts") or ():
                text += str(part.get("text") or "")
                other = other or bool(part.get("functionCall"))
            finish = finish or candidate.get("finishReason")
        return text, other, finish, None
    text, other, finish = "", False, None
    for choice in data.get("choices") or ():
        delta = choice.get("delta") or {}
        text += str(delta.get("content") or "")
        other = other or bool(delta.get("tool_calls") or delta.get("reasoning_content"))
        finish = finish or choice.get("finish_reason")
    return text, other, finish, None


def _usage(wire: str, data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        return {}
    if wire == "gemini":
        return data.get("usageMetadata") or {}
    if wire == "responses":
        return (data.get("response") or {}).get("usage") or {}
    if wire == "anthropic":
        return data.get("usage") or (data.get("message") or {}).get("usage") or {}
    return data.get("usage") or {}


def stream(resolved: Resolved, wire: str, model: str, prompt: str, *, key: str | None = None,
           root: str | None = None, system: str | None = None, max_tokens: int | None = 1,
           on_delta: Callable[[Delta], None] | None = None,
           timeout: httpx.Timeout | float = STREAM_TIMEOUT) -> ChatResult:
    """Send one streamed request and read it to its end. Raises BytespikeError; a break mid-answer is a
    GatewayError naming how many bytes arrived."""
    key = key or resolved.require_key()
    root = root or resolved.base_url
    check_transport(root, resolved.base_url_source)
    url, headers, body = build_request(root, key, wire, model, prompt, system=system, max_tokens=max_tokens)
    result = ChatResult(model, wire)
    limits = timeout_from_env(timeout)
    started = time.perf_counter()

    def ms() -> float:
        return (time.perf_counter() - started) * 1000

    finished = False
    response = None
    try:
        with httpx.Client(timeout=limits, headers={"User-Agent": USER_AGENT}) as client:
            with client.stream("POST", url, headers=headers, json=body) as response:
                result.status = response.status_code
                result.quota = Quota.from_headers(response.headers)
                if response.status_code >= 400:
                    error = error_for_status(response.status_code, parse_error_body(response.read()),
                                             result.quota, model=model)
                    raise with_sources(error, resolved)
                parser = SSEParser()
                pieces: list[str] = []
                for chunk in _chunks(response):  # decoded: a gzip'd event stream reads like a plain one
                    if result.ttfb_ms is None:
                        result.ttfb_ms = ms()
                    for event in parser.feed(chunk):
                        text, other, finish, problem = read_event(wire, event)
                        if problem:
                            raise GatewayError(
                                f"the stream from '{model}' ended with an error after "
                                f"{response.num_bytes_downloaded} bytes: {problem} (incomplete answer)",
                                "retry; if it keeps happening, try another model (nothing more was billed)",
                            )
                        if (text or other) and result.ttft_ms is None:
                            result.ttft_ms = ms()
                        if text:
                            pieces.append(text)
                            if on_delta is not None:
                                on_delta(Delta(text, ms()))
                        result.usage = _usage(wire, _json(event)) or result.usage
                        if finish:
                            result.finish_reason = result.finish_reason or str(finish)
                            if finish in ("done", "message_stop", "completed", "incomplete") or wire == "gemini":
                                finished = True
                result.text = "".join(pieces)
                result.bytes_received = response.num_bytes_downloaded
    except BytespikeError:
        raise
    except httpx.HTTPError as exc:
        received = response.num_bytes_downloaded if response is not None else 0
        if result.status is not None and result.status < 400:  # the answer had begun: it broke mid-way
            stalled = isinstance(exc, httpx.TimeoutException)
            raise GatewayError(
                f"the gateway {'stopped sending' if stalled else 'closed the stream'} after {received} bytes: "
                f"incomplete answer from '{model}'",
                "retry; an answer cut off like this is what an editor shows as a truncated reply — "
                "if it keeps happening, check any proxy in between (`bytespike doctor`)",
            ) from None
        raise with_sources(network_error(exc, url, timeout=limits), resolved) from None
    result.total_ms = ms()
    if not finished:
        raise GatewayError(
            f"the gateway closed the stream after {result.bytes_received} bytes without its final event: "
            f"incomplete answer from '{model}'",
            "retry; if it keeps happening, check any proxy in between (`bytespike doctor`)",
        )
    return result


def _chunks(response: httpx.Response) -> Iterator[bytes]:
    yield from response.iter_bytes()
