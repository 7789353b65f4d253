"""The delegates' phone views in a real browser: the room page (light and dark), the overview,
and the room page following the programme live."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.conftest import Server

from .conftest import Watched, contrast

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
MORNING = "2023-12-13-1000"  # Wed 13 Dec, 10 a.m.–1 p.m.
AFTERNOON = "2023-12-13-1500"
# Text that must stay readable (WCAG AA for normal text) in either colour scheme.
READABLE = [
    "h1",
    ".site-head .meeting",
    "#room-now .status",
    "#room-now .current .when",
    "#room-now .current .headline",
    "#room-now .next .headline",
    "#room-day .current .title",
    "#room-day .badge",
    ".footnotes li",
    ".site-foot p",
]


def assert_phone_width(page: Page) -> None:
    width = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page scrolls sideways on a phone: {width}"


def check_room_page(page: Page) -> None:
    """/rooms/cr4 at 11 a.m. on Wednesday 13 December."""
    expect(page.locator("h1")).to_have_text("Conference Room 4")
    expect(page.locator("#room-now .status")).to_have_text("In session")
    expect(page.locator(f'#room-now .current[data-slot="{MORNING}"] .headline')).to_have_text(
        "Confidence-building measures [from para. 1, resolution 75/240]"
    )
    expect(page.locator(f'#room-now .next[data-slot="{AFTERNOON}"]')).to_be_visible()
    # Today's programme marks the slot under way, and only that one.
    expect(page.locator("#room-day [aria-current]")).to_have_count(1)
    marked = page.locator(f'#room-day li[data-slot="{MORNING}"]')
    expect(marked).to_have_attribute("aria-current", "true")
    expect(marked.locator(".badge")).to_have_text("Now")
    expect(page.locator("#room-day h2")).to_contain_text("Wednesday 13 December")
    # The footnotes the week refers to.
    notes = page.locator("section.footnotes")
    expect(notes.locator("h2")).to_have_text("Notes")
    expect(notes.locator("li")).to_have_count(2)
    expect(page.locator('.week a[href="#fn-2"]')).to_have_count(1)
    expect(page.locator("#fn-2")).to_contain_text("documents.unoda.org")
    assert_phone_width(page)
    for selector in READABLE:
        ratio = contrast(page, selector)
        assert ratio >= 4.5, f"{selector}: contrast {ratio:.2f}:1 is below 4.5:1"


def test_phone_room_page(
    start_server: Callable[..., Server], new_page: Callable[..., Watched], artifacts: Path
) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    watched = new_page(**PHONE, color_scheme="light")
    page = watched.page
    page.goto(f"{server.url}/rooms/cr4")
    check_room_page(page)
    expect(page.locator("body")).to_have_css("background-color", "rgb(255, 255, 255)")
    page.screenshot(path=artifacts / "phone-room.png")
    watched.assert_clean()


def test_phone_room_page_dark(
    start_server: Callable[..., Server], new_page: Callable[..., Watched], artifacts: Path
) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    watched = new_page(**PHONE, color_scheme="dark")
    page = watched.page
    page.goto(f"{server.url}/rooms/cr4")
    check_room_page(page)
    expect(page.locator("body")).to_have_css("background-color", "rgb(18, 18, 18)")
    page.screenshot(path=artifacts / "phone-room-dark.png")
    watched.assert_clean()


def test_phone_overview_links_to_the_room(
    start_server: Callable[..., Server], new_page: Callable[..., Watched], artifacts: Path
) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    watched = new_page(**PHONE)
    page = watched.page
    page.goto(f"{server.url}/")
    card = page.locator("li#card-cr4")
    expect(card.locator(".status")).to_have_text("In session")
    expect(card.locator(".headline")).to_have_text(
        "Confidence-building measures [from para. 1, resolution 75/240]"
    )
    link = card.locator('a[href="/rooms/cr4"]')
    expect(link).to_have_text("Conference Room 4")
    assert_phone_width(page)
    page.screenshot(path=artifacts / "phone-overview.png")

    link.tap()
    expect(page).to_have_url(f"{server.url}/rooms/cr4")
    expect(page.locator("h1")).to_have_text("Conference Room 4")
    watched.assert_clean()


def test_phone_room_page_follows_the_programme_live(
    start_server: Callable[..., Server], new_page: Callable[..., Watched]
) -> None:
    watched = new_page(**PHONE)
    page = watched.page
    server = start_server(at="2023-12-13T12:59:15", speed=10)
    page.goto(f"{server.url}/rooms/cr4")
    status = page.locator("#room-now .status")
    shown = status.inner_text()
    assert shown == "In session", f"{shown!r}: was 1 p.m. already past when the page loaded?"
    expect(page.locator(f'#room-day li[data-slot="{MORNING}"]')).to_have_attribute(
        "aria-current", "true"
    )
    page.evaluate("() => { window.__sameDocument = true; }")

    # 1 p.m.: the morning ends; the WebSocket brings the new state, no reload.
    expect(status).to_have_text("Next at 3 p.m.", timeout=15_000)
    expect(status).to_have_attribute("data-status", "next_today")
    expect(page.locator("#room-now .current")).to_have_count(0)
    expect(page.locator(f'#room-now .next[data-slot="{AFTERNOON}"]')).to_be_visible()
    expect(page.locator("#room-day [aria-current]")).to_have_count(0)
    assert page.evaluate("() => window.__sameDocument") is True, "the page was reloaded"
    assert watched.navigations == 1
    watched.assert_clean()
