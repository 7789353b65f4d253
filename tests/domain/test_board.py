"""The hall board's rows (domain/board.py): read from each room's ``screen_state``, in the door
displays' words, and each once per stretch of time over which it reads the same."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from dashboard.domain.board import Phase, board_phases, room_rows, say_of
from dashboard.domain.timeline import RoomTimeline, Say, ScreenState, start_of_next_day

from ._plan_desk import WED_AM, WED_PM, WEEK, Desk, ny


def states(desk: Desk, room: str, at: datetime) -> list[tuple[datetime | None, ScreenState]]:
    """The room's state at ``at`` (at None) and its states to come, as the service has them."""
    timeline = RoomTimeline(desk.programmes[room], desk.overrides, room, desk.programmes)
    found: list[tuple[datetime | None, ScreenState]] = [(None, timeline.state(at))]
    change = timeline.next_change(at)
    while change is not None and len(found) < 20:
        found.append((change, timeline.state(change)))
        change = timeline.next_change(change)
    return found


def phases(desk: Desk, at: datetime, rooms: tuple[str, ...] = ("cr4", "cr1")) -> list[Phase]:
    horizon = start_of_next_day(WEEK, at)
    return list(board_phases(rooms, {r: states(desk, r, at) for r in rooms}, at, horizon))


def test_a_room_shows_its_meeting_now_and_next_in_the_displays_words() -> None:
    desk = Desk()
    rows = room_rows("cr4", desk.screen(ny(13, 11)), ny(13, 11))
    assert [(r.meeting.id, r.say) for r in rows] == [(WED_AM, Say.IN_SESSION), (WED_PM, Say.STARTS)]
    assert rows[0].tone == "go"
    # The door display's headline says the same of the meeting under way.
    headline = desk.screen(ny(13, 11)).headline
    assert headline is not None and headline.say is Say.IN_SESSION


def test_the_board_turns_at_each_boundary_and_finished_meetings_leave() -> None:
    found = phases(Desk(), ny(13, 11), rooms=("cr4",))
    assert [(p.row.meeting.id, p.row.say, p.start, p.until) for p in found] == [
        (WED_AM, Say.IN_SESSION, None, ny(13, 13)),  # leaves at its end
        (WED_PM, Say.STARTS, None, ny(13, 15)),
        (WED_PM, Say.IN_SESSION, ny(13, 15), ny(13, 18)),
    ]


def test_a_moved_meeting_is_listed_once_under_its_new_room() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="move", to_room="cr1")
    found = phases(desk, ny(13, 9, 55))
    moved = [p for p in found if p.row.meeting.slot.id == WED_AM]
    assert [(p.row.room, p.row.say) for p in moved] == [
        ("cr1", Say.MOVED_HERE),
        ("cr1", Say.IN_SESSION),
    ]
    assert all(p.row.meeting.moved_from == "cr4" for p in moved)


def test_a_cancelled_meeting_says_so_until_its_end_then_leaves() -> None:
    desk = Desk()
    desk.make(ny(13, 14), room="cr4", kind="cancel")
    found = [p for p in phases(desk, ny(13, 14), rooms=("cr4",)) if p.row.meeting.id == WED_PM]
    assert [(p.row.say, p.start, p.until) for p in found] == [(Say.CANCELLED, None, ny(13, 18))]
    assert say_of(found[0].row.meeting, ny(13, 16)) is Say.CANCELLED


def test_rows_are_sorted_by_time_then_by_the_rooms_order() -> None:
    found = phases(Desk(), ny(13, 7))
    starts = [(p.row.meeting.start, p.row.room) for p in found if p.start is None]
    assert starts == sorted(starts, key=lambda s: (s[0], ("cr4", "cr1").index(s[1])))
    assert found[0].row.room == "cr1"  # the 8 a.m. briefing comes first


def test_late_reads_running_late() -> None:
    desk = Desk()
    desk.make(ny(13, 14), room="cr4", kind="late", minutes=15)
    rows = room_rows("cr4", desk.screen(ny(13, 14)), ny(13, 14))
    assert [(r.meeting.id, r.say) for r in rows] == [(WED_PM, Say.LATE)]


def test_an_announcement_to_the_boards_only_is_not_on_the_rooms_screens() -> None:
    desk = Desk()
    made = desk.make(ny(13, 11), kind="announce", text="Lobby only", screens="boards")
    assert (made.rooms, made.on_boards, made.on_room_screens) == (("cr4", "cr1"), True, False)
    assert desk.screen(ny(13, 11)).banners == ()
    everywhere = desk.make(ny(13, 11), kind="announce", text="All", screens="all", room="all")
    assert everywhere.on_boards and everywhere.on_room_screens
    assert [b.text for b in desk.screen(ny(13, 11)).banners] == ["All"]
    # Stored as before for the rooms' own (the log's entries keep their form).
    plain = desk.make(ny(13, 11), kind="announce", text="Room", room="cr4")
    assert "screens" not in plain.to_data()
    assert type(made).from_data(made.to_data()) == made


def test_a_day_without_meetings_is_never_in_session_on_the_board() -> None:
    # A note's "Monday, 5 September   Official United Nations holiday" is a holiday slot over the
    # whole day (note_days.py): the board says what the door says of it, not "In session".
    meeting = room_rows("cr4", Desk().screen(ny(13, 11)), ny(13, 11))[0].meeting
    holiday = replace(meeting, slot=replace(meeting.slot, kind="holiday"))
    assert say_of(meeting, ny(13, 11)) is Say.IN_SESSION
    assert say_of(holiday, ny(13, 11)) is Say.DAY_OFF
