"""Accessibility (issue 11): axe-core (tests/browser/axe.py, vendored) finds no violation of
WCAG 2.x A and AA, nor of its best practices, on every page, in English and in Arabic (right to
left), light and dark; and every action of the console can be reached by keyboard, with a
visible focus.

One server per language, at 11 a.m. on the Wednesday of the shipped programme (a meeting in
session), with overrides in force (a delay, an announcement) made through the real API, so that
the pages show their lists, their Undo buttons and their banners."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Page, ViewportSize, expect

from tests._staff import PASSWORD, accounts, bearer
from tests.conftest import make_config, spawn_server, stop_server

from .axe import describe, violations
from .conftest import Watched

NewPage = Callable[..., Watched]
DESK: ViewportSize = {"width": 1280, "height": 1000}
PHONE: ViewportSize = {"width": 390, "height": 844}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
AT = "2023-12-13T11:00:00"
LOGIN = {"en": "Log in", "ar": "تسجيل الدخول"}


@pytest.fixture(scope="module", params=["en", "ar"])
def site(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """(language, the server's URL): a secretariat account "sam", two overrides in force."""
    language: str = request.param
    folder = tmp_path_factory.mktemp(f"a11y-{language}")
    files = {"settings.toml": f'language = "{language}"\n'}
    config = make_config(folder / "config", files=files)
    data = folder / "data"
    staff = (("sam", "secretariat", None),)
    token = accounts(data, users=staff, tokens=(("t", "secretariat", None),))
    server = spawn_server(config, data, folder / "server.log", at=AT)
    try:
        for body in (
            {"kind": "pointer", "text": "Sub-item (c): confidence-building measures"},
            {"kind": "announce", "text": "Coffee is served in the lounge"},
            {"kind": "announce", "text": "Fire alarm test at 11.30 a.m.", "priority": "urgent"},
        ):
            response = httpx.post(
                f"{server.url}/api/overrides",
                headers=bearer(token["t"]),
                json={"room": "cr4", **body},
                timeout=30,
            )
            assert response.status_code == 201, response.text
        yield language, server.url
    finally:
        stop_server(server)


def live(page: Page) -> None:
    expect(page.locator("html")).to_have_attribute("data-connection", "online")


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/chair")
    page.fill("#name", "sam")
    page.fill("#password", PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#console-cr4")).to_be_visible()
    live(page)
    expect(page.locator("#console-screens")).to_be_visible()


def test_every_page_has_no_accessibility_violation(
    site: tuple[str, str], new_page: NewPage
) -> None:
    """Each page in its states worth checking, light and dark (the displays are always dark),
    every violation listed at once."""
    language, url = site
    found: list[str] = []

    def check(watched: Watched, what: str, schemes: tuple[str, ...] = ("light", "dark")) -> None:
        for scheme in schemes:
            watched.page.emulate_media(color_scheme=scheme)
            result = violations(watched.page)
            if result:
                found.append(describe(result, f"{what} ({language}, {scheme})"))
        watched.checked = True

    login = new_page(viewport=DESK)
    login.page.goto(f"{url}/chair")
    check(login, "the login page")
    login.page.fill("#name", "sam")
    login.page.fill("#password", "wrong password")
    login.page.get_by_role("button", name=LOGIN[language]).click()
    expect(login.page.locator("p.error")).to_be_visible()
    check(login, "the login page, after a wrong password")

    console = new_page(viewport=DESK)
    page = console.page
    log_in(page, url)
    check(console, "the console")
    page.select_option("#f-kind", "announce")
    page.fill("#f-text", "Lunch is served")
    page.locator("#override-form button[type=button]").click()  # the preview
    expect(page.locator("#console-preview .preview")).to_be_visible()
    page.locator("#override-form button[type=submit]").click()
    expect(page.locator("#console-message .ok")).to_be_visible()
    check(console, "the console, with a preview and a message")

    history = new_page(viewport=DESK)
    history.page.context.add_cookies(page.context.cookies())
    history.page.goto(f"{url}/chair/history?room=cr4")
    expect(history.page.locator("table.history")).to_be_visible()
    check(history, "the history")

    for path in ("/", "/rooms/cr4"):
        phone = new_page(viewport=PHONE, is_mobile=True, has_touch=True)
        phone.page.goto(url + path)
        live(phone.page)
        check(phone, f"the phone page {path}")

    for viewport in (LANDSCAPE, PORTRAIT):
        display = new_page(viewport=viewport)
        display.page.goto(f"{url}/display/cr4")
        live(display.page)
        expect(display.page.locator("#display-now .banner").first).to_be_visible()
        size = f"{viewport['width']}×{viewport['height']}"
        check(display, f"the display /display/cr4 ({size})", ("dark",))  # always dark

    other = new_page(viewport=DESK)
    for path in ("/display/", "/rooms/nowhere"):
        other.page.goto(url + path)
        check(other, f"the page {path}")

    assert not found, "\n\n".join(found)
