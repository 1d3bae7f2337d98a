"""The built-in offline gateway: a faithful local stand-in for ByteSpike.

A real HTTP server on loopback that speaks the gateway's four text protocols (OpenAI Chat
Completions and Responses, Anthropic Messages, Gemini generateContent), its model catalogue,
management API, auth rules, quota headers and error envelopes, with faults on demand for tests.
Used by every test that needs the network and by the offline mode of every command.

    with FakeGateway() as gw:
        OpenAI(base_url=gw.base_url + "/v1", api_key=DEMO_KEY)

Importing DEMO_KEY / TEST_KEYS is cheap; the server stack (aiohttp) loads on first use of
FakeGateway or create_app, so the CLI can name the demo key without slowing `bytespike --help`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bytespike_cli.fakegateway.faults import FAULT_HEADER, FaultSpecError
from bytespike_cli.fakegateway.keys import DEMO_KEY, TEST_KEYS

if TYPE_CHECKING:
    from bytespike_cli.fakegateway.app import RecordedRequest, create_app
    from bytespike_cli.fakegateway.server import FakeGateway

__all__ = ["DEMO_KEY", "FAULT_HEADER", "FakeGateway", "FaultSpecError", "RecordedRequest", "TEST_KEYS", "create_app"]

_LAZY = {"FakeGateway": "server", "create_app": "app", "RecordedRequest": "app"}


def __getattr__(name: str):
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(f"bytespike_cli.fakegateway.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
