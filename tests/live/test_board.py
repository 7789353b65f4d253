"""The hall board's live state (live/board.py): one frame for every room that changes at the
same moment, none when nothing it shows changed, and its rows the rooms' published states."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from dashboard.clock import ShiftedClock
from dashboard.domain.loader import load_programme
from dashboard.domain.rooms import Room
from dashboard.live.board import BOARD, Board
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer
from dashboard.live.service import LiveService
from dashboard.site import Site
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
BEFORE_THREE = datetime(2023, 12, 13, 14, 59, 59, tzinfo=NY)


def forty_rooms() -> tuple[LiveService, Board, list[float]]:
    programme = load_programme(SHIPPED_NOTE.read_bytes(), SHIPPED_NOTE.name).programme
    rooms = tuple(Room(f"cr{i}", f"Conference Room {i}", SHIPPED_NOTE.name) for i in range(40))
    elapsed = [0.0]
    clock = ShiftedClock(BEFORE_THREE, monotonic=lambda: elapsed[0])
    hub = Hub()
    service = LiveService(Site(rooms, {r.id: programme for r in rooms}), clock, Renderer("en"), hub)
    return service, Board(service, hub), elapsed


async def test_rooms_changing_at_one_moment_make_one_frame() -> None:
    service, board, elapsed = forty_rooms()
    subscriber = service.hub.subscribe(BOARD)
    for room in service.site.rooms:
        service.refresh(room.id)
    await asyncio.sleep(0)  # the loop turns once: the board's update booked by the rooms
    first = await asyncio.wait_for(subscriber.next(), 1)
    assert first is not None and first.version == 1
    assert first.text.count('class="board-row ') == 80  # each afternoon: to come, in session
    # 3 p.m.: every room changes, one after the other, in one turn of the loop.
    elapsed[0] = 1.0
    assert all(service.refresh(room.id) for room in service.site.rooms)
    await asyncio.sleep(0)
    frame = await asyncio.wait_for(subscriber.next(), 1)
    assert frame is not None and frame.version == 2  # one frame, not forty
    assert subscriber.dropped == 0
    assert 'data-from="' not in frame.text.split("board-row", 2)[1].split(">", 1)[0]
    # Nothing a board shows changed: no frame.
    assert board.update(service.clock.now()) is False
    assert service.hub.latest(BOARD).version == 2  # type: ignore[union-attr]


def test_without_a_loop_the_board_follows_at_once() -> None:
    service, board, _ = forty_rooms()
    for room in service.site.rooms:
        service.refresh(room.id)
    view = board.current()
    assert view.version == 1
    assert {p.row.room for p in view.phases} == {r.id for r in service.site.rooms}
    assert service.hub.latest(BOARD) is not None
