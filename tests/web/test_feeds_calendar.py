"""Calendar feeds (issue 15, item 2): ``/programme.ics`` and ``/rooms/{room}.ics``, read back by
two independent parsers, ``icalendar`` and ``ics``, across a DST change.

One real server for the module (tests/web/_feeds_site.py): a session in New York from Friday 30
October to Tuesday 3 November 2026 (clocks go back on Sunday 1 November), one meeting cancelled,
one moved to the Annex, one late, one made late twice and the second delay undone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import ics
import pytest
from icalendar import Calendar

from tests.web._feeds_site import EXPECTED, NAMES, Expected, Site, dst_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with dst_site(tmp_path_factory.mktemp("feeds-ics")) as site:
        yield site


def events(body: bytes) -> dict[str, Calendar]:
    """icalendar's VEVENTs by UID."""
    calendar = Calendar.from_ical(body)
    found = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    assert len(found) == len(calendar.walk("VEVENT")), "a UID appears twice"
    return found


def uids(site: Site) -> dict[str, str]:
    """Meeting key → UID, as the feed gave it before any override (by printed start)."""
    before = events(site.before["/programme.ics"].content)
    by_start = {e.decoded("dtstart").astimezone(UTC): uid for uid, e in before.items()}
    printed = {
        "ny/2026-10-30-1000": "2026-10-30T14:00",
        "ny/2026-10-30-1500": "2026-10-30T19:00",
        "ny/2026-11-02-1000": "2026-11-02T15:00",
        "ny/2026-11-02-1500": "2026-11-02T20:00",
        "ny/2026-11-03-1000": "2026-11-03T15:00",
        "ny/2026-11-03-1500": "2026-11-03T20:00",
    }
    keys = {k: by_start[datetime.fromisoformat(t).replace(tzinfo=UTC)] for k, t in printed.items()}
    annex = events(site.before["/rooms/annex.ics"].content)
    (keys["annex/2026-11-03-1500"],) = annex
    return keys


def in_feed(room: str | None) -> list[Expected]:
    if room is None:
        return EXPECTED
    return [m for m in EXPECTED if room in (m.key.split("/")[0], m.room)]


@pytest.mark.parametrize("room", [None, "ny", "annex"])
def test_icalendar_reads_every_meeting_with_the_overrides_applied(
    site: Site, room: str | None
) -> None:
    path = "/programme.ics" if room is None else f"/rooms/{room}.ics"
    response = site.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    found = events(response.content)
    keys = uids(site)
    assert set(found) == {keys[m.key] for m in in_feed(room)}
    for m in in_feed(room):
        e = found[keys[m.key]]
        where = f"{m.key} in {path}"
        # The venue's zone, named, and the instant right on either side of the change.
        assert e["dtstart"].params["TZID"] == "America/New_York", where
        assert e.decoded("dtstart").astimezone(UTC) == m.start, where
        assert e.decoded("dtend").astimezone(UTC) == m.end, where
        assert str(e["location"]) == NAMES[m.room], where
        assert str(e["status"]) == ("CANCELLED" if m.cancelled else "CONFIRMED"), where
        assert int(e["sequence"]) == m.sequence, where
        summary = str(e["summary"])
        assert summary == (f"Cancelled: {m.title}" if m.cancelled else m.title), where
    calendar = Calendar.from_ical(response.content)
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "America/New_York"
    # Both observances of the session's year are described: EDT until 1 November, then EST.
    offsets = {str(c["tzname"]): c.decoded("tzoffsetto") for c in zone.walk() if "tzname" in c}
    assert offsets["EDT"].total_seconds() == -4 * 3600
    assert offsets["EST"].total_seconds() == -5 * 3600


def test_a_second_parser_reads_the_same_meetings_across_the_dst_change(site: Site) -> None:
    """The ``ics`` package parses the VTIMEZONE itself (with dateutil), not with icalendar."""
    calendar = ics.Calendar(site.get("/programme.ics").text)
    found = {e.uid: e for e in calendar.events}
    keys = uids(site)
    assert set(found) == {keys[m.key] for m in EXPECTED}
    for m in EXPECTED:
        e = found[keys[m.key]]
        assert e.begin.to("UTC").datetime == m.start, m.key
        assert e.end.to("UTC").datetime == m.end, m.key
        assert e.location == NAMES[m.room], m.key
        assert (e.status or "").upper() == ("CANCELLED" if m.cancelled else "CONFIRMED"), m.key
        assert e.name.endswith(m.title), m.key


def test_the_feed_says_what_the_json_api_says(site: Site) -> None:
    """The feed and ``/api/rooms/{room}/slots`` come from the same plan."""
    found = events(site.get("/rooms/ny.ics").content)
    keys = uids(site)
    for day in ("2026-10-30", "2026-11-02", "2026-11-03"):
        slots = site.get(f"/api/rooms/ny/slots?date={day}").json()["slots"]
        for slot in slots:
            key = f"ny/{slot['id']}"
            e = found[keys[key]]
            assert e.decoded("dtstart") == datetime.fromisoformat(slot["start"]), key
            assert e.decoded("dtend") == datetime.fromisoformat(slot["end"]), key
            assert str(e["location"]) == NAMES[slot["room"]], key
            cancelled = slot["status"] == "cancelled"
            assert (str(e["status"]) == "CANCELLED") == cancelled, key


def test_details_agenda_items_and_the_cancellation_are_in_the_description(site: Site) -> None:
    found = events(site.get("/programme.ics").content)
    keys = uids(site)
    opening = str(found[keys["ny/2026-10-30-1000"]]["description"])
    assert opening.splitlines() == [
        "Agenda items: 1, 2",
        "Opening statements",
        "Agenda item 2: organization of work",
    ]
    cancelled = str(found[keys["ny/2026-10-30-1500"]]["description"]).splitlines()
    assert cancelled[-1] == "Postponed to Tuesday"
    assert "1. Statements of up to five minutes." in cancelled
    moved = str(found[keys["ny/2026-11-02-1000"]]["description"]).splitlines()
    assert moved[-1] == "Moved from Conference Room 1"


def test_uids_stay_and_sequences_only_grow(site: Site) -> None:
    before = events(site.before["/programme.ics"].content)
    after = events(site.get("/programme.ics").content)
    assert set(before) == set(after)
    assert all(int(e["sequence"]) == 0 for e in before.values())
    assert all(int(after[u]["sequence"]) >= int(e["sequence"]) for u, e in before.items())


def test_etag_and_304_and_a_change_gives_a_new_etag(site: Site) -> None:
    """(Makes one more override: the other tests of the module run before it.)"""
    for path in ("/programme.ics", "/rooms/ny.ics"):
        first = site.get(path)
        etag = first.headers["etag"]
        assert site.get(path, **{"if-none-match": etag}).status_code == 304
        assert first.headers["cache-control"] == "no-cache"
        assert etag != site.before[path].headers["etag"]  # the overrides changed the feed
        assert site.get(path).content == first.content  # the same state: the same bytes
    # A new change: a new version, and the meeting's SEQUENCE goes up by one.
    old = site.get("/rooms/ny.ics")
    site.post(room="ny", kind="late", minutes=5, slot="2026-11-03-1500")
    new = site.get("/rooms/ny.ics")
    assert new.headers["etag"] != old.headers["etag"]
    assert site.get("/rooms/ny.ics", **{"if-none-match": old.headers["etag"]}).status_code == 200
    uid = uids(site)["ny/2026-11-03-1500"]
    assert int(events(old.content)[uid]["sequence"]) == 0
    assert int(events(new.content)[uid]["sequence"]) == 1
    assert events(new.content)[uid].decoded("dtstart").astimezone(UTC) == datetime(
        2026, 11, 3, 20, 5, tzinfo=UTC
    )


def test_an_unknown_room_is_a_404(site: Site) -> None:
    response = site.get("/rooms/nowhere.ics")
    assert response.status_code == 404
    assert "nowhere" in response.text


def test_a_feed_in_the_language_its_address_names(site: Site) -> None:
    """A reader's phone page in French links to feeds in French: what the feed adds is in the
    language ``?lang=`` names (a calendar app sends no cookie), else the server's."""
    keys = uids(site)
    cancelled = keys["ny/2026-10-30-1500"]
    english = events(site.get("/rooms/ny.ics").content)[cancelled]
    french = events(site.get("/rooms/ny.ics?lang=fr").content)[cancelled]
    assert str(english["summary"]).startswith("Cancelled: ")
    assert str(french["summary"]).startswith("Annulée : ")
    # The same meeting, the same UID and times: only the words differ.
    assert french.decoded("dtstart") == english.decoded("dtstart")
    days = site.get("/schedule.json?lang=fr").json()["schedule"]["conference"]["days"]
    found = [e for day in days for room in day["rooms"].values() for e in room]
    assert found and {e["language"] for e in found} == {"fr"}
    assert "Annulée : " in site.get("/schedule.xml?lang=fr").text
    # The phone page in French links to the French feeds; in the server's language, plain.
    page = site.get("/rooms/ny?lang=fr").text
    assert 'href="/rooms/ny.ics?lang=fr"' in page
    assert 'href="/rooms/ny.ics"' in site.get("/rooms/ny?lang=en").text
    # A language not offered is refused, naming the parameter; nothing is cached for it.
    refused = site.get("/rooms/ny.ics?lang=xx")
    assert refused.status_code == 400
    assert "lang" in refused.text
