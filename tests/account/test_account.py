"""bytespike usage / balance against the offline gateway, and against gateways that lack the endpoints."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from bytespike_cli.account_views import bar, parse_when
from bytespike_cli.errors import UsageError
from tests.account.conftest import Stub

NOW = datetime(2026, 5, 21, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("text, expected", [
    ("7d", NOW - timedelta(days=7)),
    ("12h", NOW - timedelta(hours=12)),
    ("2w", NOW - timedelta(weeks=2)),
    ("2026-05-01", datetime(2026, 5, 1, tzinfo=timezone.utc)),
    ("2026-05-01T08:30:00Z", datetime(2026, 5, 1, 8, 30, tzinfo=timezone.utc)),
])
def test_time_options(text, expected):
    assert parse_when(text, "--since", now=NOW) == expected


def test_bad_time_is_a_usage_error():
    with pytest.raises(UsageError) as info:
        parse_when("last tuesday", "--since", now=NOW)
    assert "YYYY-MM-DD" in info.value.hint and "7d" in info.value.hint


def test_bar_is_proportional():
    assert bar(10, 10, width=20) == "█" * 20
    assert bar(5, 10, width=20) == "█" * 10
    assert bar(1, 10, width=4) == "▍"  # 3.2 eighths rounds to 3
    assert bar(0, 10) == "" and bar(3, 0) == ""
    assert len(bar(3.3, 10, width=20)) == 7


def test_usage_by_day_matches_the_gateway(cli, use_key, gateway, monkeypatch):
    use_key()
    result = cli("usage", "--since", "7d", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    buckets = data["buckets"]
    assert data["group_by"] == "day" and buckets
    assert [b["bucket"] for b in buckets] == sorted(b["bucket"] for b in buckets)
    assert round(sum(b["total_usd"] for b in buckets), 4) == round(data["totals"]["total_usd"], 4)
    query = [r.query for r in gateway.requests if r.path == "/api/v1/me/usage"][-1]
    since = datetime.fromisoformat(query["since"].replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - since) - timedelta(days=7)) < timedelta(minutes=1)
    assert query["group_by"] == "day"

    table = cli("usage", "--since", "7d")
    assert table.exit_code == 0
    # a pipe gets one record per line (no header, no total); a terminal gets the table with its total
    assert table.stdout.splitlines()[0].split("\t")[0] == buckets[0]["bucket"] and "total" not in table.stdout
    monkeypatch.setenv("BYTESPIKE_FORCE_TTY", "1")
    terminal = cli("usage", "--since", "7d")
    assert "total" in terminal.stdout and f"${data['totals']['total_usd']:,.2f}" in terminal.stdout
    assert not any(block in table.stdout for block in "▏▎▍▌▋▊▉█")  # bars only on a terminal


def test_usage_by_model_and_key(cli, use_key, gateway):
    use_key("claude")
    data = json.loads(cli("usage", "--by", "model", "--json").stdout)
    models = [b["model"] for b in data["buckets"]]
    assert models and all(m.startswith("claude-") for m in models)
    costs = [b["total_usd"] for b in data["buckets"]]
    assert costs == sorted(costs, reverse=True)
    text = cli("usage", "--by", "key").stdout
    assert "sk-byts-…" in text and "sk-byts-test-claude" not in text
    assert [r.query["group_by"] for r in gateway.requests if r.path == "/api/v1/me/usage"][-1] == "api_key"


@pytest.mark.parametrize("args, message", [
    (["--since", "yesterday"], "is not a date"),
    (["--since", "2d", "--until", "3d"], "must be before --until"),
    (["--since", "120d"], "keeps 90 days of history"),
])
def test_usage_bad_ranges(cli, use_key, args, message):
    use_key()
    result = cli("usage", *args)
    assert result.exit_code == 2 and message in result.stderr


def test_usage_when_the_gateway_has_no_such_endpoint(cli, use_key):
    with Stub({"/v1/models": (200, {}, {"object": "list", "data": []})}) as stub:
        use_key(base_url=stub.url)
        result = cli("usage")
    assert result.exit_code == 8
    assert "does not offer usage reports" in result.stderr and "console.bytespike.ai/usage" in result.stderr


def test_balance_from_the_account(cli, use_key):
    use_key("low_balance")
    result = cli("balance")
    assert result.exit_code == 0
    assert "balance: $1.20" in result.stdout and "low-balance threshold ($5.00)" in result.stderr
    data = json.loads(cli("balance", "--json").stdout)
    assert data["source"] == "account" and data["available_usd"] == 1.2 and data["low_balance_flagged"] is True


def test_balance_falls_back_to_quota_headers(cli, use_key):
    headers = {"X-Quota-Remaining-Credits": "192.40", "X-RateLimit-Limit": "50.00",
               "X-RateLimit-Remaining": "4.18", "X-RateLimit-Reset": "1716705600"}
    routes = {"/v1/models": (200, headers, {"object": "list", "data": []})}
    with Stub(routes) as stub:
        use_key(base_url=stub.url)
        result = cli("balance")
        data = json.loads(cli("balance", "--json").stdout)
    assert result.exit_code == 0
    assert "left: $192.40 (from the quota headers)" in result.stdout
    assert "spend window: $4.18 of $50.00 left" in result.stdout
    assert "account endpoint is not available" in result.stderr
    assert data["source"] == "quota_headers" and data["quota"]["key_remaining_usd"] == 192.4


def test_balance_when_nothing_reports_it(cli, use_key):
    with Stub({"/v1/models": (200, {}, {"object": "list", "data": []})}) as stub:
        use_key(base_url=stub.url)
        result = cli("balance")
    assert result.exit_code == 8
    assert "reports no balance" in result.stderr and "console.bytespike.ai/billing" in result.stderr


def test_balance_with_a_revoked_key(cli, use_key):
    use_key("revoked")
    result = cli("balance")
    assert result.exit_code == 3 and "console.bytespike.ai/keys" in result.stderr


def test_balance_offline(cli):
    result = cli("--offline", "balance", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["available_usd"] == 25.0


MODELS = {"/v1/models": (200, {"X-Quota-Remaining-Credits": "12.00"},
                         {"object": "list", "data": [{"id": "gpt-5-4", "object": "model", "family": "gpt"}]})}
PAGE = "<html><body><h1>Forbidden</h1></body></html>"


@pytest.mark.parametrize("status, body", [(403, PAGE), (403, {"error": {"message": "forbidden"}}), (404, PAGE),
                                          (405, PAGE), (501, {"error": {"message": "not implemented"}})])
def test_usage_endpoint_closed_to_a_working_key(cli, use_key, status, body):
    with Stub({**MODELS, "/api/v1/me/usage": (status, {}, body)}) as stub:
        use_key(base_url=stub.url)
        result = cli("usage")
    assert result.exit_code == 8, result.stderr
    expected = "this key cannot read usage reports (403" if status == 403 else "does not offer usage reports"
    assert expected in result.stderr
    assert "IP address" not in result.stderr and "<html" not in result.stderr
    assert "console.bytespike.ai/usage" in result.stderr


def test_usage_with_a_key_that_is_really_ip_denied(cli, use_key):
    use_key("ip_denied")
    result = cli("usage")
    assert result.exit_code == 5 and "IP address" in result.stderr


@pytest.mark.parametrize("status", [403, 404, 405, 501])
def test_balance_falls_back_when_the_account_endpoint_answers_html(cli, use_key, status):
    with Stub({**MODELS, "/api/v1/me/account": (status, {}, PAGE)}) as stub:
        use_key(base_url=stub.url)
        result = cli("balance")
    assert result.exit_code == 0, result.stderr
    assert "left: $12.00 (from the quota headers)" in result.stdout
    assert "<html" not in result.stderr + result.stdout and "IP address" not in result.stderr
