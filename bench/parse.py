"""Reading a programme: the time to parse generated notes of 300, 1,000 and 2,000 slots (and
5,000: the console takes up to 1 MiB, nearly 10,000 slots), as a note and as its TOML, and what a
running server does meanwhile.

Programmes: tests/_notes.py's generated UN-style notes (the shipped note's format: weekdays of a
long New York session from 8 January 2024, ten slots a day in every time format the parser
reads, continuations, bullets, agenda items, footnotes and page furniture); the TOML is
``to_toml`` of the parsed note.  Each is read from bytes with ``load_programme``, as the server
does, in this process (not pinned); R runs each (a warm-up first), medians of the wall-clock
and of the CPU time (on a shared machine the wall clock also counts others' turns on the CPU).

Baseline in the same run: the same parser with the overlap checks it had before (the O(n²)
scan of every pair, after every slot appended: O(n³) in all), put back by replacing
``first_overlap`` in the three modules that call it.  It is only practical for small
programmes (300 slots: seconds; 1,000: minutes), so it runs at 100 and 300 slots.

Server: ``dashboard serve --at 2024-01-16T09:30`` (a Tuesday of the generated session) pinned to
the first CPU, a secretariat token; for each size the programme file is replaced (its time
kept, so the watcher leaves it alone), then ``POST /api/programme/reload?dry_run=1`` (read and
compare) and ``POST /api/programme/reload`` (read, compare and swap every room) while a client
on the other CPU asks ``/healthz`` back to back: the request's time and the longest gap between
two answers (the event loop's longest stall).

    .venv/bin/python bench/parse.py            # 300, 1,000, 2,000, 5,000 slots; ~3 min
    .venv/bin/python bench/parse.py --quick    # 300 and 1,000 slots, 3 runs; ~30 s
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date
from datetime import time as time_of_day
from functools import partial
from pathlib import Path

from _common import (
    DASHBOARD,
    HOST,
    ROOT,
    Server,
    cpu_split,
    create_token,
    free_port,
    log,
    machine,
    median,
    pin,
    table,
)

sys.path.insert(0, str(ROOT))  # the generator is the tests' own: tests/_notes.py

from dashboard.clock import ShiftedClock
from dashboard.domain import note_parser, programme, toml_format
from dashboard.domain.loader import load_programme
from dashboard.domain.programme import Slot, local_instant
from dashboard.domain.rooms import Room
from dashboard.domain.toml_format import to_toml
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer
from dashboard.live.service import LiveService
from dashboard.site import Site
from tests._notes import generated_note

TARGET_S = 0.5  # a 2,000-slot programme
TARGET_SLOTS = 2000
SERVER_AT = "2024-01-16T09:30"
SHIPPED = ROOT / "config" / "oewg-ict-sixth-session-2023.txt"


# --- the overlap checks as they were -------------------------------------------------------------


def old_first_overlap(slots: Sequence[Slot]) -> tuple[int, int] | None:
    """The check as it was: every pair, O(n²) (Programme ran it once per programme)."""
    for j, slot in enumerate(slots):
        for i in range(j):
            a = slots[i]
            if slot.start.astimezone(UTC) < a.end.astimezone(UTC) and a.start.astimezone(
                UTC
            ) < slot.end.astimezone(UTC):
                return i, j
    return None


def old_parser_overlap(slots: Sequence[Slot]) -> tuple[int, int] | None:
    """What the note and TOML readers did: the O(n²) check after each slot appended."""
    for n in range(1, len(slots) + 1):
        if (pair := old_first_overlap(slots[:n])) is not None:
            return pair
    return None


@contextmanager
def old_overlap_checks() -> Iterator[None]:
    saved = (note_parser.first_overlap, toml_format.first_overlap, programme.first_overlap)
    note_parser.first_overlap = old_parser_overlap
    toml_format.first_overlap = old_parser_overlap
    programme.first_overlap = old_first_overlap
    try:
        yield
    finally:
        note_parser.first_overlap, toml_format.first_overlap, programme.first_overlap = saved


# --- parsing in this process ---------------------------------------------------------------------


def timed(read: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock seconds of each of ``runs`` calls, after a warm-up."""
    return [wall for wall, _ in timed_both(read, runs)]


def timed_both(read: Callable[[], object], runs: int) -> list[tuple[float, float]]:
    """(wall-clock, CPU) seconds of each of ``runs`` calls, after a warm-up.  On a shared
    machine the wall clock also counts the time others had the CPU; the CPU time does not."""
    read()
    samples = []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        read()
        samples.append((time.perf_counter() - t0, time.process_time() - c0))
    return samples


def parse_rows(
    sizes: Sequence[int], baseline_sizes: Sequence[int], runs: int
) -> list[list[object]]:
    """Per size and form: the size of the file, the median parse time now, and before."""
    rows: list[list[object]] = []
    for n in sorted({*sizes, *baseline_sizes}):
        note = generated_note(n).encode()
        parsed = load_programme(note, "bench.txt").programme
        assert len(parsed.slots) == n, (n, len(parsed.slots))
        toml = to_toml(parsed).encode()
        for form, data, name in (("note", note, "bench.txt"), ("TOML", toml, "bench.toml")):
            assert load_programme(data, name).programme == parsed
            samples = timed_both(lambda d=data, s=name: load_programme(d, s), runs)
            now = median([wall for wall, _ in samples])
            cpu = median([cpu for _, cpu in samples])
            cells: list[object] = [n, form, f"{len(data) / 1024:,.0f} KiB", now * 1000, cpu * 1000]
            if n in baseline_sizes:
                with old_overlap_checks():
                    assert load_programme(data, name).programme == parsed  # the same work
                    old = median(timed(lambda d=data, s=name: load_programme(d, s), runs // 3))
                cells += [old * 1000, f"{old / now:,.0f}×"]
            else:
                cells += ["–", "–"]
            before = f"{cells[5]:,.1f} ms" if isinstance(cells[5], float) else "not run"
            log(f"  {n:,} slots, {form}: {now * 1000:,.1f} ms (before: {before})")
            rows.append(cells)
    return rows


def swap(live: LiveService, site: Site, room_id: str) -> None:
    live.replace_site(site)
    live.refresh(room_id)
    live.next_change(room_id)


def swap_rows(sizes: Sequence[int], runs: int) -> list[list[object]]:
    """What the swap costs the event loop, per room: ``LiveService.refresh`` (the room's state,
    the rest of its day's states for the displays, the frames) and ``next_change`` (when to
    plan the next refresh), as ``Reloader`` and the scheduler run them, at SERVER_AT."""
    rows: list[list[object]] = []
    room = Room("cr4", "Conference Room 4", "bench.txt")
    for n in sizes:
        parsed = load_programme(generated_note(n).encode(), "bench.txt").programme
        day, at = SERVER_AT.split("T")
        start = local_instant(date.fromisoformat(day), time_of_day.fromisoformat(at), parsed.tz)
        site = Site((room,), {room.id: parsed})
        live = LiveService(site, ShiftedClock(start), Renderer("en"), Hub())
        took = median(timed(partial(swap, live, site, room.id), runs))
        rows.append([n, took * 1000])
        log(f"  swap, {n:,} slots: {took * 1000:,.0f} ms")
    return rows


# --- a running server ----------------------------------------------------------------------------


@dataclass
class Stall:
    took: float  # seconds, the request
    worst_gap: float  # seconds, between two /healthz answers around and during it
    answers: int  # /healthz answers during the request


def healthz_gaps(port: int, request: Callable[[], None]) -> Stall:
    """Run ``request`` while another thread asks /healthz back to back."""
    stamps: list[float] = []
    stop = threading.Event()

    def probe() -> None:
        pin(LOAD_CPUS)
        while not stop.is_set():
            with urllib.request.urlopen(f"http://{HOST}:{port}/healthz", timeout=30) as r:
                r.read()
            stamps.append(time.monotonic())

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    while len(stamps) < 3:
        time.sleep(0.005)
    began = time.monotonic()
    request()
    ended = time.monotonic()
    while stamps[-1] < ended:
        time.sleep(0.005)
    stop.set()
    thread.join()
    first = max(i for i, t in enumerate(stamps) if t <= began)
    last = next(i for i, t in enumerate(stamps) if t >= ended)
    window = stamps[first : last + 1]
    gaps = [b - a for a, b in itertools.pairwise(window)]
    return Stall(ended - began, max(gaps), sum(1 for t in stamps if began <= t <= ended))


def reload(port: int, token: str, dry_run: bool) -> None:
    url = f"http://{HOST}:{port}/api/programme/reload" + ("?dry_run=1" if dry_run else "")
    request = urllib.request.Request(
        url, method="POST", headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=300) as response:
        answer = json.loads(response.read())
    assert answer["published"] is not dry_run, answer


def replace_keeping_time(path: Path, data: bytes) -> None:
    """New content, old modification time: the watcher does not notice, only the request."""
    stat = path.stat()
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(data)
    os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(temporary, path)


def server_rows(sizes: Sequence[int], runs: int) -> list[list[object]]:
    rows: list[list[object]] = []
    with tempfile.TemporaryDirectory(prefix="bench-parse-") as tmp:
        config, data = Path(tmp) / "config", Path(tmp) / "data"
        config.mkdir()
        programme_file = config / "programme.txt"
        shutil.copy(SHIPPED, programme_file)
        (config / "rooms.toml").write_text(
            '[[rooms]]\nid = "cr4"\nname = "Conference Room 4"\nprogramme = "programme.txt"\n'
        )
        token = create_token(str(data))
        port = free_port()
        argv = [DASHBOARD, "serve", "--port", str(port), "--config", str(config)]
        argv += ["--data", str(data), "--at", SERVER_AT, "--log-level", "warning"]
        server = Server(argv, port, SERVER_CPUS)
        try:
            server.wait_ready()
            for n in sizes:
                note = generated_note(n)
                stalls: dict[str, list[Stall]] = {"compare (dry run)": [], "publish": []}
                for r in range(runs + 1):  # the first is a warm-up
                    # A different text each time: every publish is a real revision.
                    revised = note.replace("Discussion point 1 ", f"Discussion point 1 (r{r}) ")
                    replace_keeping_time(programme_file, revised.encode())
                    for what, dry in (("compare (dry run)", True), ("publish", False)):
                        stall = healthz_gaps(port, lambda d=dry: reload(port, token, d))
                        if r:
                            stalls[what].append(stall)
                for what, samples in stalls.items():
                    took = median([s.took for s in samples])
                    worst = median([s.worst_gap for s in samples])
                    rows.append(
                        [
                            n,
                            what,
                            took * 1000,
                            worst * 1000,
                            max(s.worst_gap for s in samples) * 1000,
                            round(median([s.answers for s in samples])),
                            f"{worst / took:.2f}",
                        ]
                    )
                    log(
                        f"  server, {n:,} slots, {what}: {took * 1000:.0f} ms, "
                        f"gap {worst * 1000:.0f} ms"
                    )
        finally:
            server.stop()
    return rows


SERVER_CPUS: set[int] = set()
LOAD_CPUS: set[int] = set()


def main() -> int:
    global SERVER_CPUS, LOAD_CPUS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 and 1,000 slots, 3 runs")
    parser.add_argument("--runs", type=int, default=9, metavar="R", help="runs per size")
    parser.add_argument("--no-server", action="store_true", help="parsing only")
    args = parser.parse_args()
    sizes, baseline_sizes, server_sizes = [300, 1000, 2000, 5000], [100, 300], [300, 1000, 2000]
    if args.quick:
        sizes, baseline_sizes, server_sizes, args.runs = [300, 1000], [100], [300], 3
    SERVER_CPUS, LOAD_CPUS = cpu_split()
    # Parsing here is not pinned: nothing of this run competes with it, and on a shared machine
    # a pinned process waits for its CPU while the other one may be free.
    log("parsing in this process")
    rows = parse_rows(sizes, baseline_sizes, args.runs)
    swaps = swap_rows(server_sizes, args.runs)
    server_runs = max(3, args.runs // 2)
    served = [] if args.no_server else server_rows(server_sizes, server_runs)
    lines = [
        f"Machine: {machine()}; parsing in this process, not pinned.",
        f"Medians of {args.runs} runs (the baseline: {args.runs // 3}), after a warm-up.",
        "",
        table(
            [
                "slots",
                "form",
                "size",
                "parse ms",
                "CPU ms",
                "before (O(n³) overlaps) ms",
                "before ÷ now",
            ],
            rows,
        ),
    ]
    at_target = [float(str(r[3])) for r in rows if r[0] == TARGET_SLOTS]  # wall clock
    if at_target:
        verdict = "met" if max(at_target) / 1000 < TARGET_S else "missed"
        lines += [
            "",
            f"Target, {TARGET_SLOTS:,} slots in under {TARGET_S} s: {verdict} (the slower of "
            f"note and TOML: {max(at_target):,.0f} ms).",
        ]
    lines += [
        "",
        f"The swap, per room, on the event loop (in this process; medians of {args.runs}):",
        "",
        table(["slots", "refresh + next_change ms"], swaps),
    ]
    if served:
        lines += [
            "",
            f"Server on CPU {sorted(SERVER_CPUS)}, /healthz client on CPU {sorted(LOAD_CPUS)}; "
            f"medians of {server_runs} requests each.",
            "",
            table(
                [
                    "slots",
                    "request",
                    "request ms",
                    "worst /healthz gap ms",
                    "worst gap, max ms",
                    "answers during it",
                    "gap ÷ request",
                ],
                served,
            ),
        ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
