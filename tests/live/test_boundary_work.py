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

    def __init__(self) -> None:
        programme = load_programme(SHIPPED_NOTE.read_bytes(), SHIPPED_NOTE.name).programme
        rooms = tuple(Room(f"cr{i}", f"Conference Room {i}", "p.txt") for i in range(ROOMS))
        self.site = Site(rooms, {r.id: programme for r in rooms})
        self.elapsed = 0.0
        clock = ShiftedClock(START, monotonic=lambda: self.elapsed)
        self.hub = Hub()
        self.renderer = CountingRenderer("en")
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
