"""The console's one-tap actions (issue 11, items 2 and 3) in Chromium, against real servers:
from log-in, each of the officer's common flows takes at most two interactions once the room
is chosen (a chair of one room has it chosen), and an open display shows the change, then
shows it taken back:

* running 10 minutes late (one tap), then Undo (one tap);
* suspended (open, Send), then Resumed (one tap);
* moved to another room (open, Send: the other room is the default), then Undo;
* an announcement with the default expiry (open, type the text, Send), the expiry shown before
  sending and in the "Sent" message.

Each action's small form shows its own fields only; the preview is the screens' own rendering
and names the meeting it acts on.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Locator, Page, expect

from tests._staff import accounts
from tests.conftest import Server

from .conftest import Watched
from .test_console import BEFORE_TEN, log_in, open_display
from .test_console_words import two_rooms

StartServer = Callable[..., Server]
NewPage = Callable[..., Watched]
UNDER_WAY = "2023-12-13T10:30:00"  # the 10 a.m. meeting is under way


def chair_server(start_server: StartServer, tmp_path: Path, at: str) -> Server:
    """Two rooms; the chair may act on both (a move needs the room moved to as well)."""
    data = tmp_path / "data"
    config = two_rooms(tmp_path / "config")
    accounts(data, users=(("alice", "chair", "cr4,cr1"),), config=config)
    return start_server(at=at, config=config, data=data)


def action(page: Page, name: str) -> Locator:
    """An action that needs a value: its small form, opened (one interaction)."""
    details = page.locator(f'#console-actions details[data-action="{name}"]')
    details.locator("summary").click()
    expect(details.locator("form")).to_be_visible()
    return details


def test_running_ten_minutes_late_then_undo(
    start_server: StartServer, new_page: NewPage, artifacts: Path, tmp_path: Path
) -> None:
    server = chair_server(start_server, tmp_path, BEFORE_TEN)
    display = open_display(new_page, server)
    late = display.page.locator("#display-now .next .late")
    expect(late).to_have_count(0)
    console = log_in(new_page, server)
    page = console.page
    # The meeting picker: the room's meetings of the day, the current or next by default.
    picker = page.locator("#a-slot")
    expect(picker).to_have_value("")
    expect(picker.locator("option")).to_have_count(3)  # the default, then 10 a.m. and 3 p.m.

    page.get_by_role("button", name="+10 min").click()  # 1
    expect(late).to_contain_text("Expected to start at 10.10 a.m.")
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Running 10 minutes late")
    expect(page.locator("#console-cr4 .screen-mirror .late")).to_contain_text("10.10 a.m.")

    listed = page.locator('#console-cr4 li[data-kind="late"]')
    listed.get_by_role("button", name="Undo").click()  # 1
    expect(late).to_have_count(0)
    expect(display.page.locator("#display-now .next .when")).to_contain_text("10 a.m.–1 p.m.")
    expect(page.locator("#console-message .ok")).to_have_text("Undone: Running 10 minutes late")

    # Another tap is a new override, not a replay of the first (the form key was renewed); a
    # double tap sends once.
    page.get_by_role("button", name="+15 min").dblclick()
    expect(late).to_contain_text("Expected to start at 10.15 a.m.")
    expect(page.locator("#console-cr4 li[data-override]")).to_have_count(1)
    # After the sends: a full-page screenshot leaves style="" on elements, which an
    # out-of-band swap then copies (a CSP report that is the screenshot's, not the page's).
    page.screenshot(path=artifacts / "console-actions.png", full_page=True)
    display.assert_clean()
    console.assert_clean()


def test_suspend_then_resume(
    start_server: StartServer, new_page: NewPage, artifacts: Path, tmp_path: Path
) -> None:
    server = chair_server(start_server, tmp_path, UNDER_WAY)
    display = new_page(viewport={"width": 1920, "height": 1080})
    display.page.goto(f"{server.url}/display/cr4")
    expect(display.page.locator("html")).to_have_attribute("data-connection", "online")
    headline = display.page.locator("#display-now")
    expect(headline).not_to_contain_text("Suspended")
    console = log_in(new_page, server)
    page = console.page

    form = action(page, "suspend")  # 1
    # Its own fields only: the expected resume time (optional), no minutes, no text.
    expect(form.locator("input:not([type=hidden]), select, textarea")).to_have_count(1)
    form.get_by_role("button", name="Preview").click()
    preview = page.locator("#console-preview")
    expect(preview.locator(".chosen")).to_contain_text("Acts on the meeting of")
    expect(preview).to_contain_text("Suspended")
    expect(headline).not_to_contain_text("Suspended")  # a preview changes nothing
    form.get_by_role("button", name="Send").click()  # 2
    expect(headline).to_contain_text("Suspended")
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Suspended")
    expect(preview.locator(".preview")).to_have_count(0)  # sent: the preview is out of date
    page.get_by_role("button", name="Resumed").click()  # 1
    expect(headline).not_to_contain_text("Suspended")
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Resumed")

    # Resumed again makes no sense now: the server says why, by the action.
    page.get_by_role("button", name="Resumed").click()
    expect(page.locator("#console-message .error")).to_contain_text("is not suspended")
    page.screenshot(path=artifacts / "console-actions-resumed.png", full_page=True)
    display.assert_clean()
    console.assert_clean()


def test_move_to_another_room_then_undo(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    server = chair_server(start_server, tmp_path, BEFORE_TEN)
    display = open_display(new_page, server)
    console = log_in(new_page, server)
    page = console.page

    form = action(page, "move")  # 1
    expect(form.locator("#a-move-to")).to_have_value("cr1")  # the only other room
    form.get_by_role("button", name="Send").click()  # 2
    moved = display.page.locator("#display-now")
    expect(moved).to_contain_text("Moved to Conference Room 1")
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Moved to Conference Room 1")

    # Undo, from the "Sent" message this time (one tap, by the action).
    page.locator("#console-message").get_by_role("button", name="Undo").click()
    expect(moved).not_to_contain_text("Moved to")
    expect(page.locator("#console-message .ok")).to_have_text("Undone: Moved to Conference Room 1")
    expect(display.page.locator("#display-now .next .when")).to_contain_text("10 a.m.–1 p.m.")
    display.assert_clean()
    console.assert_clean()


def test_announcement_with_the_default_expiry(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    server = chair_server(start_server, tmp_path, BEFORE_TEN)
    display = open_display(new_page, server)
    console = log_in(new_page, server)
    page = console.page

    form = action(page, "announce")  # 1
    expect(form.locator("#a-announce-hint")).to_have_text(
        "If left empty, an announcement is shown until 6 p.m., when the day's last meeting ends."
    )
    expect(form.locator("#a-announce-expires")).to_have_value("")
    form.locator("#a-announce-text").fill("Coffee is served in the lounge")
    form.get_by_role("button", name="Send").click()  # 2
    expect(display.page.locator("#display-now .banner")).to_have_text(
        "Coffee is served in the lounge"
    )
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Announcement")
    expect(page.locator("#console-message .expiry")).to_have_text("Shown until 6 p.m.")
    # Sent: the small form closes, emptied (a second Send would be a second announcement).
    expect(form.locator("form")).to_be_hidden()
    expect(form.locator("#a-announce-text")).to_have_value("")

    page.locator('#console-cr4 li[data-kind="announce"]').get_by_role("button", name="Undo").click()
    expect(display.page.locator("#display-now .banner")).to_have_count(0)
    display.assert_clean()
    console.assert_clean()


def test_extend_defaults_to_half_an_hour_more(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    server = chair_server(start_server, tmp_path, UNDER_WAY)
    console = log_in(new_page, server)
    page = console.page
    form = action(page, "extend")
    expect(form.locator("#a-extend-until")).to_have_value("2023-12-13T13:30")
    form.get_by_role("button", name="Preview").click()
    expect(page.locator("#console-preview")).to_contain_text("1.30 p.m.")
    console.assert_clean()


def test_choosing_another_room_gives_its_meetings_and_defaults(
    start_server: StartServer, new_page: NewPage, tmp_path: Path
) -> None:
    server = chair_server(start_server, tmp_path, BEFORE_TEN)
    console = log_in(new_page, server)
    page = console.page
    actions = page.locator("#console-actions")
    expect(actions).to_have_attribute("data-room", "cr4")
    page.select_option("#a-room", "cr1")  # choosing the room
    expect(actions).to_have_attribute("data-room", "cr1")
    # Its own meetings of the day (one briefing, over), and its own default expiry.
    expect(page.locator("#a-slot option")).to_have_count(2)
    expect(page.locator("#a-slot")).to_contain_text("Briefing for delegations")
    form = action(page, "announce")
    expect(form.locator("#a-announce-hint")).to_have_text(
        "If left empty, an announcement is shown until midnight, as no meeting is left today."
    )
    expect(form.locator("#a-announce-text")).to_be_focused()  # opened: typing goes there
    page.keyboard.type("Room 1 is closed for cleaning")
    form.get_by_role("button", name="Send").click()
    expect(page.locator('#console-cr1 li[data-kind="announce"]')).to_contain_text(
        "Room 1 is closed for cleaning"
    )
    expect(page.locator('#console-cr4 li[data-kind="announce"]')).to_have_count(0)
    # Moves offered from cr1: to cr4 only.
    expect(page.locator("#a-move-to option")).to_have_text(["Conference Room 4"])
    console.assert_clean()
