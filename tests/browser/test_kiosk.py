"""Kiosk robustness (issue 9), in a real headless Chromium against real servers, with the live
timings shortened through settings.toml (``[live]``: heartbeat 1 s, dead after 3 s, an
attempt abandoned after 2 s, backoff 0.2–2 s) so that nothing waits half a minute.

* A server that closes the display's socket cleanly, with 1000 or with 1001 (a real WebSocket
  server on the port), does not stop it: the page tries again and again, and is back with the
  full current state when the dashboard is.
* A silent drop (the server SIGSTOPped: the link stays up, nothing comes) is given up after the
  dead-after time, and the page resynchronises when the server answers again.
* An attempt stuck while connecting (a socket on the port that accepts and never answers) is
  abandoned after the connect timeout and tried again, until the real server is back.
* A hung /api/time neither blocks nor delays the flips: the display's clock starts from its page.
* After a deploy (here the screens' language changes: other templates' text, another build) an
  open display reloads itself at a quiet moment: not within a minute of 3 p.m., and not while
  offline (the demo clock runs 10 times faster).
* The offline mark speaks the page's language, as its clock does (screenshots in English,
  French and Arabic, offline and reconnected).
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, Request, Route, expect
from websockets.sync.server import ServerConnection, serve

from tests._staff import accounts
from tests.conftest import Server, make_config, stop_server

from .conftest import Watched
from .test_offline import (
    AFTERNOON,
    ANNOUNCEMENT,
    LANDSCAPE,
    MORNING,
    WEDNESDAY_MORNING,
    announce,
    epoch_ms,
    offline_noise,
    open_display,
    stopped,
    wait_for,
    watch_sockets,
)

StartServer = Callable[..., Server]
NewPage = Callable[..., Watched]

FAST = """
[live]
heartbeat_seconds = 1
dead_after_seconds = 3
connect_timeout_seconds = 2
backoff_min_seconds = 0.2
backoff_max_seconds = 2
"""
BACK_WITHIN_MS = 15_000  # backoff at most 2 s here, and a server start

# Every WebSocket's close code, as the page saw it (an init script, before the page's own).
RECORD_CLOSES = """
(() => {
  const Native = window.WebSocket;
  window.__closeCodes = [];
  window.WebSocket = class extends Native {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener("close", (event) => window.__closeCodes.push(event.code));
    }
  };
})();
"""

# What the page was when it went away (a reload): kept in the tab's sessionStorage.
RECORD_UNLOAD = """
window.addEventListener("pagehide", () => {
  sessionStorage.setItem("__unloaded", JSON.stringify({
    venue: window.dashboardClock ? window.dashboardClock.now() : null,
    connection: document.documentElement.dataset.connection || null,
    build: document.body.dataset.build,
  }));
});
"""


def fast_config(folder: Path, language: str = "en") -> Path:
    return make_config(folder, files={"settings.toml": f'language = "{language}"\n{FAST}'})


def closes(page: Page) -> int:
    return int(page.evaluate("() => window.dashboardLive.closes"))


# --- 1. a server that closes cleanly ------------------------------------------------------------


@contextlib.contextmanager
def closing_server(port: int, code: int) -> Iterator[list[int]]:
    """A real WebSocket server (the websockets library) on ``port`` that completes each opening
    handshake and at once closes the connection with ``code``, as a server shutting down
    cleanly (1000) or going away (1001) does.  Yields the codes it closed with."""
    closed: list[int] = []

    def handler(connection: ServerConnection) -> None:
        connection.close(code, "test")
        closed.append(code)

    with serve(handler, "127.0.0.1", port) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield closed
        finally:
            server.shutdown()
            thread.join(5)


@pytest.mark.parametrize("code", [1000, 1001])
def test_the_display_comes_back_after_a_server_closes_it_with(
    code: int, start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    config, data = fast_config(tmp_path / "config"), tmp_path / "data"
    token = accounts(data, tokens=(("operations", "secretariat", None),))["operations"]
    server = start_server(at=WEDNESDAY_MORNING, config=config, data=data)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    page.add_init_script(RECORD_CLOSES)
    open_display(page, server)
    html, now = page.locator("html"), page.locator("#display-now")
    expect(now.locator(".banner")).to_have_count(0)

    stop_server(server)
    expect(html).to_have_attribute("data-connection", "offline")
    # Only the closes of the server below count (uvicorn's own, stopping, may be a 1000 too).
    page.evaluate("() => { window.__closeCodes = []; }")
    with closing_server(server.port, code) as closed:
        # Closed cleanly with the code, the page comes back, and again: it never gives up.
        page.wait_for_function(
            f"() => window.__closeCodes.filter((c) => c === {code}).length >= 2",
            timeout=BACK_WITHIN_MS,
        )
        assert len(closed) >= 2
    expect(html).to_have_attribute("data-connection", "offline")

    # The dashboard is back, with an announcement the page has not seen: its first frame.
    server = start_server(at=WEDNESDAY_MORNING, config=config, data=data, port=server.port)
    assert announce(server.url, token).status_code == 201
    expect(now.locator(".banner")).to_have_text(ANNOUNCEMENT, timeout=BACK_WITHIN_MS)
    expect(html).to_have_attribute("data-connection", "online")
    expect(page.locator(".connection")).to_be_hidden()
    expect(now.locator(f'.current[data-slot="{MORNING}"]')).to_be_visible()
    assert watched.navigations == 1
    watched.assert_clean(allow=offline_noise)


# --- 2. a silent drop ---------------------------------------------------------------------------


def test_a_silent_drop_is_given_up_after_dead_after_and_the_display_resynchronises(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    server = start_server(at=WEDNESDAY_MORNING, config=fast_config(tmp_path / "config"))
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    sockets = watch_sockets(page)
    open_display(page, server)
    html, mark = page.locator("html"), page.locator(".connection")
    assert closes(page) == 0

    with stopped(server):
        # Nothing arrives and nothing closes; after 3 s of silence the page gives the link up.
        expect(html).to_have_attribute("data-connection", "offline", timeout=BACK_WITHIN_MS)
        expect(mark).to_have_text(re.compile(r"^Offline since 11(\.0\d)? a\.m\.$"))
        assert closes(page) >= 1
        expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()

    expect(html).to_have_attribute("data-connection", "online", timeout=BACK_WITHIN_MS)
    expect(mark).to_be_hidden()
    connected = [frames for frames in sockets if frames]
    assert len(connected) >= 2, [len(frames) for frames in sockets]
    assert connected[-1][0].startswith('<section id="display-now"'), "not the full state first"
    assert watched.navigations == 1
    watched.assert_clean(allow=offline_noise)


# --- 3. an attempt stuck while connecting -------------------------------------------------------


@contextlib.contextmanager
def unanswering_listener(port: int) -> Iterator[list[socket.socket]]:
    """A TCP socket listening on ``port`` that accepts every connection and never answers, so
    each WebSocket handshake stays pending (a hung server, a proxy that lost its upstream).
    Yields the connections accepted so far."""
    accepted: list[socket.socket] = []
    listener = socket.create_server(("127.0.0.1", port))
    listener.settimeout(0.05)
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield accepted
    finally:
        done.set()
        thread.join(5)
        listener.close()
        for connection in accepted:
            connection.close()


def test_an_attempt_stuck_connecting_is_abandoned_and_tried_again(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    config, data = fast_config(tmp_path / "config"), tmp_path / "data"
    token = accounts(data, tokens=(("operations", "secretariat", None),))["operations"]
    server = start_server(at=WEDNESDAY_MORNING, config=config, data=data)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    open_display(page, server)
    html = page.locator("html")

    stop_server(server)
    expect(html).to_have_attribute("data-connection", "offline")
    with unanswering_listener(server.port) as accepted:
        # The first attempt that reaches the listener hangs; after 2 s the page gives it up
        # (it hangs up) and makes another.
        wait_for(lambda: len(accepted) >= 2, BACK_WITHIN_MS / 1000, "a new attempt")
        first = accepted[0]
        first.settimeout(5)
        sent = b""
        while chunk := first.recv(4096):  # until the page hangs up
            sent += chunk
        assert b"upgrade: websocket" in sent.lower(), sent[:200]
        expect(html).to_have_attribute("data-connection", "offline")

    server = start_server(at=WEDNESDAY_MORNING, config=config, data=data, port=server.port)
    assert announce(server.url, token).status_code == 201
    expect(page.locator("#display-now .banner")).to_have_text(ANNOUNCEMENT, timeout=BACK_WITHIN_MS)
    expect(html).to_have_attribute("data-connection", "online")
    assert watched.navigations == 1
    watched.assert_clean(allow=offline_noise)


# --- 4. a hung /api/time ------------------------------------------------------------------------


def test_a_hung_time_request_neither_blocks_nor_delays_the_flips(
    start_server: StartServer, new_page: NewPage
) -> None:
    """Every /api/time request is held, never answered.  The page's clock starts from the
    page itself, so it shows the time and turns to the afternoon at 3 p.m. by its own timeline
    (the server frozen: nothing is pushed) while its time request is still pending; the request
    is abandoned later, after its timeout."""
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    held: list[Route] = []
    failed: list[str] = []

    def hold(route: Route) -> None:
        held.append(route)  # and never answer

    page.route("**/api/time", hold)

    def on_failed(request: Request) -> None:
        if "/api/time" in request.url:
            failed.append(request.failure or "")

    page.on("requestfailed", on_failed)
    # 25 venue seconds before 3 p.m., 10 venue seconds a real second.
    server = start_server(at="2023-12-13T14:59:35", speed=10)
    page.goto(f"{server.url}/display/cr4")
    now = page.locator("#display-now")
    expect(page.locator("[data-clock=time]")).to_have_text("2.59 p.m.")
    status = now.locator(".status").inner_text()
    assert status == "Starts in 1 min", f"{status!r}: was 3 p.m. past when the page loaded?"
    expect(page.locator("html")).to_have_attribute("data-connection", "online")

    with stopped(server):
        expect(now.locator(f'.current[data-slot="{AFTERNOON}"]')).to_be_visible(timeout=10_000)
        assert held, "the page did not ask for the time"
        assert failed == [], "the flip waited for the time request to time out"
        assert page.locator("html").get_attribute("data-clock-synced") is None
        expect(page.locator("[data-clock=time]")).to_have_text("3 p.m.")
        # The hung request is given up: the page does not wait on it forever.
        for _ in range(100):
            if failed:
                break
            page.wait_for_timeout(100)
        assert failed, "the time request was never abandoned"
    watched.assert_clean()


# --- 5. a new build: reload at a quiet moment, never offline ------------------------------------


def test_a_display_reloads_for_a_new_build_at_a_quiet_moment_never_offline(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    config, data = fast_config(tmp_path / "config"), tmp_path / "data"
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    page.add_init_script(RECORD_UNLOAD)
    server = start_server(at="2023-12-13T14:58:00", speed=10, config=config, data=data)
    open_display(page, server)
    html, now = page.locator("html"), page.locator("#display-now")
    old_build = page.locator("body").get_attribute("data-build")

    # The deploy: the server starts again with other templates' text (French), 40 venue
    # seconds before 3 p.m.
    stop_server(server)
    (config / "settings.toml").write_text(f'language = "fr"\n{FAST}', encoding="utf-8")
    server = start_server(
        at="2023-12-13T14:59:20", speed=10, config=config, data=data, port=server.port
    )
    served = re.search(
        r'<body [^>]*data-build="(\w+)"', httpx.get(f"{server.url}/display/cr4").text
    )
    assert served is not None
    new_build = served.group(1)
    assert new_build != old_build

    # The page hears of it in its first frame, but 3 p.m. is less than a minute away.  The
    # server then freezes over 3 p.m. and the quiet minute after: the page, offline, turns to
    # the afternoon by itself and does not reload.
    expect(page.locator("#heartbeat")).to_have_attribute("data-build", new_build)
    with stopped(server):
        expect(html).to_have_attribute("data-connection", "offline", timeout=BACK_WITHIN_MS)
        quiet_since = epoch_ms("2023-12-13T15:01:30")
        page.wait_for_function(f"() => window.dashboardClock.now() > {quiet_since}")
        expect(now.locator(f'.current[data-slot="{AFTERNOON}"]')).to_be_visible()
        assert watched.navigations == 1, "reloaded before the quiet minute after 3 p.m."
        expect(html).to_have_attribute("lang", "en")

    # Back online at a quiet moment: the page reloads itself into the new build.
    expect(html).to_have_attribute("lang", "fr", timeout=30_000)
    expect(page.locator("body")).to_have_attribute("data-build", new_build)
    expect(html).to_have_attribute("data-connection", "online")
    expect(now.locator(f'.current[data-slot="{AFTERNOON}"]')).to_be_visible()
    unloaded = json.loads(page.evaluate("() => sessionStorage.getItem('__unloaded')"))
    assert unloaded["build"] == old_build
    assert unloaded["connection"] == "online"
    three = epoch_ms("2023-12-13T15:00")
    assert unloaded["venue"] - three >= 60_000, "reloaded within a minute of 3 p.m."
    assert watched.navigations == 2
    watched.assert_clean(allow=offline_noise)


# --- 6. the offline mark in the page's language -------------------------------------------------


@pytest.mark.parametrize(
    ("language", "mark_text"),
    [
        ("en", r"^Offline since 11(\.0\d)? a\.m\.$"),
        ("fr", r"^Hors ligne depuis 11:0\d$"),
        ("ar", r"^غير متصل منذ 11:0\d ص$"),
    ],
)
def test_the_offline_mark_speaks_the_page_language(
    language: str,
    mark_text: str,
    start_server: StartServer,
    new_page: NewPage,
    tmp_path: Path,
    artifacts: Path,
) -> None:
    config, data = fast_config(tmp_path / "config", language), tmp_path / "data"
    server = start_server(at=WEDNESDAY_MORNING, config=config, data=data)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    open_display(page, server)
    html, mark = page.locator("html"), page.locator(".connection")
    expect(html).to_have_attribute("lang", language)

    stop_server(server)
    expect(html).to_have_attribute("data-connection", "offline")
    expect(mark).to_have_text(re.compile(mark_text))
    page.screenshot(path=artifacts / f"display-{language}-offline.png")

    start_server(at=WEDNESDAY_MORNING, config=config, data=data, port=server.port)
    expect(html).to_have_attribute("data-connection", "online", timeout=BACK_WITHIN_MS)
    expect(mark).to_be_hidden()
    page.screenshot(path=artifacts / f"display-{language}-reconnected.png")
    assert watched.navigations == 1
    watched.assert_clean(allow=offline_noise)
