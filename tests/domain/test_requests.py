"""``build_override``: a request body becomes an ``Override``, or is refused with the field that is
wrong.  Pure: the programmes, the overrides already made and "now" are passed in."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.domain.loader import load_programme
from dashboard.domain.overrides import (
    NotAllowed,
    Override,
    OverrideError,
    OverrideKind,
    UnknownRoom,
)
from dashboard.domain.programme import Programme
from dashboard.domain.requests import (
    ANY_KIND_FIELDS,
    FIELDS,
    KIND_FIELDS,
    MAX_ANNOUNCEMENTS,
    MAX_TEXT,
    OverrideRequest,
    build_override,
    decode_request,
    parse_request,
    request_fingerprint,
)
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
NY_OFFSET = timedelta(hours=-5)  # December: EST

WEEK = load_programme(SHIPPED_NOTE.read_bytes(), "x.txt").programme
# Conference Room 1: free on Wednesday morning, busy on Thursday morning.
SIDE_NOTE = """Working group on testing Second session New York, 11–15 December 2023

Wednesday, 13 December
8–9.30 a.m.\tBriefing for delegations
Thursday, 14 December
10 a.m.–1 p.m.\tInformal consultations
"""
SIDE = load_programme(SIDE_NOTE.encode(), "side.txt").programme
PROGRAMMES: dict[str, Programme] = {"cr4": WEEK, "cr1": SIDE}
NAMES = {"cr4": "Conference Room 4", "cr1": "Conference Room 1"}


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2023, 12, day, hour, minute, tzinfo=NY)


WED_1030 = ny(13, 10, 30)  # Wednesday, half an hour into the morning meeting
WED_0900 = ny(13, 9)


def build(
    body: Any,
    now: datetime = WED_1030,
    existing: Sequence[Override] = (),
    allowed: frozenset[str] | None = None,
    id: str = "new",
) -> Override:
    return build_override(
        body,
        id=id,
        author="alice",
        now=now,
        programmes=PROGRAMMES,
        room_names=NAMES,
        allowed_rooms=allowed,
        existing=existing,
    )


def refused(
    body: Any,
    now: datetime = WED_1030,
    existing: Sequence[Override] = (),
    allowed: frozenset[str] | None = None,
) -> OverrideError:
    with pytest.raises(OverrideError) as info:
        build(body, now, existing, allowed)
    return info.value


# --- the request itself ------------------------------------------------------------------------


def test_a_body_that_is_not_an_object_is_refused() -> None:
    error = refused(["room", "cr4"])
    assert (error.field, error.status) == ("body", 400)


def test_a_missing_kind_is_refused() -> None:
    error = refused({"room": "cr4"})
    assert (error.field, error.status) == ("kind", 400)
    assert "late" in error.message and "clear" in error.message


@pytest.mark.parametrize("kind", ["postpone", "LATE", "", 3, None])
def test_an_unknown_kind_is_refused(kind: object) -> None:
    assert refused({"room": "cr4", "kind": kind}).field == "kind"


def test_an_unknown_field_is_named() -> None:
    error = refused({"room": "cr4", "kind": "closed", "colour": "red"})
    assert (error.field, error.message) == ("colour", "unknown field")
    assert str(error) == "colour: unknown field"


@pytest.mark.parametrize("room", [None, "", 4, [], [4]])
def test_a_missing_or_malformed_room_is_refused(room: object) -> None:
    body: dict[str, object] = {"kind": "closed"}
    if room is not None:
        body["room"] = room
    error = refused(body)
    assert (error.field, error.status) == ("room", 400)
    assert not isinstance(error, UnknownRoom | NotAllowed)


def test_an_unknown_room_is_404() -> None:
    error = refused({"room": "cr9", "kind": "closed"})
    assert isinstance(error, UnknownRoom)
    assert (error.field, error.status) == ("room", 404)
    assert "cr9" in error.message


def test_an_unknown_room_in_a_list_is_404() -> None:
    error = refused({"rooms": ["cr4", "cr9"], "kind": "announce", "text": "Hi"})
    assert isinstance(error, UnknownRoom)
    assert error.field == "room"


def test_a_chair_may_not_act_on_another_room() -> None:
    error = refused({"room": "cr1", "kind": "closed"}, now=ny(13, 7), allowed=frozenset({"cr4"}))
    assert isinstance(error, NotAllowed)
    assert (error.field, error.status) == ("room", 403)


def test_a_chair_may_not_address_all_rooms() -> None:
    error = refused({"rooms": "all", "kind": "announce", "text": "Hi"}, allowed=frozenset({"cr4"}))
    assert isinstance(error, NotAllowed)
    assert error.status == 403


def test_a_chair_acts_on_its_own_room() -> None:
    made = build({"room": "cr4", "kind": "closed"}, allowed=frozenset({"cr4"}))
    assert made.rooms == ("cr4",)
    assert made.slots == (("cr4", "2023-12-13-1000"),)


def test_all_expands_to_every_room() -> None:
    made = build({"rooms": "all", "kind": "announce", "text": "Fire drill at noon"})
    assert made.rooms == ("cr4", "cr1")
    assert made.slots == ()


def test_all_rooms_for_a_slot_kind_names_each_room_s_slot() -> None:
    # 7 a.m. Wednesday: cr4's next slot is 10 a.m., cr1's is its 8 a.m. briefing.
    made = build({"room": "all", "kind": "closed"}, now=ny(13, 7))
    assert made.rooms == ("cr4", "cr1")
    assert made.slot_in("cr4") == "2023-12-13-1000"
    assert made.slot_in("cr1") == "2023-12-13-0800"


def test_a_list_of_rooms_drops_repeats_and_keeps_order() -> None:
    made = build({"rooms": ["cr1", "cr4", "cr1"], "kind": "announce", "text": "Hi"})
    assert made.rooms == ("cr1", "cr4")


def test_the_made_override_records_who_when_and_why() -> None:
    now = ny(13, 10, 30)
    made = build({"room": "cr4", "kind": "closed", "reason": "  Bureau request  "}, now=now)
    assert made.id == "new"
    assert made.kind is OverrideKind.CLOSED
    assert made.author == "alice"
    assert made.created == now and made.effective == now
    assert made.reason == "Bureau request"  # stripped
    assert made.expires is None and made.target is None


def test_now_in_another_zone_is_kept_with_the_venue_s_offset() -> None:
    now_utc = ny(13, 10, 30).astimezone(ZoneInfo("UTC"))
    made = build({"room": "cr4", "kind": "closed"}, now=now_utc)
    assert made.created == now_utc
    assert made.created.utcoffset() == NY_OFFSET
    assert made.created.hour == 10


# --- minutes -----------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [None, "15", 15.0, 1.5, True, False, [15]])
def test_late_minutes_must_be_a_whole_number(minutes: object) -> None:
    body: dict[str, object] = {"room": "cr4", "kind": "late"}
    if minutes is not None:
        body["minutes"] = minutes
    error = refused(body, now=ny(13, 9))
    assert (error.field, error.message) == ("minutes", "expected a whole number of minutes")


@pytest.mark.parametrize("minutes", [0, -5, 241, 10_000])
def test_late_minutes_out_of_range(minutes: int) -> None:
    error = refused({"room": "cr4", "kind": "late", "minutes": minutes}, now=ny(13, 9))
    assert (error.field, error.message) == ("minutes", "must be between 1 and 240")


def test_late_minutes_past_the_slot_s_end_are_refused() -> None:
    # 10 a.m. + 180 minutes = 1 p.m., the slot's end.
    error = refused({"room": "cr4", "kind": "late", "minutes": 180}, now=ny(13, 9))
    assert error.field == "minutes"
    made = build({"room": "cr4", "kind": "late", "minutes": 179}, now=ny(13, 9))
    assert made.minutes == 179


def test_late_acts_on_the_next_slot_and_keeps_shift_rest() -> None:
    made = build({"room": "cr4", "kind": "late", "minutes": 15, "shift_rest": True}, ny(13, 9))
    assert made.slots == (("cr4", "2023-12-13-1000"),)
    assert (made.minutes, made.shift_rest) == (15, True)
    plain = build({"room": "cr4", "kind": "late", "minutes": 15}, ny(13, 9))
    assert plain.shift_rest is False


@pytest.mark.parametrize("shift_rest", ["yes", "true", 1, 0, [True]])
def test_shift_rest_must_be_true_or_false(shift_rest: object) -> None:
    """Issue 12: "yes" was stored as false, silently."""
    body = {"room": "cr4", "kind": "late", "minutes": 15, "shift_rest": shift_rest}
    error = refused(body, now=ny(13, 9))
    assert (error.field, error.message) == ("shift_rest", "expected true or false")


# --- times -------------------------------------------------------------------------------------


@pytest.mark.parametrize("until", ["half past one", "2023-13-01T10:00", 1330, ["13:30"]])
def test_until_must_be_iso(until: object) -> None:
    error = refused({"room": "cr4", "kind": "extend", "until": until})
    assert error.field == "until"
    assert "ISO 8601" in error.message


def test_extend_needs_until() -> None:
    error = refused({"room": "cr4", "kind": "extend"})
    assert error.field == "until"


def test_a_naive_time_is_read_in_the_venue_s_zone() -> None:
    made = build({"room": "cr4", "kind": "extend", "until": "2023-12-13T13:30"})
    assert made.until == ny(13, 13, 30)
    assert made.until is not None and made.until.utcoffset() == NY_OFFSET


def test_an_aware_time_is_stored_with_the_venue_s_offset() -> None:
    made = build({"room": "cr4", "kind": "extend", "until": "2023-12-13T18:30:00+00:00"})
    assert made.until == ny(13, 13, 30)
    assert made.until is not None
    assert (made.until.hour, made.until.utcoffset()) == (13, NY_OFFSET)
    assert made.to_data()["until"] == "2023-12-13T13:30:00-05:00"


def test_a_wall_time_that_daylight_saving_skips_is_refused() -> None:
    error = refused(
        {"room": "cr4", "kind": "announce", "text": "Hi", "expires": "2024-03-10T02:30"}
    )
    assert error.field == "expires"
    assert "does not exist" in error.message


def test_a_naive_effective_time_is_read_in_the_venue_s_zone() -> None:
    made = build({"room": "cr4", "kind": "end", "effective": "2023-12-13T11:00"}, ny(13, 10, 30))
    assert made.effective == ny(13, 11)
    assert made.created == ny(13, 10, 30)


@pytest.mark.parametrize("expires", ["2023-12-13T10:00", "2023-12-13T10:30", "2023-12-12T12:00"])
def test_expires_in_the_past_is_refused(expires: str) -> None:
    error = refused({"room": "cr4", "kind": "announce", "text": "Hi", "expires": expires})
    assert (error.field, error.message) == ("expires", "is in the past")


def test_expires_in_the_future_is_kept() -> None:
    made = build({"room": "cr4", "kind": "announce", "text": "Hi", "expires": "2023-12-13T10:31"})
    assert made.expires == ny(13, 10, 31)


# --- texts -------------------------------------------------------------------------------------


def test_text_up_to_the_limit_is_kept() -> None:
    text = "x" * MAX_TEXT
    assert MAX_TEXT == 500
    assert build({"room": "cr4", "kind": "announce", "text": text}).text == text


@pytest.mark.parametrize("field", ["text", "reason"])
def test_text_longer_than_the_limit_is_refused(field: str) -> None:
    body = {"room": "cr4", "kind": "announce", "text": "Hi", field: "x" * 501}
    error = refused(body)
    assert (error.field, error.message) == (field, "longer than 500 characters")


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\x1b[31m", "\x7f", "\r"])
@pytest.mark.parametrize("field", ["text", "reason"])
def test_control_characters_are_refused(field: str, bad: str) -> None:
    body = {"room": "cr4", "kind": "announce", "text": "Hi", field: f"a{bad}b"}
    error = refused(body)
    assert (error.field, error.message) == (field, "contains control characters")


def test_tabs_and_newlines_are_text() -> None:
    made = build({"room": "cr4", "kind": "announce", "text": "Line one\n\tLine two"})
    assert made.text == "Line one\n\tLine two"


@pytest.mark.parametrize("text", [5, ["Hi"], {"en": "Hi"}])
def test_text_must_be_a_string(text: object) -> None:
    error = refused({"room": "cr4", "kind": "announce", "text": text})
    assert (error.field, error.message) == ("text", "expected a string")


@pytest.mark.parametrize("text", [None, "", "   "])
def test_an_announcement_needs_a_text(text: object) -> None:
    assert refused({"room": "cr4", "kind": "announce", "text": text}).field == "text"


@pytest.mark.parametrize("priority", ["high", "", 1, ["urgent"]])
def test_an_unknown_priority_is_refused(priority: object) -> None:
    body = {"room": "cr4", "kind": "announce", "text": "Hi", "priority": priority}
    assert refused(body).field == "priority"


def test_null_is_not_given() -> None:
    made = build({"room": "cr4", "kind": "announce", "text": "Hi", "priority": None})
    assert made.priority == "normal"
    assert build({"room": "cr4", "kind": "closed", "reason": None, "slot": None}).reason == ""


def test_an_urgent_announcement() -> None:
    made = build({"room": "cr4", "kind": "announce", "text": "Hi", "priority": "urgent"})
    assert made.priority == "urgent"
    assert build({"room": "cr4", "kind": "announce", "text": "Hi"}).priority == "normal"


# --- slots -------------------------------------------------------------------------------------


def test_a_named_slot_is_used() -> None:
    made = build({"room": "cr4", "kind": "cancel", "slot": "2023-12-15-1500"})
    assert made.slots == (("cr4", "2023-12-15-1500"),)


def test_an_unknown_slot_is_refused() -> None:
    error = refused({"room": "cr4", "kind": "cancel", "slot": "2023-12-13-0900"})
    assert error.field == "slot"
    assert "Conference Room 4" in error.message


def test_nothing_left_in_the_programme() -> None:
    error = refused({"room": "cr4", "kind": "cancel"}, now=ny(15, 18))
    assert error.field == "room"
    assert "no meeting is left" in error.message


@pytest.mark.parametrize(
    "extra",
    [
        {"kind": "extend", "until": "2023-12-13T14:30"},
        {"kind": "end"},
        {"kind": "suspend", "until": "2023-12-13T14:30"},
        {"kind": "resume"},
        {"kind": "pointer", "text": "Item 5"},
    ],
    ids=lambda extra: extra["kind"],
)
def test_kinds_that_need_a_meeting_under_way(extra: dict[str, str]) -> None:
    error = refused({"room": "cr4", **extra}, now=ny(13, 14))
    assert error.field == "room"
    assert error.message == "no meeting is under way in Conference Room 4"


def test_extend_running_into_the_next_slot_is_refused() -> None:
    error = refused({"room": "cr4", "kind": "extend", "until": "2023-12-13T15:01"})
    assert error.field == "until"
    assert "runs into the next meeting" in error.message
    # Up to the next slot's start is fine.
    made = build({"room": "cr4", "kind": "extend", "until": "2023-12-13T15:00"})
    assert made.until == ny(13, 15)


@pytest.mark.parametrize("until", ["2023-12-13T09:30", "2023-12-13T10:00", "2023-12-13T10:15"])
def test_extend_to_before_the_start_or_the_past_is_refused(until: str) -> None:
    error = refused({"room": "cr4", "kind": "extend", "until": until}, now=ny(13, 10, 30))
    assert error.field == "until"


def test_suspend_until_in_the_past_is_refused() -> None:
    error = refused({"room": "cr4", "kind": "suspend", "until": "2023-12-13T10:15"})
    assert error.field == "until"
    made = build({"room": "cr4", "kind": "suspend"})
    assert made.until is None


def test_resume_without_a_suspension_is_refused() -> None:
    error = refused({"room": "cr4", "kind": "resume"})
    assert error.field == "kind"
    assert "not suspended" in error.message


def test_resume_after_a_suspension() -> None:
    suspended = build({"room": "cr4", "kind": "suspend"}, now=ny(13, 11), id="s")
    made = build({"room": "cr4", "kind": "resume"}, now=ny(13, 11, 20), existing=[suspended])
    assert made.slots == (("cr4", "2023-12-13-1000"),)


def test_end_before_the_slot_s_start_is_refused() -> None:
    error = refused({"room": "cr4", "kind": "end", "slot": "2023-12-13-1500"})
    assert error.field == "effective"


def test_pointer_needs_a_text() -> None:
    assert refused({"room": "cr4", "kind": "pointer"}).field == "text"


def test_move_needs_a_known_other_room() -> None:
    missing = refused({"room": "cr4", "kind": "move"}, now=ny(13, 9))
    assert missing.field == "to_room" and not isinstance(missing, UnknownRoom)
    unknown = refused({"room": "cr4", "kind": "move", "to_room": "cr9"}, now=ny(13, 9))
    assert isinstance(unknown, UnknownRoom)
    assert (unknown.field, unknown.status) == ("to_room", 404)
    same = refused({"room": "cr4", "kind": "move", "to_room": "cr4"}, now=ny(13, 9))
    assert same.field == "to_room" and same.status == 400
    several = refused({"rooms": ["cr4", "cr1"], "kind": "move", "to_room": "cr1"}, ny(13, 9))
    assert several.field == "to_room"


def test_move_to_a_busy_room_is_refused() -> None:
    # Thursday 10 a.m.–1 p.m.: cr1 holds informal consultations.
    error = refused({"room": "cr4", "kind": "move", "to_room": "cr1"}, now=ny(14, 9))
    assert error.field == "to_room"
    assert error.message == "Conference Room 1 is in use then"


def test_move_to_a_free_room() -> None:
    made = build({"room": "cr4", "kind": "move", "to_room": "cr1"}, now=ny(13, 9))
    assert (made.rooms, made.to_room) == (("cr4",), "cr1")
    assert made.slots == (("cr4", "2023-12-13-1000"),)


def test_move_into_a_room_already_taken_by_a_moved_slot_is_refused() -> None:
    first = build({"room": "cr4", "kind": "move", "to_room": "cr1"}, now=ny(13, 9), id="m")
    # A third room whose Wednesday morning also wants cr1.
    programmes = {**PROGRAMMES, "cr2": WEEK}
    with pytest.raises(OverrideError) as info:
        build_override(
            {"room": "cr2", "kind": "move", "to_room": "cr1"},
            id="m2",
            author="alice",
            now=ny(13, 9),
            programmes=programmes,
            room_names={},
            allowed_rooms=None,
            existing=[first],
        )
    assert info.value.field == "to_room"
    assert info.value.message == "cr1 is in use then"  # no name: the room id


# --- clear -------------------------------------------------------------------------------------


def late(now: datetime = WED_0900) -> Override:
    return build({"room": "cr4", "kind": "late", "minutes": 10}, now=now, id="late-1")


def test_clear_names_its_target() -> None:
    made = build({"room": "cr4", "kind": "clear", "target": "late-1"}, existing=[late()])
    assert (made.kind, made.target, made.slots) == (OverrideKind.CLEAR, "late-1", ())


@pytest.mark.parametrize("target", [None, "", 7])
def test_clear_needs_a_target(target: object) -> None:
    body: dict[str, object] = {"room": "cr4", "kind": "clear"}
    if target is not None:
        body["target"] = target
    assert refused(body, existing=[late()]).field == "target"


def test_clearing_an_unknown_override_is_refused() -> None:
    error = refused({"room": "cr4", "kind": "clear", "target": "nope"}, existing=[late()])
    assert error.field == "target"
    assert "nope" in error.message


def test_clearing_twice_is_refused() -> None:
    first = build(
        {"room": "cr4", "kind": "clear", "target": "late-1"}, existing=[late()], id="clear-1"
    )
    again = refused({"room": "cr4", "kind": "clear", "target": "late-1"}, existing=[late(), first])
    assert (again.field, again.message) == ("target", "is already cleared")
    a_clear = refused(
        {"room": "cr4", "kind": "clear", "target": "clear-1"}, existing=[late(), first]
    )
    assert (a_clear.field, a_clear.message) == ("target", "is already cleared")


def test_a_chair_may_not_clear_another_room_s_override() -> None:
    everywhere = build({"rooms": "all", "kind": "announce", "text": "Hi"}, id="a")
    error = refused(
        {"room": "cr4", "kind": "clear", "target": "a"},
        existing=[everywhere],
        allowed=frozenset({"cr4"}),
    )
    assert isinstance(error, NotAllowed)
    assert (error.field, error.status) == ("target", 403)


def test_build_is_pure() -> None:
    existing = [late()]
    body = {"room": "cr4", "kind": "late", "minutes": 5}
    first = build(body, now=ny(13, 9, 30), existing=existing)
    second = build(body, now=ny(13, 9, 30), existing=existing)
    assert first == second
    assert existing == [late()]
    assert body == {"room": "cr4", "kind": "late", "minutes": 5}


# --- issue 12: the shape of a request, strictly ------------------------------------------------


def decoded(raw: bytes) -> OverrideRequest:
    return decode_request(raw)


def refused_json(raw: bytes) -> OverrideError:
    with pytest.raises(OverrideError) as info:
        build(decoded(raw))
    return info.value


DEEP = 30_000


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        # Each of these gave a 500 on main (issue 12).
        (b'{"room": "cr4", "kind": "late", "minutes": 1' + b"0" * 5000 + b"}", "minutes"),
        (b'{"room": "cr4", "kind": "late", "minutes": -1' + b"0" * 5000 + b"}", "minutes"),
        (
            b'{"room": "cr4", "kind": "announce", "text": "x",'
            b' "expires": "9999-12-31T23:59:59-12:00"}',
            "expires",
        ),
        (b'{"room": "cr4", "kind": "announce", "text": "a\\ud800b"}', "body"),
        (b'{"room": "cr4", "kind": "announce", "text": "a\\udfffb"}', "body"),
        (b'{"room": "cr4", "kind": "announce", "text": "a\xed\xa0\x80b"}', "body"),
        (
            b'{"room": "cr4", "kind": "closed", "reason": ' + b"[" * DEEP + b"]" * DEEP + b"}",
            "reason",
        ),
        (b"[" * DEEP + b"]" * DEEP, "body"),
        (
            b'{"room": "cr4", "kind": "closed", "x": '
            + b'{"a":' * DEEP
            + b"1"
            + b"}" * DEEP
            + b"}",
            "x",
        ),
        # Each of these was silently accepted.
        (b'{"room": "cr4", "kind": "cancel", "slot": 5}', "slot"),
        (b'{"room": "cr4", "kind": "announce", "text": "Hi", "slot": "2023-12-13-1000"}', "slot"),
        (b'{"room": "cr4", "kind": "late", "minutes": 5, "shift_rest": "yes"}', "shift_rest"),
        (b'{"room": "cr4", "rooms": ["cr1"], "kind": "announce", "text": "Hi"}', "rooms"),
        (b'{"room": "cr4", "kind": "end", "effective": "0001-01-01T00:00"}', "effective"),
        (b'{"room": "cr4", "kind": "closed", "effective": "2025-01-01T00:00"}', "effective"),
        (b'{"room": "cr4", "kind": "announce", "text": "Hi", "expires": "9999-12-31"}', "expires"),
        (b'{"room": "cr4", "kind": "extend", "until": "0001-01-01T00:00+23:59"}', "until"),
        # And a few more of the kind.
        (b'{"room": "cr4", "kind": "late", "minutes": 5.0}', "minutes"),
        (b'{"room": "cr4", "kind": "late", "minutes": NaN}', "body"),
        (b'{"room": "cr4", "kind": "late", "minutes": 1e999}', "minutes"),
        (b'{"room": "cr4", "kind": "closed"} trailing', "body"),
        (b"", "body"),
        (b'"late"', "body"),
        (b'{"room": "cr4", "kind": "pointer", "text": "Item 5", "priority": "urgent"}', "priority"),
        (
            b'{"room": "cr4", "kind": "extend", "until": "2023-12-13T13:30", "minutes": 5}',
            "minutes",
        ),
        (
            b'{"room": "cr4", "kind": "clear", "target": "x", "expires": "2023-12-14T10:00"}',
            "expires",
        ),
        (b'{"room": "cr4", "kind": "closed", "text": "Informal"}', "text"),
        (b'{"room": "cr4", "kind": "move", "to_room": "' + b"c" * 5000 + b'"}', "to_room"),
        (b'{"room": "cr4", "kind": "cancel", "slot": "' + b"s" * 5000 + b'"}', "slot"),
        (
            b'{"room": "cr4", "kind": "announce", "text": "Hi", "expires": "' + b"2" * 5000 + b'"}',
            "expires",
        ),
    ],
)
def test_a_malformed_request_is_refused_naming_its_field(raw: bytes, field: str) -> None:
    error = refused_json(raw)
    assert error.status == 400
    assert error.field == field, error
    assert len(str(error)) < 300, "the error does not echo what was sent at length"


def test_an_unknown_field_with_a_long_name_is_named_briefly() -> None:
    error = refused_json(b'{"room": "cr4", "kind": "closed", "' + b"z" * 10_000 + b'": 1}')
    assert error.message == "unknown field"
    assert error.field.startswith("zzz") and len(error.field) <= 40


def test_a_lone_surrogate_from_a_mapping_is_refused() -> None:
    """Not only in JSON: a mapping (the console's form) is checked the same way."""
    error = refused({"room": "cr4", "kind": "announce", "text": "a\ud800b"})
    assert (error.field, error.status) == ("text", 400)


def test_the_shape_is_the_same_from_json_and_from_a_mapping() -> None:
    body = {"room": "cr4", "kind": "late", "minutes": 15, "shift_rest": True}
    assert decoded(json.dumps(body).encode()) == parse_request(body)
    assert build(decoded(json.dumps(body).encode()), ny(13, 9)) == build(body, ny(13, 9))


def test_a_field_a_kind_does_not_take_is_refused_not_dropped() -> None:
    for kind, fields in KIND_FIELDS.items():
        for field in FIELDS - fields - ANY_KIND_FIELDS:
            value: object = True if field == "shift_rest" else 5 if field == "minutes" else "x"
            error = refused({"room": "cr4", "kind": kind.value, field: value})
            assert (error.field, error.message) == (field, f"not used by kind {kind.value!r}")


def test_instants_within_the_programme_s_dates_give_or_take_a_year() -> None:
    # The shipped week is 11–15 December 2023.
    made = build({"room": "cr4", "kind": "announce", "text": "Hi", "expires": "2024-12-14T10:00"})
    assert made.expires == datetime(2024, 12, 14, 10, tzinfo=NY)
    error = refused({"room": "cr4", "kind": "announce", "text": "Hi", "expires": "2025-01-01"})
    assert error.field == "expires"
    assert "give or take a year" in error.message


def test_the_fingerprint_is_what_the_request_says() -> None:
    one = decoded(b'{"room": "cr4", "kind": "late", "minutes": 15}')
    same = decoded(b'{ "minutes":15,\n "kind":"late", "room":"cr4", "reason": null }')
    other = decoded(b'{"room": "cr4", "kind": "late", "minutes": 16}')
    assert request_fingerprint(one) == request_fingerprint(same)
    assert request_fingerprint(one) != request_fingerprint(other)
    assert request_fingerprint(parse_request({"room": "cr4", "kind": "late", "minutes": 15})) == (
        request_fingerprint(one)
    )


# --- issue 12: a bound on the announcements standing in a room ---------------------------------


def announcements(count: int, rooms: object = "cr4", **more: Any) -> list[Override]:
    made: list[Override] = []
    for n in range(count):
        body = {"kind": "announce", "text": f"Notice {n}", **more}
        body["rooms" if isinstance(rooms, list) else "room"] = rooms
        made.append(build(body, existing=made, id=f"a{n}"))
    return made


def test_a_room_holds_at_most_so_many_standing_announcements() -> None:
    assert MAX_ANNOUNCEMENTS == 20
    full = announcements(MAX_ANNOUNCEMENTS)
    error = refused({"room": "cr4", "kind": "announce", "text": "One more"}, existing=full)
    assert (error.field, error.status) == ("room", 400)
    assert "20" in error.message and "Conference Room 4" in error.message
    # Another room is not full; "all" is refused while one room is.
    assert build({"room": "cr1", "kind": "announce", "text": "Hi"}, existing=full).rooms == ("cr1",)
    assert refused({"room": "all", "kind": "announce", "text": "Hi"}, existing=full).field == "room"
    # Other kinds are not announcements.
    assert build({"room": "cr4", "kind": "pointer", "text": "Item 5"}, existing=full)


def test_cleared_and_expired_announcements_do_not_count() -> None:
    full = announcements(MAX_ANNOUNCEMENTS - 1)
    expiring = build(
        {"room": "cr4", "kind": "announce", "text": "Soon gone", "expires": "2023-12-13T10:45"},
        existing=full,
        id="soon",
    )
    full = [*full, expiring]
    assert refused({"room": "cr4", "kind": "announce", "text": "x"}, existing=full).field == "room"
    # Once it has expired, there is room again.
    assert build({"room": "cr4", "kind": "announce", "text": "x"}, ny(13, 10, 46), full)
    cleared = build({"room": "cr4", "kind": "clear", "target": "a0"}, existing=full, id="c")
    assert build({"room": "cr4", "kind": "announce", "text": "x"}, existing=[*full, cleared])
