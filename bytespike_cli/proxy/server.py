"""Start, run and stop the proxy: listening socket, signals, periodic chores, warm-up.

``serve()`` runs it in the foreground until Ctrl-C or SIGTERM; ``ThreadedProxy`` runs it in a
background thread (tests, and anything that wants a proxy inside its own process).
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
from typing import Callable

from bytespike_cli.proxy.config import ProxyConfig
from bytespike_cli.proxy.log import RequestLog
from bytespike_cli.proxy.relay import Relay

SWEEP_EVERY_S = 5.0
WARM_EVERY_S = 240.0


class ProxyServer:
    def __init__(self, config: ProxyConfig, log: RequestLog | None = None, *, warm_models: tuple[str, ...] = (),
                 warm_every_s: float = WARM_EVERY_S) -> None:
        self.config = config
        self.log = log
        self.warm_models = warm_models
        self.warm_every_s = warm_every_s
        self.port = config.port
        self.relay: Relay | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tasks: list[asyncio.Task] = []

    @property
    def url(self) -> str:
        host = self.config.host
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host}]" if ":" in host else host)
        return f"http://{shown}:{self.port}"

    async def start(self) -> None:
        """Bind and start accepting; raises OSError when the address is taken."""
        loop = asyncio.get_running_loop()
        self.relay = Relay(self.config, self.log, loop)
        self.relay.max_clients = min(self.config.max_clients, client_capacity())
        self._server = await loop.create_server(
            self.relay.protocol, self.config.host, self.config.port, backlog=4096, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]
        self.relay.guard.set_port(self.port, self.config.host)
        try:
            await asyncio.wait_for(self.relay.pool.resolve(), self.config.connect_timeout)
        except (OSError, asyncio.TimeoutError):
            pass  # offline right now: each request retries the lookup and answers 502 with a hint
        self._tasks.append(loop.create_task(self._sweep()))
        self._tasks.append(loop.create_task(self._sweep_clients()))
        if self.warm_models:
            self._tasks.append(loop.create_task(self._keep_warm()))

    async def stop(self, grace_s: float | None = None) -> None:
        """Stop accepting, let in-flight exchanges finish for a grace period, then cut what is left."""
        relay = self.relay
        if relay is None or self._server is None:
            return
        grace = self.config.shutdown_grace_s if grace_s is None else grace_s
        relay.draining = True
        self._server.close()
        for task in self._tasks:
            task.cancel()
        relay.close_idle_clients()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while relay.clients and loop.time() < deadline:
            await asyncio.sleep(0.02)
            relay.close_idle_clients()
        relay.abort_all()
        await asyncio.sleep(0)  # let connection_lost callbacks log the cut exchanges
        if self.log is not None:
            self.log.flush()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_EVERY_S)
            self.relay.pool.sweep()  # type: ignore[union-attr]

    async def _sweep_clients(self) -> None:
        while True:
            await asyncio.sleep(self.config.sweep_every_s)
            self.relay.sweep_clients()  # type: ignore[union-attr]

    async def _keep_warm(self) -> None:
        from bytespike_cli.proxy.warm import warm_all

        loop = asyncio.get_running_loop()
        relay = self.relay
        assert relay is not None
        while True:
            started = loop.time()
            await warm_all(self.port, self.config.host, self.config.token, self.warm_models, relay.warm_secret)
            # again after a few minutes, but only if no real request kept the route warm meanwhile
            while True:
                await asyncio.sleep(min(30.0, self.warm_every_s))
                quiet_since = max(relay.last_request, started)
                if loop.time() - quiet_since >= self.warm_every_s:
                    break


def client_capacity() -> int:
    """How many client connections fit the file-descriptor limit, after raising its soft limit.

    Each client may hold one upstream connection too, and some descriptors stay for the rest of the
    process. Without this, at the common soft limit of 1024 about a thousand idle sockets made the
    proxy drop every new client with an empty reply.
    """
    try:
        import resource
    except ImportError:  # Windows
        return 4096
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return 1 << 20
    return max(16, (soft - 64) // 2)


def new_event_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop

        return uvloop.new_event_loop()
    except ImportError:  # Windows, or a platform without uvloop wheels
        return asyncio.new_event_loop()


def serve(server: ProxyServer, on_ready: Callable[[ProxyServer], None]) -> str | None:
    """Run in the foreground until SIGINT/SIGTERM (a second one stops at once); the name of the signal."""
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.set_exception_handler(_quiet_exception_handler)
        return loop.run_until_complete(_serve(server, on_ready))
    finally:
        if server.log is not None:
            server.log.flush()
            server.log.bind(None)  # the loop is about to close: later lines are written at once
        try:
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


async def _serve(server: ProxyServer, on_ready: Callable[[ProxyServer], None]) -> str | None:
    loop = asyncio.get_running_loop()
    await server.start()
    gc.freeze()  # start-up objects live forever: keep them out of every future GC pass
    stop = asyncio.Event()
    received: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        received.append(sig.name)
        if len(received) == 1:
            stop.set()
        elif server.relay is not None:
            server.relay.abort_all()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal, sig)
        except (NotImplementedError, RuntimeError, ValueError):  # Windows: Ctrl-C arrives as KeyboardInterrupt
            pass
    on_ready(server)
    try:
        await stop.wait()
        return received[0] if received else None
    finally:
        await server.stop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.remove_signal_handler(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass


def _quiet_exception_handler(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """One masked line instead of asyncio's traceback dump (a traceback could carry a key in its locals)."""
    import os

    from bytespike_cli.redact import redact

    exc = context.get("exception")
    what = f"{type(exc).__name__}: {exc}" if exc else context.get("message", "unknown error")
    sys.stderr.write(redact(f"bytespike proxy: internal error: {what}") + "\n")
    if os.environ.get("BYTESPIKE_DEBUG") == "1":
        loop.default_exception_handler(context)


class ThreadedProxy:
    """The proxy on its own event loop in a daemon thread: ``with ThreadedProxy(cfg) as p: p.url``."""

    def __init__(self, config: ProxyConfig, log: RequestLog | None = None, **kwargs) -> None:
        self.server = ProxyServer(config, log, **kwargs)
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def port(self) -> int:
        return self.server.port

    def start(self) -> "ThreadedProxy":
        self._thread = threading.Thread(target=self._run, name="bytespike-proxy", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        self.loop = new_event_loop()
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            try:
                await self.server.start()
            except BaseException as exc:  # noqa: BLE001 - handed to the starting thread
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            await self._stop.wait()
            await self.server.stop(self._grace)

        self._grace = None
        try:
            self.loop.run_until_complete(main())
        finally:
            self.loop.close()

    def stop(self, grace_s: float | None = 0.5) -> None:
        if self.loop is None or self._thread is None or not self._thread.is_alive():
            return
        self._grace = grace_s
        self.loop.call_soon_threadsafe(self._stop.set)  # type: ignore[union-attr]
        self._thread.join(15)

    def __enter__(self) -> "ThreadedProxy":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
