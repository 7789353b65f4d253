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

The records and the printed report are in bench/_fanout_report.py.

    .venv/bin/python bench/fanout.py               # N = 1000, 5000, 10000; 7 changes each (+1)
    .venv/bin/python bench/fanout.py --load node   # the same, Node ws clients
    .venv/bin/python bench/fanout.py --quick       # N = 200; 2 changes
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
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
    median,
    percentile,
    pin,
    pointer,
    post_override,
    raise_nofile,
    start_server,
    steady_rss,
)
from _fanout_report import NAN, Result, Sample, Side, report
from _nodeload import NodeWorkers, available
from _workers import Workers
from _wsclient import frame_version
from websockets.asyncio.client import connect

PATH = f"/ws/display/{ROOM}"
WARM = 20  # connections opened and closed before the "before" RSS


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
