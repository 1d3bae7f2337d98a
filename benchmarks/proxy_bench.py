#!/usr/bin/env python3
"""Benchmark ``bytespike proxy`` against talking to the upstream directly, the aiohttp yardstick and nginx.

It drives the shared harness (``../shared/bench/bench.py``: fake upstream, wrk, raw-socket stream
client, CPU and RSS sampling from /proc) with all targets in ONE run, so every number comes from the
same upstream on the same machine at the same time, then prints the figures issue 5 asks for and
checks them against the targets (relative to the aiohttp yardstick measured in the same run).

    .venv/bin/python benchmarks/proxy_bench.py            # full run, ~2.5 min
    .venv/bin/python benchmarks/proxy_bench.py --quick    # smoke run, ~30 s
    .venv/bin/python benchmarks/proxy_bench.py --report results.json   # re-print a saved run

Needs ``wrk`` (and ``nginx`` for that column; ``--no-nginx`` skips it). The interpreter running
this script runs the harness client, the fake upstream and the yardstick, so use one with uvloop
and aiohttp (the project venv has both). A benchmark, not a test: it prints, it never fails CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_HARNESS = ROOT.parent / "shared" / "bench"
OURS = "bytespike"
BEFORE = "before"
REF = "ref"

# (label, summary key, unit, better: "low"|"high"|None, target rule vs the yardstick or absolute)
ROWS = [
    ("non-stream c=1 latency p50", "ns_c1_p50", "ms", "low"),
    ("non-stream c=1 latency p99", "ns_c1_p99", "ms", "low"),
    ("non-stream c=1 throughput", "ns_c1_rps", "req/s", "high"),
    ("non-stream c=32 latency p50", "ns_c32_p50", "ms", "low"),
    ("non-stream c=32 latency p99", "ns_c32_p99", "ms", "low"),
    ("non-stream c=32 throughput", "ns_c32_rps", "req/s", "high"),
    ("proxy CPU per request (c=32)", "ns_c32_cpu", "ms", "low"),
    ("non-stream errors", "ns_errors", "count", None),
    ("1 idle stream: added TTFT p50", "solo_add_ttft_p50", "ms", "low"),
    ("1 idle stream: bunched gaps", "solo_bunched", "%", None),
    ("burst of 100 streams: added TTFT p50", "fid_add_ttft_p50", "ms", "low"),
    ("burst of 100 streams: added TTFT p99", "fid_add_ttft_p99", "ms", "low"),
    ("burst of 100 streams: bunched gaps", "fid_bunched", "%", None),
    ("streaming fidelity errors", "fid_errors", "count", None),
    ("500 streams: events/s", "tp_eps", "events/s", "high"),
    ("500 streams: errors", "tp_errors", "count", None),
    ("proxy CPU per streamed event", "tp_cpu", "us", "low"),
    ("proxy peak RSS", "rss_peak", "MiB", "low"),
]


def proxy_command(python: str, log: str, extra: str) -> str:
    """The harness substitutes {port} {upstream} {api_key}; the key reaches the proxy the way a user's does."""
    return (f"BYTESPIKE_API_KEY={{api_key}} exec {shlex.quote(python)} -m bytespike_cli.proxy "
            f"--port {{port}} --upstream {{upstream}} --log {log} {extra}").strip()


def run_harness(args: argparse.Namespace) -> Path:
    harness = Path(args.harness).resolve()
    bench = harness / "bench.py"
    if not bench.exists():
        sys.exit(f"error: harness not found at {bench}\nhint: pass --harness DIR (the folder with bench.py)")
    if not shutil.which("wrk"):
        sys.exit("error: wrk is not installed\nhint: apt-get install -y wrk nginx")
    targets = ["direct"]
    if not args.no_nginx:
        if shutil.which("nginx") or Path("/usr/sbin/nginx").exists():
            targets.append("nginx")
        else:
            print("note: nginx not found, skipping that column (apt-get install -y nginx)", file=sys.stderr)
    targets.append(f"cmd[{REF}]:{{python}} {{bench_dir}}/reference_proxy.py --port {{port}} --upstream {{upstream}} "
                   "--key {api_key}")
    targets.append(f"cmd[{OURS}]:" + proxy_command(args.proxy_python, args.log, args.proxy_args))
    if args.compare_python:
        targets.append(f"cmd[{BEFORE}]:" + proxy_command(args.compare_python, args.log, args.proxy_args))
    out = Path(args.out).resolve()
    cmd = [args.python, str(bench), "--targets", ",".join(targets), "--out", str(out), "--api", args.api]
    if args.quick:
        cmd.append("--quick")
    cmd += args.harness_args
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    print("running: " + " ".join(shlex.quote(c) for c in cmd), file=sys.stderr)
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if result.returncode != 0 or not out.exists():
        sys.exit(f"error: the harness failed (exit {result.returncode})")
    return out


def _fmt(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if abs(value) >= 1000:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.3g}"
    return str(value)


def _label(label: str, settings: dict) -> str:
    return label.replace("100 streams", f"{settings.get('fid_streams', 100)} streams").replace(
        "500 streams", f"{settings.get('tput_streams', 500)} streams")


def verdicts(summary: dict, settings: dict) -> list[tuple[str, bool, str]]:
    ours, ref = summary.get(OURS, {}), summary.get(REF, {})
    checks = []

    def rel(key: str, label: str, higher: bool, factor: float) -> None:
        a, b = ours.get(key), ref.get(key)
        if a is None or b in (None, 0):
            return
        ok = a >= factor * b if higher else a <= factor * b
        sign = "≥" if higher else "≤"
        detail = f"{_fmt(a)} vs yardstick {_fmt(b)} ({a / b:.2f}x, target {sign} {factor}x)"
        checks.append((_label(label, settings), ok, detail))

    for key in ("ns_c1_rps", "ns_c32_rps", "tp_eps"):
        rel(key, next(r[0] for r in ROWS if r[1] == key), True, 1.0)
    for key in ("ns_c1_p50", "ns_c1_p99", "ns_c32_p50", "ns_c32_p99", "ns_c32_cpu", "tp_cpu",
                "solo_add_ttft_p50", "fid_add_ttft_p99"):
        rel(key, next(r[0] for r in ROWS if r[1] == key), False, 1.0)
    rel("tp_cpu", "stretch: half the yardstick's CPU per event", False, 0.5)
    nginx_cpu = summary.get("nginx", {}).get("tp_cpu")
    if ours.get("tp_cpu") is not None and nginx_cpu:
        ratio = ours["tp_cpu"] / nginx_cpu
        checks.append(("CPU per streamed event within 1.5x of nginx's (issue 9)", ratio <= 1.5,
                       f"{_fmt(ours['tp_cpu'])} vs nginx {_fmt(nginx_cpu)} µs ({ratio:.2f}x)"))
    if ours.get("solo_bunched") is not None:
        checks.append(("1 idle stream: 0% bunched", ours["solo_bunched"] == 0, f"{_fmt(ours['solo_bunched'])} %"))
    if ours.get("tp_errors") is not None:
        checks.append((_label("no errors at 500 streams", settings), ours["tp_errors"] == 0, str(ours["tp_errors"])))
    errors = sum(ours.get(k) or 0 for k in ("ns_errors", "fid_errors"))
    checks.append(("no errors elsewhere", errors == 0, str(errors)))
    if ours.get("rss_peak") is not None:
        checks.append(("peak RSS under 80 MiB", ours["rss_peak"] < 80, f"{_fmt(ours['rss_peak'])} MiB"))
    return checks


def report(path: Path) -> None:
    results = json.loads(path.read_text())
    summary = results["summary"]
    names = [n for n in ("direct", OURS, BEFORE, REF, "nginx") if n in summary]
    machine = results.get("machine", {})
    print()
    print(f"bytespike proxy benchmark — {results.get('started_at', '?')}, {machine.get('nproc', '?')} CPUs, "
          f"client loop {machine.get('client_loop', '?')}, one run, same fake upstream for every column")
    for name in names:
        if summary[name].get("failed"):
            print(f"  {name}: FAILED {str(summary[name]['failed'])[:300]}")
    settings = results.get("settings", {})
    header = ["metric", "unit"] + names
    rows = [header]
    for label, key, unit, _ in ROWS:
        if not any(key in summary[n] for n in names):
            continue
        rows.append([_label(label, settings), unit] + [_fmt(summary[n].get(key)) for n in names])
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for i, row in enumerate(rows):
        cells = [c.ljust(widths[j]) if j < 2 else c.rjust(widths[j]) for j, c in enumerate(row)]
        print("| " + " | ".join(cells) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print()
    print(f"targets ({OURS} vs the aiohttp yardstick '{REF}' in this run):")
    for label, ok, detail in verdicts(summary, settings):
        print(f"  [{'PASS' if ok else 'MISS'}] {label}: {detail}")
    print(f"\nraw results: {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smoke run: short durations, fewer streams")
    ap.add_argument("--out", default=str(Path(tempfile.gettempdir()) / "bytespike_proxy_bench.json"),
                    help="raw JSON from the harness (default: in the temp dir)")
    ap.add_argument("--report", metavar="RESULTS_JSON", help="only print a saved run")
    ap.add_argument("--harness", default=os.environ.get("BYTESPIKE_BENCH_DIR", str(DEFAULT_HARNESS)),
                    help="folder with the shared harness's bench.py (default ../shared/bench)")
    ap.add_argument("--python", default=sys.executable, help="interpreter for the harness, upstream and yardstick")
    ap.add_argument("--proxy-python", default=sys.executable, help="interpreter that runs bytespike's proxy")
    ap.add_argument("--compare-python", metavar="PY",
                    help="also run the proxy with this interpreter (e.g. a wrapper over an older checkout) as 'before'")
    ap.add_argument("--log", default="pretty", choices=("pretty", "json", "off"),
                    help="the proxy's request log (default pretty, as users run it; it goes to the harness's log file)")
    ap.add_argument("--proxy-args", default="", help="extra arguments for the proxy")
    ap.add_argument("--api", default="openai", choices=("openai", "anthropic"))
    ap.add_argument("--no-nginx", action="store_true")
    ap.add_argument("harness_args", nargs="*", help="after --: passed to bench.py as they are")
    args = ap.parse_args()
    path = Path(args.report) if args.report else run_harness(args)
    report(path)


if __name__ == "__main__":
    main()
