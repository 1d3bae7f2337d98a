"""The FakeGateway contract: start/stop, free ports, context manager, create_app inside another loop."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import httpx
import pytest

from bytespike_cli.fakegateway import DEMO_KEY, TEST_KEYS, FakeGateway, create_app

AUTH = {"Authorization": f"Bearer {DEMO_KEY}"}


def test_start_returns_self_listening_on_a_free_loopback_port():
    gw = FakeGateway()
    assert gw.start() is gw
    try:
        assert gw.base_url.startswith("http://127.0.0.1:") and gw.port > 0
        assert not gw.base_url.endswith("/v1")
        assert gw.openai_base == gw.base_url + "/v1" and gw.gemini_base == gw.base_url + "/v1beta"
        assert httpx.get(gw.base_url + "/v1/models", headers=AUTH).status_code == 200
    finally:
        gw.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(gw.base_url + "/v1/models", headers=AUTH)


def test_two_gateways_run_side_by_side():
    with FakeGateway() as one, FakeGateway() as two:
        assert one.port != two.port
        httpx.get(one.base_url + "/v1/models", headers=AUTH)
        assert len(one.requests) == 1 and two.requests == []


def test_a_busy_port_fails_in_the_callers_thread():
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(OSError):
            FakeGateway(port=busy.getsockname()[1]).start()


def test_stop_cuts_open_streams_and_joins_the_thread():
    gw = FakeGateway().start()
    opened = threading.Event()

    def slow_stream():
        try:
            with httpx.stream("POST", gw.base_url + "/v1/chat/completions", timeout=10, headers={
                    **AUTH, "x-bytespike-fault": "slow-stream=2000"},
                    json={"model": "gpt-5-4", "stream": True, "messages": [{"role": "user", "content": "x"}]}) as r:
                opened.set()
                r.read()
        except httpx.HTTPError:
            pass

    reader = threading.Thread(target=slow_stream)
    reader.start()
    assert opened.wait(5)
    before = _gateway_threads()
    started = time.perf_counter()
    gw.stop()
    assert time.perf_counter() - started < 5  # does not wait for the 10 s stream to finish
    assert len(before - _gateway_threads()) == 1  # its thread is gone (other tests' gateways may still run)
    reader.join(5)


def _gateway_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "bytespike-fakegateway" and t.is_alive()}


def test_stop_is_idempotent():
    gw = FakeGateway().start()
    gw.stop()
    gw.stop()


def test_create_app_runs_inside_an_existing_loop():
    from aiohttp import web

    async def main():
        runner = web.AppRunner(create_app(fault="status=503"))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        try:
            async with httpx.AsyncClient() as client:
                r = await client.get(f"http://127.0.0.1:{port}/v1/models",
                                     headers={"Authorization": f"Bearer {TEST_KEYS['default']}"})
                return r.status_code
        finally:
            await runner.cleanup()

    assert asyncio.run(main()) == 503


def test_recording_can_be_switched_off():
    with FakeGateway(record_requests=False) as gw:
        httpx.get(gw.base_url + "/v1/models", headers=AUTH)
        assert gw.requests == []
