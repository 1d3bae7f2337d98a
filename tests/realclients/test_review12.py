"""Findings of the issue 12 review that only the real client can prove (opt-in, like the rest of this suite)."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import pytest

from tests.realclients.conftest import BYTESPIKE, KEY, RUN_TOOLS, World, model_requests
from tests.realclients.test_clients import PINS, setup

qwen_pins = pytest.mark.parametrize("world", [p for p in PINS if p[0] == "qwen-code"], indirect=True,
                                    ids=[f"{t}-{v}" for t, v in PINS if t == "qwen-code"])


@qwen_pins
def test_run_with_another_profile_goes_where_run_says_after_a_setup(world: World):
    """After `bytespike setup qwen-code`, the provider entry for the chat model beats OPENAI_BASE_URL/OPENAI_API_KEY
    (qwen 0.24.4 resolveModelConfig): `bytespike run --profile other qwen` printed the other gateway but Qwen Code
    called the one setup wrote, with setup's key."""
    from bytespike_cli.fakegateway import FakeGateway

    setup(world)
    with FakeGateway() as other:
        login = world.bytespike("login", "--profile", "other", "--base-url", other.base_url, "--key-stdin",
                                input=KEY + "\n")
        assert login.code == 0, login.text
        before = len(model_requests(world.gateway))
        prompt = f"run other {time.monotonic_ns()}"
        temp_before = set(Path(tempfile.gettempdir()).glob("bytespike-run-qwen-*"))
        outcome = world.run([str(BYTESPIKE), "run", "--profile", "other", RUN_TOOLS[world.tool], "--",
                             *world.client_argv(prompt)[1:]], timeout=180)
        assert outcome.code == 0 and prompt in outcome.out, outcome.text[-3000:]
        assert any(prompt in json.dumps(r.json) for r in model_requests(other)), outcome.text[-3000:]
        assert len(model_requests(world.gateway)) == before  # the gateway setup wrote heard nothing
        assert set(Path(tempfile.gettempdir()).glob("bytespike-run-qwen-*")) == temp_before  # removed at exit
