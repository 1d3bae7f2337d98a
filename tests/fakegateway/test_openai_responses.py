"""OpenAI Responses API through the official openai SDK."""

from __future__ import annotations

import json

from openai.types.responses import Response, ResponseStreamEvent

from tests.fakegateway.conftest import PNG_B64, WEATHER_SCHEMA, json_events, openai_client, stream_raw
from tests.fakegateway.strict import strict_parse

TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather", "parameters": WEATHER_SCHEMA,
          "strict": True}]

TEXT_EVENTS = [
    "response.created", "response.in_progress", "response.output_item.added", "response.content_part.added",
    "response.output_text.delta", "response.output_text.done", "response.content_part.done",
    "response.output_item.done", "response.completed",
]


def test_plain_reply(gw):
    response = openai_client(gw).responses.create(model="gpt-5-5", input="hello responses",
                                                  instructions="answer briefly")
    assert response.status == "completed"
    assert response.output_text == "echo: hello responses"
    assert response.usage.output_tokens == 3
    assert response.usage.total_tokens == response.usage.input_tokens + 3
    assert response.instructions == "answer briefly"
    strict_parse(Response, response.model_dump(exclude_unset=True))


def test_item_list_input_with_image(gw):
    response = openai_client(gw).responses.create(model="gpt-5-4", input=[{"role": "user", "content": [
        {"type": "input_text", "text": "describe"},
        {"type": "input_image", "image_url": f"data:image/png;base64,{PNG_B64}"}]}])
    assert response.output_text == "echo: describe [image]"


def test_max_output_tokens_makes_an_incomplete_response(gw):
    response = openai_client(gw).responses.create(model="gpt-5-4", input="one two three four", max_output_tokens=2)
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output_text == "echo: one"


def test_stream_event_order_and_sequence_numbers(gw):
    stream = openai_client(gw).responses.create(model="gpt-5-4", input="stream this", stream=True)
    events = list(stream)
    kinds = [e.type for e in events]
    deduped = [k for i, k in enumerate(kinds) if i == 0 or k != kinds[i - 1]]
    assert deduped == TEXT_EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == "echo: stream this"
    assert events[-1].response.output_text == "echo: stream this"
    assert events[-1].response.usage.output_tokens == 3


def test_stream_helper_accumulates_the_final_response(gw):
    with openai_client(gw).responses.stream(model="claude-opus-4-8", input="accumulate me") as stream:
        final = stream.get_final_response()
    assert final.output_text == "echo: accumulate me"


def test_every_streamed_event_is_a_valid_event_with_its_sse_name(gw):
    _, frames = stream_raw(gw, "/v1/responses", {"model": "gpt-5-4", "input": "schema", "stream": True})
    for name, data in json_events(frames):
        assert name == data["type"]
        strict_parse(ResponseStreamEvent, data)


def test_function_call_item(gw):
    response = openai_client(gw).responses.create(model="gpt-5-4", input="call get_weather", tools=TOOLS)
    (item,) = response.output
    assert item.type == "function_call" and item.name == "get_weather" and item.call_id
    assert json.loads(item.arguments) == {"city": "test"}


def test_function_call_output_round_trip(gw):
    client = openai_client(gw)
    first = client.responses.create(model="gpt-5-4", input="weather?", tools=TOOLS, tool_choice="required")
    call = first.output[0]
    second = client.responses.create(model="gpt-5-4", tools=TOOLS, input=[
        {"role": "user", "content": "weather?"}, call.model_dump(exclude_none=True),
        {"type": "function_call_output", "call_id": call.call_id, "output": "rain"}])
    assert second.output_text == "echo: tool result: rain"


def test_streamed_function_call(gw):
    _, frames = stream_raw(gw, "/v1/responses", {"model": "gpt-5-4", "input": "call get_weather", "tools": TOOLS,
                                                "stream": True})
    events = [strict_parse(ResponseStreamEvent, data) for _, data in json_events(frames)]
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    done = next(e for e in events if e.type == "response.function_call_arguments.done")
    assert "".join(deltas) == done.arguments and json.loads(done.arguments) == {"city": "test"}
    assert events[-1].type == "response.completed"
    assert events[-1].response.output[0].type == "function_call"
