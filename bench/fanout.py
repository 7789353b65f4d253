"""Fan-out of one state change to N room displays (``/ws/display/cr4``): the server's CPU per
change, the spread of the receipts and the memory per idle socket, against ``websockets.broadcast``
of the same frame in the same run.

The server is ``dashboard serve --at 2023-12-13T15:30`` (mid-session, as shipped: no probe) in a
subprocess pinned to the first CPU; N display clients (no compression offered, over 8 loopback
source addresses) are spread over ``--procs`` client processes pinned to the other CPU: Python
(bench/_wsclient.py in bench/_workers.py), or with ``--load node`` Node ``ws`` clients
(bench/node/wsclient.js, about half the CPU per message; ``npm install --prefix bench/node``
once, for the bench only).  The server is a black box: what is measured comes
from /proc and from the clients' clocks, so the same script measures any send path.

Each change is a real one: an override (``pointer``, "under discussion now") posted to
``/api/overrides`` with a secretariat bearer token made by ``dashboard token create``.  The
baseline, same CPU, same client processes, is a bare ``websockets`` server (bench/_baseline.py)
holding N connections of its own; its change is a command on a control connection, answered by
``websockets.broadcast`` of the same frame bytes (but the version).  Per change, for each:

* server CPU per change: utime + stime of the server process (/proc/PID/stat, clock ticks) from
  just before the trigger (the POST, or the control command) to ``--settle`` after the last
  client's receipt, minus the server's idle CPU rate × that window, the rate read on the same
  server holding its N idle sockets over the ``--quiet`` second just before the trigger (the
  keepalive pings of both servers come in waves, every 20 s, as long as the connections took to
  open: a rate read once would count them in or out of a change by chance).  Each server's idle
  rate over ``--idle`` seconds (the app's heartbeat period) is printed too: the mean, and the
  median 1 s slice (without the app's heartbeat, one burst to every socket each period);
* server CPU as a % of one core over the fan-out (trigger → last receipt);
* spread: last minus first client receipt; client p50/p99: from the trigger; delivered;
* client CPU: run time of all client processes (/proc/PID/schedstat) over the same window, and
  as a % of one core over the fan-out (trigger → last receipt): near 100 %, the clients were
  the limit.

Memory per idle socket, both servers, same run: VmRSS after a warm-up of 20 connections (opened
and closed), then after N idle connections have settled, the difference divided by N.

    .venv/bin/python bench/fanout.py            # N = 1000, 5000, 10000; 7 changes each (+1)
    .venv/bin/python bench/fanout.py --load node    # the same, Node ws clients
    .venv/bin/python bench/fanout.py --quick    # N = 200; 2 changes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    BENCH,
    HOST,
    PYTHON,
    ROOM,
    Server,
    cpu_ms,
    cpu_split,
    create_token,
    current_frame,
    free_port,
    log,
    machine,
    median,
    percentile,
    pin,
    pointer,
    post_override,
    raise_nofile,
    start_server,
    steady_rss,
    table,
)
from _nodeload import NodeWorkers, available
from _workers import Workers
from _wsclient import frame_version
from websockets.asyncio.client import connect

PATH = f"/ws/display/{ROOM}"
TARGET_RATIO = 1.3  # CPU per change and spread, app ÷ websockets.broadcast, at 10,000
TARGET_KIB = 18.0  # memory per idle display socket, the app
WARM = 20  # connections opened and closed before the "before" RSS
NAN = float("nan")


@dataclass
class Sample:
    cpu_ms: float  # server CPU for the change, the idle rate × window taken off
    raw_ms: float  # the same before that
    idle_rate: float  # ms per s, over the quiet second before the trigger
    window_ms: float  # trigger → settle after the last receipt
    spread: float  # last − first receipt
    p50: float  # from the trigger
    p99: float
    delivered: int
    server_pct: float  # CPU per change ÷ (trigger → last receipt), % of one core
    client_ms: float  # CPU of all client processes over the window
    client_pct: float  # client CPU ÷ (trigger → last receipt), % of one core


@dataclass
class Side:
    """One server at one N: its changes and its memory."""

    label: str
    samples: list[Sample] = field(default_factory=list)
    idle_rate: float = NAN  # ms of CPU per second with N idle sockets: the median 1 s slice
    idle_mean: float = NAN  # over the whole interval, heartbeats and pings included
    before_kib: int = 0
    after_kib: int = 0
    opened: int = 0
    open_s: float = NAN

    @property
    def kib_per_socket(self) -> float:
        return (self.after_kib - self.before_kib) / self.opened if self.opened else NAN

    def med(self, name: str) -> float:
        return median([getattr(s, name) for s in self.samples])


@dataclass
class Result:
    n: int
    frame_bytes: int = 0
    app: Side = field(default_factory=lambda: Side("app"))
    base: Side = field(default_factory=lambda: Side("websockets.broadcast"))


Load = Workers | NodeWorkers


def clients_cpu(workers: Load) -> float:
    """CPU time of all client processes, ms: the run time of each of their threads
    (/proc/PID/task/*/schedstat, ns), since clock ticks are too coarse for a fan-out of a few ms
    (the client processes keep their threads while measured)."""
    total = 0
    for proc in workers.procs:
        for task in Path(f"/proc/{proc.pid}/task").iterdir():
            with contextlib.suppress(OSError):
                total += int((task / "schedstat").read_text().split()[0])
    return total / 1e6


async def idle_rates(pids: tuple[int, ...], seconds: float) -> list[tuple[float, float]]:
    """Each server's idle CPU, ms per s, over ``seconds`` in 1 s slices: (the mean, the median
    slice).  The app's heartbeat is one burst to every socket each period: the mean counts it,
    the median slice leaves it out.  Printed only: each change takes off the rate of the second
    before it, since keepalive pings come in waves (every 20 s, as long as the connections
    took to open) that a global rate would count in or out of a change by chance."""
    slices: list[list[float]] = [[] for _ in pids]
    start = [cpu_ms(p) for p in pids]
    t_start = last_t = time.monotonic()
    last = list(start)
    while time.monotonic() - t_start < seconds:
        await asyncio.sleep(1.0)
        now, t = [cpu_ms(p) for p in pids], time.monotonic()
        for i in range(len(pids)):
            slices[i].append((now[i] - last[i]) / (t - last_t))
        last, last_t = now, t
    elapsed = last_t - t_start
    return [((last[i] - start[i]) / elapsed, median(slices[i])) for i in range(len(pids))]


async def change(
    pid: int,
    workers: Load,
    pool: str,
    version: int,
    trigger: Callable[[], Awaitable[Any]],
    args: argparse.Namespace,
) -> Sample:
    """Trigger one change and measure it: server CPU from just before the trigger to ``settle``
    after the last receipt, less the server's idle rate over the ``quiet`` seconds just before
    (what it does anyway meanwhile: pings come in waves, heartbeats in bursts)."""
    quiet0, tq = cpu_ms(pid), time.monotonic_ns()
    await asyncio.sleep(args.quiet)
    server0, clients0, t0 = cpu_ms(pid), clients_cpu(workers), time.monotonic_ns()
    idle_rate = (server0 - quiet0) / ((t0 - tq) / 1e9)  # ms per s
    await trigger()
    stamps = await workers.stamps(pool, version, args.timeout)
    last = max(stamps) if stamps else time.monotonic_ns()
    wait = (last + args.settle * 1e9 - time.monotonic_ns()) / 1e9
    if wait > 0:
        await asyncio.sleep(wait)
    t1 = time.monotonic_ns()
    server1, clients1 = cpu_ms(pid), clients_cpu(workers)
    window = (t1 - t0) / 1e6
    raw = server1 - server0
    delays = [(s - t0) / 1e6 for s in stamps] or [NAN]
    fanout = (last - t0) / 1e6
    client = clients1 - clients0
    cpu = raw - idle_rate * window / 1000
    return Sample(
        cpu_ms=cpu,
        raw_ms=raw,
        idle_rate=idle_rate,
        window_ms=window,
        spread=(last - min(stamps)) / 1e6 if stamps else NAN,
        p50=percentile(delays, 50),
        p99=percentile(delays, 99),
        delivered=len(stamps),
        server_pct=100 * cpu / fanout if fanout > 0 else NAN,
        client_ms=client,
        client_pct=100 * client / fanout if fanout > 0 else NAN,
    )


async def hold(
    server: Server, side: Side, workers: Load, pool: str, path: str, args: argparse.Namespace
) -> None:
    """Warm up, read the RSS, open N idle connections, read it again once settled."""
    await workers.open(f"warm-{pool}", server.port, path, WARM)
    await workers.close(f"warm-{pool}")
    side.before_kib = await asyncio.to_thread(steady_rss, server, 1.0)
    t = time.monotonic()
    side.opened = await workers.open(pool, server.port, path, args.n)
    side.open_s = time.monotonic() - t
    side.after_kib = await asyncio.to_thread(steady_rss, server, 2.0)


async def measure(n: int, workers: Load, args: argparse.Namespace, tmp: Path) -> Result:
    args.n = n
    data = tmp / f"data-{n}"
    data.mkdir()
    token = create_token(str(data))
    port, base_port = free_port(), free_port()
    server = start_server(port, str(data), args.server_cpus)
    base: Server | None = None
    result = Result(n)
    try:
        # The baseline sends the very frame the displays get (a pointer of the same width).
        await asyncio.to_thread(post_override, port, token, pointer(change_text(0)))
        frame = await asyncio.to_thread(current_frame, port)
        version = frame_version(frame.encode())
        assert version is not None
        result.frame_bytes = len(frame.encode())
        frame_file = tmp / f"frame-{n}.html"
        frame_file.write_text(frame)
        argv = [PYTHON, str(BENCH / "_baseline.py"), "websockets", "--port", str(base_port)]
        base = Server([*argv, "--frame", str(frame_file)], base_port, args.server_cpus)
        base.wait_ready()
        await hold(server, result.app, workers, "dash", PATH, args)
        await hold(base, result.base, workers, "base", "/", args)
        for side in (result.app, result.base):
            log(
                f"  N={n} {side.label}: {side.opened} connections in {side.open_s:.1f} s; RSS "
                f"{side.before_kib} → {side.after_kib} KiB = {side.kib_per_socket:.1f} KiB each"
            )
        # The idle rate of both, over the same quiet interval.
        pids = (server.proc.pid, base.proc.pid)
        rates = await idle_rates(pids, args.idle)
        for side, (mean, steady) in zip((result.app, result.base), rates, strict=True):
            side.idle_mean, side.idle_rate = mean, steady
            log(
                f"  N={n} {side.label} idle CPU over {args.idle:.0f} s: {mean:.1f} ms/s "
                f"(median 1 s slice {steady:.1f} ms/s)"
            )
        async with connect(f"ws://{HOST}:{base_port}/control", compression=None) as control:

            async def broadcast(v: int) -> None:
                await control.send(json.dumps({"op": "broadcast", "version": v}))
                await control.recv()

            for i in range(1, args.repeats + 2):  # the first is a warm-up
                version += 1
                post = pointer(change_text(i))
                app = await change(
                    pids[0],
                    workers,
                    "dash",
                    version,
                    lambda: asyncio.to_thread(post_override, port, token, post),  # noqa: B023
                    args,
                )
                v = 1_000_000 + i
                bl = await change(
                    pids[1],
                    workers,
                    "base",
                    v,
                    lambda: broadcast(v),  # noqa: B023
                    args,
                )
                log(
                    f"  N={n} {'warm-up' if i == 1 else f'change {i - 1}'}: "
                    + "; ".join(
                        f"{name} CPU {s.cpu_ms:.0f} ms, spread {s.spread:.1f}, p99 {s.p99:.1f} ms "
                        f"({s.delivered}), clients {s.client_pct:.0f} %"
                        for name, s in (("app", app), ("baseline", bl))
                    )
                )
                if i > 1:
                    result.app.samples.append(app)
                    result.base.samples.append(bl)
        await workers.close("dash")
        await workers.close("base")
    finally:
        server.stop()
        if base is not None:
            base.stop()
    return result


def change_text(i: int) -> str:
    return f"Agenda item 5 (bench change {i:03d})"  # constant width: the frame keeps its size


async def run(args: argparse.Namespace) -> list[Result]:
    results = []
    load = NodeWorkers if args.load == "node" else Workers
    async with load(args.procs, args.load_cpus) as workers:
        with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
            for n in args.clients:
                results.append(await measure(n, workers, args, Path(tmp)))
    return results


# --- output --------------------------------------------------------------------------------------


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else NAN


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "not met"


def n_table(r: Result) -> str:
    rows: list[list[Any]] = []
    for side in (r.app, r.base):
        rows.append(
            [
                side.label,
                side.med("cpu_ms"),
                side.med("raw_ms"),
                f"{side.med('server_pct'):.0f} %",
                side.med("spread"),
                side.med("p50"),
                side.med("p99"),
                f"{min(s.delivered for s in side.samples)}/{r.n}",
                side.kib_per_socket,
                f"{side.idle_mean:.1f} ({side.idle_rate:.1f})",
                side.med("client_ms"),
                f"{side.med('client_pct'):.0f} %",
            ]
        )
    a, b = r.app, r.base
    rows.append(
        [
            "ratio app ÷ baseline",
            ratio(a.med("cpu_ms"), b.med("cpu_ms")),
            ratio(a.med("raw_ms"), b.med("raw_ms")),
            "",
            ratio(a.med("spread"), b.med("spread")),
            ratio(a.med("p50"), b.med("p50")),
            ratio(a.med("p99"), b.med("p99")),
            "",
            ratio(a.kib_per_socket, b.kib_per_socket),
            f"{ratio(a.idle_mean, b.idle_mean):.2f}",
            ratio(a.med("client_ms"), b.med("client_ms")),
            "",
        ]
    )
    headers = [
        f"N = {r.n:,}",
        "server CPU per change, ms",
        "raw (idle not taken off)",
        "server CPU, % of a core",
        "spread, ms",
        "client p50, ms",
        "client p99, ms",
        "delivered (min)",
        "KiB per idle socket",
        "idle CPU, ms/s (median 1 s)",
        "client CPU per change, ms",
        "client CPU, % of a core",
    ]
    cpu, spread = ratio(a.med("cpu_ms"), b.med("cpu_ms")), ratio(a.med("spread"), b.med("spread"))
    target = "(the targets are set at N = 10,000)" if r.n != 10_000 else "(the targets' N)"
    return "\n".join(
        [
            table(headers, rows),
            "",
            f"Targets {target}: CPU per change ×{cpu:.2f} ≤ ×{TARGET_RATIO}: "
            f"{verdict(cpu, TARGET_RATIO)}; spread ×{spread:.2f} ≤ ×{TARGET_RATIO}: "
            f"{verdict(spread, TARGET_RATIO)}; memory {a.kib_per_socket:.1f} KiB ≤ "
            f"{TARGET_KIB:.0f} KiB per socket: {verdict(a.kib_per_socket, TARGET_KIB)}.",
        ]
    )


def report(results: list[Result], args: argparse.Namespace, load: tuple[str, str]) -> str:
    raw = [
        [
            r.n,
            i + 1,
            side.label,
            s.raw_ms,
            s.window_ms,
            s.idle_rate,
            s.cpu_ms,
            f"{s.server_pct:.0f} %",
            s.spread,
            s.p50,
            s.p99,
            s.delivered,
            s.client_ms,
            f"{s.client_pct:.0f} %",
        ]
        for r in results
        for i in range(len(r.app.samples))
        for side in (r.app, r.base)
        for s in (side.samples[i],)
    ]
    frame = ", ".join(f"{r.frame_bytes} B" for r in results)
    client = "Node ws, bench/node" if args.load == "node" else "Python, bench/_wsclient.py"
    lines = [
        f"Machine: {machine()}; server on CPU {sorted(args.server_cpus)}, {args.procs} client "
        f"processes ({client}) on CPU {sorted(args.load_cpus)}; frame {frame}; "
        f"load average {load[0]} at the start, {load[1]} at the end.",
        f"Medians over {args.repeats} changes after one warm-up. Server CPU per change: "
        f"/proc/PID/stat from just before the trigger to {args.settle * 1000:.0f} ms after the "
        f"last receipt, less the idle rate × that window (the rate over the {args.quiet:.0f} s "
        f"before the trigger; the idle column: the mean over {args.idle:.0f} s with the N "
        "sockets open, and its median 1 s slice). p50/p99 from the trigger (app: the POST; "
        "baseline: the control command). Client CPU: all client processes "
        "(/proc/PID/schedstat) over the same window. % of a core: CPU ÷ (trigger → last "
        "receipt); with both below ~90 %, neither the server nor the clients were the limit "
        "but the machine (other processes on the same CPUs).",
    ]
    for r in results:
        lines += ["", n_table(r)]
    lines += [
        "",
        "Every change (server CPU: raw, the window it was read over, the idle rate of the second "
        "before, and CPU per change = raw − idle rate × window):",
        "",
        table(
            [
                "N",
                "#",
                "server",
                "CPU raw, ms",
                "window, ms",
                "idle before, ms/s",
                "CPU per change, ms",
                "server % of a core",
                "spread",
                "p50",
                "p99",
                "delivered",
                "client CPU, ms",
                "client % of a core",
            ],
            raw,
        ),
    ]
    return "\n".join(lines)


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: N=200, 2 changes")
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 5000, 10000], metavar="N")
    parser.add_argument("--repeats", type=int, default=7, metavar="R")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument(
        "--settle", type=float, default=0.3, help="CPU read this long after the last receipt (s)"
    )
    parser.add_argument(
        "--quiet", type=float, default=1.0, help="idle rate read before each change (s)"
    )
    parser.add_argument(
        "--idle", type=float, default=15.0, help="quiet interval for the idle CPU rate (s)"
    )
    parser.add_argument("--timeout", type=float, default=30.0, help="per change (s)")
    parser.add_argument(
        "--load",
        choices=["python", "node"],
        default="python",
        help="the clients: bench/_wsclient.py, or Node ws (npm install --prefix bench/node)",
    )
    args = parser.parse_args()
    if args.load == "node" and (why := available()):
        parser.error(f"--load node: {why}")
    if args.quick:
        args.clients, args.repeats, args.procs, args.idle = [200], 2, 2, 2.0
    raise_nofile()
    args.server_cpus, args.load_cpus = cpu_split()
    pin(args.load_cpus)
    start = loadavg()
    results = asyncio.run(run(args))
    print(report(results, args, (start, loadavg())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
