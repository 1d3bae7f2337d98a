"""Fixtures: one offline gateway per test module on a real loopback socket, SDK clients bound to it."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS, FakeGateway

# A real 1x1 PNG, as editors send screenshots.
PNG_B64 = base64.b64encode(bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5f0000000049454e44ae426082"
)).decode()

WEATHER_SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
                  "required": ["city"]}


@pytest.fixture(scope="module")
def gw():
    with FakeGateway() as gateway:
        yield gateway


@pytest.fixture
def fresh_gw():
    """A gateway of its own, for tests that change global settings (faults, cold start)."""
    with FakeGateway() as gateway:
        yield gateway


def openai_client(gateway, key=DEMO_KEY, **kwargs):
    import openai

    return openai.OpenAI(base_url=gateway.base_url + "/v1", api_key=key, max_retries=0, **kwargs)


def anthropic_client(gateway, key=TEST_KEYS["claude"], **kwargs):
    import anthropic

    return anthropic.Anthropic(base_url=gateway.base_url, api_key=key, max_retries=0, **kwargs)


def genai_client(gateway, key=TEST_KEYS["gemini"], headers=None):
    from google import genai
    from google.genai import types

    # google-genai defaults to api_version "v1" when given a base URL; ByteSpike serves Gemini under /v1beta.
    options = types.HttpOptions(base_url=gateway.base_url, api_version="v1beta", headers=headers or {},
                                retry_options=types.HttpRetryOptions(attempts=1))
    return genai.Client(api_key=key, http_options=options)


def sse_events(response: httpx.Response) -> list[tuple[str | None, str]]:
    """(event name, data) for every SSE frame of a streamed httpx response, read as it arrives."""
    events, name, data = [], None, []
    for line in response.iter_lines():
        if not line:
            if data:
                events.append((name, "\n".join(data)))
            name, data = None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())
    if data:
        events.append((name, "\n".join(data)))
    return events


def stream_raw(gateway, path, body, key=DEMO_KEY, headers=None, params=None):
    """POST and collect SSE frames plus the response headers."""
    hdrs = {"Authorization": f"Bearer {key}", "anthropic-version": "2023-06-01", **(headers or {})}
    with httpx.Client(timeout=10) as client:
        with client.stream("POST", gateway.base_url + path, json=body, headers=hdrs, params=params) as response:
            assert response.status_code == 200, response.read()
            return response.headers, sse_events(response)


def json_events(frames):
    return [(name, json.loads(data)) for name, data in frames if data != "[DONE]"]
