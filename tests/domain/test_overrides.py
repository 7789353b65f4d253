"""Overrides as data: which are in force at an instant, which still stand, which concern a room,
and their JSON form (the store and the API) read back unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.domain.loader import load_programme
from dashboard.domain.overrides import (
    PRIORITIES,
    SLOT_KINDS,
    NotAllowed,
    Override,
    OverrideError,
    OverrideKind,
    UnknownRoom,
    cleared_ids,
    for_room,
    in_force,
    standing,
)
from dashboard.domain.requests import build_override
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2023, 12, day, hour, minute, tzinfo=NY)


def override(
    id: str,
    effective: datetime,
    kind: OverrideKind = OverrideKind.ANNOUNCE,
    rooms: tuple[str, ...] = ("cr4",),
    **fields: object,
) -> Override:
    return Override(
        id=id,
        kind=kind,
        rooms=rooms,
        author="alice",
        created=ny(13, 8),
        effective=effective,
        **fields,  # type: ignore[arg-type]
    )


def ids(overrides: list[Override]) -> list[str]:
    return [o.id for o in overrides]


# --- errors and kinds --------------------------------------------------------------------------


def test_errors_carry_their_field_and_http_status() -> None:
    plain, unknown, forbidden = (
        OverrideError("minutes", "too many"),
        UnknownRoom("room", "unknown room 'cr9'"),
        NotAllowed("room", "no"),
    )
    assert (plain.field, plain.message, str(plain)) == ("minutes", "too many", "minutes: too many")
    assert (plain.status, unknown.status, forbidden.status) == (400, 404, 403)
    assert isinstance(unknown, OverrideError) and isinstance(forbidden, ValueError)


def test_slot_kinds_are_all_but_announce_and_clear() -> None:
    assert OverrideKind.ANNOUNCE not in SLOT_KINDS and OverrideKind.CLEAR not in SLOT_KINDS
    assert len(SLOT_KINDS) == len(OverrideKind) - 2
    assert {k.value for k in OverrideKind} == {
        "late",
        "extend",
        "end",
        "suspend",
        "resume",
        "cancel",
        "move",
        "closed",
        "pointer",
        "announce",
        "clear",
    }
    assert PRIORITIES == ("normal", "urgent")


def test_slot_in_finds_the_room_s_slot() -> None:
    o = override(
        "a",
        ny(13, 9),
        OverrideKind.CLOSED,
        rooms=("cr1", "cr4"),
        slots=(("cr1", "2023-12-13-0800"), ("cr4", "2023-12-13-1000")),
    )
    assert o.slot_in("cr4") == "2023-12-13-1000"
    assert o.slot_in("cr1") == "2023-12-13-0800"
    assert o.slot_in("cr2") is None


# --- in force, standing, cleared ---------------------------------------------------------------


def test_an_override_is_in_force_from_its_effective_instant() -> None:
    now, later = override("now", ny(13, 10)), override("later", ny(13, 12))
    both = [now, later]
    assert in_force(both, ny(13, 9, 59)) == []
    assert ids(in_force(both, ny(13, 10))) == ["now"]
    assert ids(in_force(both, ny(13, 11, 59))) == ["now"]
    assert ids(in_force(both, ny(13, 12))) == ["now", "later"]
    # Standing: what the console lists, including what takes effect later.
    assert ids(standing(both, ny(13, 9))) == ["now", "later"]
    assert ids(standing(both, ny(13, 11))) == ["now", "later"]


def test_expiry_is_half_open() -> None:
    banner = override("b", ny(13, 10), expires=ny(13, 11))
    assert ids(in_force([banner], ny(13, 10, 59))) == ["b"]
    assert in_force([banner], ny(13, 11)) == []
    assert ids(standing([banner], ny(13, 10, 59))) == ["b"]
    assert standing([banner], ny(13, 11)) == []
    assert standing([banner], ny(14, 11)) == []


def test_a_clear_takes_effect_at_its_own_effective_instant() -> None:
    target = override("t", ny(13, 10))
    clear = override("c", ny(13, 11), OverrideKind.CLEAR, target="t")
    overrides = [target, clear]
    assert cleared_ids(overrides, ny(13, 10, 59)) == set()
    assert cleared_ids(overrides, ny(13, 11)) == {"t"}
    assert ids(in_force(overrides, ny(13, 10, 59))) == ["t"]
    assert in_force(overrides, ny(13, 11)) == []
    assert ids(standing(overrides, ny(13, 10, 59))) == ["t"]
    assert standing(overrides, ny(13, 11)) == []


def test_clears_are_never_in_force_or_standing_themselves() -> None:
    clear = override("c", ny(13, 9), OverrideKind.CLEAR, target="gone")
    assert in_force([clear], ny(13, 12)) == []
    assert standing([clear], ny(13, 12)) == []
    assert cleared_ids([clear], ny(13, 12)) == {"gone"}


def test_a_clear_of_a_later_override_removes_it_from_standing() -> None:
    later = override("later", ny(13, 15))
    clear = override("c", ny(13, 9), OverrideKind.CLEAR, target="later")
    assert standing([later, clear], ny(13, 10)) == []
    assert in_force([later, clear], ny(13, 16)) == []


def test_in_force_keeps_the_order_they_were_made() -> None:
    made = [override(f"o{i}", ny(13, 10 - i)) for i in range(4)]  # later made, earlier effective
    assert ids(in_force(made, ny(13, 12))) == ["o0", "o1", "o2", "o3"]


def test_for_room_includes_moves_into_the_room() -> None:
    here = override("here", ny(13, 9))
    there = override("there", ny(13, 9), rooms=("cr1",))
    both = override("both", ny(13, 9), rooms=("cr1", "cr4"))
    moved_in = override("in", ny(13, 9), OverrideKind.MOVE, rooms=("cr1",), to_room="cr4")
    overrides = [here, there, both, moved_in]
    assert ids(for_room(overrides, "cr4")) == ["here", "both", "in"]
    assert ids(for_room(overrides, "cr1")) == ["there", "both", "in"]
    assert for_room(overrides, "cr2") == []


# --- JSON form ---------------------------------------------------------------------------------


def test_to_data_is_json_with_iso_instants() -> None:
    o = override(
        "x",
        ny(13, 10),
        OverrideKind.EXTEND,
        slots=(("cr4", "2023-12-13-1000"),),
        until=ny(13, 13, 30),
        reason="Bureau",
    )
    data = o.to_data()
    assert data == {
        "id": "x",
        "kind": "extend",
        "rooms": ["cr4"],
        "author": "alice",
        "created": "2023-12-13T08:00:00-05:00",
        "effective": "2023-12-13T10:00:00-05:00",
        "slots": {"cr4": "2023-12-13-1000"},
        "minutes": None,
        "until": "2023-12-13T13:30:00-05:00",
        "to_room": None,
        "text": "",
        "priority": "normal",
        "expires": None,
        "target": None,
        "reason": "Bureau",
        "shift_rest": False,
    }
    assert Override.from_data(json.loads(json.dumps(data))) == o


def test_from_data_fills_defaults_for_missing_optional_fields() -> None:
    o = Override.from_data(
        {
            "id": "y",
            "kind": "closed",
            "rooms": ["cr4"],
            "author": "bob",
            "created": "2023-12-13T08:00:00-05:00",
            "effective": "2023-12-13T09:00:00-05:00",
        }
    )
    assert o == Override(
        id="y",
        kind=OverrideKind.CLOSED,
        rooms=("cr4",),
        author="bob",
        created=ny(13, 8),
        effective=ny(13, 9),
    )
    assert (o.slots, o.text, o.priority, o.reason, o.shift_rest) == ((), "", "normal", "", False)
    assert (o.minutes, o.until, o.expires, o.target, o.to_room) == (None,) * 5


def test_a_built_override_for_several_rooms_reads_back_equal() -> None:
    week = load_programme(SHIPPED_NOTE.read_bytes(), "x.txt").programme
    made = build_override(
        {"rooms": ["cr4", "cr1"], "kind": "cancel", "text": "Postponed"},
        id="c",
        author="alice",
        now=ny(13, 9),
        programmes={"cr4": week, "cr1": week},
        room_names={},
        allowed_rooms=None,
        existing=[],
    )
    stored = json.dumps(made.to_data(), sort_keys=True)  # as the store keeps it
    assert Override.from_data(json.loads(stored)) == made
    assert made.slot_in("cr1") == made.slot_in("cr4") == "2023-12-13-1000"


ZONES = st.sampled_from([UTC, NY, ZoneInfo("Asia/Kolkata"), timezone(timedelta(hours=-3)), UTC])
INSTANTS = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=ZONES,
    allow_imaginary=False,
)
NAMES = st.text(st.characters(codec="utf-8"), min_size=1, max_size=12)
TEXTS = st.text(st.characters(codec="utf-8"), max_size=40)


@st.composite
def overrides(draw: st.DrawFn) -> Override:
    rooms = tuple(draw(st.lists(NAMES, min_size=1, max_size=3, unique=True)))
    kind = draw(st.sampled_from(list(OverrideKind)))
    slots: tuple[tuple[str, str], ...] = ()
    if kind in SLOT_KINDS:
        slots = tuple(sorted((room, draw(NAMES)) for room in rooms))
    return Override(
        id=draw(NAMES),
        kind=kind,
        rooms=rooms,
        author=draw(NAMES),
        created=draw(INSTANTS),
        effective=draw(INSTANTS),
        slots=slots,
        minutes=draw(st.none() | st.integers(1, 240)),
        until=draw(st.none() | INSTANTS),
        to_room=draw(st.none() | NAMES),
        text=draw(TEXTS),
        priority=draw(st.sampled_from(PRIORITIES)),
        expires=draw(st.none() | INSTANTS),
        target=draw(st.none() | NAMES),
        reason=draw(TEXTS),
        shift_rest=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None)
@given(overrides())
def test_to_data_from_data_round_trip(o: Override) -> None:
    data = json.loads(json.dumps(o.to_data(), sort_keys=True))
    back = Override.from_data(data)
    # Not `back == o`: PEP 495 makes an ambiguous wall time (the repeated hour of a DST change)
    # unequal to the same instant in another tzinfo; the stored form is what must round-trip.
    assert back.to_data() == o.to_data()
    assert back.effective.timestamp() == o.effective.timestamp()
    # Instants keep their wall-clock reading and offset.
    assert back.effective.utcoffset() == o.effective.utcoffset()
    assert back.effective.isoformat() == o.effective.isoformat()


@pytest.mark.parametrize("kind", list(OverrideKind))
def test_every_kind_reads_back(kind: OverrideKind) -> None:
    o = override("k", ny(13, 10), kind)
    assert Override.from_data(o.to_data()).kind is kind
