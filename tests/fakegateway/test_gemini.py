"""Gemini generateContent / streamGenerateContent through google-genai, and Gemini's own auth forms."""

from __future__ import annotations

import json

import httpx
import pytest
from google.genai import errors, types

from bytespike_cli.fakegateway import TEST_KEYS
from tests.fakegateway.conftest import PNG_B64, genai_client, json_events, stream_raw

GEMINI_KEY = TEST_KEYS["gemini"]


@pytest.fixture
def gem(gw):
    # Held by the fixture: a google-genai Client closes its HTTP client when it is garbage-collected.
    return genai_client(gw)


def test_generate_content(gw, gem):
    response = gem.models.generate_content(model="gemini-3-flash", contents="hello gemini")
    assert response.text == "echo: hello gemini"
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    usage = response.usage_metadata
    assert usage.candidates_token_count == 3
    assert usage.total_token_count == usage.prompt_token_count + 3
    assert gw.requests[-1].path == "/v1beta/models/gemini-3-flash:generateContent"
    assert gw.requests[-1].headers["x-goog-api-key"] == GEMINI_KEY


def test_stream_generate_content(gw, gem):
    chunks = list(gem.models.generate_content_stream(model="gemini-2-5-flash", contents="stream this"))
    assert "".join(c.text for c in chunks) == "echo: stream this"
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert gw.requests[-1].query == {"alt": "sse"}


def test_stream_chunks_parse_as_generate_content_responses(gw):
    _, frames = stream_raw(gw, "/v1beta/models/gemini-3-flash:streamGenerateContent", {
        "contents": [{"role": "user", "parts": [{"text": "schema check"}]}]},
        headers={"x-goog-api-key": GEMINI_KEY}, params={"alt": "sse"})
    assert frames and all(name is None for name, _ in frames)
    assert all(data != "[DONE]" for _, data in frames)  # Google's framing: no [DONE] terminator
    for _, data in json_events(frames):
        types.GenerateContentResponse.model_validate(data)  # extra="forbid": unknown fields fail


def test_max_output_tokens(gw, gem):
    response = gem.models.generate_content(
        model="gemini-3-flash", contents="one two three", config=types.GenerateContentConfig(max_output_tokens=1))
    assert response.text == "echo:"
    assert response.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS


def test_image_part(gw, gem):
    response = gem.models.generate_content(model="gemini-3-1-pro", contents=[
        types.Part.from_bytes(data=__import__("base64").b64decode(PNG_B64), mime_type="image/png"), "what is it"])
    assert response.text == "echo: [image] what is it"


def test_function_call(gw, gem):
    tool = types.Tool(function_declarations=[types.FunctionDeclaration(
        name="get_weather", parameters=types.Schema(type="OBJECT", properties={"city": types.Schema(type="STRING")},
                                                    required=["city"]))])
    config = types.GenerateContentConfig(
        tools=[tool], automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        tool_config=types.ToolConfig(function_calling_config=types.FunctionCallingConfig(mode="ANY")))
    response = gem.models.generate_content(model="gemini-3-flash", contents="weather?", config=config)
    (call,) = response.function_calls
    assert call.name == "get_weather" and call.args == {"city": "test"}


def _post(gw, path="/v1beta/models/gemini-3-flash:generateContent", **kwargs):
    return httpx.post(gw.base_url + path, json={"contents": [{"parts": [{"text": "hi"}]}]}, **kwargs)


def test_key_in_the_query_string(gw):
    response = _post(gw, params={"key": GEMINI_KEY})
    assert response.status_code == 200
    assert response.json()["candidates"][0]["content"]["parts"][0]["text"] == "echo: hi"


def test_query_key_is_only_read_on_gemini_routes(gw):
    response = httpx.get(gw.base_url + "/v1/models", params={"key": GEMINI_KEY})
    assert response.status_code == 401


def test_x_goog_api_key_header(gw):
    assert _post(gw, headers={"x-goog-api-key": GEMINI_KEY}).status_code == 200


def test_bad_key_in_google_shape(gw):
    response = _post(gw, params={"key": "sk-byts-nope-000000000000"})
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["status"] == "UNAUTHENTICATED" and error["code"] == 401
    assert error["message"].startswith("API key not valid")


def test_unknown_model_is_404_not_found(gw, gem):
    with pytest.raises(errors.ClientError) as info:
        gem.models.generate_content(model="gemini-9-ultra", contents="x")
    assert info.value.code == 404 and info.value.status == "NOT_FOUND"


def test_model_outside_the_group_is_permission_denied(gw, gem):
    with pytest.raises(errors.ClientError) as info:
        gem.models.generate_content(model="claude-sonnet-4-6", contents="x")
    assert info.value.code == 403 and info.value.status == "PERMISSION_DENIED"
    assert info.value.details["error"]["details"][0]["reason"] == "MODEL_NOT_IN_GROUP"


def test_server_fault_is_a_server_error(gw):
    client = genai_client(gw, headers={"x-bytespike-fault": "status=503"})
    with pytest.raises(errors.ServerError) as info:
        client.models.generate_content(model="gemini-3-flash", contents="x")
    assert info.value.code == 503 and info.value.status == "UNAVAILABLE"


def test_list_models_in_gemini_shape(gw, gem):
    names = [m.name for m in gem.models.list()]
    assert "models/gemini-3-1-pro" in names
    assert not any("claude" in n for n in names)


def test_count_tokens(gw, gem):
    result = gem.models.count_tokens(model="gemini-3-flash", contents="count these words please")
    assert result.total_tokens == 6


def test_stream_without_alt_sse_returns_a_json_array(gw):
    response = _post(gw, path="/v1beta/models/gemini-3-flash:streamGenerateContent",
                     headers={"x-goog-api-key": GEMINI_KEY})
    body = json.loads(response.text)
    assert isinstance(body, list) and body[0]["candidates"][0]["content"]["parts"][0]["text"] == "echo: hi"
