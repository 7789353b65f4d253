"""An overnight outage (issue 9, item 12), in a real headless Chromium against a real server.

The server dies on Wednesday at 17:50 and is not started again.  The open display goes on by
itself through the evening, the night and the next morning: at 10 a.m. on Thursday it shows
Thursday's morning meeting in session, at its time, still saying it is offline.  (Before the
fix, its timeline ended at the next day's first state, and at noon on Thursday it still said
"Next at 10 a.m.")  The demo clock runs 3,600 times faster than real time: an hour a second.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import ViewportSize, expect

from tests.conftest import Server, make_config

from .conftest import Watched
from .test_offline import offline_noise, open_display

StartServer = Callable[..., Server]
NewPage = Callable[..., Watched]
LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
THURSDAY_MORNING = "2023-12-14-1000"


def test_a_display_left_alone_overnight_shows_the_next_days_meetings_at_their_times(
    start_server: StartServer, new_page: NewPage, artifacts: Path, tmp_path: Path
) -> None:
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    now = page.locator("#display-now")
    server = start_server(
        at="2023-12-13T17:50:00", speed=3600, config=make_config(tmp_path / "config")
    )
    open_display(page, server)
    # The afternoon meeting runs until 6 p.m.; in half a real second the server is gone.
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(10)
    expect(page.locator("html")).to_have_attribute("data-connection", "offline", timeout=5_000)

    # 6 p.m.: the day is over; midnight: Thursday, next at 10 a.m.; 10 a.m.: in session.
    expect(now.locator(".status")).to_have_text("Next at 10 a.m.", timeout=15_000)
    thursday = now.locator(f'.current[data-slot="{THURSDAY_MORNING}"]')
    expect(thursday).to_be_visible(timeout=20_000)
    expect(now.locator(".status")).to_have_text("In session")
    expect(thursday.locator(".when")).to_contain_text("10 a.m.–1 p.m.")
    # Still honest about where this comes from.
    expect(page.locator(".connection")).to_be_visible()
    expect(page.locator(".connection")).to_contain_text("Offline since")
    page.screenshot(path=artifacts / "display-overnight-thursday.png")
    # ... and on to Thursday afternoon.
    expect(now.locator('.current[data-slot="2023-12-14-1500"]')).to_be_visible(timeout=20_000)
    watched.assert_clean(allow=offline_noise)
