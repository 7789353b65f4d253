"""When the screens next change, with overrides; and a property: any valid sequence of
requests leaves sane screens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.domain.overrides import Override, OverrideError, OverrideKind
from dashboard.domain.plan import change_instants
from dashboard.domain.timeline import ScreenState, Status
from tests.domain._plan_desk import (
    NY,
    SPLIT,
    Desk,
    ny,
)

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
    # "Ended early" until the printed end (6 p.m.), then the session is over.
    assert desk.next_change(ny(15, 17)) == ny(15, 18)
    assert desk.next_change(ny(15, 18)) == datetime(2023, 12, 16, tzinfo=NY)
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
