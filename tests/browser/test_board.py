"""The hall board (issue 17) in a real headless Chromium against real servers: 2 rooms and 40
rooms (generated rooms.toml in a temporary config folder), landscape and portrait; a boundary
crossed without a reload, and offline; a moved and a cancelled meeting; Arabic.  Each checks
that nothing overflows the screen and that no row is cut: every row shown lies wholly inside
the board's area, and every row due shows on exactly one page."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests._staff import accounts, bearer
from tests.conftest import SHIPPED_NOTE, Server, make_config, stop_server

from .conftest import Watched, assert_fits
from .scenarios import SIDE_NOTE
from .test_kiosk import FAST
from .test_offline import offline_noise

StartServer = Callable[..., Server]
NewPage = Callable[..., Watched]

LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
WED_PM = "2023-12-13-1500"

# Every row shown wholly inside the board's area and the screen, its texts within their cells.
ROWS = """
() => {
  const area = document.getElementById("board-now").getBoundingClientRect();
  const problems = [];
  const shown = [...document.querySelectorAll("#board-now .board-row:not([hidden])")];
  for (const row of shown) {
    const r = row.getBoundingClientRect();
    const out = r.top < area.top - 0.5 || r.bottom > area.bottom + 0.5;
    if (out || r.bottom > innerHeight + 0.5)
      problems.push(`row ${row.dataset.room} cut: ${r.top}-${r.bottom} in ${area.bottom}`);
    for (const cell of row.querySelectorAll("td")) {
      const c = cell.getBoundingClientRect();
      if (c.right > innerWidth + 0.5 || c.left < -0.5)
        problems.push(`cell off screen: ${cell.className}`);
      for (const el of cell.querySelectorAll(".status, .times, bdi")) {
        const e = el.getBoundingClientRect();
        if (e.right > c.right + 0.5 || e.left < c.left - 0.5 || e.bottom > c.bottom + 0.5)
          problems.push(`${el.className || el.tagName} overflows its cell in ${row.dataset.room}`);
      }
    }
  }
  const grid = document.querySelector(".board-grid");
  return {problems, shown: shown.map((r) => r.dataset.room + "/" + r.dataset.slot),
          page: Number(grid.dataset.page || 0), pages: Number(grid.dataset.pages || 0)};
}
"""


def rooms_config(folder: Path, count: int, language: str = "en", side: bool = False) -> Path:
    rooms = [(f"cr{i}", f"Conference Room {i}", SHIPPED_NOTE.name) for i in range(1, count + 1)]
    if side:
        rooms.append(("tc", "Trusteeship Council Chamber", "side.txt"))
    files = {"side.txt": SIDE_NOTE, "settings.toml": f'language = "{language}"\n'}
    return make_config(folder, rooms=rooms, files=files)


def open_board(page: Page, server: Server, query: str = "") -> None:
    page.goto(f"{server.url}/board{query}")
    html = page.locator("html")
    expect(html).to_have_attribute("data-connection", "online")
    expect(html).to_have_attribute("data-clock-synced", "true")


def check_page(page: Page) -> dict[str, Any]:
    assert_fits(page, [".board-head", "#board-now", ".board-foot"])
    found: dict[str, Any] = page.evaluate(ROWS)
    assert not found["problems"], found["problems"]
    return found


def every_page(page: Page) -> list[list[str]]:
    """The rows of each page in turn (turned by the page's own code, not waited for), each page
    checked to fit."""
    first = check_page(page)
    seen = [first["shown"]]
    for _ in range(first["pages"] - 1):
        page.evaluate("window.dashboardBoard.turn()")
        seen.append(check_page(page)["shown"])
    return seen


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_two_rooms_on_one_page(
    viewport: ViewportSize, start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    server = start_server(at="2023-12-13T11:00:00", config=rooms_config(tmp_path / "c", 2))
    watched = new_page(viewport=viewport)
    page = watched.page
    open_board(page, server)
    found = check_page(page)
    # Now and next of each room, by time: both mornings, then both afternoons.
    assert found["shown"] == [
        "cr1/2023-12-13-1000",
        "cr2/2023-12-13-1000",
        f"cr1/{WED_PM}",
        f"cr2/{WED_PM}",
    ]
    assert found["pages"] == 1
    rows = page.locator("#board-now .board-row:not([hidden])")
    expect(rows.nth(0).locator(".status")).to_have_text("In session")
    expect(rows.nth(0)).to_have_class("board-row tone-go say-in_session")
    expect(rows.nth(2).locator(".status")).to_have_text("Next at 3\u00a0p.m.")
    expect(page.locator(".board-pages")).to_have_text("")
    # A board of one room: ?rooms=.
    page.goto(f"{server.url}/board?rooms=cr2")
    expect(page.locator("html")).to_have_attribute("data-connection", "online")
    assert page.evaluate(ROWS)["shown"] == ["cr2/2023-12-13-1000", f"cr2/{WED_PM}"]
    watched.assert_clean()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_forty_rooms_page_by_page_no_row_cut(
    viewport: ViewportSize,
    start_server: StartServer,
    new_page: NewPage,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    server = start_server(at="2023-12-13T11:00:00", config=rooms_config(tmp_path / "c", 40))
    watched = new_page(viewport=viewport)
    page = watched.page
    open_board(page, server)
    pages = every_page(page)
    assert len(pages) > 1
    expect(page.locator(".board-pages")).to_have_text(f"Page {len(pages)} of {len(pages)}")
    rows = [row for shown in pages for row in shown]
    # 80 rows (each room's now and next), each on exactly one page, in the board's order.
    expected = [f"cr{i}/2023-12-13-1000" for i in range(1, 41)]
    expected += [f"cr{i}/{WED_PM}" for i in range(1, 41)]
    assert rows == expected
    page.evaluate("window.dashboardBoard.turn()")  # and round again
    assert check_page(page)["shown"] == pages[0]
    name = "landscape" if viewport == LANDSCAPE else "portrait"
    page.screenshot(path=artifacts / f"board-40-{name}.png")
    watched.assert_clean()


def test_the_board_turns_at_a_boundary_without_reload_and_offline(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    """60 venue seconds before 3 p.m., 10 a real second: the server goes away before 3 p.m.,
    and at 3 p.m. the board turns "Starts in 1 min" to "In session" by itself."""
    server = start_server(
        at="2023-12-13T14:59:00", speed=10, config=rooms_config(tmp_path / "c", 2)
    )
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    open_board(page, server)
    row = page.locator(f'.board-row[data-room="cr1"][data-slot="{WED_PM}"]:not([hidden])')
    expect(row.locator(".status")).to_have_text("Starts in 1 min")
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(10)
    html = page.locator("html")
    expect(html).to_have_attribute("data-connection", "offline")
    mark = page.locator(".connection")
    expect(mark).to_have_text("Offline since 2.59 p.m.")
    # 3 p.m.: nobody tells the page.
    expect(row.locator(".status")).to_have_text("In session", timeout=10_000)
    expect(row).to_have_class("board-row tone-go say-in_session")
    expect(html).to_have_attribute("data-connection", "offline")
    check_page(page)
    assert watched.navigations == 1, "the board reloaded"
    watched.assert_clean(allow=offline_noise)


def test_a_moved_and_a_cancelled_meeting(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    config = rooms_config(tmp_path / "c", 2, side=True)
    data = tmp_path / "data"
    token = accounts(data, tokens=(("ops", "secretariat", None),), config=config)["ops"]
    server = start_server(at="2023-12-13T14:00:00", config=config, data=data)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    open_board(page, server)
    for body in (
        {"room": "cr1", "kind": "move", "to_room": "tc"},
        {"room": "cr2", "kind": "cancel"},
    ):
        posted = httpx.post(
            f"{server.url}/api/overrides", headers=bearer(token), json=body, timeout=30
        )
        assert posted.status_code == 201, posted.text
    # Live: no reload.  The moved meeting once, under its new room, marked moved.
    moved = page.locator(f'#board-now .board-row[data-slot="cr1/{WED_PM}"]:not([hidden])')
    expect(moved).to_have_count(1)
    expect(moved).to_have_attribute("data-room", "tc")
    expect(moved.locator(".status")).to_have_text("Moved from Conference Room 1")
    expect(moved).to_have_class("board-row tone-warn say-moved_here")
    expect(page.locator('#board-now .board-row[data-room="cr1"]:not([hidden])')).to_have_count(0)
    cancelled = page.locator(f'#board-now .board-row[data-room="cr2"][data-slot="{WED_PM}"]')
    # Before the frame, the meeting has two rows (starting, then in session): wait for the one
    # row, since Playwright fails at once, without retrying, on a locator matching two.
    expect(cancelled).to_have_count(1)
    expect(cancelled.locator(".status")).to_have_text("Cancelled")
    expect(cancelled).to_have_class("board-row tone-stop say-cancelled")
    found = check_page(page)
    assert found["shown"] == [f"cr2/{WED_PM}", f"tc/cr1/{WED_PM}"]
    # The door display of the room moved to says the same.
    display = httpx.get(f"{server.url}/api/rooms/tc/now", timeout=10).json()
    assert display["next"]["id"] == f"cr1/{WED_PM}"
    assert watched.navigations == 1
    watched.assert_clean()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
def test_arabic(
    viewport: ViewportSize,
    start_server: StartServer,
    new_page: NewPage,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    server = start_server(
        at="2023-12-13T11:00:00", config=rooms_config(tmp_path / "c", 40, language="ar")
    )
    watched = new_page(viewport=viewport)
    page = watched.page
    open_board(page, server)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("h1")).to_have_text("جلسات اليوم")
    first = page.locator("#board-now .board-row:not([hidden])").first
    expect(first.locator(".status")).to_have_text("الجلسة منعقدة")
    pages = every_page(page)
    assert len(pages) > 1 and sum(map(len, pages)) == 80
    expect(page.locator(".board-pages")).to_have_text(f"الصفحة {len(pages)} من {len(pages)}")
    name = "landscape" if viewport == LANDSCAPE else "portrait"
    page.screenshot(path=artifacts / f"board-ar-{name}.png")
    watched.assert_clean()


def test_a_board_in_its_own_language_beside_one_in_the_servers(
    start_server: StartServer, new_page: NewPage, tmp_path: Path, artifacts: Path
) -> None:
    """An English server: /board?lang=fr in French, /board?lang=ar right to left, the plain
    /board in English; a change reaches each live, in its language, without a reload."""
    config = rooms_config(tmp_path / "c", 2)
    data = tmp_path / "data"
    token = accounts(data, tokens=(("ops", "secretariat", None),), config=config)["ops"]
    server = start_server(at="2023-12-13T14:00:00", config=config, data=data)
    boards = {}
    for lang, query in (("fr", "?lang=fr"), ("ar", "?lang=ar"), ("en", "")):
        watched = new_page(viewport=LANDSCAPE)
        open_board(watched.page, server, query)
        boards[lang] = watched
    french, arabic, english = (boards[k].page for k in ("fr", "ar", "en"))
    expect(french.locator("html")).to_have_attribute("lang", "fr")
    expect(french.locator("html")).to_have_attribute("dir", "ltr")
    expect(french.locator("h1")).to_have_text("Séances du jour")
    expect(arabic.locator("html")).to_have_attribute("dir", "rtl")
    expect(arabic.locator("h1")).to_have_text("جلسات اليوم")
    expect(english.locator("h1")).to_have_text("Meetings today")
    posted = httpx.post(
        f"{server.url}/api/overrides",
        headers=bearer(token),
        json={"room": "cr2", "kind": "cancel"},
        timeout=30,
    )
    assert posted.status_code == 201, posted.text
    says = {"fr": "Annulée", "ar": "ملغاة", "en": "Cancelled"}
    for lang, watched in boards.items():
        # Each board is a screen of its own: the one looked at is in front (Chromium may hold
        # back a page in the background).
        watched.page.bring_to_front()
        row = watched.page.locator(f'#board-now .board-row[data-room="cr2"][data-slot="{WED_PM}"]')
        expect(row, f"the board in {lang}").to_have_count(1)  # two rows before (see above)
        expect(row, f"the board in {lang}").to_have_class("board-row tone-stop say-cancelled")
        expect(row.locator(".status")).to_have_text(says[lang])
        check_page(watched.page)
        assert watched.navigations == 1, f"the board in {lang} reloaded"
    french.screenshot(path=artifacts / "board-fr-landscape.png")
    arabic.screenshot(path=artifacts / "board-ar-lang-landscape.png")
    for watched in boards.values():
        watched.assert_clean()


def test_the_board_reloads_for_a_new_build_at_a_quiet_moment(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    """A deploy (here the server's language: other templates' text, another build) reaches an
    open board by itself, as it does the door displays (static/js/display.js), at 11 a.m.:
    no row of the board changes within a minute either side."""
    config = make_config(tmp_path / "c", files={"settings.toml": f'language = "en"\n{FAST}'})
    data = tmp_path / "data"
    server = start_server(at="2023-12-13T11:00:00", config=config, data=data)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    open_board(page, server)
    old_build = page.locator("body").get_attribute("data-build")
    stop_server(server)
    (config / "settings.toml").write_text(f'language = "fr"\n{FAST}', encoding="utf-8")
    server = start_server(at="2023-12-13T11:00:00", config=config, data=data, port=server.port)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "fr", timeout=30_000)
    expect(page.locator("body")).not_to_have_attribute("data-build", old_build or "")
    expect(html).to_have_attribute("data-connection", "online")
    expect(page.locator("h1")).to_have_text("Séances du jour")
    check_page(page)
    assert watched.navigations == 2
    watched.assert_clean(allow=offline_noise)
