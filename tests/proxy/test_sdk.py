"""The official SDKs, pointed at the proxy with a placeholder key, against the offline gateway."""

from __future__ import annotations

import base64
import json
import os
import time

import anthropic
import openai
import pytest

from bytespike_cli.fakegateway import DEMO_KEY, FAULT_HEADER

PLACEHOLDER = "not-a-real-key"
WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa"
WEATHER_TOOL_OPENAI = {
    "type": "function",
    "function": {"name": "get_weather", "description": "Weather for a city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}},
}
WEATHER_TOOL_ANTHROPIC = {"name": "get_weather", "description": "Weather for a city",
                          "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                                           "required": ["city"]}}


def _png_data(size: int = 300_000) -> str:
    """A PNG signature plus filler: big enough that the request body arrives in many reads."""
    raw = b"\x89PNG\r\n\x1a\n" + os.urandom(size)
    return base64.b64encode(raw).decode()


@pytest.fixture
def oai(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url)
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=PLACEHOLDER, max_retries=0, timeout=10)
    yield client, proxy
    client.close()


@pytest.fixture
def claude(gateway, start_proxy):
    proxy = start_proxy(gateway.base_url)
    client = anthropic.Anthropic(base_url=proxy.url, api_key=PLACEHOLDER, max_retries=0, timeout=10)
    yield client, proxy
    client.close()


# --------------------------------------------------------------------------- OpenAI


def test_openai_chat_non_streaming_gets_the_profile_key_not_the_placeholder(oai, gateway):
    client, _ = oai
    reply = client.chat.completions.create(model="gpt-5-5", messages=[{"role": "user", "content": "hello there"}])
    assert reply.choices[0].message.content == "echo: hello there"
    seen = gateway.requests[-1]
    assert seen.headers["Authorization"] == f"Bearer {DEMO_KEY}"
    assert PLACEHOLDER not in json.dumps(dict(seen.headers))


def test_openai_chat_streaming_yields_every_word(oai):
    client, _ = oai
    stream = client.chat.completions.create(model="gpt-5-5", messages=[{"role": "user", "content": WORDS}],
                                            stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text == f"echo: {WORDS}"


def test_openai_streaming_chunks_arrive_one_by_one(oai):
    """Read with the SDK as events arrive: with a 120 ms model the chunks must come spread out."""
    client, _ = oai
    stamps = []
    stream = client.chat.completions.create(
        model="gpt-5-5", messages=[{"role": "user", "content": "one two three four five"}], stream=True,
        extra_headers={FAULT_HEADER: "slow-stream=120"})
    for chunk in stream:
        if chunk.choices and chunk.choices[0].delta.content:
            stamps.append(time.perf_counter())
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]
    assert len(stamps) == 6  # "echo:" + five words
    assert min(gaps) > 0.06, f"chunks were bunched: gaps {gaps}"


def test_openai_tool_call_round_trip(oai):
    client, _ = oai
    reply = client.chat.completions.create(
        model="gpt-5-5", messages=[{"role": "user", "content": "What is the weather in Paris?"}],
        tools=[WEATHER_TOOL_OPENAI], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    call = reply.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert "city" in json.loads(call.function.arguments)


def test_openai_streamed_tool_call_arguments_reassemble(oai):
    client, _ = oai
    stream = client.chat.completions.create(
        model="gpt-5-5", messages=[{"role": "user", "content": "weather in Oslo"}], stream=True,
        tools=[WEATHER_TOOL_OPENAI], tool_choice={"type": "function", "function": {"name": "get_weather"}})
    pieces = [tc.function.arguments or "" for chunk in stream if chunk.choices
              for tc in (chunk.choices[0].delta.tool_calls or ())]
    assert "city" in json.loads("".join(pieces))


def test_openai_image_input_body_reaches_the_gateway_intact(oai, gateway):
    client, _ = oai
    data = _png_data()
    reply = client.chat.completions.create(model="gpt-5-5", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{data}"}},
    ]}])
    assert reply.usage.prompt_tokens >= 85  # the gateway counted the image
    sent = gateway.requests[-1].json["messages"][0]["content"][1]["image_url"]["url"]
    assert sent == f"data:image/png;base64,{data}"


def test_openai_models_list_and_responses_api(oai):
    client, _ = oai
    ids = [m.id for m in client.models.list().data]
    assert "gpt-5-5" in ids and "claude-sonnet-4-6" in ids
    response = client.responses.create(model="gpt-5-5", input="ping pong")
    assert response.output_text == "echo: ping pong"


def test_openai_client_hanging_up_mid_stream_closes_the_upstream_request(gateway, start_proxy, tap_to):
    tap = tap_to(gateway.port)
    proxy = start_proxy(tap.url)
    client = openai.OpenAI(base_url=proxy.url + "/v1", api_key=PLACEHOLDER, max_retries=0, timeout=10)
    stream = client.chat.completions.create(
        model="gpt-5-5", messages=[{"role": "user", "content": WORDS}], stream=True,
        extra_headers={FAULT_HEADER: "slow-stream=150"})  # 18 events: ~2.7 s if read to the end
    for got, _chunk in enumerate(stream, 1):
        if got == 2:
            break
    hung_up = time.perf_counter()
    stream.close()
    deadline = hung_up + 2
    while tap.first("proxy_closed") is None and time.perf_counter() < deadline:
        time.sleep(0.01)
    closed = tap.first("proxy_closed")
    assert closed is not None, "the proxy kept the upstream request open after the client left"
    assert closed - hung_up < 0.5
    assert "499" in " ".join(proxy.wait_log_lines(1))
    client.close()


# --------------------------------------------------------------------------- Anthropic


def test_anthropic_messages_non_streaming_uses_x_api_key_and_keeps_version_and_beta(claude, gateway):
    client, _ = claude
    message = client.messages.create(model="claude-sonnet-4-6", max_tokens=100,
                                     messages=[{"role": "user", "content": "hi claude"}],
                                     extra_headers={"anthropic-version": "2023-06-01",
                                                    "anthropic-beta": "prompt-caching-2024-07-31"})
    assert message.content[0].text == "echo: hi claude"
    seen = gateway.requests[-1].headers
    assert seen["x-api-key"] == DEMO_KEY
    assert "Authorization" not in seen
    assert seen["anthropic-version"] == "2023-06-01"
    assert seen["anthropic-beta"] == "prompt-caching-2024-07-31"


def test_anthropic_streaming_text(claude):
    client, _ = claude
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=100,
                                messages=[{"role": "user", "content": WORDS}]) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == f"echo: {WORDS}"
    assert final.stop_reason == "end_turn"


def test_anthropic_tool_use(claude):
    client, _ = claude
    message = client.messages.create(model="claude-sonnet-4-6", max_tokens=200, tools=[WEATHER_TOOL_ANTHROPIC],
                                      tool_choice={"type": "tool", "name": "get_weather"},
                                      messages=[{"role": "user", "content": "weather in Rome"}])
    block = next(b for b in message.content if b.type == "tool_use")
    assert block.name == "get_weather" and "city" in block.input


def test_anthropic_streamed_tool_use(claude):
    client, _ = claude
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=200, tools=[WEATHER_TOOL_ANTHROPIC],
                                tool_choice={"type": "tool", "name": "get_weather"},
                                messages=[{"role": "user", "content": "weather in Rome"}]) as stream:
        final = stream.get_final_message()
    block = next(b for b in final.content if b.type == "tool_use")
    assert block.name == "get_weather" and "city" in block.input


def test_anthropic_image_input(claude, gateway):
    client, _ = claude
    data = _png_data()
    message = client.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=[{"role": "user", "content": [
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
        {"type": "text", "text": "describe"},
    ]}])
    assert message.usage.input_tokens >= 85
    assert gateway.requests[-1].json["messages"][0]["content"][0]["source"]["data"] == data


def test_anthropic_client_hanging_up_mid_stream_closes_the_upstream_request(gateway, start_proxy, tap_to):
    tap = tap_to(gateway.port)
    proxy = start_proxy(tap.url)
    client = anthropic.Anthropic(base_url=proxy.url, api_key=PLACEHOLDER, max_retries=0, timeout=10)
    with client.messages.stream(model="claude-sonnet-4-6", max_tokens=100,
                                messages=[{"role": "user", "content": WORDS}],
                                extra_headers={FAULT_HEADER: "slow-stream=150"}) as stream:
        for _ in zip(range(3), stream):
            pass
        hung_up = time.perf_counter()
    deadline = hung_up + 2
    while tap.first("proxy_closed") is None and time.perf_counter() < deadline:
        time.sleep(0.01)
    closed = tap.first("proxy_closed")
    assert closed is not None and closed - hung_up < 0.5
    client.close()


def test_sdk_sees_a_truncated_stream_when_the_gateway_drops_mid_stream(claude):
    client, _ = claude
    with pytest.raises((anthropic.APIConnectionError, anthropic.APIError, Exception)) as info:
        with client.messages.stream(model="claude-sonnet-4-6", max_tokens=100,
                                    messages=[{"role": "user", "content": WORDS}],
                                    extra_headers={FAULT_HEADER: "drop-after=3"}) as stream:
            "".join(stream.text_stream)
            stream.get_final_message()
    assert not isinstance(info.value, AssertionError)


def test_quota_headers_come_back_to_the_sdk(oai):
    client, _ = oai
    raw = client.chat.completions.with_raw_response.create(model="gpt-5-5",
                                                           messages=[{"role": "user", "content": "hi"}])
    assert raw.headers.get("x-quota-remaining-credits")
    assert raw.headers.get("x-ratelimit-remaining")
