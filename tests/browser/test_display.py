"""The kiosk display in a real browser: live across a boundary, on the venue's clock, on one
screen without scrolling (landscape and portrait), and a readable 404."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Route, ViewportSize, expect

from tests.conftest import Server

from .conftest import Watched, assert_fits

LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
MORNING = "2023-12-13-1000"  # Wed 13 Dec, 10 a.m.–1 p.m.
AFTERNOON = "2023-12-13-1500"  # Wed 13 Dec, 3–6 p.m.: "Dedicated stakeholder session ..."
THURSDAY_MORNING = "2023-12-14-1000"
# What must be wholly on screen, whatever the orientation.
ON_SCREEN = [
    ".room-name",
    ".display-head .meeting",
    "[data-clock=time]",
    "[data-clock=date]",
    "#display-now .status",
    "#display-now .current .headline",
    "#display-now .next .headline",
    ".phone-link svg",
    ".phone-link .url",
]


def assert_nothing_cut_off(page: Page) -> None:
    """The live region clips what does not fit (overflow: hidden): nothing may be clipped."""
    sizes = page.evaluate(
        "() => { const el = document.getElementById('display-now');"
        " return [el.scrollHeight, el.clientHeight]; }"
    )
    assert sizes[0] <= sizes[1] + 1, f"#display-now content is cut off: {sizes}"


def test_display_turns_to_the_afternoon_session_live(
    start_server: Callable[..., Server], new_page: Callable[..., Watched], artifacts: Path
) -> None:
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    # 10 venue seconds are 1 real second here: starting the server and loading the page take
    # about a second of the 6 before 3 p.m. (more on a loaded machine).
    server = start_server(at="2023-12-13T14:59:00", speed=10)
    page.goto(f"{server.url}/display/cr4")
    now = page.locator("#display-now")

    # Before 3 p.m.: the morning is over, the afternoon is next.
    status = now.locator(".status").inner_text()
    assert status == "Starts in 1 min", f"{status!r}: was 3 p.m. already past when the page loaded?"
    assert now.locator(".status").get_attribute("data-status") == "next_today"
    assert now.locator(".current").count() == 0
    expect(now.locator(f'.next[data-slot="{AFTERNOON}"]')).to_contain_text(
        "Dedicated stakeholder session"
    )
    version = int(now.get_attribute("data-version") or "0")
    page.evaluate("() => { window.__sameDocument = true; }")
    expect(page.locator("html")).to_have_attribute("data-clock-synced", "true")

    # 3 p.m. arrives live (the WebSocket, or the page's own timeline); the page is not reloaded.
    expect(page.locator(f'#display-now .current[data-slot="{AFTERNOON}"]')).to_be_visible(
        timeout=15_000
    )
    # The server's clock, not the device's (which says 2026); checked first, before 3.01.
    expect(page.locator("[data-clock=time]")).to_have_text(re.compile(r"^3 p\.m\.$"), timeout=2_000)
    expect(page.locator("[data-clock=date]")).to_have_text("Wednesday 13 December")
    expect(now.locator(".status")).to_have_text("In session")
    expect(now.locator(".status")).to_have_attribute("data-status", "in_session")
    expect(now.locator(".current .headline")).to_contain_text("Dedicated stakeholder session")
    expect(now.locator(f'.next[data-slot="{THURSDAY_MORNING}"]')).to_be_visible()
    assert int(now.get_attribute("data-version") or "0") > version
    assert page.evaluate("() => window.__sameDocument") is True, "the page was reloaded"
    assert watched.navigations == 1

    expect(page.locator(".room-name")).to_have_text("Conference Room 4")
    expect(page.locator(".display-head .meeting")).to_contain_text(
        "Open-ended working group on security"
    )
    expect(page.locator(".phone-link svg")).to_be_visible()
    expect(page.locator(".phone-link .url")).to_have_text(f"{server.url}/rooms/cr4")

    assert_fits(page, ON_SCREEN)
    assert_nothing_cut_off(page)
    page.screenshot(path=artifacts / "display-landscape.png")

    page.set_viewport_size(PORTRAIT)
    assert_fits(page, ON_SCREEN)
    assert_nothing_cut_off(page)
    page.screenshot(path=artifacts / "display-portrait.png")
    watched.assert_clean()


def test_display_never_shows_the_device_clock(
    start_server: Callable[..., Server], new_page: Callable[..., Watched]
) -> None:
    """Until the page has measured the server's clock (slow here: its time requests are held
    back), it must not show the device's own time or date instead."""
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    server = start_server(at="2023-12-13T11:00:00")
    held: list[Route] = []
    holding = True

    def hold(route: Route) -> None:
        if holding:
            held.append(route)
        else:
            route.continue_()

    page.route("**/api/time", hold)
    page.goto(f"{server.url}/display/cr4")
    # The clock ticks, and the local timeline looks for a due state, every 250 ms: let several
    # ticks pass before the page knows the server's time.
    page.wait_for_timeout(800)
    assert held, "the page did not ask the server for the time"
    assert page.locator("[data-clock=date]").inner_text() == "Wednesday 13 December"
    assert re.fullmatch(r"(11(\.0\d)? a\.m\.)?", page.locator("[data-clock=time]").inner_text())
    # By the device's clock (2026) every state of the day is past; the screen must not jump
    # to the end of the day.
    assert page.locator("#display-now .status").inner_text() == "In session"
    expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()

    holding = False
    for route in held:
        route.continue_()
    expect(page.locator("html")).to_have_attribute("data-clock-synced", "true")
    expect(page.locator("[data-clock=time]")).to_have_text(re.compile(r"^11(\.0\d)? a\.m\.$"))
    expect(page.locator("[data-clock=date]")).to_have_text("Wednesday 13 December")
    expect(page.locator("#display-now .status")).to_have_text("In session")
    watched.assert_clean()


def test_unknown_room_is_a_readable_not_found_page(
    start_server: Callable[..., Server], new_page: Callable[..., Watched]
) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    response = page.goto(f"{server.url}/display/nope")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("main")).to_contain_text("There is no room called “nope”.")
    # A display's address: the list of displays, not the phone's pages.
    expect(page.locator('main a[href="/display/cr4"]')).to_have_text("Conference Room 4")
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    assert "Exception" not in body
    # Styled like the rest of the site, in plain (not error-red, bold) text.
    expect(page.locator("link[rel=stylesheet]")).to_have_count(1)
    expect(page.locator("main p").first).to_have_css("font-weight", "400")
    # The 404 status of the page itself is reported as a failed load; nothing else may be.
    watched.assert_clean(allow=lambda problem: "404" in problem and "/display/nope)" in problem)


def test_the_watch_catches_csp_violations_and_script_errors(
    start_server: Callable[..., Server], new_page: Callable[..., Watched]
) -> None:
    """The other tests' "no problems" means something: an inline script is refused (the CSP
    is enforced) and reported, and so is an uncaught error."""
    server = start_server(at="2023-12-13T11:00:00")
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    page.goto(f"{server.url}/display/cr4")
    watched.assert_clean()
    # The error comes last, so that when it has been reported the CSP report has been too.
    with page.expect_event("pageerror"):
        page.evaluate(
            """() => {
              const script = document.createElement("script");
              script.textContent = "window.__inlineRan = true";
              document.head.append(script);
              setTimeout(() => { throw new Error("deliberate"); }, 100);
            }"""
        )
    assert page.evaluate("() => window.__inlineRan") is None
    assert any(p.startswith("CSP: script-src") for p in watched.problems), watched.problems
    assert any("deliberate" in p for p in watched.problems), watched.problems
