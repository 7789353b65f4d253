"""The hall board at 40 rooms: the size of its frame and the CPU time to render it, against a door
display's frame in the same run (the baseline: what every room already costs at each change).

Forty rooms, each running the shipped programme (the week of issue 1), in this process, on a
stopped demo clock: Wednesday 11 a.m. (every room in session, its afternoon next) and 2.40 p.m.
(between meetings).  For each instant: the board's frame (``render_board`` of the board's view:
each row once per stretch of time over which it reads the same, to the end of the day) and one
room's door display frame (the state now, the states to come to the end of the session, the
build), their sizes in bytes (raw and gzip -6, as a proxy would send them) and the CPU time of
rendering each (``time.process_time``), R runs, medians; and the board's whole update after one
room changes (reading every room's states, the phases, the render).

    .venv/bin/python bench/board.py            # 7 runs
    .venv/bin/python bench/board.py --quick    # 3 runs
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from _common import ROOT, log, machine, median, table

from dashboard.clock import ShiftedClock
from dashboard.domain.loader import load_programme
from dashboard.domain.rooms import Room
from dashboard.live.board import Board, render_board
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer
from dashboard.live.service import LiveService
from dashboard.site import Site

NY = ZoneInfo("America/New_York")
SHIPPED = ROOT / "config" / "oewg-ict-sixth-session-2023.txt"
ROOMS = 40


def cpu_ms(action: Callable[[], object]) -> float:
    start = time.process_time()
    action()
    return (time.process_time() - start) * 1000


def measure(at: datetime, runs: int) -> dict[str, float]:
    programme = load_programme(SHIPPED.read_bytes(), SHIPPED.name).programme
    rooms = tuple(Room(f"cr{i}", f"Conference Room {i}", SHIPPED.name) for i in range(ROOMS))
    site = Site(rooms, {r.id: programme for r in rooms})
    clock = ShiftedClock(at, monotonic=lambda: 0.0)
    renderer = Renderer("en")
    service = LiveService(site, clock, renderer, Hub())
    board = Board(service, service.hub)
    for room in rooms:
        service.refresh(room.id)
    view = board.current()
    room = service.view("cr0")
    coming = service.coming("cr0")
    board_frame = board.frame
    display_frame = renderer.display_frame(room, coming)
    board_ms = [cpu_ms(lambda: render_board(renderer, view)) for _ in range(runs)]
    display_ms = [cpu_ms(lambda: renderer.display_frame(room, coming)) for _ in range(runs)]

    def update() -> None:
        board.view = None  # as if a room had changed: everything read and rendered again
        board.update(at)

    update_ms = [cpu_ms(update) for _ in range(runs)]
    return {
        "rows": len(view.phases),
        "board bytes": len(board_frame.encode()),
        "board gzip": len(gzip.compress(board_frame.encode(), 6)),
        "display bytes": len(display_frame.encode()),
        "display gzip": len(gzip.compress(display_frame.encode(), 6)),
        "board ms": median(board_ms),
        "display ms": median(display_ms),
        "update ms": median(update_ms),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    runs = 3 if args.quick else 7
    log(machine())
    rows = []
    for label, at in (
        ("Wed 11 a.m.", datetime(2023, 12, 13, 11, tzinfo=NY)),
        ("Wed 2.40 p.m.", datetime(2023, 12, 13, 14, 40, tzinfo=NY)),
    ):
        m = measure(at, runs)
        log(f"{label}: {m}")
        rows.append(
            [
                label,
                f"{m['rows']:.0f}",
                f"{m['board bytes'] / 1024:.1f} ({m['board gzip'] / 1024:.1f})",
                f"{m['display bytes'] / 1024:.1f} ({m['display gzip'] / 1024:.1f})",
                f"{m['board bytes'] / m['display bytes']:.1f}×",
                f"{m['board ms']:.1f}",
                f"{m['display ms']:.1f}",
                f"{m['board ms'] / m['display ms']:.1f}×",
                f"{m['update ms']:.1f}",
            ]
        )
    print(
        table(
            [
                "instant",
                "board rows",
                "board frame KiB (gzip)",
                "door display frame KiB (gzip)",
                "size ratio",
                "board render, CPU ms",
                "door display render, CPU ms",
                "render ratio",
                "board update, CPU ms",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
