"""How closely several room displays flip together at a boundary.

N pages of ``/display/cr4`` (each in its own browser context, as N kiosks would be) in Debian's
chromium, against a ``dashboard serve`` whose clock starts a few seconds before 3 p.m. on Wed 13
Dec 2023 (real speed).  In each page an init script records, with the page's wall clock
(``performance.timeOrigin + performance.now()``; the pages share the machine's clock, so their
stamps compare):

* flip: when ``#display-now`` became the 3 p.m. state (a MutationObserver), and whether the
  server's frame for it had arrived by then ("push") or the page's own timeline swapped it in
  ("timeline": ``static/js/live.js`` arms a timer for the next state's instant on the venue
  clock it measured against ``/api/time``);
* frame: when the WebSocket frame carrying the 3 p.m. state arrived (the baseline: how closely
  the server's push alone would put the screens together).

Two scenarios, each repeated with a fresh server and fresh pages:

* online: the server is up and pushes the boundary;
* offline: the server is frozen (SIGSTOP) 1.5 s before the boundary, so each page flips on its
  own timeline (what a screen whose link is down does); SIGCONT afterwards.

Reported per scenario: the spread (max − min over the pages) of the flips and of the frames, the
median and max over repeats, and how late the flips were after the server's boundary (the
server's clock read through ``/api/time``, round trip halved).  Target: flips within 100 ms of
each other.

    .venv/bin/python bench/flip.py              # 4 pages, 5 repeats per scenario (~1.5 min)
    .venv/bin/python bench/flip.py --quick      # 3 pages, 2 repeats per scenario (~30 s)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from _common import HOST, free_port, machine, start_server, table
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    # Every kiosk is a foreground page: no page of this bench may have its timers throttled.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
NEW_YORK = ZoneInfo("America/New_York")
BOUNDARY = datetime(2023, 12, 13, 15, 0, tzinfo=NEW_YORK)
BOUNDARY_MS = int(BOUNDARY.timestamp() * 1000)
LEAD_SECONDS = 7.0  # the server's clock starts this long before 3 p.m.: time to open the pages
FREEZE_BEFORE = 1.5  # offline: the server is stopped this long before the boundary
TARGET_MS = 100.0

# Injected before the page's own scripts (so the CSP does not apply): stamps the frame that
# carries the boundary's state, and the DOM swap that shows it.
PROBE_JS = """
(() => {
  const boundary = __BOUNDARY__;
  const probe = { frame: null, flip: null, venue: null, how: null };
  window.__flipProbe = probe;
  const stamp = () => performance.timeOrigin + performance.now();
  const head = /^\\s*<section id="display-now"[^>]*>/;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("message", (event) => {
        if (probe.frame !== null || typeof event.data !== "string") return;
        const m = event.data.match(head);
        const from = m && m[0].match(/data-from="(\\d+)"/);
        if (from && Number(from[1]) >= boundary) probe.frame = stamp();
      });
    }
  };
  document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver(() => {
      if (probe.flip !== null) return;
      const now = document.getElementById("display-now");
      // A state pushed by the server is "from" the instant it was computed: a hair after
      // the boundary; the page's own timeline's is from the boundary itself.
      if (now && Number(now.dataset.from || 0) >= boundary) {
        probe.flip = stamp();
        probe.venue = window.dashboardClock ? window.dashboardClock.now() : null;
        probe.how = probe.frame === null ? "timeline" : "push";
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
})();
"""
PROBE = PROBE_JS.replace("__BOUNDARY__", str(BOUNDARY_MS))


# --- the measurement ------------------------------------------------------------------------------


@dataclass
class Repeat:
    flips: list[float]  # wall-clock ms, one per page
    frames: list[float]  # wall-clock ms of the boundary's frame, pages that got it
    late: list[float]  # flip − the server's boundary, in real ms
    how: list[str]

    @property
    def flip_spread(self) -> float:
        return max(self.flips) - min(self.flips)

    @property
    def frame_spread(self) -> float | None:
        return max(self.frames) - min(self.frames) if len(self.frames) > 1 else None


@dataclass
class Scenario:
    name: str
    repeats: list[Repeat] = field(default_factory=list)
    skipped: int = 0


def server_boundary_wall_ms(port: int, speed: float = 1.0) -> float:
    """When (wall clock, ms) the server's clock reaches the boundary: the best of 5 readings of
    ``/api/time``, each taken at the middle of its round trip."""
    best: tuple[float, float] | None = None  # (round trip, estimate)
    for _ in range(5):
        t0 = time.time() * 1000
        with urllib.request.urlopen(f"http://{HOST}:{port}/api/time", timeout=5) as response:
            data = json.load(response)
        t1 = time.time() * 1000
        estimate = (t0 + t1) / 2 + (BOUNDARY_MS - data["now"]) / speed
        if best is None or t1 - t0 < best[0]:
            best = (t1 - t0, estimate)
    assert best is not None
    return best[1]


def open_pages(browser: Browser, port: int, count: int) -> tuple[list[BrowserContext], list[Page]]:
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    for _ in range(count):
        context = browser.new_context(viewport={"width": 1920, "height": 1080})
        context.add_init_script(PROBE)
        page = context.new_page()
        page.goto(f"http://{HOST}:{port}/display/cr4")
        contexts.append(context)
        pages.append(page)
    for page in pages:
        page.wait_for_selector("html[data-connection=online][data-clock-synced=true]")
    return contexts, pages


def one_repeat(browser: Browser, pages_count: int, offline: bool, data_dir: str) -> Repeat | None:
    """A fresh server and fresh pages; None when a page was not ready before the boundary."""
    port = free_port()
    at = (BOUNDARY - timedelta(seconds=LEAD_SECONDS)).replace(tzinfo=None).isoformat()
    # Chromium and the server share the machine: no CPU split here.
    server = start_server(port, data_dir, set(os.sched_getaffinity(0)), at=at)
    contexts: list[BrowserContext] = []
    frozen = False
    try:
        boundary_wall = server_boundary_wall_ms(port)
        contexts, pages = open_pages(browser, port, pages_count)
        lead = boundary_wall - time.time() * 1000
        if lead < (FREEZE_BEFORE + 0.5) * 1000:
            print(f"  skipped: the pages were ready only {lead:.0f} ms before", file=sys.stderr)
            return None
        if offline:
            time.sleep((lead - FREEZE_BEFORE * 1000) / 1000)
            os.kill(server.proc.pid, signal.SIGSTOP)
            frozen = True
        for page in pages:
            page.wait_for_function("() => window.__flipProbe.flip !== null", timeout=15_000)
        probes: list[dict[str, Any]] = [page.evaluate("() => window.__flipProbe") for page in pages]
    finally:
        if frozen:
            os.kill(server.proc.pid, signal.SIGCONT)
        for context in contexts:
            context.close()
        server.stop()
    flips = [float(p["flip"]) for p in probes]
    return Repeat(
        flips=flips,
        frames=[float(p["frame"]) for p in probes if p["frame"] is not None],
        late=[flip - boundary_wall for flip in flips],
        how=[str(p["how"]) for p in probes],
    )


def fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def report(scenarios: list[Scenario], pages_count: int, command: str) -> str:
    rows: list[list[str]] = []
    for s in scenarios:
        if not s.repeats:
            rows.append([s.name, str(pages_count), "0", *["–"] * 7])
            continue
        spreads = [r.flip_spread for r in s.repeats]
        frame_spreads = [f for r in s.repeats if (f := r.frame_spread) is not None]
        late = [x for r in s.repeats for x in r.late]
        how = [h for r in s.repeats for h in r.how]
        rows.append(
            [
                s.name,
                str(pages_count),
                str(len(s.repeats)),
                fmt(statistics.median(spreads)),
                fmt(max(spreads)),
                fmt(statistics.median(frame_spreads) if frame_spreads else None),
                fmt(max(frame_spreads) if frame_spreads else None),
                fmt(statistics.median(late)),
                fmt(max(late)),
                f"{how.count('push')} push / {how.count('timeline')} timeline",
            ]
        )
    headers = [
        "scenario",
        "pages",
        "repeats",
        "flip spread p50 (ms)",
        "flip spread max (ms)",
        "frame spread p50 (ms)",
        "frame spread max (ms)",
        "flip late p50 (ms)",
        "flip late max (ms)",
        "flipped by",
    ]
    verdicts = []
    for s in scenarios:
        if s.repeats:
            worst = max(r.flip_spread for r in s.repeats)
            verdict = "met" if worst <= TARGET_MS else "NOT met"
            verdicts.append(f"{s.name} {verdict} (worst spread {worst:.1f} ms)")
    lines = [
        f"Machine: {machine()}; chromium: {CHROMIUM}",
        "",
        table(headers, rows),
        "",
        f"Target, flips within {TARGET_MS:.0f} ms of each other: {'; '.join(verdicts)}.",
        "Frame spread is the baseline: the spread of the arrival of the server's push.",
        f"Command: {command}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="display pages (default 4)")
    parser.add_argument("--repeats", type=int, default=None, help="per scenario (default 5)")
    parser.add_argument("--quick", action="store_true", help="3 pages, 2 repeats per scenario")
    parser.add_argument(
        "--scenario", choices=["online", "offline", "both"], default="both", help="default both"
    )
    args = parser.parse_args()
    pages_count = args.pages or (3 if args.quick else 4)
    repeats = args.repeats or (2 if args.quick else 5)
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} not found: install Debian's chromium package")
    names = ["online", "offline"] if args.scenario == "both" else [args.scenario]
    scenarios = [Scenario(name) for name in names]
    command = " ".join([".venv/bin/python", "bench/flip.py", *sys.argv[1:]])
    with tempfile.TemporaryDirectory(prefix="flip-") as tmp, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        with contextlib.closing(browser):
            warm = browser.new_page()  # the first page of a browser is slow to open
            warm.goto("about:blank")
            warm.close()
            for n in range(repeats):
                for scenario in scenarios:
                    data_dir = str(Path(tmp) / f"data-{scenario.name}-{n}")
                    result = one_repeat(browser, pages_count, scenario.name == "offline", data_dir)
                    if result is None:
                        scenario.skipped += 1
                        continue
                    scenario.repeats.append(result)
                    print(
                        f"  {scenario.name} #{n + 1}: flip spread {result.flip_spread:.1f} ms, "
                        f"late {', '.join(f'{x:.0f}' for x in result.late)} ms "
                        f"({', '.join(result.how)})",
                        file=sys.stderr,
                        flush=True,
                    )
    print(report(scenarios, pages_count, command))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
