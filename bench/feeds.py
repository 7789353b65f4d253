"""What building the feeds' meetings costs (``domain/meetings.py``): the meetings as they stand
and their revisions (the override log replayed: SEQUENCE), for a site of R rooms running the
shipped week with N overrides (delays spread over its meetings), once per change.

Baseline, in the same run: one ``plan_room`` of every room (what the meetings without revisions
cost; a refresh of every room costs at least that).  Medians of K runs; the ratio is to the
baseline of the same site.

    .venv/bin/python bench/feeds.py            # K = 7
    .venv/bin/python bench/feeds.py --quick    # K = 3
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.domain.loader import load_programme  # noqa: E402
from dashboard.domain.meetings import meetings, revisions  # noqa: E402
from dashboard.domain.overrides import Override, OverrideKind  # noqa: E402
from dashboard.domain.plan import plan_room  # noqa: E402
from dashboard.domain.programme import Programme  # noqa: E402

NY = ZoneInfo("America/New_York")
WEEK = load_programme(
    (ROOT / "config" / "oewg-ict-sixth-session-2023.txt").read_bytes(), "week.txt"
).programme


def site(rooms: int, overrides: int) -> tuple[list[str], dict[str, Programme], list[Override]]:
    ids = [f"r{i}" for i in range(rooms)]
    programmes = dict.fromkeys(ids, WEEK)
    start = datetime(2023, 12, 11, 8, tzinfo=NY)
    made = []
    for n in range(overrides):
        room = ids[n % rooms]
        slot = WEEK.slots[(n // rooms) % len(WEEK.slots)]
        made.append(
            Override(
                id=f"o{n}",
                kind=OverrideKind.LATE,
                rooms=(room,),
                author="bench",
                created=start + timedelta(minutes=n),
                effective=start + timedelta(minutes=n),
                slots=((room, slot.id),),
                minutes=5 + n % 20,
            )
        )
    return ids, programmes, made


def median_ms(run: Callable[[], object], k: int) -> float:
    times = []
    for _ in range(k):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def measure(
    ids: list[str], programmes: dict[str, Programme], made: list[Override], k: int
) -> tuple[float, float, float]:
    now = datetime(2023, 12, 15, 19, tzinfo=NY)  # the session over: every override replayed
    base = median_ms(lambda: [plan_room(r, programmes, made, now) for r in ids], k)
    found = median_ms(lambda: meetings(ids, programmes, made, now), k)
    revised = median_ms(lambda: revisions(ids, programmes, made, now), k)
    return base, found, revised


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    k = 3 if parser.parse_args().quick else 7
    print("| rooms | overrides | baseline: plan every room, ms | meetings, ms | revisions, ms |")
    print("|---|---|---|---|---|")
    for rooms, count in ((1, 0), (1, 50), (10, 50), (10, 200), (20, 500)):
        base, found, revised = measure(*site(rooms, count), k)
        ratio = (found + revised) / base
        print(f"| {rooms} | {count} | {base:.1f} | {found:.1f} | {revised:.1f} ({ratio:.0f}×) |")
        print(f"{rooms} rooms, {count} overrides done", file=sys.stderr)


if __name__ == "__main__":
    main()
