"""One worker's own work when a building's rooms cross 10 a.m. together (issue 14): CPU time of
refreshing every room, rendering and publishing each changed state, then the once-per-turn
views of every room (the hall board, the phones' overview), in this process, with no clients
(the writes to screens are bench/fanout.py's).

Every room shows the shipped note (Wed 13 Dec 2023); a stopped demo clock is moved from 9:59 to
10 a.m. (the instant the rooms' jobs refresh at), on a fresh service for each run.  Three cases
in the same run, interleaved:

* consoles closed: no staff console open on this process (most processes of a building, most
  of the time), so each room's two console frames are left to be rendered when one opens;
* console on every room: one open on every room, both kinds (every room / bound rooms), which is
  also what every boundary cost before console frames were deferred (they were always rendered);
* rendered ahead: as the scheduler does, each room's 10 a.m. state rendered 5 s before
  (``LiveService.prepare``, not timed), so the change only publishes; consoles closed.

Also counted: frames sent to one phone on the overview at the boundary (1; before: one a room).

    .venv/bin/python bench/boundary.py             # 40 rooms, 9 runs
    .venv/bin/python bench/boundary.py --rooms 8 --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from _common import ROOT, log, machine, median, table

sys.path.insert(0, str(ROOT))

from dashboard.clock import ShiftedClock
from dashboard.domain.loader import load_programme
from dashboard.domain.rooms import Room
from dashboard.live.board import Board
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer
from dashboard.live.service import LiveService, console_channel, overview_channel
from dashboard.site import Site

NY = ZoneInfo("America/New_York")
NOTE = ROOT / "config" / "oewg-ict-sixth-session-2023.txt"
START = datetime(2023, 12, 13, 9, 59, tzinfo=NY)
TEN = datetime(2023, 12, 13, 10, 0, tzinfo=NY)


async def one_run(site: Site, renderer: Renderer, consoles: bool, ahead: bool) -> tuple[float, int]:
    """(CPU ms of the boundary, overview frames one phone was sent)."""
    elapsed = [0.0]
    hub = Hub()
    service = LiveService(site, ShiftedClock(START, monotonic=lambda: elapsed[0]), renderer, hub)
    Board(service, hub)
    for room in site.rooms:
        service.refresh(room.id)
    await asyncio.sleep(0)
    if consoles:
        for room in site.rooms:
            hub.subscribe(console_channel(room.id))
            hub.subscribe(console_channel(room.id, every_room=False))
    phone: list[bytes] = []
    hub.subscribe(overview_channel(), lambda data: phone.append(data) or True, lambda _: None)
    phone.clear()
    if ahead:  # as the scheduler does 5 s before: rendered ahead, off the boundary's path
        for room in site.rooms:
            service.prepare(room.id, TEN)
    elapsed[0] = 60.0
    start = time.process_time()
    for room in site.rooms:
        service.refresh(room.id, at=TEN)  # as the rooms' jobs do
    await asyncio.sleep(0)  # the board and the overview, once after every room
    return (time.process_time() - start) * 1000, len(phone)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rooms", type=int, default=40)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    log(machine())
    programme = load_programme(NOTE.read_bytes(), NOTE.name).programme
    rooms = tuple(Room(f"cr{i}", f"Conference Room {i}", NOTE.name) for i in range(args.rooms))
    site = Site(rooms, {r.id: programme for r in rooms})
    renderer = Renderer("en")  # one for every run: its templates compiled once, as in a server
    cases = {
        "rendered ahead, consoles closed": (False, True),
        "consoles closed": (False, False),
        "console on every room (and before)": (True, False),
    }
    results: dict[str, list[tuple[float, int]]] = {name: [] for name in cases}
    for _ in range(args.runs):  # interleaved, so the machine's noise falls on all alike
        for name, (consoles, ahead) in cases.items():
            results[name].append(asyncio.run(one_run(site, renderer, consoles, ahead)))
    base = median([ms for ms, _ in results["console on every room (and before)"]])
    headers = ["case", f"CPU ms at the change, {args.rooms} rooms (median of {args.runs})",
               "÷ the last case", "overview frames to a phone"]  # fmt: skip
    rows = []
    for name, runs in results.items():
        ms = median([ms for ms, _ in runs])
        rows.append([name, ms, f"{ms / base:.2f}×", runs[0][1]])
    print(table(headers, rows))


if __name__ == "__main__":
    main()
