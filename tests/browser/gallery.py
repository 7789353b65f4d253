"""The gallery: a screenshot of every state of tests/browser/scenarios.py, so that a reviewer
looks rather than reads.  ``bash scripts/screens.sh`` writes docs/screens/*.png and
docs/screens.md.

Each picture shows one state in one language as the three screens show it side by side: the
door display in landscape (1920×1080) and in portrait (1080×1920), and the phone (390×844),
scaled down together.  After the morning's and the afternoon's states, the hall board
(``/board``) of that server, every room of the group on it, in landscape and portrait.

    .venv/bin/python -m tests.browser.gallery [--languages en,ar] [--only NAME,...]
        [--full DIR]   # also each view at full size into DIR, to look at closely
"""

from __future__ import annotations

import argparse
import base64
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS
from tests.browser.scenarios import (
    GROUPS,
    UNCONFIRMED_AFTER,
    VIEWPORTS,
    Group,
    Running,
    Scenario,
    kill,
    serve,
    settle,
    show,
    wait_until,
)
from tests.conftest import ROOT

DOCS = ROOT / "docs"
OUT = DOCS / "screens"
HEIGHT = 280  # of each picture, in pixels: every view scaled to it
LANGUAGE_NAMES = {"en": "English", "ar": "Arabic", "zh": "Chinese"}

SHEET = """<!doctype html><html><head><style>
body {{ margin: 0; background: #2b2b2b; display: flex; gap: 8px; padding: 8px;
  width: max-content; }}
img {{ height: {height}px; display: block; }}
</style></head><body>{images}</body></html>"""


def sheet(browser: Browser, shots: list[bytes], path: Path) -> None:
    """The views side by side, scaled to HEIGHT, as one small PNG."""
    page = browser.new_page(viewport={"width": 400, "height": HEIGHT + 16})
    images = "".join(
        f'<img src="data:image/png;base64,{base64.b64encode(s).decode()}" alt="">' for s in shots
    )
    page.set_content(SHEET.format(height=HEIGHT, images=images))
    page.evaluate("() => Promise.all([...document.images].map((i) => i.decode()))")
    body = page.locator("body")
    page.set_viewport_size(
        {"width": int(body.evaluate("b => b.scrollWidth")), "height": HEIGHT + 16}
    )
    page.screenshot(path=path)
    page.close()


def capture(
    browser: Browser,
    pages: dict[str, Page],
    running: Running,
    scenario: Scenario,
    name: str,
    full: Path | None,
) -> Path:
    shots = []
    for view, page in pages.items():
        shot = page.screenshot()
        if full is not None:
            (full / f"{running.language}-{name}-{view}.png").write_bytes(shot)
        shots.append(shot)
    path = OUT / f"{running.language}-{name}.png"
    sheet(browser, shots, path)
    return path


def open_pages(browser: Browser) -> dict[str, Page]:
    return {
        view: browser.new_page(viewport=size, is_mobile=view == "phone", has_touch=view == "phone")
        for view, size in VIEWPORTS.items()
    }


# The groups whose servers' hall boards are pictured: every state of the group on one board.
BOARD_GROUPS = ("morning", "afternoon")


def capture_board(browser: Browser, running: Running, full: Path | None) -> Path:
    """The hall board of the group's server, landscape and portrait, side by side."""
    shots = []
    for view in ("landscape", "portrait"):
        page = browser.new_page(viewport=VIEWPORTS[view])
        page.goto(running.server.url + "/board")
        wait_until(
            page,
            "() => document.documentElement.dataset.connection === 'online'"
            " && document.documentElement.dataset.clockSynced === 'true'",
            45,
        )
        settle(page)
        shot = page.screenshot()
        if full is not None:
            (full / f"{running.language}-board-{running.group.name}-{view}.png").write_bytes(shot)
        shots.append(shot)
        page.close()
    path = OUT / f"{running.language}-board-{running.group.name}.png"
    sheet(browser, shots, path)
    return path


def run_group(
    browser: Browser, group: Group, language: str, only: set[str], full: Path | None
) -> list[tuple[Scenario, str, Path]]:
    done: list[tuple[Scenario, str, Path]] = []
    scenarios = [s for s in group.scenarios if not only or s.name in only]
    board = group.name in BOARD_GROUPS and (not only or "board" in only)
    if not scenarios and not board:
        return done
    with tempfile.TemporaryDirectory() as folder, serve(group, language, Path(folder)) as running:
        pages = open_pages(browser)
        for scenario in scenarios:
            for view, page in pages.items():
                show(page, running, scenario, view)
            if not group.offline:
                done.append(
                    (scenario, "", capture(browser, pages, running, scenario, scenario.name, full))
                )
                continue
            kill(running)
            for page in pages.values():
                wait_until(page, "() => document.documentElement.dataset.connection !== 'online'")
                settle(page)
            done.append(
                (scenario, "offline", capture(browser, pages, running, scenario, "offline", full))
            )
            for page in pages.values():
                wait_until(
                    page,
                    "() => document.documentElement.dataset.connection === 'unconfirmed'"
                    " || !document.querySelector('.connection')",
                    timeout=UNCONFIRMED_AFTER * 4,
                )
                # And the announcement that expired meanwhile is gone, offline.
                wait_until(page, "() => !document.querySelector('.banner:not([hidden])')", 40)
                settle(page)
            done.append(
                (scenario, "printed", capture(browser, pages, running, scenario, "printed", full))
            )
        for page in pages.values():
            page.close()
        if group.name in BOARD_GROUPS and (not only or "board" in only):
            done.append(
                (group.scenarios[0], f"board-{group.name}", capture_board(browser, running, full))
            )
    return done


CAPTIONS = {
    "offline": "Offline: the display goes on by itself and says since when",
    "printed": "Long offline: the printed programme, not confirmed (the expired announcement gone)",
    "board-morning": "The hall board (/board), 11 a.m.: the morning's rooms above, landscape and"
    " portrait",
    "board-afternoon": "The hall board (/board), 2.40 p.m.: the afternoon's rooms above (late,"
    " moved, cancelled), landscape and portrait",
}


def write_index(done: dict[str, list[tuple[Scenario, str, Path]]]) -> None:
    lines = [
        "# The screens, state by state",
        "",
        "Made by `bash scripts/screens.sh` from the scenarios of the browser tests",
        "(`tests/browser/scenarios.py`, checked by `tests/browser/test_screens.py`): each state",
        "posted through the real API to a real server started with `--at`. In each picture, left",
        "to right: the door display in landscape (1920×1080) and in portrait (1080×1920), and the",
        "phone (390×844), scaled down together; the hall boards (`/board`): landscape and",
        "portrait.",
        "",
    ]
    first = next(iter(done.values()), [])
    for i, (scenario, variant, _) in enumerate(first):
        caption = CAPTIONS.get(variant, scenario.caption)
        lines += [f"## {caption}", ""]
        for language, shots in done.items():
            path = shots[i][2]
            lines.append(
                f"![{caption}, {LANGUAGE_NAMES.get(language, language)}](screens/{path.name})"
            )
            lines.append("")
    (DOCS / "screens.md").write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--languages", default="en,ar")
    parser.add_argument("--only", default="")
    parser.add_argument("--full", type=Path)
    args = parser.parse_args()
    only = {n for n in args.only.split(",") if n}
    OUT.mkdir(parents=True, exist_ok=True)
    if args.full:
        args.full.mkdir(parents=True, exist_ok=True)
    done: dict[str, list[tuple[Scenario, str, Path]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
        )
        for language in args.languages.split(","):
            done[language] = []
            for group in GROUPS:
                done[language] += run_group(browser, group, language, only, args.full)
                print(f"{language} {group.name}: done", flush=True)
        browser.close()
    if not only:
        write_index(done)


if __name__ == "__main__":
    main()
