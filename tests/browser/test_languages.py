"""Each reader in their language, in a real Chromium against real servers (English default):

* a phone whose browser asks for Arabic gets the room page in Arabic, right to left, then picks
  French in the language menu: the page, its live socket and the next page visited are French
  (the choice remembered, over the browser's Arabic);
* a display opened with ``?lang=fr`` is in French, whatever its browser asks for;
* a display alternating two languages shows each in turn, and both keep turning at the 3 p.m.
  boundary by themselves after the server has gone.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import ViewportSize, expect

from tests.conftest import Server

from .conftest import Watched
from .test_offline import offline_noise

StartServer = Callable[..., Server]
NewPage = Callable[..., Watched]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
AFTERNOON = "2023-12-13-1500"


def test_a_phone_in_arabic_is_right_to_left_and_can_switch_to_french(
    start_server: StartServer, new_page: NewPage, artifacts: Path
) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    watched = new_page(**PHONE, locale="ar-EG", extra_http_headers={"Accept-Language": "ar-EG,ar"})
    page = watched.page
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{server.url}/rooms/cr4")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "ar")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.locator("#room-now .status")).to_have_text("الجلسة منعقدة")
    for selector in ("body", "#room-now", "#room-day", ".languages ul"):
        direction = page.locator(selector).first.evaluate("e => getComputedStyle(e).direction")
        assert direction == "rtl", f"{selector} is {direction}"
    menu = page.locator("nav.languages")
    expect(menu).to_be_visible()
    expect(menu).to_have_attribute("aria-label", "اللغة")
    expect(menu.locator('a[aria-current="true"]')).to_have_text("العربية")
    page.screenshot(path=artifacts / "phone-room-ar.png", full_page=True)

    menu.get_by_role("link", name="Français").tap()
    expect(page).to_have_url(f"{server.url}/rooms/cr4?lang=fr")
    expect(html).to_have_attribute("lang", "fr")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.locator("#room-now .status")).to_have_text("En séance")
    expect(page.locator("html")).to_have_attribute("data-connection", "online")
    assert sockets[-1].endswith("/ws/rooms/cr4?lang=fr"), sockets
    page.screenshot(path=artifacts / "phone-room-fr.png")

    # Remembered: the overview, asked for with the browser's Arabic still, is French.
    page.goto(f"{server.url}/")
    expect(html).to_have_attribute("lang", "fr")
    expect(page.locator("h1")).to_have_text("En ce moment")
    expect(page.locator("li#card-cr4 .status")).to_have_text("En séance")
    watched.assert_clean()


def test_a_display_takes_its_language_from_its_address(
    start_server: StartServer, new_page: NewPage, artifacts: Path
) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    for name, viewport, lang, status in (
        ("fr-landscape", LANDSCAPE, "fr", "En séance"),
        ("ar-portrait", PORTRAIT, "ar", "الجلسة منعقدة"),
    ):
        watched = new_page(viewport=viewport, extra_http_headers={"Accept-Language": "es"})
        page = watched.page
        page.goto(f"{server.url}/display/cr4?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        expect(page.locator("html")).to_have_attribute("data-connection", "online")
        expect(page.locator("#display-now .status")).to_have_text(status)
        page.screenshot(path=artifacts / f"display-{name}.png")
        watched.assert_clean()


def test_an_alternating_display_shows_both_and_turns_offline(
    start_server: StartServer, new_page: NewPage, artifacts: Path
) -> None:
    # 40 venue seconds before 3 p.m. at 5 venue seconds a real second: 3 p.m. ~8 s in.
    server = start_server(at="2023-12-13T14:59:20", speed=5)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    page.goto(f"{server.url}/display/cr4?lang=en,fr&every=3s")
    english = page.locator('iframe[lang="en"]')
    french = page.locator('iframe[lang="fr"]')
    en_frame = page.frame_locator('iframe[lang="en"]')
    fr_frame = page.frame_locator('iframe[lang="fr"]')
    for frame, lang in ((en_frame, "en"), (fr_frame, "fr")):
        expect(frame.locator("html")).to_have_attribute("lang", lang)
        expect(frame.locator("html")).to_have_attribute("data-connection", "online")
    # One, then the other, then back: each language shown in turn.
    expect(french).to_be_visible(timeout=10_000)
    expect(english).to_be_hidden()
    expect(english).to_be_visible(timeout=10_000)
    expect(french).to_be_hidden()
    page.screenshot(path=artifacts / "display-alternating-en.png")

    # The server goes before 3 p.m.: both frames turn to the afternoon by themselves.
    server.process.send_signal(signal.SIGTERM)
    server.process.wait(10)
    for frame, status in ((en_frame, "In session"), (fr_frame, "En séance")):
        expect(frame.locator("html")).to_have_attribute("data-connection", "offline")
        now = frame.locator("#display-now")
        expect(now.locator(f'.current[data-slot="{AFTERNOON}"]')).to_be_visible(timeout=20_000)
        expect(now.locator(".status")).to_have_text(status)
    # And still alternating, offline.
    expect(french).to_be_visible(timeout=10_000)
    page.screenshot(path=artifacts / "display-alternating-fr-offline.png")
    expect(english).to_be_visible(timeout=10_000)
    watched.assert_clean(allow=offline_noise)
