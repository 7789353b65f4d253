"""What a boundary costs when a building's rooms change together (issue 14's 10 a.m.): frames
are rendered for channels someone listens to, and views of every room follow once per turn of
the event loop, not once per room."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dashboard.clock import ShiftedClock
from dashboard.domain.loader import load_programme
from dashboard.domain.requests import build_override
from dashboard.domain.rooms import Room
from dashboard.live.batch import OncePerTurn
from dashboard.live.board import BOARD, Board
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer, RoomView
from dashboard.live.service import LiveService, console_channel, overview_channel
from dashboard.site import Site
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
START = datetime(2023, 12, 13, 9, 59, tzinfo=NY)  # 10 a.m. is a minute away
ROOMS = 12


class CountingRenderer(Renderer):
    """The default renderer, counting the console frames it renders."""

    consoles = 0

    def console_frame(self, view: RoomView, undo_all: bool) -> str:
        self.consoles += 1
        return super().console_frame(view, undo_all)


class Building:
    """ROOMS rooms on the shipped note, a stopped clock moved by hand, the hall board."""

    def __init__(self, renderer: CountingRenderer | None = None) -> None:
        programme = load_programme(SHIPPED_NOTE.read_bytes(), SHIPPED_NOTE.name).programme
        rooms = tuple(Room(f"cr{i}", f"Conference Room {i}", "p.txt") for i in range(ROOMS))
        self.site = Site(rooms, {r.id: programme for r in rooms})
        self.elapsed = 0.0
        clock = ShiftedClock(START, monotonic=lambda: self.elapsed)
        self.hub = Hub()
        self.renderer = renderer or CountingRenderer("en")
        self.service = LiveService(self.site, clock, self.renderer, self.hub)
        self.board = Board(self.service, self.hub)

    def cross(self, seconds: float) -> int:
        """Every room refreshed ``seconds`` after START; how many changed."""
        self.elapsed = seconds
        return sum(self.service.refresh(r.id) for r in self.site.rooms)


def test_a_console_nobody_watches_is_rendered_when_someone_comes() -> None:
    building = Building()
    assert building.cross(0) == ROOMS
    assert building.cross(90) == ROOMS  # 10:00:30: every room's state changed
    assert building.renderer.consoles == 0, "console frames rendered for nobody"
    # A console opens on cr3: it gets cr3's state as it stands, rendered now, once.
    watching = building.hub.subscribe(console_channel("cr3"))
    frame = watching.take()
    assert frame is not None and frame.version == building.service.version("cr3") == 2
    assert 'id="console-cr3"' in frame.text and 'data-version="2"' in frame.text
    assert building.renderer.consoles == 1
    # A second console on cr3 is sent the same frame: not rendered again.
    again = building.hub.subscribe(console_channel("cr3"))
    assert again.take() == frame and building.renderer.consoles == 1
    # The next change of cr3 is rendered at once for its consoles; the others still are not.
    assert building.cross(3 * 3600 + 90) == ROOMS  # 1:00:30 p.m.: the morning has ended
    assert building.renderer.consoles == 2
    newer = watching.take()
    assert newer is not None and newer.version == 3


def test_a_deferred_frame_that_fails_to_render_leaves_no_subscriber_behind() -> None:
    hub = Hub()
    attempts = []

    def broken() -> str:
        attempts.append(1)
        raise RuntimeError("template error")

    hub.defer("console:cr1", 4, broken)
    with pytest.raises(RuntimeError):
        hub.subscribe("console:cr1")
    assert hub.count("console:cr1") == 0
    with pytest.raises(RuntimeError):  # tried again by the next one, not forgotten
        hub.subscribe("console:cr1")
    assert len(attempts) == 2
    hub.publish("console:cr1", 5, "<div id='c'>v5</div>")  # a newer state replaces it
    assert (first := hub.subscribe("console:cr1").take()) is not None and first.version == 5


def test_write_without_backlog_is_refused() -> None:
    """A write that fails leaves the frame in the mailbox, which only ``backlog`` drains."""
    with pytest.raises(ValueError, match="together"):
        Hub().subscribe("display:cr1", lambda _: True)


async def test_rooms_changing_together_send_one_overview_and_one_board() -> None:
    building = Building()
    building.cross(0)
    await asyncio.sleep(0)
    sent: dict[str, list[bytes]] = {overview_channel(): [], BOARD: []}
    for channel, frames in sent.items():
        building.hub.subscribe(channel, lambda data, frames=frames: frames.append(data) or True,
                               lambda _: None)  # fmt: skip
    for frames in sent.values():
        frames.clear()  # each was sent the current state on subscribing
    assert building.cross(90) == ROOMS
    assert sent == {overview_channel(): [], BOARD: []}, "sent before the turn ended"
    await asyncio.sleep(0)
    overview, board = sent[overview_channel()], sent[BOARD]
    assert len(overview) == 1 and len(board) == 1
    # The one overview frame has every room's new state: ROOMS cards, each at version 2.
    text = overview[0].decode()
    assert text.count('data-version="2"') == ROOMS, text[:400]


def test_once_per_turn_without_a_loop_acts_at_once() -> None:
    """A command or script (no event loop) gets each change at once, as before."""
    seen: list[datetime] = []
    once = OncePerTurn(seen.append)
    once(START)
    once(START)
    assert seen == [START, START] and not once.pending


async def test_once_per_turn_answers_with_the_latest_instant() -> None:
    seen: list[datetime] = []
    once = OncePerTurn(seen.append)
    later = START.replace(minute=59, second=30)
    once(later)
    once(START)
    assert seen == [] and once.pending
    await asyncio.sleep(0)
    assert seen == [later] and not once.pending
    once(START)
    once.flush()  # a reader that needs it first
    await asyncio.sleep(0)
    assert seen == [later, START], "flushed once, not again on the loop"


# --- rendered ahead: a change only publishes --------------------------------------------------

TEN = datetime(2023, 12, 13, 10, 0, tzinfo=NY)


class RenderCounting(CountingRenderer):
    """Counts every state rendered for a door display."""

    displays = 0

    def display_now(self, view: RoomView) -> str:
        self.displays += 1
        return super().display_now(view)


def at_ten(prepare: bool) -> tuple[Building, RenderCounting]:
    renderer = RenderCounting("en")
    building = Building(renderer)
    building.cross(0)
    if prepare:
        for room in building.site.rooms:
            assert building.service.prepare(room.id, TEN)
    return building, renderer


def frames(building: Building) -> list[str]:
    latest = [building.hub.latest(f"display:{r.id}") for r in building.site.rooms]
    return [f.text for f in latest if f is not None]


def test_a_change_rendered_ahead_is_published_with_no_render_and_the_same_frames() -> None:
    prepared, renderer = at_ten(prepare=True)
    plain, _ = at_ten(prepare=False)
    rendered = renderer.displays
    for building in (prepared, plain):
        building.elapsed = 60.0  # 10 a.m. exactly: the jobs' instant
        for room in building.site.rooms:
            assert building.service.refresh(room.id, at=TEN)
    assert renderer.displays == rendered, "rendered again at the change"
    assert frames(prepared) == frames(plain)
    assert 'data-version="2"' in frames(prepared)[0]


def test_an_override_after_the_render_ahead_is_on_screen_at_the_change() -> None:
    """The 10 a.m. meeting is cancelled after its state was rendered ahead: the change shows
    the cancellation, whether or not the override refreshed the room first."""
    for refreshed in (True, False):
        building, _ = at_ten(prepare=True)
        service = building.service
        building.elapsed = 57.0  # 9:59:57
        cancel = build_override(
            {"room": "cr1", "kind": "cancel", "slot": "2023-12-13-1000"},
            id="o1", author="chair", now=START, programmes=building.site.programmes,
            room_names={r.id: r.name for r in building.site.rooms}, allowed_rooms=None,
            existing=(),
        )  # fmt: skip
        service.add_override(cancel)
        if refreshed:
            service.refresh("cr1")  # as the POST does
        building.elapsed = 60.0
        service.refresh("cr1", at=TEN)
        service.refresh("cr2", at=TEN)
        cancelled = building.hub.latest("display:cr1")
        other = building.hub.latest("display:cr2")
        assert cancelled is not None and other is not None
        now = cancelled.text.split('id="display-timeline"')[0]
        assert 'data-status="cancelled"' in now or "Cancelled" in now, (refreshed, now[:600])
        assert "Cancelled" not in other.text.split('id="display-timeline"')[0]


def test_a_change_run_late_past_the_next_one_renders_again() -> None:
    """A job run so late that the states rendered ahead are past (a suspended machine):
    the refresh renders the room as it stands then, not the state prepared for 10 a.m."""
    building, renderer = at_ten(prepare=True)
    rendered = renderer.displays
    building.elapsed = 60.0 + 3 * 3600 + 60  # 1:01 p.m.: the morning meeting is over
    assert building.service.refresh("cr1", at=TEN)
    assert renderer.displays == rendered + 1
    now = building.service.clock.now()
    view = building.service.view("cr1")
    assert view.since == now and view.state == building.service.state_at("cr1", now)
    assert view.state != building.service.state_at("cr1", TEN)


def test_a_refresh_that_changes_nothing_keeps_what_was_rendered_ahead() -> None:
    """Another room's override (or another process's change) refreshes rooms whose state does
    not change: the state rendered for 10 a.m. is still used then."""
    building, renderer = at_ten(prepare=True)
    rendered = renderer.displays
    building.elapsed = 58.0
    assert not building.service.refresh("cr1")
    building.elapsed = 60.0
    assert building.service.refresh("cr1", at=TEN)
    assert renderer.displays == rendered
