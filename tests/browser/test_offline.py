"""Screens that never go dark (issue 5), in a real headless Chromium against real servers.

* The server goes away just before 3 p.m.: the open display still turns to the afternoon at
  3 p.m. by itself (its local timeline) and says "Offline since 2.59 p.m."; a server started again
  on the same port and data folder has an announcement posted before the page is back, and the
  page shows it, the offline mark gone, without reloading.
* Whatever closed its WebSocket (1000, 1001, 1011, 1012 sent through Playwright's WebSocket
  routing; 1006, an abnormal drop, by SIGKILL of the server), the page opens a new one and shows
  the current state, including an announcement made while it was away.
* A silent drop (the server SIGSTOPped: the TCP connection stays up, nothing comes) is noticed by
  the heartbeat watchdog after 35 s of silence, not before; the 35 s pass on Playwright's fake
  clock, not in real time.
* A revised programme with an error is refused and the open display keeps the running one; a
  good revision reaches the open display, its local timeline included, without a reload.
* After a long outage the screen says it shows the printed programme, not confirmed, and an
  announcement that expired meanwhile is gone.
* The secretariat's console lists the display by its ``?screen=`` name, then marks it down when
  it goes; ``/healthz`` counts it while it is connected.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, WebSocket, WebSocketRoute, expect
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from dashboard.timings import LiveTimings
from tests._staff import PASSWORD, accounts, bearer
from tests.conftest import SHIPPED_NOTE, Server, make_config

from .conftest import Watched

StartServer = Callable[..., Server]
NewPage = Callable[..., Watched]

LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
DESK: ViewportSize = {"width": 1280, "height": 1000}
NEW_YORK = ZoneInfo("America/New_York")
WEDNESDAY_MORNING = "2023-12-13T11:00:00"  # in the 10 a.m. slot; 3 p.m. is next
MORNING = "2023-12-13-1000"
AFTERNOON = "2023-12-13-1500"  # Wed 13 Dec, 3–6 p.m.: "Dedicated stakeholder session ..."
# Wednesday's afternoon is the only "3–6 p.m." slot whose title starts "Dedicated".
BEFORE = "3–6 p.m.\tDedicated"
AFTER = "4–6 p.m.\tDedicated"
BAD_DAY = "Tuesday, 31 June"
ANNOUNCEMENT = "Coffee is served in the Vienna Café"
HEARTBEAT_TIMEOUT_MS = round(LiveTimings().dead_after * 1000)  # the default, sent to the pages
# static/js/live.js waits a random time up to the time offline so far (1 s to 30 s) before each
# new attempt: a page that was away for several seconds may take about as long to come back.
BACK_WITHIN_MS = 35_000


def epoch_ms(text: str) -> int:
    """A venue time (New York) as the milliseconds the page's templates carry."""
    return int(datetime.fromisoformat(text).replace(tzinfo=NEW_YORK).timestamp() * 1000)


def offline_noise(problem: str) -> bool:
    """What a page may report while its server is away: each refused or abandoned WebSocket
    connection (logged by the browser)."""
    return problem.startswith("console: WebSocket connection to ") and "failed" in problem


def watch_sockets(page: Page) -> list[list[str]]:
    """The display WebSockets the page opens, each as the list of frames it received."""
    sockets: list[list[str]] = []

    def opened(socket: WebSocket) -> None:
        if "/ws/display/" not in socket.url:
            return
        frames: list[str] = []
        sockets.append(frames)

        def received(payload: str | bytes) -> None:
            frames.append(payload if isinstance(payload, str) else payload.decode())

        socket.on("framereceived", received)

    page.on("websocket", opened)
    return sockets


def open_display(page: Page, server: Server, query: str = "") -> None:
    page.goto(f"{server.url}/display/cr4{query}")
    html = page.locator("html")
    # Live (the socket delivered its first frame), and on the server's clock.
    expect(html).to_have_attribute("data-connection", "online")
    expect(html).to_have_attribute("data-clock-synced", "true")


def announce(url: str, token: str, text: str = ANNOUNCEMENT) -> httpx.Response:
    return httpx.post(
        f"{url}/api/overrides",
        headers=bearer(token),
        json={"room": "cr4", "kind": "announce", "text": text},
        timeout=10,
    )


def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


@contextlib.contextmanager
def stopped(server: Server) -> Iterator[None]:
    """The server frozen (SIGSTOP): its sockets stay open, it answers nothing."""
    os.kill(server.process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(server.process.pid, signal.SIGCONT)


# --- 1. the server goes, the screen flips by itself, the server comes back ----------------------


def test_the_display_flips_by_itself_while_offline_then_resynchronises(
    start_server: StartServer, new_page: NewPage, artifacts: Path, tmp_path: Path
) -> None:
    config = make_config(tmp_path / "config")
    data = tmp_path / "data"
    token = accounts(data, tokens=(("operations", "secretariat", None),))["operations"]
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    sockets = watch_sockets(page)
    html = page.locator("html")
    now = page.locator("#display-now")
    mark = page.locator(".connection")

    # 60 venue seconds before 3 p.m., 10 venue seconds a real second: 3 p.m. comes ~5 s after
    # the server answers.
    server = start_server(at="2023-12-13T14:59:00", speed=10, config=config, data=data)
    open_display(page, server)
    expect(now.locator(".status")).to_have_text("Starts in 1 min")
    expect(mark).to_be_hidden()

    # The server stops (SIGTERM: uvicorn closes the sockets, with 1012) before 3 p.m.
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(10)
    expect(html).to_have_attribute("data-connection", "offline")
    status = now.locator(".status").inner_text()
    assert status == "Starts in 1 min", f"{status!r}: was 3 p.m. past before the server went?"
    expect(mark).to_be_visible()
    expect(mark).to_have_text("Offline since 2.59 p.m.")

    # 3 p.m.: nobody tells the page; it turns to the afternoon from its own timeline.
    expect(now.locator(f'.current[data-slot="{AFTERNOON}"]')).to_be_visible(timeout=10_000)
    expect(now.locator(".status")).to_have_text("In session")
    expect(now.locator(".current .headline")).to_contain_text("Dedicated stakeholder session")
    expect(mark).to_have_text("Offline since 2.59 p.m.")
    expect(html).to_have_attribute("data-connection", "offline")
    page.screenshot(path=artifacts / "display-offline.png")
    assert len(sockets) >= 1

    # The server comes back on the same port and data folder (its clock just after 3 p.m.,
    # like the page's), and an announcement is made at once, before the page's next attempt.
    server = start_server(
        at="2023-12-13T15:00:30", speed=10, config=config, data=data, port=server.port
    )
    posted = announce(server.url, token)
    assert posted.status_code == 201, posted.text
    # Still away once the announcement is stored: no frame from the new server yet.
    away_at_post = html.get_attribute("data-connection") == "offline"

    banner = now.locator(".banner")
    expect(banner).to_have_text(ANNOUNCEMENT, timeout=BACK_WITHIN_MS)
    expect(html).to_have_attribute("data-connection", "online")
    expect(mark).to_be_hidden()
    expect(now.locator(f'.current[data-slot="{AFTERNOON}"]')).to_be_visible()
    # The first socket, then attempts refused while the server was away, then one that got in.
    connected = [frames for frames in sockets if frames]
    assert len(connected) == 2, [len(frames) for frames in sockets]
    if away_at_post:
        # Resynchronised: the new connection's first frame is the full current state,
        # announcement included (it was not pushed live to a page that was not there).
        assert ANNOUNCEMENT in connected[1][0], connected[1][:1]
    assert watched.navigations == 1, "the display reloaded instead of reconnecting"
    watched.assert_clean(allow=offline_noise)


# --- 2. every close code ------------------------------------------------------------------------


@pytest.mark.parametrize("code", [1000, 1001, 1006, 1011, 1012])
def test_the_display_comes_back_after_close_code(
    code: int, start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    """The page's sockets go through Playwright's WebSocket routing (connected to the real
    server).  1000, 1001, 1011 and 1012 are closes the route sends the page.  1006 cannot be
    sent: it is what a browser reports when a connection ends without a close frame, so here
    the server is SIGKILLed (the kernel resets its sockets) and started again on its port.

    The announcement is posted by the route as the page opens its next socket, before
    connecting it: the page can learn it only from the new connection's first frame."""
    config = make_config(tmp_path / "config")
    data = tmp_path / "data"
    token = accounts(data, tokens=(("operations", "secretariat", None),))["operations"]
    server = start_server(at=WEDNESDAY_MORNING, config=config, data=data)
    url = server.url
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    routes: list[WebSocketRoute] = []
    announced_on: list[int] = []  # which socket (1-based) the announcement preceded

    def route(ws: WebSocketRoute) -> None:
        routes.append(ws)
        if len(routes) > 1 and not announced_on:
            with contextlib.suppress(httpx.HTTPError):  # 1006: the server may still be away
                if announce(url, token).status_code == 201:
                    announced_on.append(len(routes))
        upstream = ws.connect_to_server()
        # The page's side closed (by the test, or after the server's side did): close the
        # server's side too, with a code a browser may send.
        ws.on_close(lambda code, reason: upstream.close())

    page.route_web_socket(re.compile(r"/ws/display/cr4(\?screen=display-[0-9a-f]{8})?$"), route)
    open_display(page, server)
    now = page.locator("#display-now")
    expect(now.locator(f'.current[data-slot="{MORNING}"]')).to_be_visible()
    expect(now.locator(".banner")).to_have_count(0)
    assert len(routes) == 1

    # The code the page's socket was closed with, as live.js's wrapper saw it.
    page.evaluate(
        "() => { const closed = window.__closed = [];"
        " window.dashboardLive.socket.addEventListener('close', (e) => closed.push(e.code)); }"
    )
    html = page.locator("html")
    if code == 1006:
        server.process.kill()
        server.process.wait(10)
        expect(html).to_have_attribute("data-connection", "offline")
        start_server(at=WEDNESDAY_MORNING, config=config, data=data, port=server.port)
    else:
        routes[0].close(code=code, reason=f"test {code}")

    expect(now.locator(".banner")).to_have_text(ANNOUNCEMENT, timeout=BACK_WITHIN_MS)
    expect(html).to_have_attribute("data-connection", "online")
    expect(page.locator(".connection")).to_be_hidden()
    expect(now.locator(f'.current[data-slot="{MORNING}"]')).to_be_visible()
    assert page.evaluate("() => window.__closed") == [code]
    closes = page.evaluate("() => window.dashboardLive.closes")
    assert announced_on == [len(routes)], (announced_on, len(routes))
    if code == 1006:
        # Attempts made while the server was away failed; each counts as a close.
        assert len(routes) >= 2
        assert closes == len(routes) - 1, (closes, len(routes))
        watched.assert_clean(allow=offline_noise)
    else:
        assert len(routes) == 2, f"{len(routes)} sockets opened"
        assert closes == 1
        watched.assert_clean()
    assert watched.navigations == 1


# --- 3. a silent drop ---------------------------------------------------------------------------


def test_a_silent_drop_is_caught_by_the_heartbeat_watchdog(
    start_server: StartServer, new_page: NewPage
) -> None:
    """SIGSTOP: the connection stays up and nothing arrives.  Time runs on Playwright's clock
    (installed before the page loads, so live.js's timers and Date.now are the fake ones, running
    at real speed until fast-forwarded): the 35 s of silence take no real time."""
    server = start_server(at=WEDNESDAY_MORNING)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    page.clock.install()
    sockets = watch_sockets(page)
    open_display(page, server)
    html = page.locator("html")
    mark = page.locator(".connection")
    expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()
    assert len(sockets) == 1

    def closes() -> int:
        return int(page.evaluate("() => window.dashboardLive.closes"))

    with stopped(server):
        # 20 s of silence: less than two heartbeats missed; the link is still trusted.
        page.clock.fast_forward(20_000)
        assert closes() == 0
        expect(html).to_have_attribute("data-connection", "online")
        expect(mark).to_be_hidden()
        # Past 35 s: the watchdog gives the link up, says so, and tries again.
        page.clock.fast_forward(HEARTBEAT_TIMEOUT_MS - 20_000 + 1_500)
        expect(html).to_have_attribute("data-connection", "offline")
        expect(mark).to_be_visible()
        expect(mark).to_have_text(re.compile(r"^Offline since 11(\.0\d)? a\.m\.$"))
        assert closes() == 1

    # The server answers again: the attempt waiting on it completes, with the full state.
    expect(html).to_have_attribute("data-connection", "online", timeout=10_000)
    expect(mark).to_be_hidden()
    expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()
    assert len(sockets) == 2, f"{len(sockets)} sockets opened"
    assert sockets[1], "the new socket received nothing"
    assert watched.navigations == 1
    watched.assert_clean()


def test_after_a_long_outage_the_screen_says_printed_programme_and_drops_expired_overrides(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    """Offline for over 10 minutes (on Playwright's clock, the server frozen): the screen still
    shows the meeting, labelled as the printed programme, not confirmed; an announcement that
    expired meanwhile is gone, although no server said so."""
    data = tmp_path / "data"
    token = accounts(data, tokens=(("tools", "secretariat", None),))["tools"]
    server = start_server(at=WEDNESDAY_MORNING, data=data)
    posted = httpx.post(
        f"{server.url}/api/overrides",
        headers=bearer(token),
        json={
            "room": "cr4",
            "kind": "announce",
            "text": ANNOUNCEMENT,
            "expires": "2023-12-13T11:05",
        },
        timeout=10,
    )
    assert posted.status_code == 201, posted.text
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    page.clock.install()
    open_display(page, server)
    html = page.locator("html")
    mark = page.locator(".connection")
    banner = page.locator("#display-now .banner")
    expect(banner).to_have_text(ANNOUNCEMENT)
    with stopped(server):
        page.clock.fast_forward(HEARTBEAT_TIMEOUT_MS + 1_500)
        expect(html).to_have_attribute("data-connection", "offline")
        expect(mark).to_have_text(re.compile(r"^Offline since 11(\.0\d)? a\.m\.$"))
        page.clock.fast_forward(5 * 60_000)  # past 11:05 on the venue's clock
        expect(banner).to_be_hidden()  # by the page's own clock (static/js/screen.js)
        expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()
        page.clock.fast_forward(6 * 60_000)  # over 10 minutes offline
        expect(html).to_have_attribute("data-connection", "unconfirmed")
        expect(mark).to_have_text(
            re.compile(r"^Offline since 11(\.0\d)? a\.m\. · Printed programme, not confirmed$")
        )
        expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()
    assert watched.navigations == 1
    watched.assert_clean()


# --- 4. revised programmes ----------------------------------------------------------------------


def replace(note: Path, text: str) -> None:
    """Write ``text`` to ``note`` atomically (write, then rename), as an editor or a copy does."""
    temporary = note.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, note)


def timeline_instants(page: Page) -> list[int]:
    found: list[Any] = page.evaluate(
        "() => [...document.querySelectorAll('#display-timeline template[data-at]')]"
        ".map((t) => Number(t.dataset.at))"
    )
    return [int(at) for at in found]


def test_a_broken_revision_is_refused_and_a_good_one_reaches_the_open_display(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    config = make_config(tmp_path / "config")
    note = config / SHIPPED_NOTE.name
    shipped = note.read_text(encoding="utf-8")
    assert shipped.count(BEFORE) == 1
    server = start_server(at=WEDNESDAY_MORNING, config=config)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    open_display(page, server)
    upcoming = page.locator("#display-now .next")
    expect(upcoming).to_have_attribute("data-slot", AFTERNOON)
    expect(upcoming.locator(".when")).to_contain_text("3–6 p.m.")
    three = epoch_ms("2023-12-13T15:00")
    assert three in timeline_instants(page)

    # A broken revision (it moves the slot too: were the bad line skipped rather than the file
    # refused, the move would show).  The watcher reads it within ~2 s and refuses it.
    replace(note, shipped.replace(BEFORE, AFTER) + "\n" + BAD_DAY + "\n")
    wait_for(lambda: "31 June" in server.output(), 10, "the watcher refusing the revision")
    assert "revised programme refused" in server.output()
    assert f"{SHIPPED_NOTE.name}:" in server.output()
    page.wait_for_timeout(500)  # what a publication would have sent arrives in milliseconds
    expect(upcoming).to_have_attribute("data-slot", AFTERNOON)
    expect(upcoming.locator(".when")).to_contain_text("3–6 p.m.")
    assert three in timeline_instants(page)
    now = httpx.get(f"{server.url}/api/rooms/cr4/now", timeout=5).json()
    assert now["next"]["id"] == AFTERNOON, now

    # The good revision: the afternoon starts at 4.  It reaches the open page, and so does the
    # page's timeline (what it would show at 4 if it lost the server).
    replace(note, shipped.replace(BEFORE, AFTER))
    expect(upcoming.locator(".when")).to_contain_text("4–6 p.m.", timeout=10_000)
    expect(upcoming).to_have_attribute("data-slot", AFTERNOON)  # the same meeting, moved
    expect(upcoming.locator(".headline")).to_contain_text("Dedicated stakeholder session")
    instants = timeline_instants(page)
    assert epoch_ms("2023-12-13T16:00") in instants, instants
    assert three not in instants, instants
    assert watched.navigations == 1, "the display reloaded instead of updating live"
    watched.assert_clean()


# --- 5. the secretariat sees its screens --------------------------------------------------------


def screens_in_health(server: Server) -> int:
    health = httpx.get(f"{server.url}/healthz", timeout=5).json()
    return int(health["rooms"]["cr4"]["screens"])


def test_the_console_counts_displays_a_room_a_line_lists_them_and_dismisses_one_down(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    accounts(data, users=(("sam", "secretariat", None),))
    server = start_server(at=WEDNESDAY_MORNING, data=data)
    assert screens_in_health(server) == 0

    display = new_page(viewport=LANDSCAPE)
    open_display(display.page, server, "?screen=lobby-left")
    assert screens_in_health(server) == 1

    console = new_page(viewport=DESK)
    page = console.page
    # The list polls every 10 s: on a fake clock, so the test need not wait for it.
    page.clock.install()
    page.goto(f"{server.url}/chair")
    page.fill("#name", "sam")
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".site-head [data-logged-in]")).to_have_text(
        "Logged in as sam (secretariat)"
    )

    # A line a room: connected, down, off; the room's displays on demand.
    room = page.locator('#screens-summary tr[data-room="cr4"]')
    expect(room).to_have_attribute("data-up", "1")
    expect(room.locator("th")).to_have_text("Conference Room 4")
    room.get_by_role("button", name="Show the displays of Conference Room 4").click()
    detail = page.locator("#screens-detail")
    expect(detail.locator("h3")).to_have_text("Displays of Conference Room 4")
    row = detail.locator('tr[data-screen="lobby-left"]')
    expect(row).to_have_attribute("data-state", "connected")
    cells = row.locator("td")
    expect(cells.nth(0)).to_have_text("lobby-left")
    expect(cells.nth(1)).to_have_text("Connected")
    # On the server's clock (--at), in the UN's style, like every other time.
    expect(cells.nth(2)).to_have_text(re.compile(r"^Wed 13 Dec, 11(\.0\d)? a\.m\.$"))
    expect(detail.locator("tbody tr")).to_have_count(1)

    # Its page closed (unloaded): off, not down.  Another display lost without a close (its
    # cable pulled): down.
    display.assert_clean()
    display.page.close()
    wait_for(lambda: screens_in_health(server) == 0, 5, "/healthz counting the screen gone")
    with (
        contextlib.suppress(ConnectionClosed),
        ws_connect(f"{server.ws_url}/ws/display/cr4?screen=unplugged") as unplugged,
    ):
        unplugged.recv(timeout=10)
        wait_for(lambda: screens_in_health(server) == 1, 5, "the second display counted")
        unplugged.socket.shutdown(socket.SHUT_RDWR)  # no close frame
        wait_for(lambda: screens_in_health(server) == 0, 5, "/healthz counting it gone")
    page.clock.fast_forward(11_000)  # the summary's next poll
    expect(room).to_have_attribute("data-down", "1")
    expect(room).to_have_attribute("data-off", "1")
    expect(room).to_have_attribute("data-up", "0")
    detail.get_by_role("button", name="Refresh").click()
    expect(detail.locator("tbody tr")).to_have_count(2)
    down = detail.locator('tr[data-screen="unplugged"]')
    expect(down).to_have_attribute("data-state", "down")
    expect(down.locator("td").nth(1)).to_have_text("Down")
    expect(row).to_have_attribute("data-state", "off")
    expect(row.locator("td").nth(1)).to_have_text("Off")

    # Dismissed: gone from the list until it connects again.
    down.get_by_role("button", name="Dismiss unplugged").click()
    expect(detail.locator("[role=status]")).to_have_text(
        "Display dismissed: it is listed again if it connects again."
    )
    expect(detail.locator("tbody tr")).to_have_count(1)
    page.clock.fast_forward(11_000)
    expect(room).to_have_attribute("data-down", "0")

    # Named: the name shown instead of what it connected as.
    row.get_by_role("textbox", name="Name of the display lobby-left").fill(
        "Lobby, left of the door"
    )
    row.get_by_role("button", name="Save").click()
    expect(row.locator("[data-label]")).to_have_text("Lobby, left of the door")
    console.assert_clean()
