"""What each idle room display's socket holds in the server: tracemalloc snapshots before and after
N idle connections to ``/ws/display/cr4``, the difference grouped by file:line, by file and by
the code that asked for it, in KiB per connection; with the RSS per connection.

The server is ``dashboard serve --at 2023-12-13T15:30`` through bench/_served.py
``--tracemalloc=DIR`` (``tracemalloc.start(25)`` before the app is built; a snapshot at each
SIGUSR1), pinned to the first CPU, after a run without it for the RSS.  Warm-up: 20 connections
opened and closed (lazily imported code and first-use allocations land before the first
snapshot).  Then N display clients (bench/_wsclient.py, no compression offered) in client
processes on the other CPU open and stay idle; once the RSS has settled, the second snapshot.
Both snapshots are taken after a full collection.  The same for a bare ``websockets`` server
(bench/_baseline.py ``websockets --tracemalloc``) holding N connections that got the same frame.

Three groupings of the growth:

* by file:line: the line that allocated (often in asyncio or the standard library);
* by file;
* by owner: the innermost frame outside the standard library (dashboard/, Starlette, uvicorn,
  websockets...), so an asyncio Task or a transport's buffer is charged to who made it.

The RSS per connection comes from a first run of the same server without tracemalloc (a snapshot
leaves memory behind in the allocator, which the connections then reuse); the traced memory per
connection from the second, with it.

    .venv/bin/python bench/socket_memory.py            # N = 1000
    .venv/bin/python bench/socket_memory.py --quick    # N = 200
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import sysconfig
import tempfile
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from _common import (
    BENCH,
    PYTHON,
    ROOM,
    ROOT,
    Server,
    cpu_split,
    current_frame,
    free_port,
    log,
    machine,
    pin,
    raise_nofile,
    serve_argv,
    start_server,
    steady_rss,
    table,
)
from _workers import Workers

PATH = f"/ws/display/{ROOM}"
WARM = 20
STDLIB = sysconfig.get_paths()["stdlib"]
SKIP = [
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap*>"),
    tracemalloc.Filter(False, "<unknown>"),
]


@dataclass
class Measured:
    label: str
    opened: int = 0
    rss_before: int = 0  # KiB, without tracemalloc
    rss_after: int = 0
    traced_opened: int = 0  # connections in the traced run
    traced: tuple[int, int] = (0, 0)  # bytes, at each snapshot
    overhead: tuple[int, int] = (0, 0)  # tracemalloc's own memory, bytes
    by_line: list[tuple[str, int, int]] = field(default_factory=list)  # (where, bytes, count)
    by_file: list[tuple[str, int, int]] = field(default_factory=list)
    by_owner: list[tuple[str, int, int]] = field(default_factory=list)


def short(filename: str) -> str:
    """A path from the package or the standard library on."""
    for mark in ("/site-packages/", "/dashboard/"):
        if mark in filename:
            head = "dashboard/" if mark == "/dashboard/" else ""
            return head + filename.rsplit(mark, 1)[1]
    if filename.startswith(STDLIB):
        return filename[len(STDLIB) + 1 :]
    if filename.startswith(str(ROOT)):
        return filename[len(str(ROOT)) + 1 :]
    return filename


def owner(frames: tracemalloc.Traceback) -> str:
    """The innermost frame outside the standard library."""
    for frame in reversed(list(frames)):  # oldest first: walk from the most recent
        if not frame.filename.startswith(STDLIB) and not frame.filename.startswith("<"):
            return f"{short(frame.filename)}:{frame.lineno}"
    last = frames[-1]
    return f"{short(last.filename)}:{last.lineno}"


def breakdown(before_file: Path, after_file: Path, result: Measured, top: int) -> None:
    before = tracemalloc.Snapshot.load(str(before_file)).filter_traces(SKIP)
    after = tracemalloc.Snapshot.load(str(after_file)).filter_traces(SKIP)

    def grouped(key: str) -> list[tuple[str, int, int]]:
        stats = after.compare_to(before, key)
        rows = []
        for s in stats[:top]:
            frame = s.traceback[0]
            where = short(frame.filename) + (f":{frame.lineno}" if key == "lineno" else "")
            rows.append((where, s.size_diff, s.count_diff))
        return rows

    result.by_line, result.by_file = grouped("lineno"), grouped("filename")
    owners: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for s in after.compare_to(before, "traceback"):
        entry = owners[owner(s.traceback)]
        entry[0] += s.size_diff
        entry[1] += s.count_diff
    ranked = sorted(owners.items(), key=lambda kv: -abs(kv[1][0]))[:top]
    result.by_owner = [(k, v[0], v[1]) for k, v in ranked]


async def snapshot(server: Server, k: int) -> tuple[int, int]:
    server.proc.send_signal(signal.SIGUSR1)
    probe = await asyncio.to_thread(server.probe, "snapshot", 120, k=k)
    if probe is None:
        raise RuntimeError(f"no snapshot {k} from {server.argv[:3]}")
    return probe["traced"], probe["overhead"]


async def plain(
    server: Server, result: Measured, path: str, workers: Workers, args: argparse.Namespace
) -> None:
    """RSS before and after N idle connections, without tracemalloc (whose snapshots leave
    memory behind in the allocator, that the connections then reuse)."""
    await workers.open("warm", server.port, path, WARM)
    await workers.close("warm")
    result.rss_before = await asyncio.to_thread(steady_rss, server, 1.0)
    result.opened = await workers.open("idle", server.port, path, args.clients)
    result.rss_after = await asyncio.to_thread(steady_rss, server, 2.0)
    await workers.close("idle")


async def traced(
    server: Server,
    result: Measured,
    path: str,
    workers: Workers,
    snaps: Path,
    args: argparse.Namespace,
) -> None:
    await workers.open("warm", server.port, path, WARM)
    await workers.close("warm")
    await asyncio.to_thread(steady_rss, server, 1.0)  # settled
    t1, o1 = await snapshot(server, 1)
    result.traced_opened = await workers.open("idle", server.port, path, args.clients)
    await asyncio.to_thread(steady_rss, server, 2.0)
    t2, o2 = await snapshot(server, 2)
    result.traced, result.overhead = (t1, t2), (o1, o2)
    await workers.close("idle")
    breakdown(snaps / "snapshot-1.pickle", snaps / "snapshot-2.pickle", result, args.top)
    log(
        f"  {result.label}: {result.opened} connections, RSS {result.rss_before} → "
        f"{result.rss_after} KiB; traced {t1 // 1024} → {t2 // 1024} KiB"
    )


async def measure(
    label: str,
    argv: Callable[[int, Path | None], list[str]],
    path: str,
    workers: Workers,
    snaps: Path,
    args: argparse.Namespace,
) -> Measured:
    """The server once as it is (the RSS), then once with tracemalloc (the breakdown):
    ``argv(port, snapshot folder or None)``."""
    result = Measured(label)
    port = free_port()
    server = Server(argv(port, None), port, args.server_cpus)
    try:
        server.wait_ready()
        await plain(server, result, path, workers, args)
    finally:
        server.stop()
    snaps.mkdir()
    port = free_port()
    server = Server(argv(port, snaps), port, args.server_cpus)
    try:
        server.wait_ready(180)  # tracemalloc slows the start several times
        await traced(server, result, path, workers, snaps, args)
    finally:
        server.stop()
    return result


async def run(args: argparse.Namespace, tmp: Path) -> list[Measured]:
    data = str(tmp / "data")
    port = free_port()
    server = start_server(port, data, args.server_cpus)
    try:
        frame_file = tmp / "frame.html"  # what a display gets on connecting, for the baseline
        frame_file.write_text(await asyncio.to_thread(current_frame, port))
    finally:
        server.stop()

    def app(port: int, snaps: Path | None) -> list[str]:
        return serve_argv(port, data, [f"--tracemalloc={snaps}"] if snaps else [])

    def base(port: int, snaps: Path | None) -> list[str]:
        argv = [PYTHON, str(BENCH / "_baseline.py"), "websockets", "--port", str(port)]
        argv += ["--frame", str(frame_file)]
        return argv + (["--tracemalloc", str(snaps)] if snaps else [])

    results = []
    async with Workers(args.procs, args.load_cpus) as workers:
        results.append(await measure("app", app, PATH, workers, tmp / "app", args))
        if args.baseline:
            results.append(await measure("websockets", base, "/", workers, tmp / "base", args))
    return results


def kib(value: float, n: int) -> float:
    return value / 1024 / max(n, 1)


def report(results: list[Measured], args: argparse.Namespace) -> str:
    summary = [
        [
            m.label,
            f"{m.opened} / {m.traced_opened}",
            (m.rss_after - m.rss_before) / max(m.opened, 1),
            kib(m.traced[1] - m.traced[0], m.traced_opened),
            (m.rss_after - m.rss_before) / max(m.opened, 1)
            - kib(m.traced[1] - m.traced[0], m.traced_opened),
            kib(m.overhead[1] - m.overhead[0], m.traced_opened),
        ]
        for m in results
    ]
    lines = [
        f"Machine: {machine()}; server on CPU {sorted(args.server_cpus)}, {args.procs} client "
        f"processes on CPU {sorted(args.load_cpus)}; {args.clients} idle connections each.",
        "",
        table(
            [
                "server",
                "connections (plain / traced run)",
                "RSS, KiB / connection (plain run)",
                "traced by tracemalloc, KiB / connection",
                "RSS not traced (allocator, C)",
                "tracemalloc's own bookkeeping",
            ],
            summary,
        ),
    ]
    for m in results:
        for title, rows in (
            ("file:line", m.by_line),
            ("file", m.by_file),
            ("owner (innermost frame outside the standard library)", m.by_owner),
        ):
            lines += [
                "",
                f"{m.label}: growth by {title}, top {args.top}, per connection:",
                "",
                table(
                    ["where", "KiB / connection", "blocks / connection"],
                    [
                        [w, kib(size, m.traced_opened), count / max(m.traced_opened, 1)]
                        for w, size, count in rows
                    ],
                ),
            ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 200")
    parser.add_argument("--clients", type=int, default=1000, metavar="N")
    parser.add_argument("--procs", type=int, default=4, help="client processes")
    parser.add_argument("--top", type=int, default=15, help="lines in each grouping")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false", help="the app only")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.procs = 200, 2
    raise_nofile()
    args.server_cpus, args.load_cpus = cpu_split()
    pin(args.load_cpus)
    with tempfile.TemporaryDirectory(prefix="bench-socket-memory-") as tmp:
        results = asyncio.run(run(args, Path(tmp)))
    print(report(results, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
