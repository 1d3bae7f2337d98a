"""Warm cold routes: the smallest billed streamed request per model, timed to first byte and first token."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import httpx

from bytespike_cli.errors import ExitCode
from bytespike_cli.gateway import (
    USER_AGENT,
    Model,
    Quota,
    error_for_status,
    network_error,
    parse_error_body,
    timeout_from_env,
)
from bytespike_cli.settings import Resolved
from bytespike_cli.sse import Event, SSEParser

PROMPT = "Reply with one word."


@dataclass(frozen=True)
class Sample:
    model: str
    protocol: str
    index: int  # 0 is the cold request
    status: int | None
    ttfb_ms: float | None
    ttft_ms: float | None
    total_ms: float | None
    error: str | None = None
    remaining_usd: float | None = None
    exit_code: int = 0  # the exit code the error maps to (errors.ExitCode)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict:
        return {
            "model": self.model, "protocol": self.protocol, "index": self.index, "cold": self.index == 0,
            "status": self.status, "ttfb_ms": _r(self.ttfb_ms), "ttft_ms": _r(self.ttft_ms),
            "total_ms": _r(self.total_ms), "error": self.error,
        }


@dataclass(frozen=True)
class Summary:
    model: str
    protocol: str
    cold: Sample | None
    warm: tuple[Sample, ...]

    @property
    def warm_ttft_ms(self) -> float | None:
        values = [s.ttft_ms for s in self.warm if s.ok and s.ttft_ms is not None]
        return statistics.median(values) if values else None

    @property
    def warm_ttfb_ms(self) -> float | None:
        values = [s.ttfb_ms for s in self.warm if s.ok and s.ttfb_ms is not None]
        return statistics.median(values) if values else None

    @property
    def failed(self) -> list[Sample]:
        return [s for s in ((self.cold,) if self.cold else ()) + self.warm if s.error]

    @property
    def errors(self) -> list[str]:
        return [s.error for s in self.failed if s.error]

    def to_json(self) -> dict:
        cold = self.cold
        return {
            "model": self.model, "protocol": self.protocol,
            "cold_ttfb_ms": _r(cold.ttfb_ms) if cold else None, "cold_ttft_ms": _r(cold.ttft_ms) if cold else None,
            "warm_ttfb_ms_p50": _r(self.warm_ttfb_ms), "warm_ttft_ms_p50": _r(self.warm_ttft_ms),
            "requests": [s.to_json() for s in ((cold,) if cold else ()) + self.warm], "errors": self.errors,
        }


def _r(value: float | None) -> float | None:
    return round(value, 1) if value is not None else None


def native_protocol(model: Model) -> str:
    return model.native_protocols[0]


def build_request(resolved: Resolved, key: str, model: Model) -> tuple[str, dict, dict]:
    """(url, headers, body) of the smallest streamed request on the model's native protocol."""
    from bytespike_cli import chat

    return chat.build_request(resolved.base_url, key, native_protocol(model), model.id, PROMPT, max_tokens=1)


def is_first_token(protocol: str, event: Event) -> bool:
    if protocol == "anthropic":
        return event.event == "content_block_delta"
    try:
        data = json.loads(event.data)
    except ValueError:
        return False
    if protocol == "gemini":
        for candidate in data.get("candidates") or ():
            if any(part.get("text") or part.get("functionCall") for part in (candidate.get("content") or {}).get("parts") or ()):
                return True
        return False
    for choice in data.get("choices") or ():
        delta = choice.get("delta") or {}
        if delta.get("content") or delta.get("tool_calls") or delta.get("reasoning_content"):
            return True
    return False


def stream_error(protocol: str, event: Event) -> str | None:
    """A mid-stream error event in any protocol's shape, as text."""
    if event.event == "error" or '"error"' in event.data:
        try:
            data = json.loads(event.data)
        except ValueError:
            return event.data[:200] or "error event"
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            return str(data["error"].get("message") or data["error"])
    return None


async def one_request(client: httpx.AsyncClient, resolved: Resolved, key: str, model: Model, index: int) -> Sample:
    url, headers, body = build_request(resolved, key, model)
    protocol = native_protocol(model)
    started = time.perf_counter()
    ttfb = ttft = None

    def ms() -> float:
        return (time.perf_counter() - started) * 1000

    response = None
    try:
        async with client.stream("POST", url, headers=headers, json=body) as response:
            quota = Quota.from_headers(response.headers)
            if response.status_code >= 400:
                detail = parse_error_body(await response.aread())
                err = error_for_status(response.status_code, detail, quota, model=model.id)
                return Sample(model.id, protocol, index, response.status_code, ms(), None, ms(), err.message,
                              quota.key_remaining_usd, int(err.exit_code))
            parser = SSEParser()
            # decoded bytes: the request says it accepts gzip, and a compressed event stream read raw
            # yields no events at all
            async for chunk in response.aiter_bytes():
                if ttfb is None:
                    ttfb = ms()
                for event in parser.feed(chunk):
                    problem = stream_error(protocol, event)
                    if problem:
                        return Sample(model.id, protocol, index, response.status_code, ttfb, ttft, ms(),
                                      f"the stream ended with an error: {problem}", quota.key_remaining_usd,
                                      int(ExitCode.GATEWAY))
                    if ttft is None and is_first_token(protocol, event):
                        ttft = ms()
            if ttft is None:
                return Sample(model.id, protocol, index, response.status_code, ttfb, ttft, ms(),
                              "the stream ended without a token", quota.key_remaining_usd, int(ExitCode.GATEWAY))
            return Sample(model.id, protocol, index, response.status_code, ttfb, ttft, ms(), None,
                          quota.key_remaining_usd)
    except httpx.HTTPError as exc:
        if response is not None and response.status_code < 400:  # the answer had begun, then broke
            return Sample(model.id, protocol, index, response.status_code, ttfb, ttft, ms(),
                          f"the gateway closed the stream after {response.num_bytes_downloaded} bytes: "
                          "incomplete answer", None, int(ExitCode.GATEWAY))
        return Sample(model.id, protocol, index, None, ttfb, ttft, ms(), network_error(exc, url).message, None,
                      int(ExitCode.NETWORK))


OnSample = Callable[[Sample], None]


def models_to_warm(resolved: Resolved, model_ids: list[str]) -> list[Model]:
    """The catalogue's models for ``model_ids`` (each once, in the order given); an id the key cannot use
    is an error naming the closest ones."""
    from bytespike_cli.errors import PermissionDenied
    from bytespike_cli.gateway import GatewayClient, closest_model_ids

    with GatewayClient(resolved) as client:
        catalogue, _ = client.list_models()
    by_id = {m.id: m for m in catalogue}
    chosen = []
    for model_id in dict.fromkeys(model_ids):
        if model_id not in by_id:
            near = closest_model_ids(model_id, catalogue)
            raise PermissionDenied(f"model '{model_id}' is not in this key's catalogue",
                                   f"did you mean {', '.join(near)}?" if near else "run `bytespike models` for the ids you can use")
        chosen.append(by_id[model_id])
    return chosen


async def warm(
    resolved: Resolved,
    models: list[Model],
    *,
    count: int = 3,
    concurrency: int = 4,
    keep_warm_s: float | None = None,
    on_sample: OnSample | None = None,
    timeout_s: float = 120.0,
) -> list[Summary]:
    """Send ``count`` requests per model (the first is the cold one), ``concurrency`` models at a time.

    With ``keep_warm_s`` it then sends one request per model every that many seconds until cancelled.
    """
    key = resolved.require_key()
    results: dict[str, list[Sample]] = {m.id: [] for m in models}
    limit = asyncio.Semaphore(max(1, concurrency))
    timeout = httpx.Timeout(connect=10.0, read=timeout_s, write=30.0, pool=None)

    def record(sample: Sample) -> None:
        results[sample.model].append(sample)
        if on_sample:
            on_sample(sample)

    async with httpx.AsyncClient(timeout=timeout_from_env(timeout), headers={"User-Agent": USER_AGENT}) as client:
        async def run_model(model: Model) -> None:
            async with limit:
                for index in range(count):
                    record(await one_request(client, resolved, key, model, index))

        await asyncio.gather(*(run_model(m) for m in models))
        if keep_warm_s:
            index = count
            while True:
                await asyncio.sleep(keep_warm_s)
                samples = await asyncio.gather(*(one_request(client, resolved, key, m, index) for m in models))
                for sample in samples:
                    record(sample)
                index += 1
    return summarize(models, results)


def summarize(models: list[Model], results: dict[str, list[Sample]]) -> list[Summary]:
    summaries = []
    for model in models:
        samples = sorted(results.get(model.id, []), key=lambda s: s.index)
        cold = samples[0] if samples and samples[0].index == 0 else None
        warm_samples = tuple(s for s in samples if s.index > 0)
        summaries.append(Summary(model.id, native_protocol(model), cold, warm_samples))
    return summaries
