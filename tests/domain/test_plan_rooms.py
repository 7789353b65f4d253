"""Overrides across rooms and on what screens say: moves, closed meetings, what is under
discussion, announcements, and undoing any of them."""

from __future__ import annotations

from dashboard.domain.plan import Banner
from dashboard.domain.timeline import Status
from tests.domain._plan_desk import (
    WED_AM,
    WED_PM,
    WEEK,
    Desk,
    ny,
    slot_ids,
)

# --- move --------------------------------------------------------------------------------------


def test_move_shows_in_both_rooms() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="move", to_room="cr1")
    source = desk.screen(ny(13, 10, 30), "cr4")
    assert (source.status, slot_ids(source)) == (Status.NEXT_TODAY, (None, WED_PM))
    assert [(p.id, p.moved_to) for p in source.notices] == [(WED_AM, "cr1")]

    target = desk.screen(ny(13, 10, 30), "cr1")
    assert target.status is Status.IN_SESSION
    assert target.current is not None
    # Unique in the room: cr1 may have a slot of its own at that time ("source/slot id").
    assert (target.current.id, target.current.moved_from) == (f"cr4/{WED_AM}", "cr4")
    assert target.current.title == WEEK.slot_by_id(WED_AM).title  # type: ignore[union-attr]
    assert [p.id for p in target.today] == ["2023-12-13-0800", f"cr4/{WED_AM}"]
    # Before the move is made, cr1 has nothing at 10.
    assert Desk().screen(ny(13, 10, 30), "cr1").status is Status.DONE_TODAY


def test_move_is_refused_to_a_busy_room_or_the_same_room() -> None:
    desk = Desk()
    busy = desk.refuse(ny(14, 9), room="cr4", kind="move", to_room="cr1")
    assert (busy.field, busy.message) == ("to_room", "Conference Room 1 is in use then")
    assert desk.refuse(ny(13, 9), room="cr4", kind="move", to_room="cr4").field == "to_room"
    assert desk.overrides == []


def test_overrides_in_the_target_room_act_on_the_moved_slot() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="move", to_room="cr1")
    desk.make(ny(13, 9, 55), room="cr1", kind="late", minutes=10)
    state = desk.screen(ny(13, 10, 5), "cr1")
    assert state.next is not None
    assert (state.next.id, state.next.start, state.next.moved_from) == (
        f"cr4/{WED_AM}",
        ny(13, 10, 10),
        "cr4",
    )
    desk.make(ny(13, 10, 30), room="cr1", kind="pointer", text="Agenda item 5")
    current = desk.screen(ny(13, 10, 30), "cr1").current
    assert current is not None and current.pointer == "Agenda item 5"
    # The source room's own slot is not touched.
    assert desk.plan(ny(13, 10, 30), "cr4").find(WED_AM).start == ny(13, 10)  # type: ignore[union-attr]


def test_clearing_a_move_brings_the_slot_back() -> None:
    desk = Desk()
    move = desk.make(ny(13, 9, 50), room="cr4", kind="move", to_room="cr1")
    desk.make(ny(13, 10, 15), room="cr4", kind="clear", target=move.id)
    assert slot_ids(desk.screen(ny(13, 10, 15), "cr4")) == (WED_AM, WED_PM)
    assert desk.screen(ny(13, 10, 15), "cr1").current is None
    assert desk.screen(ny(13, 10, 14), "cr1").current is not None


# --- closed and pointer ------------------------------------------------------------------------


def test_closed_marks_the_slot() -> None:
    desk = Desk()
    desk.make(ny(13, 9), room="cr4", kind="closed")
    assert desk.screen(ny(13, 9)).next.closed  # type: ignore[union-attr]
    assert desk.screen(ny(13, 10, 30)).current.closed  # type: ignore[union-attr]
    assert not desk.screen(ny(13, 15, 30)).current.closed  # type: ignore[union-attr]


def test_pointer_shows_on_the_current_slot() -> None:
    desk = Desk()
    desk.make(ny(13, 10, 30), room="cr4", kind="pointer", text="Agenda item 5 (c)")
    assert desk.screen(ny(13, 10, 29)).current.pointer == ""  # type: ignore[union-attr]
    assert desk.screen(ny(13, 10, 30)).current.pointer == "Agenda item 5 (c)"  # type: ignore[union-attr]
    desk.make(ny(13, 11), room="cr4", kind="pointer", text="Agenda item 6")
    assert desk.screen(ny(13, 11)).current.pointer == "Agenda item 6"  # type: ignore[union-attr]


def test_pointer_is_refused_when_nothing_is_under_way() -> None:
    desk = Desk()
    error = desk.refuse(ny(13, 14), room="cr4", kind="pointer", text="Item 5")
    assert (error.field, error.message) == ("room", "no meeting is under way in Conference Room 4")


# --- announce ----------------------------------------------------------------------------------


def test_announcement_banner_until_it_expires() -> None:
    desk = Desk()
    made = desk.make(
        ny(13, 10, 30),
        room="cr4",
        kind="announce",
        text="Fire drill at 11",
        priority="urgent",
        expires="2023-12-13T11:00",
    )
    banner = Banner(made.id, "Fire drill at 11", "urgent", ny(13, 11))
    assert desk.screen(ny(13, 10, 29, 59)).banners == ()
    assert desk.screen(ny(13, 10, 30)).banners == (banner,)
    assert desk.screen(ny(13, 10, 59, 59)).banners == (banner,)
    assert desk.screen(ny(13, 11)).banners == ()  # half-open
    assert desk.screen(ny(13, 10, 45), "cr1").banners == ()  # another room
    assert desk.next_change(ny(13, 10, 45)) == ny(13, 11)


def test_announcement_to_all_rooms_keeps_order() -> None:
    desk = Desk()
    first = desk.make(ny(13, 9), rooms="all", kind="announce", text="Welcome")
    second = desk.make(ny(13, 9, 5), room="cr1", kind="announce", text="Room change")
    assert [b.id for b in desk.screen(ny(13, 9, 10), "cr4").banners] == [first.id]
    assert [b.text for b in desk.screen(ny(13, 9, 10), "cr1").banners] == [
        "Welcome",
        "Room change",
    ]
    assert desk.screen(ny(13, 9, 10), "cr1").banners[1].priority == "normal"
    assert second.expires == ny(13, 9, 30)  # by default, cr1's last meeting that day ends then


# --- clear -------------------------------------------------------------------------------------


def test_clear_undoes_an_override() -> None:
    desk = Desk()
    late = desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)
    desk.make(ny(13, 9, 55), room="cr4", kind="clear", target=late.id)
    assert desk.screen(ny(13, 9, 54)).next.start == ny(13, 10, 15)  # type: ignore[union-attr]
    assert desk.screen(ny(13, 9, 55)).next.start == ny(13, 10)  # type: ignore[union-attr]
    assert desk.screen(ny(13, 10)).status is Status.IN_SESSION
    twice = desk.refuse(ny(13, 10), room="cr4", kind="clear", target=late.id)
    assert (twice.field, twice.message) == ("target", "is already cleared")
    unknown = desk.refuse(ny(13, 10), room="cr4", kind="clear", target="o99")
    assert unknown.field == "target"


def test_clear_an_announcement() -> None:
    desk = Desk()
    banner = desk.make(ny(13, 9), room="cr4", kind="announce", text="Hi")
    desk.make(ny(13, 9, 30), room="cr4", kind="clear", target=banner.id)
    assert len(desk.screen(ny(13, 9, 29)).banners) == 1
    assert desk.screen(ny(13, 9, 30)).banners == ()
