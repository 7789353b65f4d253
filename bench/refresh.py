"""What one room's refresh costs on the event loop: CPU time of ``LiveService.refresh`` at a
boundary (the state changes; the states to come do not, so only the state is rendered) and
after a revision (everything is rendered again, the display's states to come included), for the
shipped programme (10 slots) and generated notes of 300, 2,000 and 5,000 slots (tests/_notes.py).

Each refresh runs in this process, on a stopped demo clock moved to the next change (CPU time,
``time.process_time``: on a shared machine the wall clock also counts others' turns).  R runs of
each, medians.  Baseline in the same run: the same service with the display's states to come
computed as before issue 9's fix (``screen_state`` and ``next_screen_change`` at each coming
change, each planning the whole room again), put back by replacing
``LiveService.coming_states``.

    .venv/bin/python bench/refresh.py            # 10, 300, 2,000, 5,000 slots, 7 runs
    .venv/bin/python bench/refresh.py --quick    # 10 and 300 slots, 3 runs
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from _common import ROOT, log, machine, median, table

sys.path.insert(0, str(ROOT))  # tests/_notes.py, the generated notes

from dashboard.clock import ShiftedClock
from dashboard.domain.loader import load_programme
from dashboard.domain.programme import Programme
from dashboard.domain.rooms import Room
from dashboard.domain.timeline import ScreenState
from dashboard.live.committed import MAX_COMING
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer
from dashboard.live.service import LiveService
from dashboard.site import Site
from tests._notes import generated_note

NY = ZoneInfo("America/New_York")
SHIPPED = ROOT / "config" / "oewg-ict-sixth-session-2023.txt"


def before_the_fix(
    self: LiveService, room_id: str, instant: datetime
) -> list[tuple[datetime, ScreenState]]:
    """The states to come as they were computed before: the room planned twice a state."""
    coming: list[tuple[datetime, ScreenState]] = []
    at = self.next_change(room_id, instant)
    while at is not None and len(coming) < MAX_COMING:
        coming.append((at, self.state_at(room_id, at)))
        at = self.next_change(room_id, at)
    return coming


def programme_of(slots: int) -> tuple[Programme, datetime]:
    if slots == 10:
        start = datetime(2023, 12, 12, 11, 30, tzinfo=NY)
        return load_programme(SHIPPED.read_bytes(), SHIPPED.name).programme, start
    note = generated_note(slots).encode()
    return load_programme(note, "generated.txt").programme, datetime(2024, 1, 16, 9, 30, tzinfo=NY)


def cpu_ms(action: Callable[[], object]) -> float:
    start = time.process_time()
    action()
    return (time.process_time() - start) * 1000


def measure(slots: int, runs: int, baseline: bool) -> tuple[float, float]:
    """(CPU ms at a boundary, CPU ms after a revision), medians."""
    programme, start = programme_of(slots)
    site = Site((Room("cr4", "Conference Room 4", "p.txt"),), {"cr4": programme})
    elapsed = [0.0]
    clock = ShiftedClock(start, monotonic=lambda: elapsed[0])
    service = LiveService(site, clock, Renderer("en"), Hub())
    if baseline:
        service.coming_states = before_the_fix.__get__(service)  # type: ignore[method-assign]
    service.refresh("cr4")
    boundary, revision = [], []
    for _ in range(runs):
        change = service.next_change("cr4")
        assert change is not None
        elapsed[0] = (change - start).total_seconds()
        boundary.append(cpu_ms(lambda: service.refresh("cr4")))
        service.replace_site(site)
        revision.append(cpu_ms(lambda: service.refresh("cr4")))
    return median(boundary), median(revision)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [10, 300] if args.quick else [10, 300, 2000, 5000]
    runs = 3 if args.quick else 7
    log(machine())
    rows = []
    for slots in sizes:
        now = measure(slots, runs, baseline=False)
        before = measure(slots, runs, baseline=True)
        log(f"{slots} slots: {now} / before {before}")
        rows.append(
            [
                f"{slots:,}",
                f"{now[0]:.1f}",
                f"{before[0]:.1f} ({before[0] / now[0]:.1f}×)",
                f"{now[1]:.1f}",
                f"{before[1]:.1f} ({before[1] / now[1]:.1f}×)",
            ]
        )
    print(
        table(
            [
                "slots",
                "at a boundary, CPU ms",
                "before the fix",
                "after a revision, CPU ms",
                "before the fix",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
