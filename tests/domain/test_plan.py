"""Each kind of override end to end, as pure functions: a request becomes an override
(``build_override``), and what the screens show (``screen_state``) and when they next change
(``next_screen_change``) follow from the programme, the overrides and the instant alone."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.domain.loader import load_programme
from dashboard.domain.overrides import Override, OverrideError, OverrideKind
from dashboard.domain.plan import Banner, RoomPlan, change_instants, plan_room
from dashboard.domain.programme import Programme
from dashboard.domain.requests import build_override
from dashboard.domain.timeline import ScreenState, Status, next_screen_change, screen_state
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")

# Conference Room 4: the shipped week, 10 a.m.–1 p.m. and 3–6 p.m., 11–15 December 2023.
WEEK = load_programme(SHIPPED_NOTE.read_bytes(), "x.txt").programme
# Conference Room 1: free on Wednesday morning, busy on Thursday morning.
SIDE = load_programme(
    """Working group on testing Second session New York, 11–15 December 2023

Wednesday, 13 December
8–9.30 a.m.\tBriefing for delegations
Thursday, 14 December
10 a.m.–1 p.m.\tInformal consultations
""".encode(),
    "side.txt",
).programme
# Two slots in one half-day, for "shift the rest".
SPLIT = load_programme(
    """Working group on testing Third session New York, 13 December 2023

Wednesday, 13 December
10–11.30 a.m.\tFirst part
11.30 a.m.–1 p.m.\tSecond part
3–4 p.m.\tAfternoon part
""".encode(),
    "split.txt",
).programme
NAMES = {"cr4": "Conference Room 4", "cr1": "Conference Room 1", "cr2": "Conference Room 2"}


def ny(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2023, 12, day, hour, minute, second, tzinfo=NY)


class Desk:
    """Overrides made one after another against some rooms' programmes, as the service does."""

    def __init__(self, programmes: dict[str, Programme] | None = None) -> None:
        self.programmes = programmes or {"cr4": WEEK, "cr1": SIDE}
        self.overrides: list[Override] = []

    def make(self, at: datetime, **body: Any) -> Override:
        made = build_override(
            body,
            id=f"o{len(self.overrides) + 1}",
            author="alice",
            now=at,
            programmes=self.programmes,
            room_names=NAMES,
            allowed_rooms=None,
            existing=self.overrides,
        )
        self.overrides.append(made)
        return made

    def refuse(self, at: datetime, **body: Any) -> OverrideError:
        with pytest.raises(OverrideError) as info:
            self.make(at, **body)
        return info.value

    def screen(self, at: datetime, room: str = "cr4") -> ScreenState:
        return screen_state(self.programmes[room], at, self.overrides, room, self.programmes)

    def plan(self, at: datetime, room: str = "cr4") -> RoomPlan:
        return plan_room(room, self.programmes, self.overrides, at)

    def next_change(self, at: datetime, room: str = "cr4") -> datetime | None:
        return next_screen_change(self.programmes[room], at, self.overrides, room, self.programmes)


def slot_ids(state: ScreenState) -> tuple[str | None, str | None]:
    return (
        state.current.id if state.current else None,
        state.next.id if state.next else None,
    )


WED_AM, WED_PM, THU_AM = "2023-12-13-1000", "2023-12-13-1500", "2023-12-14-1000"


def test_no_overrides_is_the_printed_programme() -> None:
    desk = Desk()
    plan = desk.plan(ny(13, 11))
    assert [(p.id, p.start, p.end) for p in plan.slots] == [
        (s.id, s.start, s.end) for s in WEEK.slots
    ]
    assert plan.banners == ()
    assert all(p.takes_place and not p.closed and p.pointer == "" for p in plan.slots)


# --- late --------------------------------------------------------------------------------------


def test_late_shows_the_expected_start() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)
    state = desk.screen(ny(13, 10, 5))
    assert state.status is Status.NEXT_TODAY
    assert state.current is None
    assert state.next is not None
    assert (state.next.id, state.next.start, state.next.scheduled_start) == (
        WED_AM,
        ny(13, 10, 15),
        ny(13, 10),
    )
    assert (state.next.late_minutes, state.next.end) == (15, ny(13, 13))
    # It starts at the expected time, and the afternoon is untouched.
    assert slot_ids(desk.screen(ny(13, 10, 15))) == (WED_AM, WED_PM)
    assert desk.plan(ny(13, 11)).find(WED_PM).start == ny(13, 15)  # type: ignore[union-attr]


def test_late_on_the_slot_under_way_puts_it_back_to_next() -> None:
    desk = Desk()
    assert desk.screen(ny(13, 10, 5)).status is Status.IN_SESSION
    desk.make(ny(13, 10, 5), room="cr4", kind="late", minutes=20)
    state = desk.screen(ny(13, 10, 5))
    assert state.status is Status.NEXT_TODAY
    assert state.next is not None and state.next.start == ny(13, 10, 20)


def test_late_shift_rest_moves_the_rest_of_the_half_day_only() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=20, shift_rest=True)
    plan = desk.plan(ny(13, 10), "cr2")
    assert [(p.id, p.start, p.end) for p in plan.slots] == [
        ("2023-12-13-1000", ny(13, 10, 20), ny(13, 11, 30)),
        ("2023-12-13-1130", ny(13, 11, 50), ny(13, 13, 20)),
        ("2023-12-13-1500", ny(13, 15), ny(13, 16)),  # the afternoon keeps its time
    ]
    assert desk.screen(ny(13, 11, 40), "cr2").next.start == ny(13, 11, 50)  # type: ignore[union-attr]


def test_late_without_shift_rest_leaves_the_following_slot() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=20)
    plan = desk.plan(ny(13, 10), "cr2")
    assert [(p.start, p.end) for p in plan.slots[:2]] == [
        (ny(13, 10, 20), ny(13, 11, 30)),
        (ny(13, 11, 30), ny(13, 13)),
    ]


def test_late_twice_takes_the_latest_word() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)
    desk.make(ny(13, 10, 10), room="cr4", kind="late", minutes=30)
    state = desk.screen(ny(13, 10, 20))
    assert state.next is not None
    assert (state.next.start, state.next.late_minutes) == (ny(13, 10, 30), 30)


# --- extend ------------------------------------------------------------------------------------


def test_extend_moves_the_end() -> None:
    desk = Desk()
    desk.make(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T13:30")
    state = desk.screen(ny(13, 13, 15))
    assert state.status is Status.IN_SESSION
    assert state.current is not None
    assert (state.current.id, state.current.end) == (WED_AM, ny(13, 13, 30))
    after = desk.screen(ny(13, 13, 30))
    assert (after.status, slot_ids(after)) == (Status.NEXT_TODAY, (None, WED_PM))


def test_extend_is_refused_into_the_next_slot_or_before_the_start() -> None:
    desk = Desk()
    assert desk.refuse(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T15:30").field
    assert desk.refuse(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T09:00").field
    assert desk.overrides == []
    assert desk.screen(ny(13, 13)).status is Status.NEXT_TODAY


def test_a_meeting_run_into_the_next_pushes_it_back() -> None:
    """Extended over a cancelled meeting whose cancellation is then undone: the two would
    overlap; the second is expected when the first ends, and screens say so."""
    desk = Desk()
    cancel = desk.make(ny(13, 11), room="cr4", kind="cancel", slot=WED_PM)
    desk.make(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T15:30")
    desk.make(ny(13, 14), room="cr4", kind="clear", target=cancel.id)
    state = desk.screen(ny(13, 15, 10))
    assert (state.status, slot_ids(state)) == (Status.IN_SESSION, (WED_AM, WED_PM))
    assert state.next is not None
    assert (state.next.start, state.next.late_minutes) == (ny(13, 15, 30), 30)
    assert desk.next_change(ny(13, 15, 10)) == ny(13, 15, 30)
    after = desk.screen(ny(13, 15, 30))
    assert slot_ids(after) == (WED_PM, THU_AM)


# --- end ---------------------------------------------------------------------------------------


def test_end_ends_the_slot_at_the_effective_instant() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="end")
    assert desk.screen(ny(13, 10, 59, 59)).status is Status.IN_SESSION  # not in force yet
    state = desk.screen(ny(13, 11))
    assert (state.status, slot_ids(state)) == (Status.NEXT_TODAY, (None, WED_PM))
    assert state.today[0].id == WED_AM and state.today[0].end == ny(13, 11)
    assert state.notices == ()  # ended, not cancelled


def test_ending_the_last_slot_of_the_day() -> None:
    desk = Desk()
    desk.make(ny(13, 16), room="cr4", kind="end")
    state = desk.screen(ny(13, 16))
    assert (state.status, slot_ids(state)) == (Status.DONE_TODAY, (None, THU_AM))


def test_ending_the_last_slot_of_the_session() -> None:
    desk = Desk()
    desk.make(ny(15, 17), room="cr4", kind="end")
    assert desk.screen(ny(15, 17)).status is Status.SESSION_CLOSED
    assert desk.screen(ny(15, 16, 59)).status is Status.IN_SESSION


def test_end_at_a_future_effective_instant() -> None:
    desk = Desk()
    desk.make(ny(13, 10, 30), room="cr4", kind="end", effective="2023-12-13T12:00")
    assert desk.screen(ny(13, 11, 59)).current is not None
    assert desk.screen(ny(13, 11, 59)).current.end == ny(13, 13)  # type: ignore[union-attr]
    assert desk.screen(ny(13, 12)).current is None
    assert desk.next_change(ny(13, 10, 30)) == ny(13, 12)


def test_ending_a_slot_that_is_over_does_not_lengthen_it() -> None:
    desk = Desk()
    desk.make(ny(13, 14), room="cr4", kind="end", slot=WED_AM)
    state = desk.screen(ny(13, 14))
    assert state.today[0].end == ny(13, 13)
    assert state.status is Status.NEXT_TODAY


# --- suspend and resume ------------------------------------------------------------------------


def test_suspend_then_resume() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="suspend", until="2023-12-13T11:30")
    state = desk.screen(ny(13, 11, 5))
    assert state.status is Status.SUSPENDED
    assert state.current is not None and state.current.suspended
    assert state.current.resume_at == ny(13, 11, 30)
    assert state.current.resume_at.utcoffset() == timedelta(hours=-5)
    assert desk.screen(ny(13, 10, 59)).status is Status.IN_SESSION

    desk.make(ny(13, 11, 20), room="cr4", kind="resume")
    state = desk.screen(ny(13, 11, 20))
    assert state.status is Status.IN_SESSION
    assert state.current is not None
    assert (state.current.suspended, state.current.resume_at) == (False, None)
    assert desk.screen(ny(13, 11, 19)).status is Status.SUSPENDED


def test_resume_without_a_suspension_is_refused() -> None:
    desk = Desk()
    assert desk.refuse(ny(13, 11), room="cr4", kind="resume").field == "kind"


def test_a_suspension_ends_with_its_slot() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="suspend")
    assert desk.screen(ny(13, 12, 59)).status is Status.SUSPENDED
    assert desk.screen(ny(13, 13)).status is Status.NEXT_TODAY
    assert desk.screen(ny(13, 15)).status is Status.IN_SESSION  # the afternoon is not suspended


def test_ending_a_suspended_slot_clears_the_suspension() -> None:
    desk = Desk()
    desk.make(ny(13, 11), room="cr4", kind="suspend")
    desk.make(ny(13, 12), room="cr4", kind="end")
    assert desk.plan(ny(13, 12)).find(WED_AM).suspended is False  # type: ignore[union-attr]


# --- cancel ------------------------------------------------------------------------------------


def test_cancel_the_next_slot() -> None:
    desk = Desk()
    desk.make(ny(13, 14), room="cr4", kind="cancel", text="Postponed to Friday")
    state = desk.screen(ny(13, 14))
    assert (state.status, slot_ids(state)) == (Status.DONE_TODAY, (None, THU_AM))
    assert [p.id for p in state.notices] == [WED_PM]
    assert state.notices[0].cancelled and state.notices[0].note == "Postponed to Friday"
    assert [(p.id, p.cancelled) for p in state.today] == [(WED_AM, False), (WED_PM, True)]
    assert desk.screen(ny(13, 15, 30)).current is None
    # Once its time is over the notice goes; the day's list still shows it.
    after = desk.screen(ny(13, 18))
    assert after.notices == ()
    assert after.today[1].cancelled


def test_cancel_the_slot_under_way() -> None:
    desk = Desk()
    desk.make(ny(13, 10, 30), room="cr4", kind="cancel")
    state = desk.screen(ny(13, 10, 30))
    assert (state.status, slot_ids(state)) == (Status.NEXT_TODAY, (None, WED_PM))
    assert [p.id for p in state.notices] == [WED_AM]


def test_cancelling_every_slot_of_a_day() -> None:
    desk = Desk()
    desk.make(ny(13, 7), room="cr4", kind="cancel", slot=WED_AM)
    desk.make(ny(13, 7), room="cr4", kind="cancel", slot=WED_PM)
    state = desk.screen(ny(13, 9))
    assert (state.status, slot_ids(state)) == (Status.NO_MEETING_TODAY, (None, THU_AM))
    assert len(state.notices) == 2


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
    assert (target.current.id, target.current.moved_from) == (WED_AM, "cr4")
    assert target.current.title == WEEK.slot_by_id(WED_AM).title  # type: ignore[union-attr]
    assert [p.id for p in target.today] == ["2023-12-13-0800", WED_AM]
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
        WED_AM,
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
    assert second.expires is None


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


# --- when the screens next change --------------------------------------------------------------


def test_next_change_without_overrides_is_the_next_boundary() -> None:
    desk = Desk()
    assert desk.next_change(ny(13, 10, 30)) == ny(13, 13)
    assert desk.next_change(ny(13, 13)) == ny(13, 15)


def test_next_change_follows_a_late_start() -> None:
    desk = Desk()
    desk.make(ny(13, 9, 50), room="cr4", kind="late", minutes=15)
    assert desk.next_change(ny(13, 9, 55)) == ny(13, 10, 15)  # not the printed 10:00


def test_next_change_follows_a_shifted_rest() -> None:
    desk = Desk({"cr2": SPLIT})
    desk.make(ny(13, 9, 55), room="cr2", kind="late", minutes=20, shift_rest=True)
    assert desk.next_change(ny(13, 11), "cr2") == ny(13, 11, 30)  # first part's end
    assert desk.next_change(ny(13, 11, 30), "cr2") == ny(13, 11, 50)  # shifted start
    assert desk.next_change(ny(13, 11, 50), "cr2") == ny(13, 13, 20)  # shifted end


def test_next_change_follows_an_extension() -> None:
    desk = Desk()
    desk.make(ny(13, 12, 30), room="cr4", kind="extend", until="2023-12-13T13:30")
    assert desk.next_change(ny(13, 12, 30)) == ny(13, 13, 30)


def test_next_change_includes_effective_and_expiry_instants() -> None:
    desk = Desk()
    desk.make(
        ny(13, 10, 30),
        room="cr4",
        kind="announce",
        text="Lunch",
        effective="2023-12-13T11:00",
        expires="2023-12-13T11:30",
    )
    assert desk.next_change(ny(13, 10, 30)) == ny(13, 11)
    assert desk.next_change(ny(13, 11)) == ny(13, 11, 30)
    assert desk.next_change(ny(13, 11, 30)) == ny(13, 13)
    plan = desk.plan(ny(13, 10, 30))
    assert {ny(13, 11), ny(13, 11, 30), ny(13, 13)} <= change_instants(plan, desk.overrides)


def test_next_change_after_the_session_is_none() -> None:
    desk = Desk()
    desk.make(ny(15, 17), room="cr4", kind="end")
    assert desk.next_change(ny(15, 17)) == datetime(2023, 12, 16, tzinfo=NY)
    assert desk.next_change(ny(16, 12)) is None


# --- a property: any valid sequence of requests leaves sane screens ----------------------------

WEEK_START = ny(11, 7)
WEEK_MINUTES = int((ny(15, 20) - WEEK_START).total_seconds() // 60)
# When a request is made: any minute of the week, or more often around a slot.
WHEN = st.integers(0, WEEK_MINUTES) | st.builds(
    lambda day, start, delta: day * 24 * 60 + start - 7 * 60 + delta,
    st.integers(0, 4),
    st.sampled_from([10 * 60, 15 * 60]),
    st.integers(-30, 200),
)
STEP = st.tuples(
    WHEN,
    st.sampled_from(["late", "late", "extend", "cancel", "announce", "clear", "end"]),
    st.integers(1, 300),  # minutes, for late / until / expires
    st.booleans(),  # shift_rest, or whether an announcement expires
    st.integers(0, 50),  # which override to clear
)


def request(
    kind: str, at: datetime, n: int, flag: bool, pick: int, made: list[Override]
) -> dict[str, Any]:
    body: dict[str, Any] = {"room": "cr4", "kind": kind}
    if kind == "late":
        body |= {"minutes": 1 + n % 150, "shift_rest": flag}
    elif kind == "extend":
        body["until"] = (at + timedelta(minutes=n)).isoformat()
    elif kind == "announce":
        body |= {"text": f"Notice {n}", "priority": "urgent" if n % 2 else "normal"}
        if flag:
            body["expires"] = (at + timedelta(minutes=n)).isoformat()
    elif kind == "clear":
        targets = [o for o in made if o.kind is not OverrideKind.CLEAR]
        body["target"] = targets[pick % len(targets)].id if targets else "none"
    return body


def check(state: ScreenState, instant: datetime) -> None:
    assert state.day == instant.astimezone(NY).date()
    if state.current is not None:
        assert state.current.start <= instant < state.current.end
        assert state.current.takes_place
        assert state.status in (Status.IN_SESSION, Status.SUSPENDED)
    else:
        assert state.status not in (Status.IN_SESSION, Status.SUSPENDED)
    if state.next is not None:
        assert state.next.start > instant
        assert state.next.takes_place
    if state.status is Status.NEXT_TODAY:
        assert state.next is not None and state.next.start.date() == state.day
    for p in state.today:
        assert p.start <= p.end  # equal for a meeting ended the instant it started
    for p in state.notices:
        assert not p.takes_place and p.end > instant
    for b in state.banners:
        assert b.expires is None or b.expires > instant


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(STEP, min_size=1, max_size=12), st.lists(WHEN, max_size=6))
def test_any_valid_requests_leave_sane_screens(
    steps: list[tuple[int, str, int, bool, int]], probes: list[int]
) -> None:
    desk = Desk()
    for offset, kind, n, flag, pick in sorted(steps):
        at = WEEK_START + timedelta(minutes=offset)
        try:
            desk.make(at, **request(kind, at, n, flag, pick, desk.overrides))
        except OverrideError:
            continue
        check(desk.screen(at), at)
    for offset in probes:
        instant = WEEK_START + timedelta(minutes=offset, seconds=offset % 60)
        check(desk.screen(instant), instant)
        following = desk.next_change(instant)
        assert following is None or following > instant
