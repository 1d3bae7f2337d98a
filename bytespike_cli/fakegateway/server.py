"""Running the offline gateway: in a background thread (tests, offline mode) or in the foreground (CLI)."""

from __future__ import annotations

import asyncio
import signal
import threading
from typing import Callable

from aiohttp import web

from bytespike_cli.fakegateway.app import STATE, GatewayState, RecordedRequest, create_app
from bytespike_cli.fakegateway.faults import parse_fault

_SHUTDOWN_TIMEOUT_S = 0.5  # open streams are cut rather than waited for


class FakeGateway:
    """A real HTTP server on a loopback port, in a daemon thread with its own event loop."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, cold_start_ms: int = 0, fault: str | None = None,
                 record_requests: bool = True):
        parse_fault(fault)  # a bad spec fails here, in the caller's thread
        self.host = host
        self.port = port
        self._app = create_app(cold_start_ms=cold_start_ms, fault=fault, record_requests=record_requests)
        self._state: GatewayState = self._app[STATE]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> "FakeGateway":
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure), name="bytespike-fakegateway",
                                        daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            self._runner = loop.run_until_complete(_listen(self._app, self.host, self.port))
            self.port = self._runner.addresses[0][1]
        except BaseException as exc:  # reported to start() in the caller's thread
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._runner.cleanup())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def stop(self) -> None:
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> "FakeGateway":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # ------------------------------------------------------------------ URLs
    @property
    def base_url(self) -> str:
        """The gateway root (no /v1), like https://llm.bytespike.ai."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def openai_base(self) -> str:
        return self.base_url + "/v1"

    @property
    def anthropic_base(self) -> str:
        return self.base_url

    @property
    def gemini_base(self) -> str:
        return self.base_url + "/v1beta"

    # ------------------------------------------------------------------ test controls
    @property
    def requests(self) -> list[RecordedRequest]:
        return self._state.requests

    def set_fault(self, spec: str | None) -> None:
        """Apply a fault (header grammar) to every following request; None clears it."""
        self._state.set_fault(spec)

    def reset_cold(self) -> None:
        """Every model pays the cold start again on its next request."""
        self._state.warm = {}

    @property
    def cold_start_ms(self) -> int:
        return self._state.cold_start_ms

    @cold_start_ms.setter
    def cold_start_ms(self, value: int) -> None:
        self._state.cold_start_ms = value


async def _listen(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=_SHUTDOWN_TIMEOUT_S, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024, reuse_address=True)
    try:
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def serve(host: str, port: int, *, ready: Callable[[str], None], cold_start_ms: int = 0,
                fault: str | None = None) -> int | None:
    """Serve in the foreground until SIGINT/SIGTERM (returned, so Ctrl-C can exit 130); ``ready(base_url)``
    is called once listening."""
    app = create_app(cold_start_ms=cold_start_ms, fault=fault, record_requests=False)
    runner = await _listen(app, host, port)
    stop = asyncio.Event()
    received: list[int] = []
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, lambda sig=sig: (received.append(int(sig)), stop.set()))
        except (NotImplementedError, RuntimeError):  # Windows: Ctrl-C arrives as KeyboardInterrupt instead
            pass
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in bound_host else bound_host
    ready(f"http://{shown}:{bound_port}")
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
    return received[0] if received else None


def run_foreground(host: str, port: int, *, ready: Callable[[str], None], cold_start_ms: int = 0,
                   fault: str | None = None) -> int | None:
    """Blocking entry point for the CLI: uvloop when it is installed. Returns the signal that stopped it."""
    coro = serve(host, port, ready=ready, cold_start_ms=cold_start_ms, fault=fault)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    else:
        return uvloop.run(coro)
