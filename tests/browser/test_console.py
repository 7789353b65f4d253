"""The console in a real browser: a chair logs in, says the meeting runs late, and the room's
display shows it within a second; Undo takes it back.  No console errors, no CSP violations.

The staff account is made with the ``dashboard`` command line, on the server's data folder.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, expect

from tests._staff import PASSWORD, accounts
from tests.conftest import SHIPPED_NOTE, Server

from .conftest import Watched

StartServer = Callable[..., Server]
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
DESK: ViewportSize = {"width": 1280, "height": 1000}
PHONE: ViewportSize = {"width": 390, "height": 844}
BEFORE_TEN = "2023-12-13T09:55:00"  # the 10 a.m. meeting is next


def staff_server(start_server: StartServer, tmp_path: Path) -> Server:
    data = tmp_path / "data"
    accounts(data, users=(("alice", "chair", "cr4"),))
    return start_server(at=BEFORE_TEN, data=data)


def open_display(new_page: Callable[..., Watched], server: Server) -> Watched:
    display = new_page(viewport=LANDSCAPE)
    display.page.goto(f"{server.url}/display/cr4")
    # Live: the socket delivered its first frame.
    expect(display.page.locator("html")).to_have_attribute("data-connection", "online")
    expect(display.page.locator("#display-now .next")).to_contain_text("10 a.m.–1 p.m.")
    return display


def log_in(
    new_page: Callable[..., Watched],
    server: Server,
    name: str = "alice",
    role: str = "chair",
    viewport: ViewportSize = DESK,
) -> Watched:
    console = new_page(viewport=viewport)
    page = console.page
    page.goto(f"{server.url}/chair")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("h1")).to_have_text("Console")
    expect(page.locator(".site-head [data-logged-in]")).to_have_text(
        f"Logged in as {name} ({role})"
    )
    expect(page.locator("html")).to_have_attribute("data-connection", "online")
    expect(page.locator("#console-cr4 .empty")).to_be_visible()
    open_every_field(page)
    return console


def open_every_field(page: Page) -> None:
    """Open the console's form of every kind and field (below its one-tap actions)."""
    page.locator("#other-action > summary").click()
    expect(page.locator("#f-kind")).to_be_visible()


def send(page: Page, kind: str, **fields: str) -> None:
    page.select_option("#f-kind", label=kind)
    for name, value in fields.items():
        page.fill(f"#f-{name}", value)
    page.get_by_role("button", name="Send").click()


def test_running_late_reaches_the_display_and_undo_takes_it_back(
    start_server: StartServer,
    new_page: Callable[..., Watched],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    server = staff_server(start_server, tmp_path)
    display = open_display(new_page, server)
    late = display.page.locator("#display-now .next .late")
    expect(late).to_have_count(0)
    console = log_in(new_page, server)
    page = console.page

    page.select_option("#f-kind", label="Running late")
    page.fill("#f-minutes", "15")
    page.get_by_role("button", name="Send").click()
    # How fast is measured in bench/ (bench/fanout.py), not asserted here: a shared machine.
    expect(late).to_contain_text("Expected to start at 10.15 a.m.")
    expect(late).to_contain_text("(scheduled 10 a.m.)")
    expect(display.page.locator("#display-now .next .when")).to_contain_text("10.15 a.m.–1 p.m.")
    assert display.navigations == 1, "the display reloaded instead of updating live"
    display.page.screenshot(path=artifacts / "display-late.png")

    # The console says it was sent, and lists it (live, over its own socket) with an Undo.
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Running 15 minutes late")
    listed = page.locator('#console-cr4 li[data-kind="late"]')
    expect(listed).to_contain_text("Running 15 minutes late")
    expect(page.locator("#console-cr4 .screen-mirror .late")).to_contain_text(
        "Expected to start at 10.15 a.m."
    )
    page.screenshot(path=artifacts / "console.png", full_page=True)

    listed.get_by_role("button", name="Undo").click()
    expect(late).to_have_count(0)
    expect(display.page.locator("#display-now .next .when")).to_contain_text("10 a.m.–1 p.m.")
    expect(page.locator("#console-cr4 .empty")).to_be_visible()
    expect(page.locator("#console-message .ok")).to_have_text("Undone: Running 15 minutes late")

    display.assert_clean()
    console.assert_clean()


def test_one_console_page_sends_one_override_after_another(
    start_server: StartServer, new_page: Callable[..., Watched], tmp_path: Path
) -> None:
    """The form is not reloaded between sends: each send is a new override, not a retry of
    the first."""
    server = staff_server(start_server, tmp_path)
    display = open_display(new_page, server)
    console = log_in(new_page, server)
    page = console.page

    send(page, "Running late", minutes="15")
    expect(display.page.locator("#display-now .next .late")).to_contain_text("10.15 a.m.")
    send(page, "Announcement", text="Coffee is served in the lounge")
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Announcement")
    expect(display.page.locator("#display-now .banner")).to_have_text(
        "Coffee is served in the lounge"
    )
    expect(page.locator("#console-cr4 li[data-override]")).to_have_count(2)
    # A double click sends once.
    page.fill("#f-text", "Second announcement")
    page.get_by_role("button", name="Send").dblclick()
    expect(display.page.locator("#display-now .banner")).to_have_count(2)
    expect(page.locator("#console-cr4 li[data-override]")).to_have_count(3)

    display.assert_clean()
    console.assert_clean()


def test_logging_out_returns_to_the_login_form(
    start_server: StartServer, new_page: Callable[..., Watched], tmp_path: Path
) -> None:
    server = staff_server(start_server, tmp_path)
    console = log_in(new_page, server)
    page = console.page
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    # The session is over on the server too: the console needs a new login.
    page.goto(f"{server.url}/chair")
    expect(page.locator("#password")).to_be_visible()
    console.assert_clean()


def test_the_console_is_usable_on_a_phone(
    start_server: StartServer,
    new_page: Callable[..., Watched],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    server = staff_server(start_server, tmp_path)
    console = log_in(new_page, server, viewport=PHONE)
    page = console.page
    send(page, "Running late", minutes="10")
    expect(page.locator("#console-message .ok")).to_have_text("Sent: Running 10 minutes late")
    # Nothing wider than the screen: no sideways scrolling to reach a field or a button.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the console is {width} px wide on a {PHONE['width']} px phone"
    for control in ("#f-kind", "#f-minutes", "#f-text"):
        box = page.locator(control).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.screenshot(path=artifacts / "console-phone.png", full_page=True)
    console.assert_clean()


def test_the_secretariat_publishes_a_revised_programme_from_the_console(
    start_server: StartServer,
    new_page: Callable[..., Watched],
    artifacts: Path,
    tmp_path: Path,
) -> None:
    """Send a file, see what it changes, publish: the open display moves the afternoon
    meeting without reloading.  A broken file is refused with its line, and nothing changes."""
    data = tmp_path / "data"
    accounts(data, users=(("sam", "secretariat", None),))
    server = start_server(at="2023-12-13T14:00:00", data=data)
    display = new_page(viewport=LANDSCAPE)
    display.page.goto(f"{server.url}/display/cr4")
    when = display.page.locator("#display-now .next .when")
    expect(when).to_contain_text("3–6 p.m.")
    console = log_in(new_page, server, name="sam", role="secretariat")
    page = console.page
    note = SHIPPED_NOTE.read_text(encoding="utf-8")

    def send_file(name: str, text: str) -> None:
        page.set_input_files(
            "#r-file", files=[{"name": name, "mimeType": "text/plain", "buffer": text.encode()}]
        )
        page.get_by_role("button", name="Compare").click()

    send_file("broken.txt", note.replace("Wednesday, 13 December", "Wednesday, 31 June"))
    expect(page.locator("#revision-result [data-refused]")).to_contain_text("broken.txt:")
    expect(page.get_by_role("button", name="Publish to the screens")).to_have_count(0)

    send_file("revised.txt", note.replace("3–6 p.m.\tDedicated", "4–6 p.m.\tDedicated"))
    expect(page.locator('#revision-result [data-moved="2023-12-13-1500"]')).to_be_visible()
    expect(when).to_contain_text("3–6 p.m.")  # comparing changed nothing
    page.screenshot(path=artifacts / "console-revision.png", full_page=True)
    page.get_by_role("button", name="Publish to the screens").click()
    expect(page.locator("#revision-result [data-published]")).to_be_visible()
    expect(when).to_contain_text("4–6 p.m.", timeout=3000)
    assert display.navigations == 1, "the display reloaded instead of updating live"
    display.assert_clean()
    console.assert_clean()
