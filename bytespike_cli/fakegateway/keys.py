"""The offline gateway's key table: every key state the real gateway can answer with.

Keys are public test fixtures, not secrets; they still start with ``sk-byts-`` like real keys.
"""

from __future__ import annotations

from dataclasses import dataclass

from bytespike_cli.fakegateway.catalogue import CLAUDE_GROUP, DEFAULT_GROUP, GEMINI_GROUP

# Key states
VALID = "valid"
REVOKED = "revoked"  # 401 on every route
IP_DENIED = "ip_denied"  # 403 permission_denied on every route
PAUSED_ORG = "paused_org"  # 403 permission_error on every route
EMPTY_WALLET = "empty_wallet"  # 402 insufficient_balance on billed routes
QUOTA_REACHED = "quota_reached"  # 402 quota_exceeded on billed routes
RATE_LIMITED = "rate_limited"  # 429 rate_limit_error on billed routes



@dataclass(frozen=True)
class KeyRecord:
    name: str
    key: str
    group: str
    state: str = VALID
    wallet_usd: float = 25.00  # org or personal wallet
    quota_cap_usd: float = 0.0  # lifetime cap on this key; 0 = unlimited (header then shows the wallet)
    quota_used_usd: float = 0.0
    window_limit_usd: float = 20.00  # tightest of rate_limit_5h/_1d/_7d
    window_used_usd: float = 2.35
    window_seconds: int = 5 * 3600
    low_balance_threshold_usd: float = 5.00
    org: dict | None = None
    user_id: int = 101
    username: str = "offline"
    fault: str | None = None  # a fault spec bound to the key (same grammar as the header)

    @property
    def group_id(self) -> int:
        return {CLAUDE_GROUP: 1, GEMINI_GROUP: 2, DEFAULT_GROUP: 3}[self.group]


_ORG = {"id": 7, "name": "Offline Labs", "role": "member"}
_PAUSED = {"id": 9, "name": "Paused Co", "role": "member"}

DEMO_KEY = "sk-byts-offline-demo-0000-public-not-a-secret"

_RECORDS = (
    KeyRecord("demo", DEMO_KEY, DEFAULT_GROUP, username="newcomer"),
    KeyRecord("default", "sk-byts-test-default-7f3a9c2e5b1d", DEFAULT_GROUP, wallet_usd=31.40,
              username="ada", user_id=88),
    KeyRecord("claude", "sk-byts-test-claude-4b8e1f0a6d2c", CLAUDE_GROUP, wallet_usd=8420.65, quota_cap_usd=250.0,
              quota_used_usd=57.60, window_limit_usd=50.00, window_used_usd=45.82, org=_ORG, user_id=89,
              username="grace"),
    KeyRecord("gemini", "sk-byts-test-gemini-9d2c7a4e1b3f", GEMINI_GROUP, wallet_usd=8420.65, org=_ORG,
              user_id=90, username="hedy"),
    KeyRecord("revoked", "sk-byts-test-revoked-0a1b2c3d4e5f", DEFAULT_GROUP, state=REVOKED),
    KeyRecord("empty_wallet", "sk-byts-test-emptywallet-5e6f7a8b", DEFAULT_GROUP, state=EMPTY_WALLET,
              wallet_usd=0.0),
    KeyRecord("quota_reached", "sk-byts-test-quota-1c2d3e4f5a6b", DEFAULT_GROUP, state=QUOTA_REACHED,
              quota_cap_usd=10.0, quota_used_usd=10.0),
    KeyRecord("ip_denied", "sk-byts-test-ipdenied-6b5a4f3e2d1c", DEFAULT_GROUP, state=IP_DENIED),
    KeyRecord("paused_org", "sk-byts-test-pausedorg-2f4e6d8c0b1a", DEFAULT_GROUP, state=PAUSED_ORG, org=_PAUSED),
    KeyRecord("low_balance", "sk-byts-test-lowbalance-8a7b6c5d4e3f", DEFAULT_GROUP, wallet_usd=1.20),
    KeyRecord("rate_limited", "sk-byts-test-ratelimited-3d2c1b0a9f8e", DEFAULT_GROUP, state=RATE_LIMITED,
              window_limit_usd=5.00, window_used_usd=5.00),
    # Keys with a fault bound to them, for tools that cannot send the fault header.
    KeyRecord("server_error", "sk-byts-test-fault500-0f1e2d3c4b5a", DEFAULT_GROUP, fault="status=500"),
    KeyRecord("overloaded", "sk-byts-test-fault503-1a2b3c4d5e6f", DEFAULT_GROUP, fault="status=503"),
    KeyRecord("drop_stream", "sk-byts-test-dropstream-7e8f9a0b1c2d", DEFAULT_GROUP, fault="drop-after=3"),
    KeyRecord("stream_error", "sk-byts-test-streamerror-3c4d5e6f7a8b", DEFAULT_GROUP, fault="error-after=3"),
)

KEY_TABLE: dict[str, KeyRecord] = {r.key: r for r in _RECORDS}
TEST_KEYS: dict[str, str] = {r.name: r.key for r in _RECORDS}
