"""The UN Headquarters building (issue 14): 40 rooms, 400 door displays and 20,000 phones, every
room crossing a boundary at the same instant (10 a.m. on Wed 13 Dec 2023), served by 1, 2 and 4
workers (``dashboard serve --workers N``) on one PostgreSQL database.

PostgreSQL is a throw-away cluster (tests/_postgres.py: initdb in a temporary folder, pg_ctl on
a loopback port, as the unprivileged ``postgres`` user).  Each run gets a new database, migrated,
and a config folder of ``--rooms`` rooms all showing the shipped note.  The server's demo clock
starts early enough before 10 a.m. to open every connection, at real speed; every worker shows
the same time (one monotonic origin).  Clients are bench/_wsclient.py's light WebSocket clients,
spread over ``--procs`` client processes; the server processes are not pinned (N workers share
this machine's cores with the clients: the figures are for this machine as a whole).

Reported per worker count:

* held: connections open (each having had its first frame) just before the boundary;
* boundary → screen: from the instant the venue clock reaches 10 a.m. (read through /api/time,
  round trip halved) to each client having the whole new frame (p50, p99, max), and how many
  never got it within the wait;
* server CPU: seconds of CPU (user + system, every worker) from 1 s before the boundary to the
  last arrival;
* memory per connection: the server processes' resident memory after opening the connections
  minus before, per connection.

And with 2 workers: one room's override (a ``pointer``, posted to the port: whichever worker
takes it) to ``--screens`` displays of that room spread over both workers, from just before the
POST to each display having the new frame (9 changes), p99 over all arrivals.

    .venv/bin/python bench/building.py                 # the issue's figures (several minutes)
    .venv/bin/python bench/building.py --quick         # 8 rooms, 40 displays, 800 phones
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _common import (
    DASHBOARD,
    HOST,
    ROOT,
    create_token,
    free_port,
    log,
    machine,
    percentile,
    post_override,
    raise_nofile,
    rss_kib,
    table,
)
from _workers import Workers

sys.path.insert(0, str(ROOT))
from tests._postgres import Cluster

NEW_YORK = ZoneInfo("America/New_York")
BOUNDARY = datetime(2023, 12, 13, 10, 0, tzinfo=NEW_YORK)
NOTE = ROOT / "config" / "oewg-ict-sixth-session-2023.txt"
TICKS = os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    except OSError:
        return []
    return [int(p) for p in text.split()]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def config_folder(folder: Path, rooms: int) -> Path:
    folder.mkdir(parents=True)
    shutil.copy(NOTE, folder / NOTE.name)
    (folder / "rooms.toml").write_text(
        "".join(
            f'[[rooms]]\nid = "cr{i}"\nname = "Conference Room {i}"\nprogramme = "{NOTE.name}"\n\n'
            for i in range(1, rooms + 1)
        ),
        encoding="utf-8",
    )
    return folder


def get_json(port: int, path: str) -> Any:
    with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=30) as response:
        return json.loads(response.read())


def boundary_monotonic(port: int) -> float:
    """When the server's venue clock reaches BOUNDARY, in this machine's monotonic seconds."""
    estimates = []
    for _ in range(5):
        t0 = time.monotonic()
        now_ms = get_json(port, "/api/time")["now"]
        t1 = time.monotonic()
        estimates.append((t0 + t1) / 2 + (BOUNDARY.timestamp() * 1000 - now_ms) / 1000)
    return sorted(estimates)[2]


class Served:
    """``dashboard serve --workers N`` on a new database, with its config and data folders."""

    def __init__(self, cluster: Cluster, workers: int, rooms: int, lead: float) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-building-"))
        self.url = cluster.create_database()
        self.cluster = cluster
        env = {**os.environ, "DASHBOARD_DATABASE_URL": self.url}
        subprocess.run([DASHBOARD, "db", "migrate"], env=env, check=True, capture_output=True)
        self.data = self.tmp / "data"
        config = config_folder(self.tmp / "config", rooms)
        self.port = free_port()
        at = (BOUNDARY.timestamp() - lead) * 1.0
        start = datetime.fromtimestamp(at, NEW_YORK).isoformat()
        argv = [DASHBOARD, "serve", "--workers", str(workers), "--port", str(self.port)]
        argv += ["--config", str(config), "--data", str(self.data), "--at", start]
        argv += ["--log-level", "warning"]
        self.env = env
        self.proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                get_json(self.port, "/healthz")
                if len(children(self.proc.pid)) == (workers if workers > 1 else 0):
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                self.proc.kill()
                raise RuntimeError("the server did not start")
            time.sleep(0.1)

    def pids(self) -> list[int]:
        return [self.proc.pid, *children(self.proc.pid)]

    def servers(self) -> list[int]:
        """The processes that serve: the workers, or the one process."""
        return children(self.proc.pid) or [self.proc.pid]

    def rss_kib(self) -> int:
        return sum(rss_kib(pid) for pid in self.servers())

    def token(self) -> str:
        os.environ["DASHBOARD_DATABASE_URL"] = self.url
        try:
            return create_token(str(self.data))
        finally:
            del os.environ["DASHBOARD_DATABASE_URL"]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(120)
        self.cluster.drop_database(self.url)
        shutil.rmtree(self.tmp, ignore_errors=True)


async def boundary_run(args: argparse.Namespace, cluster: Cluster, workers: int) -> list[Any]:
    per_room_d, per_room_p = args.displays // args.rooms, args.phones // args.rooms
    lead = args.lead
    served = Served(cluster, workers, args.rooms, lead)
    try:
        boundary = boundary_monotonic(served.port)
        before = served.rss_kib()
        async with Workers(args.procs, set(os.sched_getaffinity(0))) as clients:
            displays = phones = 0  # a pool's size: every connection it holds, all rooms
            for room in range(1, args.rooms + 1):
                displays = await clients.open("d", served.port, f"/ws/display/cr{room}", per_room_d)
                phones = await clients.open("p", served.port, f"/ws/rooms/cr{room}", per_room_p)
            held = displays + phones
            left = boundary - time.monotonic()
            log(f"  {workers} worker(s): {held:,} connections open, {left:.1f} s to the boundary")
            if left < 2:  # reported as it is: the boundary passed before all were open
                log(f"  warning: the boundary came {-left:.1f} s before every connection was open")
            memory = (served.rss_kib() - before) / max(1, held)
            version = get_json(served.port, "/healthz")["rooms"]["cr1"]["version"] + 1
            await asyncio.sleep(max(0.0, boundary - 1 - time.monotonic()))
            cpu0 = cpu_seconds(served.pids())
            wait = args.wait
            stamps = await clients.stamps("d", version, wait + max(0.0, left))
            stamps += await clients.stamps("p", version, wait)
            cpu = cpu_seconds(served.pids()) - cpu0
            delays = [(s / 1e9 - boundary) * 1000 for s in stamps]
            missing = held - len(stamps)
    finally:
        served.stop()
    return [
        workers,
        held,
        percentile(delays, 50) if delays else float("nan"),
        percentile(delays, 99) if delays else float("nan"),
        max(delays) if delays else float("nan"),
        missing,
        cpu,
        memory,
    ]


async def override_run(args: argparse.Namespace, cluster: Cluster) -> list[Any]:
    served = Served(cluster, 2, 1, lead=-1800)  # 10.30 a.m.: a meeting to point into
    try:
        token = served.token()
        delays: list[float] = []
        acks: list[float] = []
        async with Workers(args.procs, set(os.sched_getaffinity(0))) as clients:
            held = await clients.open("s", served.port, "/ws/display/cr1", args.screens)
            log(f"  2 workers: {held:,} displays of cr1 open")
            for n in range(10):
                version = get_json(served.port, "/healthz")["rooms"]["cr1"]["version"] + 1
                t0 = time.monotonic()
                body = {"room": "cr1", "kind": "pointer", "text": f"Agenda item {n + 1}"}
                post_override(served.port, token, body)
                acks.append((time.monotonic() - t0) * 1000)
                stamps = await clients.stamps("s", version, args.wait)
                if n:  # the first is a warm-up
                    delays += [(s / 1e9 - t0) * 1000 for s in stamps]
                    if len(stamps) < held:
                        log(f"  change {n}: {held - len(stamps)} displays missed it")
    finally:
        served.stop()
    return [held, percentile(acks, 50), percentile(delays, 50), percentile(delays, 99)]


async def run(args: argparse.Namespace) -> str:
    raise_nofile()
    cluster = Cluster()
    try:
        rows = []
        for workers in args.workers:
            rows.append(await boundary_run(args, cluster, workers))
        override = await override_run(args, cluster)
    finally:
        cluster.close()
    return "\n\n".join(
        [
            f"Machine: {machine()}; {args.rooms} rooms, {args.displays:,} displays,"
            f" {args.phones:,} phones",
            table(
                [
                    "workers",
                    "connections held",
                    "boundary→screen p50 ms",
                    "p99 ms",
                    "max ms",
                    "missed",
                    "server CPU s",
                    "KiB per connection",
                ],
                rows,
            ),
            f"One room's override to {args.screens:,} displays over 2 workers (9 changes):",
            table(["displays", "ack p50 ms", "delivered p50 ms", "delivered p99 ms"], [override]),
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="8 rooms, 40 displays, 800 phones")
    parser.add_argument("--workers", default="1,2,4", help="worker counts (default 1,2,4)")
    parser.add_argument("--rooms", type=int, default=40)
    parser.add_argument("--displays", type=int, default=400)
    parser.add_argument("--phones", type=int, default=20_000)
    parser.add_argument("--screens", type=int, default=1000, help="the override's displays")
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--lead", type=float, default=150.0, help="seconds to open connections")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for frames")
    args = parser.parse_args()
    args.workers = [int(w) for w in str(args.workers).split(",")]
    if args.quick:
        args.rooms, args.displays, args.phones, args.screens, args.lead = 8, 40, 800, 100, 40.0
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
