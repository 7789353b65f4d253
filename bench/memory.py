"""Memory per idle room display: the server's RSS before and after N idle connections to
``/ws/display/cr4``, divided by N.

Each repeat starts a fresh ``dashboard serve --at 2023-12-13T15:30`` (as shipped: no probe),
pinned to the first CPU; opens and closes a few connections (so that lazily imported code and
first-use allocations are in "before"); reads VmRSS; opens N connections from client processes
on the other CPUs (each gets the full state, then stays idle; no compression offered); waits for
the server to settle; reads VmRSS again.

Baseline in the same run: a bare Starlette WebSocket endpoint under the dashboard's own uvicorn
configuration (bench/_baseline.py ``starlette``) sending the same frame, measured the same way.

    .venv/bin/python bench/memory.py            # N = 5000, 3 repeats
    .venv/bin/python bench/memory.py --quick    # N = 300, 1 repeat
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import (
    BENCH,
    PYTHON,
    ROOM,
    Server,
    cpu_split,
    current_frame,
    free_port,
    log,
    machine,
    median,
    pin,
    raise_nofile,
    start_server,
    steady_rss,
    table,
)
from _workers import Workers

PATH = f"/ws/display/{ROOM}"
TARGET_KIB = 30.0


@dataclass
class Sample:
    before: int  # KiB
    after: int
    opened: int
    open_s: float  # time to open them all (handshake and first frame, 4 × 64 at a time)

    @property
    def per_connection(self) -> float:
        return (self.after - self.before) / max(self.opened, 1)


async def one(server: Server, path: str, workers: Workers, args: argparse.Namespace) -> Sample:
    await workers.open("warm", server.port, path, 20)
    await workers.close("warm")
    before = await asyncio.to_thread(steady_rss, server, args.settle)
    t = time.monotonic()
    opened = await workers.open("idle", server.port, path, args.clients)
    open_s = time.monotonic() - t
    after = await asyncio.to_thread(steady_rss, server, args.settle)
    await workers.close("idle")
    return Sample(before, after, opened, open_s)


async def run(args: argparse.Namespace, tmp: Path) -> dict[str, list[Sample]]:
    results: dict[str, list[Sample]] = {"dashboard": [], "baseline": []}
    frame_file = tmp / "frame.html"
    async with Workers(args.procs, args.load_cpus) as workers:
        for i in range(args.repeats):
            port = free_port()
            server = start_server(port, str(tmp / f"data-{i}"), args.server_cpus)
            try:
                if not frame_file.exists():
                    frame_file.write_text(await asyncio.to_thread(current_frame, port))
                results["dashboard"].append(await one(server, PATH, workers, args))
            finally:
                server.stop()
            port = free_port()
            argv = [PYTHON, str(BENCH / "_baseline.py"), "starlette", "--port", str(port)]
            base = Server([*argv, "--frame", str(frame_file)], port, args.server_cpus)
            try:
                base.wait_ready()
                results["baseline"].append(await one(base, "/", workers, args))
            finally:
                base.stop()
            d, b = results["dashboard"][-1], results["baseline"][-1]
            log(
                f"  repeat {i + 1}: dashboard {d.before}→{d.after} KiB for {d.opened} = "
                f"{d.per_connection:.1f} KiB each; baseline {b.before}→{b.after} KiB = "
                f"{b.per_connection:.1f} KiB each"
            )
    return results


def report(results: dict[str, list[Sample]], args: argparse.Namespace) -> str:
    rows = []
    for name, samples in results.items():
        label = "dashboard" if name == "dashboard" else "bare Starlette + same uvicorn config"
        rows.append(
            [
                label,
                min(s.opened for s in samples),
                median([s.before for s in samples]) / 1024,
                median([s.after for s in samples]) / 1024,
                median([s.per_connection for s in samples]),
                ", ".join(f"{s.per_connection:.1f}" for s in samples),
                median([s.opened / s.open_s for s in samples]),
            ]
        )
    dash = median([s.per_connection for s in results["dashboard"]])
    base = median([s.per_connection for s in results["baseline"]])
    verdict = "met" if dash <= TARGET_KIB else "MISSED"
    return "\n".join(
        [
            f"Machine: {machine()}; server on CPU {sorted(args.server_cpus)}, "
            f"{args.procs} client processes on CPU {sorted(args.load_cpus)}.",
            f"Medians over {args.repeats} repeats (a fresh server each); RSS in MiB.",
            "",
            table(
                [
                    "server",
                    "idle connections",
                    "RSS before",
                    "RSS after",
                    "KiB / connection",
                    "each repeat",
                    "connections opened / s",
                ],
                rows,
            ),
            "",
            f"Dashboard ÷ baseline: {dash / base:.2f}; target ≤ {TARGET_KIB:.0f} KiB a "
            f"connection: {dash:.1f} KiB, {verdict}.",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smoke run: N=300, 1 repeat")
    parser.add_argument("--clients", type=int, default=5000, metavar="N")
    parser.add_argument("--repeats", type=int, default=3, metavar="R")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--settle", type=float, default=2.0, help="wait before each RSS read (s)")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.repeats, args.procs, args.settle = 300, 1, 2, 0.5
    raise_nofile()
    args.server_cpus, args.load_cpus = cpu_split()
    pin(args.load_cpus)
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        results = asyncio.run(run(args, Path(tmp)))
    print(report(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
