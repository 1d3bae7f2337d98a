"""The catalogue (/v1/models with filters and group scoping) and the management API."""

from __future__ import annotations

import httpx
import pytest

from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS
from tests.fakegateway.conftest import openai_client


def _get(gw, path, key=DEMO_KEY, **params):
    response = httpx.get(gw.base_url + path, headers={"Authorization": f"Bearer {key}"}, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _ids(gw, key=DEMO_KEY, **params):
    return [m["id"] for m in _get(gw, "/v1/models", key, **params)["data"]]


def test_payload_shape_matches_the_reference(gw):
    body = _get(gw, "/v1/models")
    assert body["object"] == "list"
    sonnet = next(m for m in body["data"] if m["id"] == "claude-sonnet-4-6")
    assert sonnet == {
        "id": "claude-sonnet-4-6", "object": "model", "owned_by": "anthropic", "family": "claude",
        "capabilities": ["text", "vision", "tool_use", "streaming", "cache_control", "thinking"],
        "context_window": 200000, "max_output_tokens": 8192, "input_modalities": ["text", "image"],
        "output_modalities": ["text"], "pricing_url": "https://bytespike.ai/pricing#claude-sonnet-4-6",
        "created": 1714003200,
    }


def test_every_family_value_is_from_the_reference(gw):
    families = {m["family"] for m in _get(gw, "/v1/models")["data"]}
    assert families == {"claude", "gpt", "gemini", "deepseek", "kimi", "glm", "minimax", "doubao"}


def test_the_openai_sdk_lists_models(gw):
    ids = [m.id for m in openai_client(gw).models.list()]
    assert "gpt-5-4" in ids and "gemini-3-1-pro" in ids
    assert openai_client(gw).models.retrieve("glm-5-1").owned_by == "zhipu"


@pytest.mark.parametrize("key,expected_families", [
    ("claude", {"claude", "deepseek"}),
    ("gemini", {"gemini"}),
])
def test_group_scoping(gw, key, expected_families):
    data = _get(gw, "/v1/models", TEST_KEYS[key])["data"]
    assert {m["family"] for m in data} == expected_families
    if key == "claude":
        assert {m["id"] for m in data if m["family"] == "deepseek"} == {
            "deepseek-v4-pro", "deepseek-v4-flash", "deepseek-v3-anthropic"}


def test_default_group_gets_everything(gw):
    ids = set(_ids(gw, TEST_KEYS["default"]))
    assert set(_ids(gw, TEST_KEYS["claude"])) < ids and set(_ids(gw, TEST_KEYS["gemini"])) < ids


def test_family_filter_takes_family_and_vendor_names(gw):
    assert _ids(gw, family="claude") == _ids(gw, family="anthropic")
    assert set(_ids(gw, family="gemini")) == {i for i in _ids(gw) if i.startswith(("gemini", "veo"))}
    assert all(i.startswith("gpt") for i in _ids(gw, family="openai"))


def test_capability_filters_are_anded_and_repeatable(gw):
    vision_tools = set(_ids(gw, capability=["vision", "tool_use"]))
    assert "claude-sonnet-4-6" in vision_tools
    assert "deepseek-v4-pro" not in vision_tools  # no vision
    assert "claude-haiku-4-5" not in _ids(gw, capability="thinking")
    assert _ids(gw, capability="teleportation") == []


def test_filters_stay_inside_the_group(gw):
    assert _ids(gw, TEST_KEYS["gemini"], family="claude") == []


def test_retrieve_a_model_outside_the_group_is_404(gw):
    response = httpx.get(gw.base_url + "/v1/models/claude-opus-4-8",
                         headers={"Authorization": f"Bearer {TEST_KEYS['gemini']}"})
    assert response.status_code == 404


def test_low_latency_picks_exist(gw):
    ids = set(_ids(gw))
    assert {"claude-haiku-4-5", "gpt-5-4-mini", "gemini-2-5-flash", "deepseek-v4-flash"} <= ids


# ------------------------------------------------------------------------------------ account
def test_account_shape(gw):
    account = _get(gw, "/api/v1/me/account", TEST_KEYS["claude"])
    assert set(account) == {"user", "balance", "allowed_models", "org"}
    assert account["user"]["tier"] == "enterprise" and account["org"]["role"] == "member"
    assert set(account["balance"]) == {"available_usd", "lifetime_topup_usd", "lifetime_spent_usd",
                                       "low_balance_threshold_usd", "low_balance_flagged"}
    assert {m["id"] for m in account["allowed_models"]} == set(_ids(gw, TEST_KEYS["claude"]))


def test_demo_account_has_about_25_dollars_and_no_org(gw):
    account = _get(gw, "/api/v1/me/account")
    assert 24.0 < account["balance"]["available_usd"] <= 25.0
    assert account["balance"]["low_balance_flagged"] is False
    assert account["org"] is None and account["user"]["tier"] == "individual"


def test_low_balance_key_is_flagged_but_works(gw):
    account = _get(gw, "/api/v1/me/account", TEST_KEYS["low_balance"])
    assert account["balance"]["low_balance_flagged"] is True
    reply = openai_client(gw, TEST_KEYS["low_balance"]).chat.completions.create(
        model="gpt-5-4", messages=[{"role": "user", "content": "still ok"}])
    assert reply.choices[0].message.content == "echo: still ok"


# -------------------------------------------------------------------------------------- usage
def test_usage_is_deterministic_and_counts_new_calls(fresh_gw):
    key = TEST_KEYS["default"]
    before = _get(fresh_gw, "/api/v1/me/usage", key)
    assert before == _get(fresh_gw, "/api/v1/me/usage", key)
    assert before["totals"]["call_count"] > 0 and before["buckets"]
    openai_client(fresh_gw, key).chat.completions.create(model="gpt-5-4",
                                                         messages=[{"role": "user", "content": "count me"}])
    after = _get(fresh_gw, "/api/v1/me/usage", key)
    assert after["totals"]["call_count"] == before["totals"]["call_count"] + 1
    assert after["totals"]["total_usd"] > before["totals"]["total_usd"]


def test_failed_calls_are_not_billed(fresh_gw):
    key = TEST_KEYS["default"]
    before = _get(fresh_gw, "/api/v1/me/usage", key)["totals"]
    httpx.post(fresh_gw.base_url + "/v1/chat/completions", headers={
        "Authorization": f"Bearer {key}", "x-bytespike-fault": "status=500"},
        json={"model": "gpt-5-4", "messages": [{"role": "user", "content": "x"}]})
    assert _get(fresh_gw, "/api/v1/me/usage", key)["totals"] == before


def test_usage_group_by_model(gw):
    body = _get(gw, "/api/v1/me/usage", TEST_KEYS["claude"], group_by="model")
    models = [b["model"] for b in body["buckets"]]
    assert len(models) == len(set(models)) and all(b["bucket"] == "all" for b in body["buckets"])
    assert sum(b["call_count"] for b in body["buckets"]) == body["totals"]["call_count"]


def test_usage_day_buckets_respect_since_and_until(gw):
    body = _get(gw, "/api/v1/me/usage", since="2000-01-01", until="2100-01-01", group_by="day")
    days = [b["bucket"] for b in body["buckets"]]
    assert days == sorted(days) and len(days) <= 90  # history is capped at 90 days


def test_usage_rejects_bad_parameters(gw):
    headers = {"Authorization": f"Bearer {DEMO_KEY}"}
    for params in ({"group_by": "week"}, {"since": "yesterday"}, {"since": "2026-05-02", "until": "2026-05-01"}):
        response = httpx.get(gw.base_url + "/api/v1/me/usage", headers=headers, params=params)
        assert response.status_code == 400 and response.json()["error"]["type"] == "invalid_request_error"


def test_billing_transactions_paging(gw):
    page = _get(gw, "/api/v1/me/billing/transactions", page_size=2)
    assert page["total"] == 5 and len(page["items"]) == 2 and page["page"] == 1
    topups = _get(gw, "/api/v1/me/billing/transactions", kind="topup")["items"]
    assert topups and all(t["kind"] == "topup" for t in topups)
    too_big = httpx.get(gw.base_url + "/api/v1/me/billing/transactions",
                        headers={"Authorization": f"Bearer {DEMO_KEY}"}, params={"page_size": 500})
    assert too_big.status_code == 400
