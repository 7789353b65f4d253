"""Calendar feeds (RFC 5545, with the ``icalendar`` package): ``/programme.ics`` and
``/rooms/{room}.ics``.

One VEVENT per meeting as the overrides in force have made it (``meetings.py``): a cancelled
meeting is ``STATUS:CANCELLED``, a moved one has the other room as ``LOCATION``, a late one a
later ``DTSTART``.  ``UID`` is the meeting's stable UUID; ``SEQUENCE`` counts the changes that
affected it, so a calendar app replaces its copy rather than adding another.  Times are written
in the venue's zone (``TZID``), with a ``VTIMEZONE`` built from the IANA data, so a meeting
after a DST change is where the venue's clock says it is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from .meetings import Meeting, Revision

PRODID = "-//dashboard//meeting-room dashboard//EN"


@dataclass(frozen=True)
class Labels:
    """The words a feed adds to the programme's own text, in the reader's language."""

    cancelled: str  # "Cancelled: %(title)s"
    closed: str  # "Closed meeting"
    agenda_items: str  # "Agenda items: %(items)s"
    moved_from: str  # "Moved from %(room)s"


@dataclass(frozen=True)
class FeedInfo:
    name: str  # the calendar's name (X-WR-CALNAME)
    namespace: str  # where UIDs are unique (the site's public address)
    room_names: Mapping[str, str]
    page_url: Mapping[str, str]  # room id → its phone page (absolute), for URL
    published: datetime  # DTSTAMP of a meeting never changed (the programme as loaded)


def summary(m: Meeting, labels: Labels) -> str:
    title = labels.closed if m.planned.closed else m.planned.title
    return labels.cancelled % {"title": title} if m.cancelled else title


def description(m: Meeting, labels: Labels, room_names: Mapping[str, str]) -> str:
    """Agenda items, details, the programme's notes, and what the cancellation said.  A closed
    meeting's subject is not public (as on the screens)."""
    p = m.planned
    lines: list[str] = []
    if not p.closed:
        if p.agenda_items:
            lines.append(labels.agenda_items % {"items": ", ".join(p.agenda_items)})
        lines += p.details
        lines += [f"{f.marker}. {f.text}" for f in p.footnotes]
    if m.moved:
        lines.append(labels.moved_from % {"room": room_names.get(m.source, m.source)})
    if p.note:
        lines.append(p.note)
    return "\n".join(lines)


def calendar(
    meetings: Sequence[Meeting],
    revisions: Mapping[str, Revision],
    labels: Labels,
    info: FeedInfo,
) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", info.name)
    zones = sorted({m.tz for m in meetings})
    if len(zones) == 1:
        cal.add("x-wr-timezone", zones[0])
    for zone in zones:
        days = [m.planned.start.date() for m in meetings if m.tz == zone]
        cal.add_component(_timezone(zone, min(days), max(days)))
    for m in meetings:
        cal.add_component(_event(m, revisions.get(m.key), labels, info))
    data: bytes = cal.to_ical()
    return data


def _timezone(zone: str, first: date, last: date) -> Timezone:
    """The zone's observances over the years the meetings fall in (not 1970 to 2038)."""
    return Timezone.from_tzid(
        zone, first_date=date(first.year, 1, 1), last_date=date(last.year + 1, 1, 1)
    )


def _event(m: Meeting, revision: Revision | None, labels: Labels, info: FeedInfo) -> Event:
    p = m.planned
    tz = ZoneInfo(m.tz)
    stamp = (revision.stamp if revision and revision.stamp else info.published).astimezone(UTC)
    event = Event()
    event.add("uid", str(m.guid(info.namespace)))
    event.add("dtstamp", stamp)
    event.add("last-modified", stamp)
    event.add("sequence", revision.sequence if revision else 0)
    event.add("dtstart", p.start.astimezone(tz))
    event.add("dtend", p.end.astimezone(tz))
    event.add("summary", summary(m, labels))
    event.add("location", info.room_names.get(m.room, m.room))
    text = description(m, labels, info.room_names)
    if text:
        event.add("description", text)
    event.add("status", "CANCELLED" if m.cancelled else "CONFIRMED")
    event.add("categories", [p.kind])
    url = info.page_url.get(m.room)
    if url:
        event.add("url", url)
    return event


def stamp_of(revisions: Mapping[str, Revision], meetings: Sequence[Meeting]) -> datetime | None:
    """The latest change of any of ``meetings`` (None: none changed)."""
    keys = {m.key for m in meetings}
    stamps = [r.stamp for k, r in revisions.items() if k in keys and r.stamp is not None]
    return max(stamps) if stamps else None
