"""Requests per second of the phone view (``/`` and ``/rooms/cr4``, ``Accept-Encoding: gzip``),
and proof that it is served from the per-version page cache.

Servers (each pinned to the first CPU; ``wrk`` pinned to the others), measured in turn, R times
interleaved:

* dashboard: ``dashboard serve --at 2023-12-13T15:30`` through bench/_served.py
  ``--count-renders``, which prints a line each time a phone page is built (a miss of
  ``LiveService.page``);
* cache defeated (the baseline): the same, with ``--no-page-cache``: every request renders,
  gzips and hashes its page again, as it would without the cache;
* floor: a bare Starlette route under the same uvicorn configuration answering the same gzipped
  bytes (bench/_baseline.py ``static``).

Proof of the cache: the pages built during the dashboard's runs (expected 0: the state does not
change), the ETags seen before and after each run (expected one), and the ratio to the baseline.

    .venv/bin/python bench/phone.py             # 3 × 10 s per server and page, 50 connections
    .venv/bin/python bench/phone.py --quick     # 1 × 2 s
"""

from __future__ import annotations

import argparse
import gzip
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    BENCH,
    HOST,
    PYTHON,
    Server,
    cpu_split,
    free_port,
    log,
    machine,
    median,
    pin,
    start_server,
    table,
)

PAGES = ["/", "/rooms/cr4"]


@dataclass
class Run:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    bad: int  # non-2xx/3xx responses and socket errors
    renders: int
    etags: set[str] = field(default_factory=set)


def fetch(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[str, bytes, str]:
    """(ETag, body as sent, Content-Encoding)."""
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return (
            response.headers.get("etag", ""),
            response.read(),
            response.headers.get("content-encoding", ""),
        )


def latency_ms(text: str, q: str) -> float:
    match = re.search(rf"^\s+{q}%\s+([\d.]+)(us|ms|s)\s*$", text, re.MULTILINE)
    if not match:
        return float("nan")
    value, unit = float(match.group(1)), match.group(2)
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str, headers: list[str], args: argparse.Namespace
) -> tuple[float, int, float, float, int]:
    argv = [args.wrk, "-t1", f"-c{args.connections}", f"-d{args.duration}s", "--latency"]
    for header in headers:
        argv += ["-H", header]
    out = subprocess.run(
        [*argv, url],
        capture_output=True,
        text=True,
        check=True,
        preexec_fn=lambda: os.sched_setaffinity(0, args.load_cpus),
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    bad = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    bad += sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
    return rps, requests, latency_ms(out, "50"), latency_ms(out, "99"), bad


def drain_renders(server: Server) -> int:
    renders = 0
    while True:
        try:
            line = server.lines.get_nowait()
        except queue.Empty:
            return renders
        renders += " page-render " in line


def measure(server: Server, path: str, extra: list[str], args: argparse.Namespace) -> Run:
    gz = ["Accept-Encoding: gzip", *extra]
    etag_before = fetch(server.port, path, {"Accept-Encoding": "gzip"})[0]
    drain_renders(server)
    rps, requests, p50, p99, bad = wrk(f"http://{HOST}:{server.port}{path}", gz, args)
    etag_after = fetch(server.port, path, {"Accept-Encoding": "gzip"})[0]
    renders = drain_renders(server) - 1  # the ETag fetch after the run counts when uncached
    return Run(rps, requests, p50, p99, bad, max(renders, 0), {etag_before, etag_after})


def wrk_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of a benchmark driven by wrk (this one and bench/assets.py)."""
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 × 2 s")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--repeats", type=int, default=3, metavar="R")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--wrk", default=shutil.which("wrk") or "wrk")


def wrk_ready(parser: argparse.ArgumentParser) -> argparse.Namespace:
    """The parsed options, wrk found, and this process (wrk's parent) on the load CPUs."""
    args = parser.parse_args()
    if args.quick:
        args.duration, args.repeats = 2, 1
    if shutil.which(args.wrk) is None:
        parser.error("needs wrk (Debian/Ubuntu: apt-get install wrk)")
    args.server_cpus, args.load_cpus = cpu_split()
    pin(args.load_cpus)
    return args


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk_arguments(parser)
    args = wrk_ready(parser)
    with tempfile.TemporaryDirectory(prefix="bench-phone-") as tmp:
        servers: dict[str, Server] = {}
        try:
            port = free_port()
            servers["dashboard"] = start_server(
                port, f"{tmp}/a", args.server_cpus, ["--count-renders"]
            )
            _, body, encoding = fetch(port, "/rooms/cr4", {"Accept-Encoding": "gzip"})
            assert encoding == "gzip", "the phone view did not answer gzip"
            page, index = Path(tmp) / "room.html", Path(tmp) / "index.html"
            page.write_bytes(gzip.decompress(body))
            index.write_bytes(gzip.decompress(fetch(port, "/", {"Accept-Encoding": "gzip"})[1]))
            sizes = {p: len(fetch(port, p, {"Accept-Encoding": "gzip"})[1]) for p in PAGES}
            port = free_port()
            servers["cache defeated"] = start_server(
                port, f"{tmp}/b", args.server_cpus, ["--count-renders", "--no-page-cache"]
            )
            port = free_port()
            argv = [PYTHON, str(BENCH / "_baseline.py"), "static", "--port", str(port)]
            servers["bare Starlette, same bytes"] = Server(
                [*argv, "--frame", str(page), "--index", str(index)], port, args.server_cpus
            )
            servers["bare Starlette, same bytes"].wait_ready()
            runs: dict[tuple[str, str], list[Run]] = {}
            etag = fetch(servers["dashboard"].port, "/rooms/cr4", {"Accept-Encoding": "gzip"})[0]
            cases: list[tuple[str, str, list[str]]]
            cases = [(name, path, []) for name in servers for path in PAGES]
            cases.insert(
                2, ("dashboard", "/rooms/cr4 (If-None-Match: 304)", [f"If-None-Match: {etag}"])
            )
            for r in range(args.repeats):
                for name, path, extra in cases:
                    run = measure(servers[name], path.split(" ")[0], extra, args)
                    runs.setdefault((name, path), []).append(run)
                    log(
                        f"  {r + 1}: {name} {path}: {run.rps:,.0f} req/s, p99 {run.p99_ms:.1f} "
                        f"ms, {run.renders} renders for {run.requests} requests"
                    )
        finally:
            for server in servers.values():
                server.stop()
    print(report(runs, sizes, args))
    return 0


def report(
    runs: dict[tuple[str, str], list[Run]], sizes: dict[str, int], args: argparse.Namespace
) -> str:
    rows, ratios = [], []
    for (name, path), samples in runs.items():
        etags = set().union(*(s.etags for s in samples)) if name == "dashboard" else set()
        rows.append(
            [
                name,
                path,
                median([s.rps for s in samples]),
                median([s.p50_ms for s in samples]),
                median([s.p99_ms for s in samples]),
                f"{sum(s.renders for s in samples):,} / {sum(s.requests for s in samples):,}",
                len(etags) if etags else "–",
                sum(s.bad for s in samples),
            ]
        )
    for path in PAGES:
        cached = median([s.rps for s in runs[("dashboard", path)]])
        defeated = median([s.rps for s in runs[("cache defeated", path)]])
        floor = median([s.rps for s in runs[("bare Starlette, same bytes", path)]])
        ratios.append([path, f"{sizes[path]:,} B", cached / defeated, cached / floor])
    return "\n".join(
        [
            f"Machine: {machine()}; servers on CPU {sorted(args.server_cpus)}, wrk (1 thread, "
            f"{args.connections} connections, Accept-Encoding: gzip) on CPU "
            f"{sorted(args.load_cpus)}.",
            f"Medians over {args.repeats} runs of {args.duration} s each.",
            "",
            table(
                [
                    "server",
                    "page",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "pages built / requests",
                    "ETags seen",
                    "errors",
                ],
                rows,
            ),
            "",
            table(["page", "gzipped size", "req/s ÷ cache defeated", "req/s ÷ bare floor"], ratios),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
