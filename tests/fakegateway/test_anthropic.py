"""Anthropic Messages through the official anthropic SDK."""

from __future__ import annotations

import httpx
from anthropic.types import Message, RawMessageStreamEvent

from bytespike_cli.fakegateway import TEST_KEYS
from tests.fakegateway.conftest import PNG_B64, WEATHER_SCHEMA, anthropic_client, json_events, stream_raw
from tests.fakegateway.strict import strict_parse

TOOLS = [{"name": "get_weather", "description": "Weather for a city", "input_schema": WEATHER_SCHEMA}]


def test_plain_reply(gw):
    message = anthropic_client(gw).messages.create(
        model="claude-sonnet-4-6", max_tokens=256, system="be brief",
        messages=[{"role": "user", "content": "hello claude"}])
    assert message.content[0].text == "echo: hello claude"
    assert message.stop_reason == "end_turn"
    assert message.usage.output_tokens == 3 and message.usage.input_tokens > 0
    strict_parse(Message, message.model_dump(exclude_unset=True))


def test_max_tokens_stop_reason(gw):
    message = anthropic_client(gw).messages.create(
        model="claude-haiku-4-5", max_tokens=1, messages=[{"role": "user", "content": "warm up please"}])
    assert message.content[0].text == "echo:" and message.stop_reason == "max_tokens"


def test_stream_with_the_sdk_accumulator(gw):
    with anthropic_client(gw).messages.stream(
            model="claude-sonnet-4-6", max_tokens=256, messages=[{"role": "user", "content": "stream it"}]) as stream:
        texts = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(texts) == "echo: stream it" and len(texts) == 3
    assert final.content[0].text == "echo: stream it"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 3


def test_stream_framing_and_strict_event_shapes(gw):
    _, frames = stream_raw(gw, "/v1/messages", {"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": True,
                                               "messages": [{"role": "user", "content": "shape"}]},
                           key=TEST_KEYS["claude"])
    names = [name for name, _ in frames]
    assert names[0] == "message_start" and names[-2:] == ["message_delta", "message_stop"]
    for name, data in json_events(frames):
        assert name == data["type"]
        if name == "ping":
            assert data == {"type": "ping"}
            continue
        strict_parse(RawMessageStreamEvent, data)


def test_tool_use_when_forced(gw):
    message = anthropic_client(gw).messages.create(
        model="claude-sonnet-4-6", max_tokens=256, tools=TOOLS, tool_choice={"type": "tool", "name": "get_weather"},
        messages=[{"role": "user", "content": "what is the weather?"}])
    (block,) = message.content
    assert block.type == "tool_use" and block.name == "get_weather" and block.input == {"city": "test"}
    assert message.stop_reason == "tool_use"


def test_tool_result_round_trip(gw):
    client = anthropic_client(gw)
    messages = [{"role": "user", "content": 'call get_weather with {"city": "Oslo"}'}]
    first = client.messages.create(model="claude-opus-4-8", max_tokens=256, tools=TOOLS, messages=messages)
    block = first.content[0]
    assert block.input == {"city": "Oslo"}
    messages += [{"role": "assistant", "content": [block.model_dump(exclude_none=True)]},
                 {"role": "user", "content": [{"type": "tool_result", "tool_use_id": block.id, "content": "snow"}]}]
    second = client.messages.create(model="claude-opus-4-8", max_tokens=256, tools=TOOLS, messages=messages)
    assert second.content[0].text == "echo: tool result: snow" and second.stop_reason == "end_turn"


def test_streamed_tool_use_as_input_json_deltas(gw):
    with anthropic_client(gw).messages.stream(
            model="claude-sonnet-4-6", max_tokens=256, tools=TOOLS, tool_choice={"type": "any"},
            messages=[{"role": "user", "content": "weather"}]) as stream:
        events = list(stream)
        final = stream.get_final_message()
    partials = [e.delta.partial_json for e in events if e.type == "content_block_delta"]
    assert len(partials) > 1
    assert final.content[0].type == "tool_use" and final.content[0].input == {"city": "test"}
    assert final.stop_reason == "tool_use"


def test_image_block_is_accepted(gw):
    message = anthropic_client(gw).messages.create(model="claude-sonnet-4-6", max_tokens=64, messages=[{
        "role": "user", "content": [
            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG_B64}},
            {"type": "text", "text": "what is it"}]}])
    assert message.content[0].text == "echo: [image] what is it"


def test_anthropic_version_header_is_required(gw):
    response = httpx.post(gw.base_url + "/v1/messages", headers={"x-api-key": TEST_KEYS["claude"]},
                          json={"model": "claude-sonnet-4-6", "max_tokens": 5,
                                "messages": [{"role": "user", "content": "x"}]})
    assert response.status_code == 400
    assert response.json()["type"] == "error"
    assert response.json()["error"]["type"] == "invalid_request_error"
    assert "anthropic-version" in response.json()["error"]["message"]


def test_the_sdk_sends_anthropic_version(gw):
    anthropic_client(gw).messages.create(model="claude-haiku-4-5", max_tokens=5,
                                         messages=[{"role": "user", "content": "v"}])
    import re

    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", gw.requests[-1].headers["anthropic-version"])


def test_max_tokens_is_required(gw):
    response = httpx.post(gw.base_url + "/v1/messages",
                          headers={"x-api-key": TEST_KEYS["claude"], "anthropic-version": "2023-06-01"},
                          json={"model": "claude-haiku-4-5", "messages": [{"role": "user", "content": "v"}]})
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": "max_tokens: field required"}


def test_bearer_auth_also_works_on_messages(gw):
    import anthropic

    client = anthropic.Anthropic(base_url=gw.base_url, auth_token=TEST_KEYS["claude"], max_retries=0)
    message = client.messages.create(model="claude-haiku-4-5", max_tokens=16,
                                     messages=[{"role": "user", "content": "bearer"}])
    assert message.content[0].text == "echo: bearer"
    assert "x-api-key" not in gw.requests[-1].headers
