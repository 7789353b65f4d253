"""The phone pages' "Add to calendar" and "Subscribe" links (issue 15, item 2), in Chromium:
the download is a calendar with every meeting of the room; in Arabic the links are Arabic."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from icalendar import Calendar
from playwright.sync_api import expect

from tests.conftest import Server, make_config

from .conftest import Watched, contrast

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
WEEK_MEETINGS = 10  # the shipped programme: ten meetings in Conference Room 4


def test_add_to_calendar_downloads_the_room_feed(
    start_server: Callable[..., Server], new_page: Callable[..., Watched], tmp_path: Path
) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    watched = new_page(**PHONE, accept_downloads=True)
    page = watched.page
    page.goto(f"{server.url}/rooms/cr4")
    add = page.get_by_role("link", name="Add to calendar")
    expect(add).to_have_attribute("href", "/rooms/cr4.ics")
    # No public address configured: the feed's own URL, to paste into a calendar app.
    expect(page.get_by_role("link", name="Subscribe")).to_have_attribute("href", "/rooms/cr4.ics")
    assert contrast(page, ".site-head .feeds a") >= 4.5
    with page.expect_download() as info:
        add.tap()
    saved = tmp_path / "cr4.ics"
    info.value.save_as(saved)
    calendar = Calendar.from_ical(saved.read_bytes())
    events = calendar.walk("VEVENT")
    assert len(events) == WEEK_MEETINGS
    assert {str(e["location"]) for e in events} == {"Conference Room 4"}
    page.goto(f"{server.url}/")
    expect(page.get_by_role("link", name="Add to calendar")).to_have_attribute(
        "href", "/programme.ics"
    )
    watched.assert_clean()


def test_in_arabic_the_links_are_arabic_and_subscribe_is_webcal(
    start_server: Callable[..., Server], new_page: Callable[..., Watched], tmp_path: Path
) -> None:
    settings = 'language = "ar"\npublic_url = "https://dash.example.org"\n'
    settings += 'allowed_hosts = ["127.0.0.1"]\n'
    config = make_config(tmp_path / "config-ar", files={"settings.toml": settings})
    server = start_server(at="2023-12-13T11:00:00", config=config)
    # A phone that asks for Arabic (phones follow their browser's language).
    watched = new_page(**PHONE, extra_http_headers={"Accept-Language": "ar"})
    page = watched.page
    page.goto(f"{server.url}/rooms/cr4")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("link", name="إضافة إلى التقويم")).to_have_attribute(
        "href", "/rooms/cr4.ics"
    )
    expect(page.get_by_role("link", name="اشتراك")).to_have_attribute(
        "href", "webcal://dash.example.org/rooms/cr4.ics"
    )
    # The language menu beside them: in French, the same feeds, named in French and in French
    # themselves (the server's language here is Arabic).
    page.locator("nav.languages").get_by_role("link", name="Français").click()
    expect(page).to_have_url(f"{server.url}/rooms/cr4?lang=fr")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("link", name="Ajouter au calendrier")).to_have_attribute(
        "href", "/rooms/cr4.ics?lang=fr"
    )
    expect(page.get_by_role("link", name="S’abonner")).to_have_attribute(
        "href", "webcal://dash.example.org/rooms/cr4.ics?lang=fr"
    )
    watched.assert_clean()
