"""An announcement sent without an expiry is shown until the end of the room's meeting day, not
for days (issue 10, item 4): the end of the room's last meeting that day at the venue, or the
venue's next midnight once no meeting is left.  ``"expires": "never"`` keeps a standing notice
until it is undone.  Pure: ``now`` is passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.domain.loader import load_programme
from dashboard.domain.overrides import Override, OverrideError, in_force
from dashboard.domain.programme import Programme
from dashboard.domain.requests import NO_EXPIRY, build_override, default_expiry
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
WEEK = load_programme(SHIPPED_NOTE.read_bytes(), "week.txt").programme
# Conference Room 1: one early briefing on Wednesday (8–9.30 a.m.), one Thursday morning.
SIDE = load_programme(
    b"Working group on testing Second session New York, 11-15 December 2023\n\n"
    b"Wednesday, 13 December\n8-9.30 a.m.\tBriefing for delegations\n"
    b"Thursday, 14 December\n10 a.m.-1 p.m.\tInformal consultations\n",
    "side.txt",
).programme
PROGRAMMES: dict[str, Programme] = {"cr4": WEEK, "cr1": SIDE}
NAMES = {"cr4": "Conference Room 4", "cr1": "Conference Room 1"}


def ny(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2023) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=NY)


def announce(
    now: datetime,
    programmes: Mapping[str, Programme] = PROGRAMMES,
    existing: Sequence[Override] = (),
    id: str = "a",
    **fields: Any,
) -> Override:
    where = {} if "rooms" in fields else {"room": next(iter(programmes))}
    body = {**where, "kind": "announce", "text": "Coffee", **fields}
    return make(body, now, programmes, existing, id)


def make(
    body: Mapping[str, Any],
    now: datetime,
    programmes: Mapping[str, Programme] = PROGRAMMES,
    existing: Sequence[Override] = (),
    id: str = "o",
) -> Override:
    return build_override(
        body,
        id=id,
        author="alice",
        now=now,
        programmes=programmes,
        room_names=NAMES,
        allowed_rooms=None,
        existing=existing,
    )


# --- the room's meeting day --------------------------------------------------------------------


def test_sent_on_wednesday_afternoon_it_ends_with_the_day_s_last_meeting() -> None:
    # The reported case: sent Wednesday at 3 p.m., it was still up on Thursday evening.
    made = announce(ny(13, 15))
    assert made.expires == ny(13, 18)  # the 3–6 p.m. meeting is Wednesday's last in the room
    assert made.expires is not None and made.expires.utcoffset() == timedelta(hours=-5)
    assert in_force([made], ny(13, 17, 59))
    assert not in_force([made], ny(13, 18))
    assert not in_force([made], ny(14, 19))  # Thursday evening


def test_sent_in_the_morning_it_stays_through_the_afternoon_meeting() -> None:
    assert announce(ny(13, 10, 30)).expires == ny(13, 18)
    assert announce(ny(13, 7)).expires == ny(13, 18)  # before the day's first meeting


def test_after_the_last_meeting_it_ends_at_the_venue_s_midnight() -> None:
    assert announce(ny(13, 19)).expires == ny(14, 0)
    assert announce(ny(13, 18)).expires == ny(14, 0)  # the meeting is over at its end


def test_on_a_day_without_meetings_it_ends_at_midnight() -> None:
    assert announce(ny(16, 11)).expires == ny(17, 0)  # Saturday, after the session


def test_a_meeting_running_over_keeps_it_until_its_new_end() -> None:
    extend = make({"room": "cr4", "kind": "extend", "until": "2023-12-13T18:30"}, ny(13, 16))
    assert announce(ny(13, 16, 5), existing=[extend]).expires == ny(13, 18, 30)


def test_a_cancelled_last_meeting_does_not_count() -> None:
    cancel = make({"room": "cr4", "kind": "cancel", "slot": "2023-12-13-1500"}, ny(13, 10))
    assert announce(ny(13, 10, 30), existing=[cancel]).expires == ny(13, 13)


def test_a_meeting_moved_here_counts_in_its_new_room() -> None:
    # Wednesday's 3–6 p.m. meeting moved from cr4 to cr1: cr1's day now ends at 6 p.m.
    move = make(
        {"room": "cr4", "kind": "move", "to_room": "cr1", "slot": "2023-12-13-1500"}, ny(13, 10)
    )
    made = announce(ny(13, 10, 30), existing=[move], room="cr1")
    assert made.expires == ny(13, 18)
    assert default_expiry(["cr1"], PROGRAMMES, [], ny(13, 10, 30)) == ny(14, 0)


def test_several_rooms_keep_it_until_the_latest_end() -> None:
    both = announce(ny(13, 8, 15), rooms=["cr1", "cr4"])
    assert both.expires == ny(13, 18)  # cr4 meets until 6 p.m.; cr1 only until 9.30 a.m.
    assert announce(ny(13, 8, 15), room="cr1").expires == ny(13, 9, 30)
    assert announce(ny(13, 8, 15), rooms="all").expires == ny(13, 18)


def test_a_room_with_no_meeting_left_does_not_keep_it_up_in_the_others() -> None:
    # 10.30 a.m.: cr1's briefing is over (alone, it would be midnight); cr4 meets until 6.
    assert announce(ny(13, 10, 30), room="cr1").expires == ny(14, 0)
    assert announce(ny(13, 10, 30), rooms=["cr1", "cr4"]).expires == ny(13, 18)
    # Once no room has a meeting left, the venue's midnight.
    assert announce(ny(13, 19), rooms="all").expires == ny(14, 0)


def test_to_take_effect_later_it_ends_with_that_day() -> None:
    made = announce(ny(13, 19), effective="2023-12-14T09:00")
    assert made.expires == ny(14, 18)  # Thursday's last meeting, 3–6 p.m.


# --- staff's own choice ------------------------------------------------------------------------


def test_never_keeps_a_standing_notice_until_it_is_undone() -> None:
    made = announce(ny(13, 15), expires=NO_EXPIRY)
    assert NO_EXPIRY == "never"
    assert made.expires is None
    assert in_force([made], ny(15, 23))
    assert made.to_data()["expires"] is None


def test_a_chosen_expiry_is_kept() -> None:
    assert announce(ny(13, 15), expires="2023-12-14T12:00").expires == ny(14, 12)
    assert announce(ny(13, 15), expires="2023-12-13T15:30").expires == ny(13, 15, 30)


def test_a_chosen_expiry_in_the_past_is_still_refused() -> None:
    with pytest.raises(OverrideError) as refused:
        announce(ny(13, 15), expires="2023-12-13T14:00")
    assert refused.value.field == "expires"


@pytest.mark.parametrize("kind", ["closed", "suspend"])
def test_other_kinds_are_not_given_an_expiry(kind: str) -> None:
    # They act on one meeting, and end with it.
    assert make({"room": "cr4", "kind": kind}, ny(13, 10, 30)).expires is None


# --- daylight saving ---------------------------------------------------------------------------


def _note(venue: str, days: str, timezone: str | None = None) -> dict[str, Programme]:
    text = f"Working group on testing Second session {venue}\n\n{days}"
    return {"cr4": load_programme(text.encode(), "dst.txt", timezone).programme}


def test_the_end_of_an_autumn_day_of_25_hours() -> None:
    # New York falls back on Sunday 5 November 2023: that day has 25 hours.
    programmes = _note(
        "New York, 3–6 November 2023",
        "Friday, 3 November\n10 a.m.–1 p.m.\tOpening\nMonday, 6 November\n10 a.m.–1 p.m.\tClose\n",
    )
    sent = ny(5, 0, 30, month=11)  # EDT, before the change
    made = announce(sent, programmes)
    assert made.expires == datetime(2023, 11, 6, 5, 0, tzinfo=UTC)  # midnight EST
    assert made.expires is not None
    assert (made.expires.hour, made.expires.utcoffset()) == (0, timedelta(hours=-5))
    assert made.expires - sent == timedelta(hours=24, minutes=30)


def test_the_end_of_a_spring_day_of_23_hours() -> None:
    # New York springs forward on Sunday 10 March 2024: that day has 23 hours.
    programmes = _note(
        "New York, 8–11 March 2024",
        "Friday, 8 March\n10 a.m.–1 p.m.\tOpening\nMonday, 11 March\n10 a.m.–1 p.m.\tClose\n",
    )
    sent = ny(10, 0, 30, month=3, year=2024)  # EST, before the change
    made = announce(sent, programmes)
    assert made.expires == datetime(2024, 3, 11, 4, 0, tzinfo=UTC)  # midnight EDT
    assert made.expires is not None and made.expires.hour == 0
    assert made.expires - sent == timedelta(hours=22, minutes=30)


def test_a_midnight_that_daylight_saving_skips() -> None:
    # Havana springs forward at midnight: on 10 March 2024 the clock goes from 11.59 p.m.
    # straight to 1 a.m., so Saturday 9 March ends at 1 a.m. Sunday's wall clock.
    programmes = _note(
        "New York, 8–11 March 2024",
        "Friday, 8 March\n10 a.m.–1 p.m.\tOpening\nMonday, 11 March\n10 a.m.–1 p.m.\tClose\n",
        timezone="America/Havana",
    )
    havana = ZoneInfo("America/Havana")
    made = announce(datetime(2024, 3, 9, 20, 0, tzinfo=havana), programmes)
    assert made.expires == datetime(2024, 3, 10, 5, 0, tzinfo=UTC)
    assert made.expires is not None
    assert (made.expires.hour, made.expires.utcoffset()) == (1, timedelta(hours=-4))
