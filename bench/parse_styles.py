"""Reading notes in the layouts other UN bodies publish (issue 13): the time to parse a 2,000-slot
note as text copied out of a PDF (no tabs, start-only and 24-hour times, period labels, wrapped
details with blank lines, page furniture) and in the shipped note's layout, against the shipped
note itself, per slot, in the same run.

Notes: ``tests/_notes.py``'s ``generated_pdf_note`` and ``generated_note`` (the same weekdays of
a long New York session, ten slots a day); the baseline is ``config/``'s shipped note (10 slots).
Each is read from its bytes with ``load_programme``, as the server does, in this process: R runs
after a warm-up, the three notes in turn in each run (a shared machine's load falls on all
alike), medians of the wall clock and of the CPU time; "per slot" is the median over the slots,
and "÷ shipped" that per-slot time over the shipped note's.

    .venv/bin/python bench/parse_styles.py            # 9 runs each
    .venv/bin/python bench/parse_styles.py --runs 3
"""

from __future__ import annotations

import argparse
import sys
import time

from _common import ROOT, log, machine, median, table

sys.path.insert(0, str(ROOT))

from dashboard.domain.loader import load_programme
from tests._notes import generated_note, generated_pdf_note

SHIPPED = ROOT / "config" / "oewg-ict-sixth-session-2023.txt"
SLOTS = 2000
HEADERS = (
    *("note", "slots", "size", "parse ms", "CPU ms", "µs per slot"),
    *("÷ shipped per slot", "CPU ÷ shipped per slot"),
)


def timed(notes: dict[str, bytes], runs: int) -> dict[str, tuple[list[float], list[float]]]:
    """(wall-clock ms, CPU ms) of each run of each note, the notes taken in turn in every run
    so that a shared machine's load falls on all of them alike."""
    samples: dict[str, tuple[list[float], list[float]]] = {n: ([], []) for n in notes}
    for name, data in notes.items():  # warm-up
        load_programme(data, name)
    for _ in range(runs):
        for name, data in notes.items():
            wall, cpu = time.perf_counter(), time.process_time()
            load_programme(data, "bench.txt")
            samples[name][0].append((time.perf_counter() - wall) * 1000)
            samples[name][1].append((time.process_time() - cpu) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    log(machine())
    notes = {
        "shipped note (baseline)": SHIPPED.read_bytes(),
        "PDF text, 2,000 slots": generated_pdf_note(SLOTS).encode(),
        "shipped layout, 2,000 slots": generated_note(SLOTS).encode(),
    }
    samples = timed(notes, args.runs)
    rows = []
    baseline: tuple[float, float] | None = None
    for name, data in notes.items():
        slots = len(load_programme(data, "bench.txt").programme.slots)
        wall, cpu = (median(s) for s in samples[name])
        per_slot = (wall / slots, cpu / slots)
        baseline = baseline or per_slot
        rows.append(
            (
                name,
                f"{slots:,}",
                f"{len(data) / 1024:,.0f} KiB",
                f"{wall:,.1f}",
                f"{cpu:,.1f}",
                f"{per_slot[0] * 1000:,.0f}",
                f"{per_slot[0] / baseline[0]:.2f}",
                f"{per_slot[1] / baseline[1]:.2f}",
            )
        )
    print(table(HEADERS, rows))


if __name__ == "__main__":
    main()
