"""The service's states to come, which a display plays by itself while offline: they include
the instant an override expires, so a screen never shows an expired override as current."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from dashboard.clock import ShiftedClock
from dashboard.domain.requests import build_override
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer
from dashboard.live.service import LiveService
from dashboard.settings import Settings
from dashboard.site import load_site
from tests.conftest import CONFIG

NY = ZoneInfo("America/New_York")
AT = datetime(2023, 12, 13, 11, 0, tzinfo=NY)
EXPIRES = datetime(2023, 12, 13, 11, 30, tzinfo=NY)


def service_with_announcement() -> LiveService:
    site = load_site(Settings.load(CONFIG))
    announcement = build_override(
        {"room": "cr4", "kind": "announce", "text": "Coffee", "expires": EXPIRES.isoformat()},
        id="o1",
        author="alice",
        now=AT,
        programmes=site.programmes,
        room_names={"cr4": "Conference Room 4"},
        allowed_rooms=None,
        existing=(),
    )
    stopped = ShiftedClock(AT, monotonic=lambda: 0.0)
    return LiveService(site, stopped, Renderer("en"), Hub(), [announcement])


def test_the_expiry_of_an_override_is_a_state_to_come() -> None:
    service = service_with_announcement()
    now = service.state_at("cr4", AT)
    assert [b.text for b in now.banners] == ["Coffee"]
    coming = service.coming_today("cr4", AT)
    assert coming[0].since == EXPIRES, [v.since for v in coming]
    assert coming[0].state.banners == ()
    assert all(v.state.banners == () for v in coming)
    # And the display's frame carries it, rendered, with its instant.
    frame = service.renderer.display_frame(service.view("cr4"), coming)
    timeline = frame[frame.index('id="display-timeline"') :]
    assert f'data-at="{int(EXPIRES.timestamp() * 1000)}"' in timeline
    assert "Coffee" not in timeline
