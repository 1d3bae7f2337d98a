"""Faults on demand: by header, by gw.set_fault and by key; cold starts; concurrent streams."""

from __future__ import annotations

import asyncio
import json
import time

import anthropic
import httpx
import openai
import pytest

from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS, FakeGateway, FaultSpecError
from bytespike_cli.fakegateway.faults import parse_fault
from tests.fakegateway.conftest import anthropic_client, genai_client, openai_client, sse_events

LONG_PROMPT = [{"role": "user", "content": "one two three four five six seven eight"}]


def _fault(spec):
    return {"x-bytespike-fault": spec}


# ------------------------------------------------------------------------------ mid-stream faults
def test_drop_after_makes_the_openai_sdk_raise(gw):
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in openai_client(gw).chat.completions.create(
                model="gpt-5-4", messages=LONG_PROMPT, stream=True, extra_headers=_fault("drop-after=3")):
            received.append(chunk)
    assert len(received) == 3


def test_drop_after_truncates_the_anthropic_stream(gw):
    events = []
    with pytest.raises(Exception) as info:
        with anthropic_client(gw).messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=LONG_PROMPT,
                                                  extra_headers=_fault("drop-after=4")) as stream:
            for event in stream:
                events.append(event.type)
    assert type(info.value).__name__ == "RemoteProtocolError"  # the SDK lets its transport's error through
    assert events[:2] == ["message_start", "content_block_start"] and "message_stop" not in events


def test_drop_after_zero_sends_headers_only(gw):
    with httpx.Client() as client:
        with client.stream("POST", gw.base_url + "/v1/chat/completions", headers={
                "Authorization": f"Bearer {DEMO_KEY}", **_fault("drop-after=0")},
                json={"model": "gpt-5-4", "stream": True, "messages": LONG_PROMPT}) as response:
            assert response.status_code == 200 and response.headers["X-Quota-Remaining-Credits"]
            with pytest.raises(httpx.RemoteProtocolError):
                response.read()


def test_error_after_in_openai_chat_raises_api_error(gw):
    received = []
    with pytest.raises(openai.APIError) as info:
        for chunk in openai_client(gw).chat.completions.create(
                model="gpt-5-4", messages=LONG_PROMPT, stream=True, extra_headers=_fault("error-after=2")):
            received.append(chunk)
    assert len(received) == 2
    assert "error-after" in info.value.message


def test_error_after_in_anthropic_is_an_error_event(gw):
    with pytest.raises(anthropic.APIStatusError) as info:
        with anthropic_client(gw).messages.stream(model="claude-sonnet-4-6", max_tokens=64, messages=LONG_PROMPT,
                                                  extra_headers=_fault("error-after=3")) as stream:
            list(stream)
    assert info.value.body["error"]["type"] == "overloaded_error"


def test_error_after_raw_frames_end_with_the_protocol_error_shape(gw):
    cases = {
        "/v1/messages": ({"model": "claude-haiku-4-5", "max_tokens": 32, "messages": LONG_PROMPT}, "error"),
        "/v1/responses": ({"model": "gpt-5-4", "input": "x y z"}, "error"),
        "/v1/chat/completions": ({"model": "gpt-5-4", "messages": LONG_PROMPT}, None),
    }
    for path, (body, last_name) in cases.items():
        with httpx.Client() as client:
            with client.stream("POST", gw.base_url + path, json={**body, "stream": True}, headers={
                    "x-api-key": DEMO_KEY, "anthropic-version": "2023-06-01", **_fault("error-after=2")}) as response:
                frames = sse_events(response)
        assert len(frames) == 3, path
        name, data = frames[-1]
        assert name == last_name
        payload = json.loads(data)
        assert payload.get("type") == "error" or "error" in payload


def test_error_after_in_responses_is_an_error_event(gw):
    events = list(openai_client(gw).responses.create(model="gpt-5-4", input="a b c", stream=True,
                                                     extra_headers=_fault("error-after=2")))
    assert [e.type for e in events] == ["response.created", "response.in_progress", "error"]
    assert events[-1].sequence_number == 2


def test_error_after_in_gemini_raises_server_error(gw):
    from google.genai import errors

    client = genai_client(gw, headers=_fault("error-after=1"))
    seen = []
    with pytest.raises(errors.ServerError):
        for chunk in client.models.generate_content_stream(model="gemini-3-flash", contents="a b c"):
            seen.append(chunk.text)
    assert seen == ["echo:"]


def test_slow_stream_spaces_the_events(gw):
    started = time.perf_counter()
    chunks = list(openai_client(gw).chat.completions.create(
        model="gpt-5-4", stream=True, messages=[{"role": "user", "content": "slow"}],
        extra_headers=_fault("slow-stream=60")))
    elapsed = time.perf_counter() - started
    assert len(chunks) == 4
    assert elapsed >= 5 * 0.060  # 4 chunks + [DONE], each after the gap


def test_delay_triggers_a_client_timeout(gw):
    client = openai_client(gw, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        client.chat.completions.create(model="gpt-5-4", messages=LONG_PROMPT, extra_headers=_fault("delay=1500"))


# ------------------------------------------------------------------------------ settings and keys
def test_set_fault_applies_to_every_request_until_cleared(fresh_gw):
    client = openai_client(fresh_gw)
    fresh_gw.set_fault("status=503")
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            client.models.list()
    fresh_gw.set_fault(None)
    assert client.models.list().data


def test_times_limits_a_fault_to_the_first_requests(fresh_gw):
    fresh_gw.set_fault("status=502,times=2")
    statuses = [httpx.get(fresh_gw.base_url + "/v1/models",
                          headers={"Authorization": f"Bearer {DEMO_KEY}"}).status_code for _ in range(4)]
    assert statuses == [502, 502, 200, 200]


def test_sdk_retries_recover_from_a_transient_503(fresh_gw):
    fresh_gw.set_fault("status=503,times=1")
    client = openai.OpenAI(base_url=fresh_gw.base_url + "/v1", api_key=DEMO_KEY, max_retries=2)
    reply = client.chat.completions.create(model="gpt-5-4", messages=[{"role": "user", "content": "retry"}])
    assert reply.choices[0].message.content == "echo: retry"
    assert [r.path for r in fresh_gw.requests].count("/v1/chat/completions") == 2


def test_header_fault_wins_over_the_setting(fresh_gw):
    fresh_gw.set_fault("status=500")
    response = httpx.get(fresh_gw.base_url + "/v1/models",
                         headers={"Authorization": f"Bearer {DEMO_KEY}", **_fault("status=504")})
    assert response.status_code == 504


@pytest.mark.parametrize("name,status", [("server_error", 500), ("overloaded", 503)])
def test_faults_bound_to_keys(gw, name, status):
    response = httpx.get(gw.base_url + "/v1/models", headers={"Authorization": f"Bearer {TEST_KEYS[name]}"})
    assert response.status_code == status


def test_key_bound_stream_faults(gw):
    with pytest.raises(openai.APIConnectionError):
        list(openai_client(gw, TEST_KEYS["drop_stream"]).chat.completions.create(
            model="gpt-5-4", messages=LONG_PROMPT, stream=True))
    with pytest.raises(openai.APIError):
        list(openai_client(gw, TEST_KEYS["stream_error"]).chat.completions.create(
            model="gpt-5-4", messages=LONG_PROMPT, stream=True))


@pytest.mark.parametrize("spec", ["status=418", "bogus=1", "delay=soon", "drop-after=-1", "model-error=500",
                                  "status"])
def test_bad_fault_specs_are_rejected(gw, spec):
    with pytest.raises(FaultSpecError):
        parse_fault(spec)
    response = httpx.get(gw.base_url + "/v1/models", headers={"Authorization": f"Bearer {DEMO_KEY}",
                                                              **_fault(spec)})
    assert response.status_code == 400 and response.json()["error"]["param"] == "x-bytespike-fault"


def test_a_bad_fault_fails_at_construction():
    with pytest.raises(FaultSpecError):
        FakeGateway(fault="status=299")


# ------------------------------------------------------------------------------------- cold start
def _timed_chat(gw, model, **headers):
    started = time.perf_counter()
    openai_client(gw).chat.completions.create(model=model, messages=[{"role": "user", "content": "t"}],
                                              extra_headers=headers)
    return time.perf_counter() - started


def test_cold_start_is_paid_once_per_model():
    with FakeGateway(cold_start_ms=400) as gateway:
        first = _timed_chat(gateway, "gpt-5-4")
        second = _timed_chat(gateway, "gpt-5-4")
        other_model = _timed_chat(gateway, "claude-haiku-4-5")
        gateway.reset_cold()
        after_reset = _timed_chat(gateway, "gpt-5-4")
    assert first >= 0.4 and other_model >= 0.4 and after_reset >= 0.4
    assert second < first - 0.2  # warm: no cold-start sleep (loose, only relative to the 400 ms sleep)


def test_concurrent_first_requests_share_one_warm_up():
    async def main(base_url):
        async with httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {DEMO_KEY}"}) as client:
            body = {"model": "glm-5-1", "messages": [{"role": "user", "content": "x"}]}
            started = time.perf_counter()
            results = await asyncio.gather(*(client.post("/v1/chat/completions", json=body) for _ in range(5)))
            return time.perf_counter() - started, [r.status_code for r in results]

    with FakeGateway(cold_start_ms=300) as gateway:
        elapsed, statuses = asyncio.run(main(gateway.base_url))
    assert statuses == [200] * 5
    assert 0.3 <= elapsed < 5 * 0.3  # waited for one warm-up, not five in a row


def test_cold_fault_on_a_gateway_without_cold_start(fresh_gw):
    fresh_gw.reset_cold()
    assert _timed_chat(fresh_gw, "kimi-k2-6", **{"x-bytespike-fault": "cold=300"}) >= 0.3


# ------------------------------------------------------------------------------------ concurrency
def test_hundred_concurrent_streams_all_complete(gw):
    async def one(client, i):
        async with client.stream("POST", "/v1/chat/completions", json={
                "model": "gpt-5-4-mini", "stream": True, "messages": [{"role": "user", "content": f"stream {i}"}]}) \
                as response:
            text = ""
            async for line in response.aiter_lines():
                if line.startswith("data: {"):
                    delta = json.loads(line[6:])["choices"][0]["delta"]
                    text += delta.get("content") or ""
            return text

    async def main():
        limits = httpx.Limits(max_connections=200)
        async with httpx.AsyncClient(base_url=gw.base_url, limits=limits, timeout=30,
                                     headers={"Authorization": f"Bearer {DEMO_KEY}",
                                              **_fault("slow-stream=20")}) as client:
            return await asyncio.gather(*(one(client, i) for i in range(100)))

    assert asyncio.run(main()) == [f"echo: stream {i}" for i in range(100)]
