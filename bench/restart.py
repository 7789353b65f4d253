"""Restart under load (issue 5): N room displays that reconnect as the real page does; the server
is stopped with SIGTERM and started again on the same port; how long until every display is
back with the full current state, and what went wrong on the way.

The displays (bench/_wsclient.py ``Screens``, in client processes on the other CPUs) follow
static/js/live.js: after any close or failed attempt they wait
``random() * min(30 s, max(1 s, time offline so far))`` (full jitter).

The server is ``dashboard serve --at 2023-12-13T15:30`` (as shipped), pinned to the first CPU.
Before the restarts an override is posted (a ``pointer`` carrying a random marker, effective
15:00, so it stands again when the restarted clock starts at 15:30): a display is *back* when a
connection opened after the SIGTERM has sent, as its first message, the full state
(``#display-now``) with that marker: the acknowledged override survived and was delivered.

Counted as errors (after the SIGTERM): a handshake answered other than 101, a connection closed
before its first message, a first message without the full state or the marker, a timeout or a
socket error other than "connection refused" (expected while the server is down; counted apart).

    .venv/bin/python bench/restart.py           # N = 5000, 3 restarts
    .venv/bin/python bench/restart.py --quick   # N = 300, 1 restart
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

from _common import (
    ROOM,
    Server,
    cpu_split,
    create_token,
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
    table,
)
from _workers import Workers
from _wsclient import reconnect_delay

PATH = f"/ws/display/{ROOM}"
TARGET_S = 15.0


@dataclass
class Restart:
    shutdown_s: float  # SIGTERM → the old process exited
    ready_s: float  # SIGTERM → the new one answered /healthz
    back: list[float]  # per display: SIGTERM → its full state on a new connection (s)
    errors: Counter[str] = field(default_factory=Counter)
    refused: int = 0
    attempts: int = 0

    @property
    def all_back_s(self) -> float:
        return max(self.back) if self.back else float("nan")


async def wait_marked(workers: Workers, n: int, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    marked = 0
    while time.monotonic() < deadline:
        marked = (await workers.stats())["marked"]
        if marked >= n:
            break
        await asyncio.sleep(0.5)
    return int(marked)


async def restart(
    server: Server, workers: Workers, args: argparse.Namespace
) -> tuple[Server, Restart]:
    epoch = time.monotonic_ns()
    await workers.all(("epoch", epoch))
    shutdown = await asyncio.to_thread(server.stop)
    new = Server(server.argv, server.port, server.cpus)
    await asyncio.to_thread(new.wait_ready, 60)
    ready = (time.monotonic_ns() - epoch) / 1e9
    deadline = time.monotonic() + args.timeout
    while len((await workers.stats())["back"]) < args.clients and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
    await asyncio.sleep(1)  # late errors (a display sent a stale state) show up too
    stats = await workers.stats()
    result = Restart(
        shutdown_s=shutdown,
        ready_s=ready,
        back=sorted((s - epoch) / 1e9 for s in stats["back"]),
        errors=stats["errors"],
        refused=stats["refused"],
        attempts=stats["attempts"],
    )
    if len(result.back) < args.clients:
        result.errors[f"not back within {args.timeout:.0f} s"] = args.clients - len(result.back)
    return new, result


async def run(args: argparse.Namespace, data: str) -> list[Restart]:
    port = free_port()
    token = create_token(data)
    marker = f"Restart check {secrets.token_hex(6)}"
    server = start_server(port, data, args.server_cpus)
    # Effective before the clock's start, so that it stands at once after a restart too.
    post_override(port, token, pointer(marker, effective="2023-12-13T15:00"))
    results: list[Restart] = []
    try:
        async with Workers(args.procs, args.load_cpus) as workers:
            t = time.monotonic()
            await workers.screens(port, PATH, args.clients, marker.encode())
            marked = await wait_marked(workers, args.clients, 120)
            log(f"  {marked} of {args.clients} displays up in {time.monotonic() - t:.1f} s")
            for i in range(args.repeats):
                server, result = await restart(server, workers, args)
                results.append(result)
                log(f"  restart {i + 1}: {describe(result)}")
                await wait_marked(workers, args.clients, 60)
                await asyncio.sleep(args.settle)
    finally:
        server.stop()
    return results


def policy_alone(down_s: float, n: int, runs: int = 5) -> float:
    """When the last of ``n`` displays would be back if the server answered at once from
    ``down_s`` on: the reconnect policy's own share (a model, median of ``runs``)."""
    lasts = []
    for _ in range(runs):
        last = 0.0
        for _ in range(n):
            t = 0.0
            while t < down_s:
                t += reconnect_delay(t)
            last = max(last, t)
        lasts.append(last)
    return median(lasts)


def describe(r: Restart) -> str:
    return (
        f"shutdown {r.shutdown_s:.2f} s, ready {r.ready_s:.2f} s, {len(r.back)} back, the last "
        f"at {r.all_back_s:.2f} s; {r.attempts} attempts, {r.refused} refused, "
        f"{sum(r.errors.values())} errors {dict(r.errors)}"
    )


def report(results: list[Restart], args: argparse.Namespace) -> str:
    rows = [
        [
            i + 1,
            r.shutdown_s,
            r.ready_s,
            percentile(r.back, 50) if r.back else float("nan"),
            percentile(r.back, 99) if r.back else float("nan"),
            r.all_back_s,
            policy_alone(r.ready_s, args.clients),
            f"{len(r.back)}/{args.clients}",
            r.attempts,
            r.refused,
            ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "0",
        ]
        for i, r in enumerate(results)
    ]
    worst = max(r.all_back_s for r in results)
    errors = sum(sum(r.errors.values()) for r in results)
    ok = worst <= TARGET_S and errors == 0
    return "\n".join(
        [
            f"Machine: {machine()}; server on CPU {sorted(args.server_cpus)}, {args.procs} client "
            f"processes on CPU {sorted(args.load_cpus)}; {args.clients} displays.",
            "Seconds from the SIGTERM. Policy alone: when the last display would be back if the "
            "server were down until 'new ready' and then answered at once (the reconnect "
            "policy's share; a model).",
            "",
            table(
                [
                    "restart",
                    "old exited",
                    "new ready",
                    "back p50",
                    "back p99",
                    "all back",
                    "policy alone",
                    "back",
                    "attempts",
                    "refused",
                    "errors",
                ],
                rows,
            ),
            "",
            f"Median of {len(results)}: all back in "
            f"{median([r.all_back_s for r in results]):.2f} s (worst {worst:.2f} s); {errors} "
            f"errors in all. Target all back within {TARGET_S:.0f} s without errors: "
            f"{'met' if ok else 'MISSED'}.",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: N=300, 1 restart")
    parser.add_argument("--clients", type=int, default=5000, metavar="N")
    parser.add_argument("--repeats", type=int, default=3, metavar="R")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--timeout", type=float, default=90.0, help="per restart (s)")
    parser.add_argument("--settle", type=float, default=3.0, help="pause between restarts (s)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.repeats, args.procs, args.settle = 300, 1, 2, 1.0
    raise_nofile()
    args.server_cpus, args.load_cpus = cpu_split()
    pin(args.load_cpus)
    with tempfile.TemporaryDirectory(prefix="bench-restart-") as data:
        results = asyncio.run(run(args, data))
    print(report(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
