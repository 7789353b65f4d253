"""The console's words in a real browser (issue 10, items 4, 8 and 9): the default expiry of an
announcement is visible by its field (and follows the room chosen), in the preview and in the
"Sent" message; Undo names what it undid; the history tells states apart; Arabic reads right to
left on a desk and on a phone.  And every time the pages' scripts write (the display's clock,
"Offline since …") is in the same style as the server's, in each language; programme
sub-items and items share one bullet.  Screenshots go to the artifacts folder."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, ViewportSize, expect

from dashboard.i18n import Formatter
from tests._staff import PASSWORD, accounts
from tests.conftest import SHIPPED_NOTE, Server, make_config

from .conftest import Watched
from .test_console import open_every_field

StartServer = Callable[..., Server]
NewPage = Callable[..., Watched]
DESK: ViewportSize = {"width": 1280, "height": 1000}
PHONE: ViewportSize = {"width": 390, "height": 844}
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
NY = ZoneInfo("America/New_York")
BEFORE_TEN = "2023-12-13T09:55:00"
# Conference Room 1: one early briefing on Wednesday, over by 9.55 a.m.
SIDE_NOTE = """Working group on testing Second session New York, 11–15 December 2023

Wednesday, 13 December
8–9.30 a.m.\tBriefing for delegations
Thursday, 14 December
10 a.m.–1 p.m.\tInformal consultations
"""


def two_rooms(folder: Path, language: str = "en") -> Path:
    files = {"side.txt": SIDE_NOTE}
    if language != "en":
        files["settings.toml"] = f'language = "{language}"\n'
    rooms = [
        ("cr4", "Conference Room 4", SHIPPED_NOTE.name),
        ("cr1", "Conference Room 1", "side.txt"),
    ]
    return make_config(folder, rooms=rooms, files=files)


def log_in(new_page: NewPage, server: Server, viewport: ViewportSize) -> Watched:
    console = new_page(viewport=viewport)
    page = console.page
    page.goto(f"{server.url}/chair")
    page.fill("#name", "sam")
    page.fill("#password", PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("html")).to_have_attribute("data-connection", "online")
    open_every_field(page)
    return console


def fits(page: Page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the console is {scroll} px wide on a {width} px screen"


def test_the_console_shows_the_default_expiry_and_what_undo_undid(
    start_server: StartServer, new_page: NewPage, artifacts: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    accounts(data, users=(("sam", "secretariat", None),))
    server = start_server(at=BEFORE_TEN, config=two_rooms(tmp_path / "config"), data=data)
    console = log_in(new_page, server, DESK)
    page = console.page
    expect(page.locator(".site-head [data-logged-in]")).to_have_text(
        "Logged in as sam (secretariat)"
    )

    # By the field, before anything is sent: the default for the room chosen.
    hint = page.locator("#f-expires-hint")
    expect(hint).to_have_text(
        "If left empty, an announcement is shown until 6 p.m., when the day's last meeting ends."
    )
    expect(page.locator("#f-expires")).to_have_attribute("aria-describedby", "f-expires-hint")
    page.select_option("#f-room", "cr1")  # its only meeting today is over
    expect(hint).to_have_text(
        "If left empty, an announcement is shown until midnight, as no meeting is left today."
    )
    page.select_option("#f-room", "all")  # the latest end of all rooms
    expect(hint).to_contain_text("until 6 p.m.")
    page.select_option("#f-room", "cr4")

    # The preview and the "Sent" message say it too.
    page.select_option("#f-kind", "announce")
    page.fill("#f-text", "Coffee is served in the lounge")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#console-preview .expiry")).to_have_text("Shown until 6 p.m.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Announcement")
    expect(page.locator("#console-message .expiry")).to_have_text("Shown until 6 p.m.")

    # A standing notice, kept until undone.
    page.fill("#f-text", "Badges are collected at the entrance")
    page.check("#f-keep")
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#console-preview .expiry")).to_have_text("Shown until it is undone")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#console-message .expiry")).to_have_text("Shown until it is undone")
    page.uncheck("#f-keep")

    # Undo names what it undid.
    page.select_option("#f-kind", "late")
    page.fill("#f-minutes", "15")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Running 15 minutes late")
    late = page.locator('#console-cr4 li[data-kind="late"]')
    page.screenshot(path=artifacts / "console-words-en.png", full_page=True)
    late.get_by_role("button", name="Undo").click()
    expect(page.locator("#console-message .ok")).to_have_text("Undone: Running 15 minutes late")
    expect(late).to_have_count(0)

    page.goto(f"{server.url}/chair/history?room=cr4")
    rows = page.locator("table.history tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.nth(0)).to_contain_text("Undone: Running 15 minutes late")
    expect(rows.nth(0).locator("td").nth(0)).to_have_text("Wed 13 Dec, 9.55 a.m.")
    expect(rows.nth(1).locator("td").nth(3)).to_have_text("Undone")
    expect(rows.nth(2).locator("td").nth(3)).to_contain_text("In force")
    expect(page.locator("table.history")).not_to_contain_text("Ended")
    page.screenshot(path=artifacts / "console-history-en.png", full_page=True)
    console.assert_clean()

    phone = log_in(new_page, server, PHONE)
    expect(phone.page.locator("#f-expires-hint")).to_contain_text("until 6 p.m.")
    fits(phone.page, PHONE["width"])
    phone.page.screenshot(path=artifacts / "console-words-en-phone.png", full_page=True)
    phone.assert_clean()


def test_the_console_in_arabic(
    start_server: StartServer, new_page: NewPage, artifacts: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    accounts(data, users=(("sam", "secretariat", None),))
    server = start_server(at=BEFORE_TEN, config=two_rooms(tmp_path / "config", "ar"), data=data)
    for viewport, name in ((DESK, "console-words-ar.png"), (PHONE, "console-words-ar-phone.png")):
        console = log_in(new_page, server, viewport)
        page = console.page
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator(".site-head [data-logged-in]")).to_have_text(
            "تم تسجيل الدخول باسم sam (الأمانة)"
        )
        expect(page.locator("#f-expires-hint")).to_have_text(
            "إذا تُرك الحقل فارغاً، يُعرض الإعلان حتى الساعة 6:00 م، أي عند انتهاء آخر جلسة في اليوم."
        )
        page.select_option("#f-kind", "late")
        page.fill("#f-minutes", "10")
        page.locator("#override-form button[type=submit]").click()
        undo = page.locator('#console-cr4 li[data-kind="late"] button.undo')
        expect(undo).to_have_count(1)
        page.select_option("#f-kind", "announce")
        page.fill("#f-text", "Coffee is served in the lounge")
        page.locator("#override-form button[type=button]").click()  # the preview
        expect(page.locator("#console-preview .expiry")).to_have_text("يُعرض حتى الساعة 6:00 م")
        undo.click()
        expect(page.locator("#console-message .ok")).to_contain_text("سُحب: ")
        expect(page.locator("#console-message .ok")).not_to_contain_text("clear")
        fits(page, viewport["width"])
        page.screenshot(path=artifacts / name, full_page=True)
        console.assert_clean()
    history = new_page(viewport=DESK)
    history.page.context.add_cookies(page.context.cookies())
    history.page.goto(f"{server.url}/chair/history?room=cr4")
    first = history.page.locator("table.history tbody tr").first
    expect(first.locator("td").nth(0)).to_have_text("الأربعاء، 13 ديسمبر، 9:55 ص")
    history.page.screenshot(path=artifacts / "console-history-ar.png", full_page=True)
    history.assert_clean()


# --- one time style per language ---------------------------------------------------------------

INSTANTS = [datetime(2023, 12, 13, h, m, tzinfo=NY) for h, m in ((0, 0), (9, 5), (12, 0), (15, 15))]


@pytest.mark.parametrize(
    ("language", "clock"),
    [("en", "11 a.m."), ("fr", "11:00"), ("zh", "11:00"), ("ar", "11:00 ص")],
)
def test_the_pages_write_times_as_the_server_does(
    language: str, clock: str, start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    files = {"settings.toml": f'language = "{language}"\n'} if language != "en" else {}
    config = make_config(tmp_path / "config", files=files)
    server = start_server(at="2023-12-13T11:00:00", speed=0.001, config=config)
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    page.goto(f"{server.url}/display/cr4")
    expect(page.locator("html")).to_have_attribute("data-clock-synced", "true")
    # The display's clock: the same style as every other time, to the minute.
    expect(page.locator("[data-clock=time]")).to_have_text(clock)
    fmt = Formatter(language)
    expect(page.locator("[data-clock=date]")).to_have_text(fmt.day(date(2023, 12, 13)))
    written = page.evaluate(
        "(ms) => ms.map((m) => window.dashboardClock.timeText(m))",
        [int(t.timestamp() * 1000) for t in INSTANTS],
    )
    assert written == [fmt.time(t) for t in INSTANTS]
    assert page.evaluate("window.dashboardClock.clockText") is not None
    watched.assert_clean()


def test_programme_items_and_sub_items_share_one_bullet(
    start_server: StartServer, new_page: NewPage
) -> None:
    server = start_server(at="2023-12-11T09:00:00")
    watched = new_page(viewport=PHONE)
    page = watched.page
    page.goto(f"{server.url}/rooms/cr4")
    bullets = page.evaluate(
        """() => [...document.querySelectorAll('.details > li')].map((li) => [
            li.classList.contains('sub'), getComputedStyle(li).listStyleType, li.textContent])"""
    )
    assert any(sub for sub, _, _ in bullets), "no sub-item to compare with"
    for sub, style, text in bullets:
        if sub:  # printed with its own "• "
            assert (style, text[:2]) == ("none", "• "), (style, text)
        else:
            assert style == "disc", (style, text)
    watched.assert_clean()
