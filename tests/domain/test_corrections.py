"""Successive overrides read as the chair's office means them (issue 9, items 2 and 3).

A correction acts on the meeting it corrects, not on the next one; the latest delay for a meeting
replaces the earlier ones (delays never add up, whether on the meeting itself or passed on to
the rest of its half-day); a meeting moved twice is in one room."""

from __future__ import annotations

from datetime import datetime

from dashboard.domain.plan import SlotStatus
from dashboard.domain.timeline import Status
from tests.domain._plan_desk import (
    SPLIT,
    THU_AM,
    WED_AM,
    WED_PM,
    Desk,
    ny,
    slot_ids,
)

SPLIT_FIRST, SPLIT_SECOND, SPLIT_PM = "2023-12-13-1000", "2023-12-13-1130", "2023-12-13-1500"


# --- a correction acts on the meeting it corrects ----------------------------------------------


def test_a_second_cancel_corrects_the_first_and_spares_the_next_meeting() -> None:
    desk = Desk()
    first = desk.make(ny(13, 11), room="cr4", kind="cancel", slot=WED_PM, text="Postponed")
    second = desk.make(ny(13, 11, 5), room="cr4", kind="cancel", text="Postponed to Friday")
    assert first.slot_in("cr4") == second.slot_in("cr4") == WED_PM
    plan = desk.plan(ny(13, 11, 10))
    pm, thu = plan.find(WED_PM), plan.find(THU_AM)
    assert pm is not None and thu is not None
    assert (pm.cancelled, pm.note) == (True, "Postponed to Friday")
    assert thu.takes_place  # Thursday's meeting is not touched
    assert desk.screen(ny(13, 11, 10)).next is not None


def test_a_move_sent_after_a_cancel_moves_that_meeting_instead() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="cancel", slot=WED_PM)
    moved = desk.make(ny(13, 11, 5), room="cr4", kind="move", to_room="cr1")
    assert moved.slot_in("cr4") == WED_PM
    pm = desk.plan(ny(13, 11, 10)).find(WED_PM)
    assert pm is not None and (pm.cancelled, pm.moved_to) == (False, "cr1")
    assert desk.plan(ny(13, 11, 10), "cr1").find(WED_PM) is not None
    assert desk.plan(ny(13, 11, 10)).find(THU_AM).takes_place  # type: ignore[union-attr]


def test_a_meeting_moved_twice_is_in_the_last_room_only() -> None:
    desk = Desk({"cr4": Desk().programmes["cr4"], "cr1": Desk().programmes["cr1"], "cr2": SPLIT})
    desk.programmes["cr2"] = desk.programmes["cr1"]  # another free room on Wednesday afternoon
    desk.make(ny(13, 11), room="cr4", kind="move", slot=WED_PM, to_room="cr1")
    second = desk.make(ny(13, 11, 5), room="cr4", kind="move", to_room="cr2")
    assert second.slot_in("cr4") == WED_PM
    at = ny(13, 15, 30)
    assert desk.screen(at, "cr2").current is not None
    assert desk.screen(at, "cr2").current.moved_from == "cr4"  # type: ignore[union-attr]
    assert desk.screen(at, "cr1").current is None  # no longer there
    assert desk.plan(at).find(WED_PM).moved_to == "cr2"  # type: ignore[union-attr]
    # Undoing the second move puts it back where the first said.
    desk.make(ny(13, 11, 10), room="cr4", kind="clear", target=second.id)
    assert desk.screen(at, "cr1").current is not None
    assert desk.screen(at, "cr2").current is None


def test_late_sent_an_hour_into_a_meeting_is_for_the_next_one() -> None:
    """'late 90' at 11:00: the morning meeting has been in session for an hour; the delay is
    the afternoon's.  The running meeting stays in session."""
    desk = Desk()
    late = desk.make(ny(13, 11), room="cr4", kind="late", minutes=90)
    assert late.slot_in("cr4") == WED_PM
    state = desk.screen(ny(13, 11))
    assert (state.status, slot_ids(state)) == (Status.IN_SESSION, (WED_AM, WED_PM))
    assert state.next is not None and state.next.start == ny(13, 16, 30)


def test_late_sent_as_the_meeting_is_due_is_for_that_meeting() -> None:
    desk = Desk()
    late = desk.make(ny(13, 10, 5), room="cr4", kind="late", minutes=15)
    assert late.slot_in("cr4") == WED_AM


def test_a_late_meeting_that_has_started_is_not_made_late_again() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)  # starts 10.15
    later = desk.make(ny(13, 10, 20), room="cr4", kind="late", minutes=20)
    assert later.slot_in("cr4") == WED_PM
    assert desk.screen(ny(13, 10, 20)).current is not None


def test_a_second_late_before_the_start_corrects_the_first() -> None:
    desk = Desk()
    desk.make(ny(13, 14, 30), room="cr4", kind="late", minutes=15)
    again = desk.make(ny(13, 15, 5), room="cr4", kind="late", minutes=40)
    assert again.slot_in("cr4") == WED_PM
    assert desk.screen(ny(13, 15, 5)).next.start == ny(13, 15, 40)  # type: ignore[union-attr]


def test_a_named_slot_always_wins() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="cancel", slot=WED_PM)
    other = desk.make(ny(13, 11, 5), room="cr4", kind="cancel", slot=THU_AM)
    assert other.slot_in("cr4") == THU_AM


def test_a_correction_for_a_meeting_past_goes_to_the_meeting_now() -> None:
    desk = Desk()
    desk.make(ny(13, 9), room="cr4", kind="cancel", slot=WED_AM)
    made = desk.make(ny(13, 14), room="cr4", kind="cancel")  # the morning is long over
    assert made.slot_in("cr4") == WED_PM


# --- delays replace, never add up --------------------------------------------------------------


def test_two_delays_passed_on_to_the_rest_do_not_add_up() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 50), room="cr2", kind="late", minutes=15, shift_rest=True)
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=30, shift_rest=True)
    plan = desk.plan(ny(13, 10), "cr2")
    first, second, pm = plan.find(SPLIT_FIRST), plan.find(SPLIT_SECOND), plan.find(SPLIT_PM)
    assert first is not None and second is not None and pm is not None
    assert (first.start, first.late_minutes) == (ny(13, 10, 30), 30)
    assert (second.start, second.end, second.late_minutes) == (ny(13, 12), ny(13, 13, 30), 30)
    assert (pm.start, pm.late_minutes) == (ny(13, 15), 0)


def test_a_shorter_second_delay_shortens_what_was_passed_on() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 50), room="cr2", kind="late", minutes=30, shift_rest=True)
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=10, shift_rest=True)
    second = desk.plan(ny(13, 10), "cr2").find(SPLIT_SECOND)
    assert second is not None and second.start == ny(13, 11, 40)


def test_a_delay_without_passing_on_takes_back_what_the_first_passed_on() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 50), room="cr2", kind="late", minutes=30, shift_rest=True)
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=10)
    second = desk.plan(ny(13, 10), "cr2").find(SPLIT_SECOND)
    assert second is not None and second.start == ny(13, 11, 30)


def test_the_largest_delay_before_a_meeting_is_what_it_inherits() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 50), room="cr2", kind="late", minutes=20, shift_rest=True)
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=10, slot=SPLIT_SECOND)
    second = desk.plan(ny(13, 10), "cr2").find(SPLIT_SECOND)
    assert second is not None and second.start == ny(13, 11, 50)


def test_a_slot_delayed_by_an_earlier_one_shows_its_scheduled_time_too() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 50), room="cr2", kind="late", minutes=20, shift_rest=True)
    second = desk.plan(ny(13, 10), "cr2").find(SPLIT_SECOND)
    assert second is not None
    assert (second.start, second.scheduled_start, second.late_minutes) == (
        ny(13, 11, 50),
        ny(13, 11, 30),
        20,
    )
    assert second.status_at(ny(13, 11, 40)) is SlotStatus.LATE


# --- each meeting's status ---------------------------------------------------------------------


def test_slot_status_follows_the_overrides() -> None:
    desk = Desk()

    def status(at: datetime, slot: str = WED_AM) -> SlotStatus:
        planned = desk.plan(at).find(slot)
        assert planned is not None
        return planned.status_at(at)

    assert status(ny(13, 10)) is SlotStatus.IN_SESSION
    desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)
    assert status(ny(13, 10)) is SlotStatus.LATE
    assert status(ny(13, 10, 20)) is SlotStatus.IN_SESSION
    desk.make(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T13:30")
    assert status(ny(13, 13, 10)) is SlotStatus.EXTENDED
    desk.make(ny(13, 13, 15), room="cr4", kind="suspend")
    assert status(ny(13, 13, 20)) is SlotStatus.SUSPENDED
    assert status(ny(13, 14)) is SlotStatus.ENDED
    assert status(ny(13, 14), WED_PM) is SlotStatus.SCHEDULED
    desk.make(ny(13, 13, 40), room="cr4", kind="cancel", slot=WED_PM)
    assert status(ny(13, 14), WED_PM) is SlotStatus.CANCELLED
    desk.make(ny(13, 13, 45), room="cr4", kind="move", to_room="cr1")
    assert status(ny(13, 14), WED_PM) is SlotStatus.MOVED
    desk.make(ny(13, 15, 5), room="cr1", kind="closed")
    in_cr1 = desk.plan(ny(13, 15, 10), "cr1").current(ny(13, 15, 10))
    assert in_cr1 is not None and in_cr1.status_at(ny(13, 15, 10)) is SlotStatus.CLOSED
