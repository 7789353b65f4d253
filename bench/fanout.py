"""Fan-out of one state change to N room displays (``/ws/display/cr4``).

The server is ``dashboard serve --at 2023-12-13T15:30`` (mid-session) in a subprocess pinned to
the first CPU; N display clients (bench/_wsclient.py; no compression offered) are spread over
``--procs`` client processes (bench/_workers.py) pinned to the other CPUs.  Each change is a real
one: an override (``pointer``, "under discussion now") posted to ``/api/overrides`` with a
secretariat bearer token made by ``dashboard token create``.  The server runs through
bench/_served.py ``--probe-sends`` (``dashboard serve`` with a thin wrapper around Starlette's
``send_text``) to learn when it published the frame and when its last send returned;
``--plain`` runs ``dashboard serve`` itself and reports what the clients see only.

Measured per change, in ms from the instant before the POST was sent (monotonic clock, which is
system-wide, so the clients' and the server's stamps compare):

* ack: the 201 (after the commit, the render and the publish);
* publish: ``Hub.publish`` of the display frame; server done: the last ``send_text`` returned;
* client p50/p99/max: when each client had the whole new frame.

Baseline in the same run, same CPU, same clients: a bare ``websockets`` server
(bench/_baseline.py) holding N connections of its own, ``websockets.broadcast`` of the same
frame (same bytes but the version), timed from just before the broadcast call.

    .venv/bin/python bench/fanout.py            # N = 1000, 5000; 9 changes each (+1 warm-up)
    .venv/bin/python bench/fanout.py --quick    # N = 200; 2 changes
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    BENCH,
    HOST,
    PYTHON,
    ROOM,
    Server,
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
    table,
)
from _workers import Workers
from _wsclient import frame_version
from websockets.asyncio.client import connect

PATH = f"/ws/display/{ROOM}"
TARGET_P99_MS = 250.0


@dataclass
class Sample:
    server_ms: float  # the last send returned (nan when not probed)
    p50: float
    p99: float
    max: float
    delivered: int
    ack_ms: float = float("nan")
    publish_ms: float = float("nan")
    gc_ms: float = float("nan")  # the server's GC pauses during the fan-out
    gc_full: int = 0


@dataclass
class Result:
    n: int
    frame_bytes: int = 0
    dashboard: list[Sample] = field(default_factory=list)
    baseline: list[Sample] = field(default_factory=list)


def ms(stamp: int, t0: int) -> float:
    return (stamp - t0) / 1e6


def sample(t0: int, stamps: list[int], server_ns: int | None) -> Sample:
    delays = [ms(s, t0) for s in stamps] or [float("nan")]
    return Sample(
        server_ms=ms(server_ns, t0) if server_ns else float("nan"),
        p50=percentile(delays, 50),
        p99=percentile(delays, 99),
        max=max(delays),
        delivered=len(stamps),
    )


def change_text(i: int) -> str:
    return f"Agenda item 5 (bench change {i:03d})"  # constant width: the frame keeps its size


async def change_dashboard(
    server: Server, workers: Workers, token: str, i: int, version: int, args: argparse.Namespace
) -> Sample:
    t0 = time.monotonic_ns()
    await asyncio.to_thread(post_override, server.port, token, pointer(change_text(i)))
    t_ack = time.monotonic_ns()
    stamps = await workers.stamps("dash", version, args.timeout)
    probe = None
    if not args.plain:
        probe = await asyncio.to_thread(server.probe, "sends", 15, version=version)
        if probe is None:
            log(f"  warning: no probe line for version {version}")
    result = sample(t0, stamps, probe["last"] if probe else None)
    result.ack_ms = ms(t_ack, t0)
    if probe:
        result.publish_ms = ms(probe["publish"], t0)
        result.gc_ms, result.gc_full = probe["gc_us"] / 1000, probe["gc_full"]
    return result


async def change_baseline(
    control: object, workers: Workers, version: int, timeout: float
) -> Sample:
    await control.send(json.dumps({"op": "broadcast", "version": version}))  # type: ignore[attr-defined]
    reply = json.loads(await control.recv())  # type: ignore[attr-defined]
    stamps = await workers.stamps("base", version, timeout)
    return sample(reply["t0"], stamps, reply["t1"])


async def measure(n: int, workers: Workers, args: argparse.Namespace, tmp: Path) -> Result:
    data = tmp / f"data-{n}"
    data.mkdir()
    token = create_token(str(data))
    port, base_port = free_port(), free_port()
    probes = [] if args.plain else ["--probe-sends"]
    server = start_server(port, str(data), args.server_cpus, probes)
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
        t = time.monotonic()
        opened = await workers.open("dash", port, PATH, n)
        opened_base = await workers.open("base", base_port, "/", n)
        log(
            f"  N={n}: {opened} display + {opened_base} baseline connections in "
            f"{time.monotonic() - t:.1f} s; frame {result.frame_bytes} B"
        )
        async with connect(f"ws://{HOST}:{base_port}/control", compression=None) as control:
            for i in range(1, args.repeats + 2):  # the first is a warm-up
                version += 1
                dash = await change_dashboard(server, workers, token, i, version, args)
                await asyncio.sleep(args.settle)
                bl = await change_baseline(control, workers, 1_000_000 + i, args.timeout)
                await asyncio.sleep(args.settle)
                log(
                    f"  N={n} {'warm-up' if i == 1 else f'change {i - 1}'}: dashboard ack "
                    f"{dash.ack_ms:.1f}, server done {dash.server_ms:.1f}, p50 {dash.p50:.1f}, "
                    f"p99 {dash.p99:.1f} ms ({dash.delivered}), GC {dash.gc_ms:.0f} ms "
                    f"({dash.gc_full} full); baseline server "
                    f"{bl.server_ms:.1f}, p50 {bl.p50:.1f}, p99 {bl.p99:.1f} ms ({bl.delivered})"
                )
                if i > 1:
                    result.dashboard.append(dash)
                    result.baseline.append(bl)
        await workers.close("dash")
        await workers.close("base")
    finally:
        server.stop()
        if base is not None:
            base.stop()
    return result


async def run(args: argparse.Namespace) -> list[Result]:
    results = []
    async with Workers(args.procs, args.load_cpus) as workers:
        with tempfile.TemporaryDirectory(prefix="bench-fanout-") as tmp:
            for n in args.clients:
                results.append(await measure(n, workers, args, Path(tmp)))
    return results


# --- output --------------------------------------------------------------------------------------


def med(samples: list[Sample], name: str) -> float:
    return median([getattr(s, name) for s in samples])


def report(results: list[Result], args: argparse.Namespace) -> str:
    rows, ratios = [], []
    for r in results:
        for label, samples in (("dashboard", r.dashboard), ("websockets.broadcast", r.baseline)):
            dash = label == "dashboard"
            rows.append(
                [
                    r.n,
                    label,
                    med(samples, "ack_ms") if dash else "–",
                    med(samples, "publish_ms") if dash else 0.0,
                    med(samples, "server_ms"),
                    med(samples, "p50"),
                    med(samples, "p99"),
                    med(samples, "max"),
                    f"{min(s.delivered for s in samples)}/{r.n}",
                ]
            )
        d99, b99 = med(r.dashboard, "p99"), med(r.baseline, "p99")
        # Like for like: the dashboard's fan-out counted from its publish, as the baseline's.
        from_publish = median([s.p99 - s.publish_ms for s in r.dashboard])
        ratios.append(
            [
                r.n,
                med(r.dashboard, "server_ms") / med(r.baseline, "server_ms"),
                med(r.dashboard, "p50") / med(r.baseline, "p50"),
                d99 / b99,
                from_publish / b99,
                f"{d99:.1f} ms: {'met' if d99 < TARGET_P99_MS else 'MISSED'}",
            ]
        )
    changes = [
        [
            r.n,
            i + 1,
            d.ack_ms,
            d.server_ms,
            d.p50,
            d.p99,
            f"{d.gc_ms:.0f} ({d.gc_full})",
            b.server_ms,
            b.p50,
            b.p99,
        ]
        for r in results
        for i, (d, b) in enumerate(zip(r.dashboard, r.baseline, strict=True))
    ]
    frame = ", ".join(f"{r.frame_bytes} B" for r in results)
    return "\n".join(
        [
            f"Machine: {machine()}; server on CPU {sorted(args.server_cpus)}, {args.procs} client "
            f"processes on CPU {sorted(args.load_cpus)}; frame {frame}; "
            f"{'plain dashboard serve (no probe)' if args.plain else 'probed server'}.",
            f"Medians over {args.repeats} changes (after one warm-up); ms from the trigger "
            "(dashboard: the POST; baseline: the broadcast call).",
            "",
            table(
                [
                    "N",
                    "server",
                    "201 ack",
                    "publish",
                    "server done",
                    "client p50",
                    "client p99",
                    "client max",
                    "delivered (min)",
                ],
                rows,
            ),
            "",
            table(
                [
                    "N",
                    "server done ÷ baseline",
                    "p50 ÷ baseline",
                    "p99 ÷ baseline",
                    "p99 from publish ÷ baseline",
                    f"target p99 < {TARGET_P99_MS:.0f} ms",
                ],
                ratios,
            ),
            "",
            "Every change: the dashboard's, its GC pauses during the fan-out in ms (full "
            "collections), then the baseline's (bl):",
            "",
            table(
                [
                    "N",
                    "#",
                    "ack",
                    "server done",
                    "p50",
                    "p99",
                    "GC ms (full)",
                    "bl server",
                    "bl p50",
                    "bl p99",
                ],
                changes,
            ),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: N=200, 2 changes")
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 5000], metavar="N")
    parser.add_argument("--repeats", type=int, default=9, metavar="R")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--settle", type=float, default=1.0, help="pause after each change (s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="per change (s)")
    parser.add_argument("--plain", action="store_true", help="dashboard serve without the probe")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.repeats, args.procs, args.settle = [200], 2, 2, 0.3
    raise_nofile()
    args.server_cpus, args.load_cpus = cpu_split()
    pin(args.load_cpus)
    results = asyncio.run(run(args))
    print(report(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
