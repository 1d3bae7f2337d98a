"""Offline gateway benchmark: start-up time and how many concurrent streams it sustains.

    .venv/bin/python benchmarks/fakegateway_bench.py [--streams 500] [--slow-ms 50] [--rounds 3]

Prints figures; it asserts nothing. Start-up is measured three ways: FakeGateway().start() in a
process that already imported it, a fresh interpreter doing import + start, and the
`bytespike gateway serve` subprocess up to its ready line. The stream test opens N streaming chat
completions at once against the served gateway (uvloop, its own process) and counts how many
finish with the full text, and how many were open at the same moment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import statistics
import subprocess
import sys
import time

FRESH_START = """
import time
t0 = time.perf_counter()
from bytespike_cli.fakegateway import FakeGateway
t1 = time.perf_counter()
gw = FakeGateway().start()
t2 = time.perf_counter()
gw.stop()
print(f"{t1 - t0:.4f} {t2 - t1:.4f}")
"""


def in_process_start(rounds: int) -> list[float]:
    from bytespike_cli.fakegateway import FakeGateway

    FakeGateway().start().stop()  # warm imports
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        gw = FakeGateway().start()
        times.append(time.perf_counter() - started)
        gw.stop()
    return times


def fresh_interpreter_start(rounds: int) -> tuple[list[float], list[float]]:
    imports, starts = [], []
    for _ in range(rounds):
        out = subprocess.run([sys.executable, "-c", FRESH_START], capture_output=True, text=True, check=True).stdout
        imp, start = map(float, out.split())
        imports.append(imp)
        starts.append(start)
    return imports, starts


def launch_served() -> tuple[subprocess.Popen, str, str, float]:
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "bytespike_cli", "gateway", "serve", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - started
    match = re.search(r"ready: (http://\S+) .* key (sk-byts-\S+)", line)
    if not match:
        proc.kill()
        raise SystemExit(f"gateway did not start: {line!r} {proc.stderr.read()}")
    return proc, match.group(1), match.group(2), elapsed


async def concurrent_streams(base_url: str, key: str, streams: int, slow_ms: int) -> dict:
    import aiohttp

    open_now = peak = 0
    first_byte: list[float] = []

    async def one(session: aiohttp.ClientSession, i: int) -> bool:
        nonlocal open_now, peak
        body = {"model": "gpt-5-4-mini", "stream": True, "messages": [{"role": "user", "content": f"bench {i}"}]}
        started = time.perf_counter()
        async with session.post(f"{base_url}/v1/chat/completions", json=body,
                                headers={"Authorization": f"Bearer {key}",
                                         "x-bytespike-fault": f"slow-stream={slow_ms}"}) as response:
            if response.status != 200:
                return False
            open_now += 1
            peak = max(peak, open_now)
            text, got_first = "", False
            try:
                async for raw in response.content:
                    line = raw.decode().strip()
                    if line.startswith("data: {"):
                        if not got_first:
                            first_byte.append(time.perf_counter() - started)
                            got_first = True
                        text += json.loads(line[6:])["choices"][0]["delta"].get("content") or ""
            finally:
                open_now -= 1
            return text == f"echo: bench {i}"

    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=120)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started = time.perf_counter()
        results = await asyncio.gather(*(one(session, i) for i in range(streams)), return_exceptions=True)
        wall = time.perf_counter() - started
    ok = sum(1 for r in results if r is True)
    errors = [r for r in results if isinstance(r, BaseException)]
    return {"ok": ok, "errors": len(errors), "first_error": repr(errors[0]) if errors else "", "peak_open": peak,
            "wall_s": wall, "first_event_p50_ms": statistics.median(first_byte) * 1000 if first_byte else 0,
            "first_event_p95_ms": sorted(first_byte)[int(len(first_byte) * 0.95) - 1] * 1000 if first_byte else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--slow-ms", type=int, default=50, help="gap before each streamed event")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    warm = in_process_start(args.rounds)
    print(f"start-up, in process (imports done):    median {statistics.median(warm) * 1000:7.1f} ms "
          f"(max {max(warm) * 1000:.1f} ms, {args.rounds} rounds)")
    imports, starts = fresh_interpreter_start(args.rounds)
    print(f"start-up, fresh interpreter:            import {statistics.median(imports) * 1000:7.1f} ms + "
          f"start {statistics.median(starts) * 1000:.1f} ms (medians)")

    proc, base_url, key, served = launch_served()
    print(f"`bytespike gateway serve` to ready line: {served * 1000:7.1f} ms (interpreter start included)")
    try:
        if sys.platform != "win32":
            try:
                import resource

                soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
                resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4 * args.streams + 256)), hard))
            except (ImportError, ValueError, OSError):
                pass
        try:
            import uvloop
            runner = uvloop.run
        except ImportError:
            runner = asyncio.run
        result = runner(concurrent_streams(base_url, key, args.streams, args.slow_ms))
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    events = args.streams * 5  # role chunk, 2 words, finish chunk, [DONE]
    print(f"concurrent streams: {result['ok']}/{args.streams} complete and correct, peak {result['peak_open']} "
          f"open at once, {result['errors']} errors {result['first_error']}")
    print(f"  wall {result['wall_s']:.2f} s (ideal {5 * args.slow_ms / 1000:.2f} s per stream), "
          f"~{events / result['wall_s']:.0f} events/s, first event p50 {result['first_event_p50_ms']:.0f} ms / "
          f"p95 {result['first_event_p95_ms']:.0f} ms (includes the {args.slow_ms} ms slow-stream gap)")


if __name__ == "__main__":
    main()
