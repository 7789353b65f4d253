"""The frab schedule (issue 15, item 3): ``/schedule.xml`` and ``/schedule.json``, read by real
consumers from PyPI, and checked against what the format's documentation requires.

- ``schedule-convert`` (its own command, ``schedule_convert``) reads our frab XML and writes
  iCalendar: every meeting, room and time must survive.
- ``c3voc-schedule-tools`` (``voc.schedule.Schedule``) loads our JSON.  It pins old libraries
  (icalendar<6, lxml<5, pytz<2023), so it lives in a virtualenv of its own, ``.venv-c3voc``
  (made by ``scripts/install.sh --test``), and runs as a subprocess.

The site is tests/web/_feeds_site.py: New York across the end of DST, with a meeting cancelled,
one moved, two late.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.conftest import ROOT
from tests.web._feeds_site import EXPECTED, NAMES, Site, dst_site

NY = ZoneInfo("America/New_York")
C3VOC_PYTHON = ROOT / ".venv-c3voc" / "bin" / "python"
SCHEDULE_CONVERT = Path(sys.executable).parent / "schedule_convert"

# What c3voc's own loader makes of our JSON, printed as JSON for the test to read.
C3VOC_SCRIPT = """
import json, sys
from voc.schedule import Schedule

schedule = Schedule.from_file(sys.argv[1])
events = schedule.foreach_event(lambda e: {
    "guid": e["guid"], "id": e["id"], "room": e["room"], "title": e["title"],
    "type": e["type"], "slug": e["slug"], "duration": e["duration"],
    "start": e.start.isoformat(),
})
print(json.dumps({
    "title": schedule.conference("title"),
    "timezone": str(schedule.tz()),
    "rooms": schedule.rooms(),
    "days": [{"index": d["index"], "date": d["date"], "rooms": list(d["rooms"])}
             for d in schedule.days()],
    "events": events,
}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with dst_site(tmp_path_factory.mktemp("feeds-frab")) as site:
        yield site


def local(instant: datetime) -> datetime:
    return instant.astimezone(NY)


def expected_title(title: str, cancelled: bool) -> str:
    return f"Cancelled: {title}" if cancelled else title


def test_the_xml_has_what_the_frab_documentation_requires(site: Site) -> None:
    """Written from the format's documentation (frab's export, as c3voc describes it): a
    ``conference`` with its acronym, title, start, end, days and timeslot duration; ``day``s
    with index, date, start and end; ``room``s with a name; ``event``s with guid and id, and
    date, start, duration, room, slug, title and type."""
    response = site.get("/schedule.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml; charset=utf-8"
    root = ET.fromstring(response.content)
    assert root.tag == "schedule"
    assert root.findtext("version")
    conference = root.find("conference")
    assert conference is not None
    for tag in ("acronym", "title", "start", "end", "days", "timeslot_duration"):
        assert (conference.findtext(tag) or "").strip(), f"conference/{tag}"
    assert conference.findtext("start") == "2026-10-30"
    assert conference.findtext("end") == "2026-11-03"
    assert conference.findtext("time_zone_name") == "America/New_York"
    days = root.findall("day")
    assert conference.findtext("days") == str(len(days)) == "5"
    seen = set()
    for number, day in enumerate(days, start=1):
        assert day.get("index") == str(number)
        for attribute in ("date", "start", "end"):
            assert day.get(attribute), f"day {number}: {attribute}"
        assert datetime.fromisoformat(day.get("start", "")).tzinfo is not None
        for room in day.findall("room"):
            assert room.get("name") in NAMES.values()
            for event in room.findall("event"):
                assert event.get("guid") and (event.get("id") or "").isdigit()
                for tag in ("date", "start", "duration", "room", "slug", "title", "type"):
                    assert (event.findtext(tag) or "").strip(), f"event {event.get('id')}: {tag}"
                assert event.findtext("room") == room.get("name")
                assert event.findtext("date", "").startswith(day.get("date", ""))
                seen.add(event.get("guid"))
    assert len(seen) == len(EXPECTED)


def xml_events(site: Site) -> dict[str, ET.Element]:
    """Our events by title (titles are unique in this programme)."""
    root = ET.fromstring(site.get("/schedule.xml").content)
    return {e.findtext("title", ""): e for e in root.iter("event")}


def test_each_meeting_is_an_event_with_the_overrides_applied(site: Site) -> None:
    events = xml_events(site)
    assert len(events) == len(EXPECTED)
    for m in EXPECTED:
        e = events[expected_title(m.title, m.cancelled)]
        start = local(m.start)
        assert datetime.fromisoformat(e.findtext("date", "")) == m.start, m.key
        assert e.findtext("start") == start.strftime("%H:%M"), m.key
        minutes = int((m.end - m.start).total_seconds() // 60)
        assert e.findtext("duration") == f"{minutes // 60:02d}:{minutes % 60:02d}", m.key
        assert e.findtext("room") == NAMES[m.room], m.key
        assert (e.findtext("type") == "cancelled") == m.cancelled, m.key
    # The abstract carries the agenda items and details; the kind is the track.
    opening = events["Opening of the session"]
    assert opening.findtext("abstract", "").splitlines()[0] == "Agenda items: 1, 2"
    assert (opening.findtext("type"), opening.findtext("track")) == ("opening", "opening")


def test_guids_are_stable(site: Site) -> None:
    root = ET.fromstring(site.before["/schedule.xml"].content)
    before = {e.get("guid"): e.get("id") for e in root.iter("event")}
    after = {e.get("guid"): e.get("id") for e in xml_events(site).values()}
    assert before == after


def test_schedule_convert_reads_the_xml(site: Site, tmp_path: Path) -> None:
    """schedule-convert turns our frab XML into iCalendar: every meeting, room and time is
    still there.  (It applies the first event's UTC offset to the whole schedule, so times are
    compared as the venue's wall clock, the <start> the format gives.)"""
    source = tmp_path / "schedule.xml"
    source.write_bytes(site.get("/schedule.xml").content)
    target = tmp_path / "schedule.ics"
    done = subprocess.run(
        [str(SCHEDULE_CONVERT), str(source), "-f", "ical", "-o", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    calendar = Calendar.from_ical(target.read_bytes())
    converted = {str(e["summary"]).split(" — ")[0]: e for e in calendar.walk("VEVENT")}
    assert len(converted) == len(EXPECTED)
    guids = {e.findtext("title"): e.get("guid") for e in xml_events(site).values()}
    for m in EXPECTED:
        title = expected_title(m.title, m.cancelled)
        e = converted[title]
        assert guids[title] in str(e["uid"]), m.key
        assert str(e["location"]) == NAMES[m.room], m.key
        start = e.decoded("dtstart")
        assert start.replace(tzinfo=None) == local(m.start).replace(tzinfo=None), m.key
        assert e.decoded("dtend") - start == m.end - m.start, m.key


def c3voc(json_file: Path) -> dict[str, Any]:
    if not C3VOC_PYTHON.exists():
        pytest.fail(f"{C3VOC_PYTHON} is missing: run bash scripts/install.sh --test")
    done = subprocess.run(
        [str(C3VOC_PYTHON), "-c", C3VOC_SCRIPT, str(json_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: dict[str, Any] = json.loads(done.stdout)
    return loaded


def test_c3voc_schedule_tools_load_the_json(site: Site, tmp_path: Path) -> None:
    response = site.get("/schedule.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    source = tmp_path / "schedule.json"
    source.write_bytes(response.content)
    loaded = c3voc(source)
    assert loaded["title"] == "Working group on feeds, Autumn session"
    assert loaded["timezone"] == "America/New_York"
    assert loaded["rooms"] == ["Conference Room 1", "Annex"]
    assert [(d["index"], d["date"]) for d in loaded["days"]] == [
        (1, "2026-10-30"),
        (2, "2026-10-31"),
        (3, "2026-11-01"),
        (4, "2026-11-02"),
        (5, "2026-11-03"),
    ]
    assert loaded["days"][3]["rooms"] == ["Conference Room 1", "Annex"]  # the moved meeting
    events = {e["title"]: e for e in loaded["events"]}
    assert len(events) == len(loaded["events"]) == len(EXPECTED)
    for m in EXPECTED:
        e = events[expected_title(m.title, m.cancelled)]
        # c3voc reads "date" with its offset: the instant itself, on either side of the change.
        assert datetime.fromisoformat(e["start"]).astimezone(UTC) == m.start, m.key
        # Its parsed duration (``Event.end``) is not compared: c3voc-schedule-tools 1.1.0
        # reads "HH:MM" as minutes and seconds (voc.tools.str2timedelta), though the format,
        # and frab's own exports, write hours and minutes.  The text it keeps is ours.
        minutes = int((m.end - m.start).total_seconds() // 60)
        assert e["duration"] == f"{minutes // 60:02d}:{minutes % 60:02d}", m.key
        assert e["room"] == NAMES[m.room], m.key
        assert (e["type"] == "cancelled") == m.cancelled, m.key
        assert e["slug"].startswith(f"dst-{e['id']}"), m.key


def test_the_json_has_what_the_schedule_documentation_requires(site: Site) -> None:
    """The c3voc schedule JSON, from its documentation: schedule.version and conference with
    acronym, title, start, end, daysCount, timeslot_duration, time_zone_name, rooms (name,
    guid) and days (index, date, day_start, day_end, rooms: name → events); each event with
    guid, id, date, start, duration, room, slug, title, type, persons, links."""
    data = site.get("/schedule.json").json()
    schedule = data["schedule"]
    assert schedule["version"]
    conference = schedule["conference"]
    for key in ("acronym", "title", "start", "end", "timeslot_duration", "time_zone_name"):
        assert conference[key], key
    assert conference["daysCount"] == len(conference["days"]) == 5
    assert all(r["name"] and r["guid"] for r in conference["rooms"])
    count = 0
    for number, day in enumerate(conference["days"], start=1):
        assert day["index"] == number
        assert datetime.fromisoformat(day["day_start"]) < datetime.fromisoformat(day["day_end"])
        for name, events in day["rooms"].items():
            for e in events:
                count += 1
                for key in ("guid", "date", "start", "duration", "room", "slug", "title", "type"):
                    assert e[key], (e["id"], key)
                assert isinstance(e["id"], int)
                assert e["room"] == name
                assert isinstance(e["persons"], list) and isinstance(e["links"], list)
                assert datetime.fromisoformat(e["date"]).date().isoformat() == day["date"]
    assert count == len(EXPECTED)


def test_the_feeds_keep_their_etag_until_a_change(site: Site) -> None:
    for path in ("/schedule.xml", "/schedule.json"):
        first = site.get(path)
        assert site.get(path, **{"if-none-match": first.headers["etag"]}).status_code == 304
        assert first.headers["etag"] != site.before[path].headers["etag"]


def test_day_bounds_follow_the_venue_clock(site: Site) -> None:
    """Days without meetings run from the venue's midnight (the offset of that day)."""
    days = site.get("/schedule.json").json()["schedule"]["conference"]["days"]
    saturday, sunday = days[1], days[2]
    assert saturday["day_start"] == "2026-10-31T00:00:00-04:00"
    assert sunday["day_start"] == "2026-11-01T00:00:00-04:00"
    assert sunday["day_end"] == "2026-11-01T23:59:00-05:00"
    monday = days[3]
    assert datetime.fromisoformat(monday["day_start"]) == datetime(2026, 11, 2, 15, tzinfo=UTC)
    assert datetime.fromisoformat(monday["day_end"]) - datetime.fromisoformat(
        monday["day_start"]
    ) == timedelta(hours=8)
