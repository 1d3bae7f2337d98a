"""OpenAI Chat Completions through the official openai SDK on a real socket."""

from __future__ import annotations

import json

from openai.types.chat import ChatCompletion, ChatCompletionChunk

from tests.fakegateway.conftest import PNG_B64, WEATHER_SCHEMA, json_events, openai_client, stream_raw
from tests.fakegateway.strict import strict_parse

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                           "parameters": WEATHER_SCHEMA}}]


def test_plain_reply_echoes_the_prompt_with_usage(gw):
    reply = openai_client(gw).chat.completions.create(
        model="gpt-5-4", messages=[{"role": "system", "content": "be brief"},
                                   {"role": "user", "content": "hello offline world"}])
    assert reply.choices[0].message.content == "echo: hello offline world"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.model == "gpt-5-4"
    assert reply.usage.completion_tokens == 4
    assert reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    strict_parse(ChatCompletion, reply.model_dump(exclude_unset=True))


def test_max_tokens_one_gives_one_short_token(gw):
    reply = openai_client(gw).chat.completions.create(
        model="gpt-5-4-mini", max_tokens=1, messages=[{"role": "user", "content": "a long prompt here"}])
    assert reply.choices[0].message.content == "echo:"
    assert reply.choices[0].finish_reason == "length"
    assert reply.usage.completion_tokens == 1


def test_stream_reassembles_to_the_same_text(gw):
    stream = openai_client(gw).chat.completions.create(
        model="claude-sonnet-4-6", stream=True, stream_options={"include_usage": True},
        messages=[{"role": "user", "content": "stream me please"}])
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream me please"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == 4
    assert all(c.object == "chat.completion.chunk" for c in chunks)


def test_stream_framing_ends_with_done_and_every_chunk_is_a_valid_chunk(gw):
    headers, frames = stream_raw(gw, "/v1/chat/completions", {
        "model": "gpt-5-4", "stream": True, "messages": [{"role": "user", "content": "frame check"}]})
    assert headers["content-type"].startswith("text/event-stream")
    assert frames[-1] == (None, "[DONE]")
    assert all(name is None for name, _ in frames)  # OpenAI chat frames carry no event: line
    for _, data in json_events(frames):
        strict_parse(ChatCompletionChunk, data)


def test_tool_call_when_the_prompt_asks_for_it(gw):
    reply = openai_client(gw).chat.completions.create(
        model="gpt-5-4", tools=TOOLS, messages=[{"role": "user", "content": "please call get_weather"}])
    choice = reply.choices[0]
    assert choice.finish_reason == "tool_calls" and choice.message.content is None
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "test"}


def test_forced_tool_with_arguments_from_the_prompt_and_tool_result_round_trip(gw):
    client = openai_client(gw)
    messages = [{"role": "user", "content": 'call get_weather with {"city": "Paris", "days": 2}'}]
    first = client.chat.completions.create(
        model="gpt-5-4", tools=TOOLS, messages=messages,
        tool_choice={"type": "function", "function": {"name": "get_weather"}})
    call = first.choices[0].message.tool_calls[0]
    assert json.loads(call.function.arguments) == {"city": "Paris", "days": 2}
    messages += [first.choices[0].message.model_dump(exclude_none=True),
                 {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21C"}]
    second = client.chat.completions.create(model="gpt-5-4", tools=TOOLS, messages=messages)
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "echo: tool result: sunny, 21C"


def test_tool_choice_none_answers_in_text(gw):
    reply = openai_client(gw).chat.completions.create(
        model="gpt-5-4", tools=TOOLS, tool_choice="none", messages=[{"role": "user", "content": "call get_weather"}])
    assert reply.choices[0].message.tool_calls is None
    assert reply.choices[0].message.content == "echo: call get_weather"


def test_streamed_tool_call_arrives_as_argument_deltas(gw):
    stream = openai_client(gw).chat.completions.create(
        model="gpt-5-4", tools=TOOLS, tool_choice="required", stream=True,
        messages=[{"role": "user", "content": "weather?"}])
    chunks = [c for c in stream if c.choices]
    first_call = chunks[0].choices[0].delta.tool_calls[0]
    assert first_call.id and first_call.function.name == "get_weather" and first_call.function.arguments == ""
    pieces = [c.choices[0].delta.tool_calls[0].function.arguments for c in chunks[1:] if c.choices[0].delta.tool_calls]
    assert len(pieces) > 1  # streamed in several deltas, not whole
    assert json.loads("".join(pieces)) == {"city": "test"}
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_image_input_is_accepted(gw):
    reply = openai_client(gw).chat.completions.create(model="gpt-5-4", messages=[{"role": "user", "content": [
        {"type": "text", "text": "what is this"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}}]}])
    assert reply.choices[0].message.content == "echo: what is this [image]"
    assert reply.usage.prompt_tokens > 85  # the image counts


def test_a_broken_image_is_a_400(gw):
    import openai
    import pytest

    with pytest.raises(openai.BadRequestError) as info:
        openai_client(gw).chat.completions.create(model="gpt-5-4", messages=[{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,@@not-base64@@"}}]}])
    assert info.value.code == "invalid_param"
