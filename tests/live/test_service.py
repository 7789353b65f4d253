"""The service's states to come, which a display plays by itself while offline: they include
the instant an override expires, so a screen never shows an expired override as current."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from dashboard.clock import ShiftedClock
from dashboard.domain.loader import load_programme
from dashboard.domain.plan import Banner
from dashboard.domain.requests import MAX_ANNOUNCEMENTS, build_override
from dashboard.domain.rooms import Room
from dashboard.live.committed import MAX_COMING
from dashboard.live.hub import Hub
from dashboard.live.render import BannerWindow, Renderer, banner_windows
from dashboard.live.service import LiveService, display_channel
from dashboard.settings import Settings
from dashboard.site import Site, load_site
from tests._notes import generated_note
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
    coming = service.coming_states("cr4", AT)
    assert coming[0][0] == EXPIRES, [at for at, _ in coming]
    assert all(state.banners == () for _, state in coming)
    # And the display's frame carries it, rendered, with its instant.
    frame = service.renderer.display_frame(service.view("cr4"), service.coming("cr4"))
    timeline = frame[frame.index('id="display-timeline"') :]
    expires = int(EXPIRES.timestamp() * 1000)
    assert f'data-at="{expires}"' in timeline
    assert "Coffee" not in timeline
    # The announcement is sent once, with the state now, carrying its expiry: the page's clock
    # drops it then (static/js/screen.js), connected or not; the states to come leave a place
    # for the page's announcements.
    now = frame[: frame.index('id="display-timeline"')]
    assert frame.count("Coffee") == 1
    assert re.search(rf'class="banner banner-normal"[^>]*data-until="{expires}"', now)
    assert timeline.count('data-banners="slot"') == len(service.coming("cr4"))


def test_announcements_are_sent_once_however_many_states_come() -> None:
    """Issue 12: with many announcements in force, every state to come repeated every banner
    (800 KB pages with 200 of them).  Each is now in the frame once, with as many as a room may
    have (MAX_ANNOUNCEMENTS)."""
    service = service_with_announcement()
    made = list(service.overrides)
    for i in range(MAX_ANNOUNCEMENTS - len(made)):
        made.append(
            build_override(
                {"room": "cr4", "kind": "announce", "text": f"Notice number {i:03d}"},
                id=f"n{i}",
                author="alice",
                now=AT,
                programmes=service.site.programmes,
                room_names={},
                allowed_rooms=None,
                existing=made,
            )
        )
        service.add_override(made[-1])
    service.refresh("cr4", AT)
    frame = service.renderer.display_frame(service.view("cr4"), service.coming("cr4"))
    assert frame.count("Notice number 012") == 1
    assert len(service.coming("cr4")) > 10
    assert len(frame) < 60_000, len(frame)  # 21 KB; each banner in every state: 200 KB


def test_banner_windows_come_from_the_states() -> None:
    """When each announcement shows: from the first state that has it to the first that does
    not (or its expiry, beyond the states known); urgent ones first."""
    early = Banner("a", "Early", "normal", None)
    urgent = Banner("b", "Fire drill", "urgent", EXPIRES)
    later = datetime(2023, 12, 13, 11, 10, tzinfo=NY)
    gone = datetime(2023, 12, 13, 11, 20, tzinfo=NY)
    state = service_with_announcement().state_at("cr4", AT)
    states = [
        (None, replace(state, banners=(early,))),
        (later, replace(state, banners=(early, urgent))),
        (gone, replace(state, banners=(urgent,))),
    ]
    assert banner_windows(states) == (
        BannerWindow(urgent, later, EXPIRES),
        BannerWindow(early, None, gone),
    )
    assert BannerWindow(urgent, later, EXPIRES).shown_at(later)
    assert not BannerWindow(urgent, later, EXPIRES).shown_at(EXPIRES)
    assert not BannerWindow(urgent, later, EXPIRES).shown_at(None)


def test_the_states_to_come_run_to_the_end_of_the_session() -> None:
    """Not only today's: a display that loses the server on Wednesday evening still turns to
    Thursday's and Friday's meetings at their times (issue 9, item 12)."""
    service = service_with_announcement()
    coming = service.coming_states("cr4", datetime(2023, 12, 13, 17, 50, tzinfo=NY))
    instants = [at for at, _ in coming]
    assert datetime(2023, 12, 14, 10, tzinfo=NY) in instants
    assert datetime(2023, 12, 15, 15, tzinfo=NY) in instants
    thursday = dict(coming)[datetime(2023, 12, 14, 10, tzinfo=NY)]
    assert (thursday.status, thursday.current.id) == ("in_session", "2023-12-14-1000")  # type: ignore[union-attr]
    assert instants == sorted(instants)
    assert instants[-1] == datetime(2023, 12, 16, tzinfo=NY)  # the day after the last day


async def test_a_boundary_resends_the_state_and_the_timeline_only_when_it_changed() -> None:
    clock = ShiftedClock(AT, monotonic=lambda: 0.0)
    service = service_with_announcement()
    service.clock = clock
    subscriber = service.hub.subscribe(display_channel("cr4"))
    service.refresh("cr4", AT)
    first = await subscriber.next()
    assert first is not None and 'id="display-timeline"' in first.text  # a new screen: all
    # 11:30, the announcement expires: the future is unchanged, so only the state is sent.
    service.refresh("cr4", EXPIRES)
    brief = await subscriber.next()
    assert brief is not None and brief.version == first.version + 1
    assert 'id="display-now"' in brief.text and 'id="display-timeline"' not in brief.text
    # A screen connecting now gets everything.
    late = service.hub.subscribe(display_channel("cr4"))
    full = await late.next()
    assert full is not None and 'id="display-timeline"' in full.text
    # An override changes the future: the timeline is sent again.
    service.add_override(
        build_override(
            {"room": "cr4", "kind": "cancel", "slot": "2023-12-13-1500"},
            id="o2",
            author="alice",
            now=EXPIRES,
            programmes=service.site.programmes,
            room_names={},
            allowed_rooms=None,
            existing=service.overrides,
        )
    )
    service.refresh("cr4", EXPIRES)
    again = await subscriber.next()
    assert again is not None and 'id="display-timeline"' in again.text
    assert "Cancelled" in again.text[again.text.index('id="display-timeline"') :]


async def test_a_timeline_cut_at_its_horizon_is_not_resent_at_each_boundary() -> None:
    """300 slots: the states to come are cut at MAX_COMING; a boundary consumes one and the
    next one beyond the horizon is not worth resending the whole timeline for."""
    programme = load_programme(generated_note(300).encode(), "g.txt").programme
    site = Site((Room("cr4", "Conference Room 4", "g.txt"),), {"cr4": programme})
    start = datetime(2024, 1, 16, 9, 30, tzinfo=NY)
    elapsed = [0.0]
    service = LiveService(
        site, ShiftedClock(start, monotonic=lambda: elapsed[0]), Renderer("en"), Hub()
    )
    subscriber = service.hub.subscribe(display_channel("cr4"))
    service.refresh("cr4")
    first = await subscriber.next()
    assert first is not None and first.text.count("<template data-at=") == MAX_COMING
    briefs = 0
    for _ in range(MAX_COMING // 2 + 1):
        change = service.next_change("cr4")
        assert change is not None
        elapsed[0] = (change - start).total_seconds()
        assert service.refresh("cr4")
        frame = await subscriber.next()
        assert frame is not None
        briefs += 'id="display-timeline"' not in frame.text
    # Resent once, when half of it was spent; brief at every other boundary.
    assert briefs == MAX_COMING // 2
