"""Every row of the gateway's error table, produced on purpose and mapped to each SDK's own exception."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS
from tests.fakegateway.conftest import anthropic_client, openai_client

CHAT = [{"role": "user", "content": "hi"}]

# (what, key, model, fault header, openai exception, anthropic exception, status, code, anthropic error type)
CASES = [
    ("revoked key", TEST_KEYS["revoked"], "gpt-5-4", None,
     openai.AuthenticationError, anthropic.AuthenticationError, 401, "invalid_api_key", "authentication_error"),
    ("unknown key", "sk-byts-not-a-real-key-123456", "gpt-5-4", None,
     openai.AuthenticationError, anthropic.AuthenticationError, 401, "invalid_api_key", "authentication_error"),
    ("empty wallet", TEST_KEYS["empty_wallet"], "gpt-5-4", None,
     openai.APIStatusError, anthropic.APIStatusError, 402, "insufficient_balance", "billing_error"),
    ("key quota reached", TEST_KEYS["quota_reached"], "gpt-5-4", None,
     openai.APIStatusError, anthropic.APIStatusError, 402, "quota_exceeded", "billing_error"),
    ("IP denied", TEST_KEYS["ip_denied"], "gpt-5-4", None,
     openai.PermissionDeniedError, anthropic.PermissionDeniedError, 403, "permission_denied", "permission_error"),
    ("paused org", TEST_KEYS["paused_org"], "gpt-5-4", None,
     openai.PermissionDeniedError, anthropic.PermissionDeniedError, 403, "permission_error", "permission_error"),
    ("model outside the group", TEST_KEYS["gemini"], "claude-sonnet-4-6", None,
     openai.PermissionDeniedError, anthropic.PermissionDeniedError, 403, "model_not_in_group", "permission_error"),
    ("model outside the group, client-guide flavour", TEST_KEYS["gemini"], "claude-sonnet-4-6", "model-error=400",
     openai.BadRequestError, anthropic.BadRequestError, 400, "model_not_allowed", "invalid_request_error"),
    ("unknown model", DEMO_KEY, "gpt-9-turbo", None,
     openai.BadRequestError, anthropic.BadRequestError, 400, "model_not_found", "not_found_error"),
    ("retired model", DEMO_KEY, "deepseek-chat", None,
     openai.BadRequestError, anthropic.BadRequestError, 400, "unsupported_model", "invalid_request_error"),
    ("spend window", TEST_KEYS["rate_limited"], "gpt-5-4", None,
     openai.RateLimitError, anthropic.RateLimitError, 429, "rate_limit_exceeded", "rate_limit_error"),
    ("429 fault", DEMO_KEY, "gpt-5-4", "status=429",
     openai.RateLimitError, anthropic.RateLimitError, 429, "rate_limit_exceeded", "rate_limit_error"),
    ("500 fault", DEMO_KEY, "gpt-5-4", "status=500",
     openai.InternalServerError, anthropic.InternalServerError, 500, "api_error", "api_error"),
    ("502 fault", DEMO_KEY, "gpt-5-4", "status=502",
     openai.InternalServerError, anthropic.InternalServerError, 502, "bad_gateway", "api_error"),
    ("503 fault", DEMO_KEY, "gpt-5-4", "status=503",
     openai.InternalServerError, anthropic.InternalServerError, 503, "overloaded", "overloaded_error"),
    ("504 fault", DEMO_KEY, "gpt-5-4", "status=504",
     openai.InternalServerError, anthropic.InternalServerError, 504, "upstream_timeout", "timeout_error"),
    ("500 bound to a key", TEST_KEYS["server_error"], "gpt-5-4", None,
     openai.InternalServerError, anthropic.InternalServerError, 500, "api_error", "api_error"),
]
IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("what,key,model,fault,openai_exc,_a,status,code,_t", CASES, ids=IDS)
def test_openai_sdk_exceptions(gw, what, key, model, fault, openai_exc, _a, status, code, _t):
    headers = {"x-bytespike-fault": fault} if fault else {}
    with pytest.raises(openai_exc) as info:
        openai_client(gw, key).chat.completions.create(model=model, messages=CHAT, extra_headers=headers)
    err = info.value
    assert err.status_code == status
    assert err.code == code
    assert err.response.headers["x-ratelimit-limit"]  # quota headers on errors too
    assert "sk-byts-" not in err.message or "…" in err.message  # a key is only ever shown masked


@pytest.mark.parametrize("what,key,model,fault,_o,anthropic_exc,status,code,error_type", CASES, ids=IDS)
def test_anthropic_sdk_exceptions(gw, what, key, model, fault, _o, anthropic_exc, status, code, error_type):
    headers = {"x-bytespike-fault": fault} if fault else {}
    with pytest.raises(anthropic_exc) as info:
        anthropic_client(gw, key).messages.create(model=model, max_tokens=16, messages=CHAT, extra_headers=headers)
    err = info.value
    assert err.status_code == status
    assert err.body["type"] == "error"
    assert err.body["error"]["type"] == error_type
    if code not in ("invalid_api_key", "rate_limit_exceeded", "api_error", "bad_gateway", "overloaded",
                    "upstream_timeout"):
        assert code in err.body["error"]["message"]  # the Anthropic envelope has no code field: it leads the message


def test_402_quota_reached_shows_zero_credits(gw):
    with pytest.raises(openai.APIStatusError) as info:
        openai_client(gw, TEST_KEYS["quota_reached"]).chat.completions.create(model="gpt-5-4", messages=CHAT)
    assert info.value.response.headers["X-Quota-Remaining-Credits"] == "0.00"


@pytest.mark.parametrize("key", [TEST_KEYS["rate_limited"], DEMO_KEY])
def test_429_has_a_reset_in_the_future(gw, key):
    with pytest.raises(openai.RateLimitError) as info:
        openai_client(gw, key).chat.completions.create(model="gpt-5-4", messages=CHAT,
                                                       extra_headers={"x-bytespike-fault": "status=429"})
    headers = info.value.response.headers
    assert int(headers["X-RateLimit-Reset"]) > time.time()
    assert headers["X-RateLimit-Remaining"] == "0.00"


def test_429_fault_reset_is_adjustable(gw):
    response = httpx.get(gw.base_url + "/v1/models", headers={"Authorization": f"Bearer {DEMO_KEY}",
                                                              "x-bytespike-fault": "status=429,reset=120"})
    assert response.status_code == 429
    assert 100 < int(response.headers["X-RateLimit-Reset"]) - time.time() <= 121


def test_missing_key_is_401(gw):
    response = httpx.post(gw.base_url + "/v1/chat/completions", json={"model": "gpt-5-4", "messages": CHAT})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_unknown_route_is_a_404_not_found_error(gw):
    client = openai_client(gw)
    with pytest.raises(openai.NotFoundError) as info:
        client.embeddings.create(model="gpt-5-4", input="no embeddings on this gateway")
    assert info.value.code == "not_found"


def test_context_length_exceeded(gw):
    with pytest.raises(openai.BadRequestError) as info:
        openai_client(gw).chat.completions.create(model="deepseek-v4-flash", max_tokens=8000,
                                                  messages=[{"role": "user", "content": "x" * 240_000}])
    assert info.value.code == "context_length_exceeded"


def test_max_tokens_above_the_model_limit(gw):
    with pytest.raises(anthropic.BadRequestError) as info:
        anthropic_client(gw).messages.create(model="claude-haiku-4-5", max_tokens=10_000, messages=CHAT)
    assert "max_tokens" in info.value.body["error"]["message"]


def test_image_model_on_a_text_endpoint(gw):
    with pytest.raises(openai.BadRequestError) as info:
        openai_client(gw).chat.completions.create(model="gpt-image-2", messages=CHAT)
    assert info.value.code == "invalid_param"


def test_malformed_json_body(gw):
    response = httpx.post(gw.base_url + "/v1/chat/completions", content=b"{not json",
                          headers={"Authorization": f"Bearer {DEMO_KEY}", "content-type": "application/json"})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_param"


def test_missing_fields_name_the_param(gw):
    with pytest.raises(openai.BadRequestError) as info:
        openai_client(gw).chat.completions.create(model="gpt-5-4", messages=[])
    assert info.value.param == "messages"


def test_free_endpoints_still_answer_for_an_empty_wallet(gw):
    """402 comes from billed calls; listing models and reading the account stay free (verify needs them)."""
    headers = {"Authorization": f"Bearer {TEST_KEYS['empty_wallet']}"}
    assert httpx.get(gw.base_url + "/v1/models", headers=headers).status_code == 200
    account = httpx.get(gw.base_url + "/api/v1/me/account", headers=headers).json()
    assert account["balance"]["available_usd"] == 0 and account["balance"]["low_balance_flagged"] is True


@pytest.mark.parametrize("name,status", [("revoked", 401), ("ip_denied", 403), ("paused_org", 403)])
def test_blocked_keys_are_blocked_everywhere(gw, name, status):
    headers = {"Authorization": f"Bearer {TEST_KEYS[name]}"}
    for path in ("/v1/models", "/api/v1/me/account", "/api/v1/me/usage"):
        assert httpx.get(gw.base_url + path, headers=headers).status_code == status
