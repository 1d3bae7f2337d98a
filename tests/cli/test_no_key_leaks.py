"""A canary key goes through every command; no output, error or file bytespike prints may show it."""

from __future__ import annotations

import json

from bytespike_cli.fakegateway import TEST_KEYS


def test_canary_key_never_appears_unmasked(run, gateway, monkeypatch):
    outputs = []

    def record(*args, input=None):
        result = run(*args, input=input)
        outputs.append((args, result.stdout + result.stderr))
        return result

    for name in ("default", "revoked", "empty_wallet", "rate_limited", "ip_denied"):
        canary = TEST_KEYS[name]
        monkeypatch.delenv("BYTESPIKE_API_KEY", raising=False)
        record("login", "--profile", name, "--base-url", gateway.base_url, input=canary + "\n")
        record("login", "--profile", name, "--base-url", gateway.base_url, "--no-verify", input=canary)
        record("login", "--key", canary)
        record("status", "--profile", name)
        record("status", "--profile", name, "--json")
        record("profiles")
        record("profiles", "--json")
        record("verify", "--profile", name, "--chat")
        record("verify", "--profile", name, "--chat", "--json")
        record("models", "--profile", name)
        record("models", "--profile", name, "--json")
        ids = [m["model"] for m in json.loads(run("models", "--json", "--profile", "default").stdout or '{"models": []}').get("models", [])][:1]
        record("warm", "--profile", name, *(ids or ["x"]), "--count", "1")
        record("warm", "--profile", name, *(ids or ["x"]), "--count", "1", "--json")
        record("chat", "--profile", name, "hello")
        record("chat", "--profile", name, "--json", "hello")
        record("balance", "--profile", name)
        record("login", canary)  # typed as an argument
        record("profiles", "set", name, "base_url", gateway.base_url)
        record("logout", "--profile", name)
        record("login", "--profile", name, "--base-url", gateway.base_url, "--no-verify", input=canary)
        monkeypatch.setenv("BYTESPIKE_API_KEY", canary)
        record("login", "--profile", "other", "--no-verify", input=TEST_KEYS["claude"])  # warns about the env key
        record("status")
        record("verify", "--chat")
        record("chat", "hi")
        record("logout", "--profile", "other")
        for args, text in outputs:
            assert canary not in text, f"key leaked by {args}"
            assert canary[len("sk-byts-"):] not in text, f"key body leaked by {args}"
        outputs.clear()
    unknown = "sk-byts-CANARYcanary0123456789abcdef"
    monkeypatch.setenv("BYTESPIKE_API_KEY", unknown)
    for args in (("verify", "--chat"), ("status",), ("models",)):
        result = run(*args)
        assert result.exit_code != 0 and unknown not in result.stdout + result.stderr
        assert "sk-byts-…cdef" in result.stdout + result.stderr or args == ("models",)
