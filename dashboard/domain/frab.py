"""The frab schedule format (``/schedule.xml``) and its JSON form (``/schedule.json``, as the
c3voc tools read it): what schedule apps (Giggity, EventFahrplan) and room-screen players
(info-beamer) load.

The format knows conferences, days, rooms and events.  Each meeting (``meetings.py``, the
overrides in force applied) is an event: in the room where it is held, on the venue's day it
starts, at its expected start (``date``, ``start``) for its expected ``duration``; its title,
agenda items and details (``abstract``) and kind (``type``, ``track``).  What the format cannot
say directly is said with what it has: a cancelled meeting keeps its place, with "Cancelled: "
before its title and type ``cancelled``; a moved one is listed in the other room; a late one
starts later.  ``guid`` is the meeting's stable UUID; ``id`` a number derived from it.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from xml.etree import ElementTree as ET
from zoneinfo import ZoneInfo

from .ical import Labels, description, summary
from .meetings import Meeting
from .programme import local_instant, venue_time

SCHEMA = "https://c3voc.de/schedule/schema.json"
CANCELLED_TYPE = "cancelled"


@dataclass(frozen=True)
class Conference:
    acronym: str
    title: str
    timezone: str  # the first room's venue
    start: date
    end: date
    base_url: str
    language: str
    room_names: Mapping[str, str]  # the site's rooms, in order
    page_url: Mapping[str, str]  # room id → its phone page
    namespace: str  # where guids are unique (the site's public address)
    version: str


def schedule(meetings: Sequence[Meeting], conf: Conference, labels: Labels) -> dict[str, Any]:
    """The schedule as the c3voc JSON has it (``schedule.json``); ``to_xml`` writes the same
    as frab XML."""
    tz = ZoneInfo(conf.timezone)
    ids = _event_ids(meetings, conf.namespace)
    by_day: dict[date, list[Meeting]] = {}
    for m in meetings:
        by_day.setdefault(m.planned.start.astimezone(ZoneInfo(m.tz)).date(), []).append(m)
    first = min([conf.start, *by_day])
    last = max([conf.end, *by_day])
    days = []
    for index in range((last - first).days + 1):
        day = first + timedelta(days=index)
        held = by_day.get(day, [])
        start = min((m.planned.start for m in held), default=local_instant(day, time(0), tz))
        end = max((m.planned.end for m in held), default=local_instant(day, time(23, 59), tz))
        rooms: dict[str, list[dict[str, Any]]] = {}
        for room in _room_order(held, conf.room_names):
            rooms[_room_name(room, conf)] = [
                _event(m, ids[m.key], conf, labels) for m in held if m.room == room
            ]
        days.append(
            {
                "index": index + 1,
                "date": day.isoformat(),
                "day_start": venue_time(start, tz).isoformat(),
                "day_end": venue_time(end, tz).isoformat(),
                "rooms": rooms,
            }
        )
    room_ids = _room_order(meetings, conf.room_names)
    return {
        "$schema": SCHEMA,
        "generator": {"name": "dashboard"},
        "schedule": {
            "version": conf.version,
            "base_url": conf.base_url,
            "conference": {
                "acronym": conf.acronym,
                "title": conf.title,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "daysCount": len(days),
                "timeslot_duration": "00:05",
                "time_zone_name": conf.timezone,
                "url": conf.base_url,
                "rooms": [
                    {"name": _room_name(r, conf), "guid": str(_room_guid(r, conf))}
                    for r in room_ids
                ],
                "days": days,
            },
        },
    }


def _event(m: Meeting, event_id: int, conf: Conference, labels: Labels) -> dict[str, Any]:
    p = m.planned
    tz = ZoneInfo(m.tz)
    start = p.start.astimezone(tz)
    title = summary(m, labels)
    return {
        "guid": str(m.guid(conf.namespace)),
        "id": event_id,
        "date": venue_time(p.start, tz).isoformat(),
        "start": start.strftime("%H:%M"),
        "duration": _hours_minutes(p.end - p.start),
        "room": _room_name(m.room, conf),
        "slug": _slug(conf.acronym, event_id, "" if p.closed else p.title),
        "url": conf.page_url.get(m.room, ""),
        "title": title,
        "subtitle": "",
        "track": p.kind,
        "type": CANCELLED_TYPE if m.cancelled else p.kind,
        "language": conf.language,
        "abstract": description(m, labels, conf.room_names),
        "description": "",
        "recording_license": "",
        "do_not_record": True,
        "persons": [],
        "links": [],
        "attachments": [],
    }


def to_xml(data: Mapping[str, Any]) -> bytes:
    """frab XML: the same schedule, elements in the order frab writes them."""
    sched = data["schedule"]
    conf = sched["conference"]
    root = ET.Element("schedule")
    ET.SubElement(root, "generator", name="dashboard")
    _text(root, "version", sched["version"])
    xconf = ET.SubElement(root, "conference")
    for key in ("acronym", "title", "start", "end"):
        _text(xconf, key, conf[key])
    _text(xconf, "days", str(conf["daysCount"]))
    _text(xconf, "timeslot_duration", conf["timeslot_duration"])
    _text(xconf, "time_zone_name", conf["time_zone_name"])
    _text(xconf, "base_url", sched["base_url"])
    guids = {r["name"]: r["guid"] for r in conf["rooms"]}
    for day in conf["days"]:
        xday = ET.SubElement(
            root,
            "day",
            index=str(day["index"]),
            date=day["date"],
            start=day["day_start"],
            end=day["day_end"],
        )
        for name, events in day["rooms"].items():
            xroom = ET.SubElement(xday, "room", name=name, guid=guids[name])
            for e in events:
                _xml_event(xroom, e)
    ET.indent(root)
    xml: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return xml + b"\n"


def _xml_event(parent: ET.Element, e: Mapping[str, Any]) -> None:
    xe = ET.SubElement(parent, "event", guid=e["guid"], id=str(e["id"]))
    for key in ("date", "start", "duration", "room", "slug", "url"):
        _text(xe, key, e[key])
    recording = ET.SubElement(xe, "recording")
    _text(recording, "license", e["recording_license"])
    _text(recording, "optout", "true" if e["do_not_record"] else "false")
    for key in ("title", "subtitle", "track", "type", "language", "abstract", "description"):
        _text(xe, key, e[key])
    for key in ("persons", "links", "attachments"):
        ET.SubElement(xe, key)


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _event_ids(meetings: Sequence[Meeting], namespace: str) -> dict[str, int]:
    """A positive 31-bit number per meeting, from its UUID (stable); the rare clash is moved
    on, in the order of the keys, so two meetings never share one."""
    ids: dict[str, int] = {}
    taken: set[int] = set()
    for m in sorted(meetings, key=lambda m: m.key):
        n = m.guid(namespace).int % 2_000_000_000 + 1
        while n in taken:
            n = n % 2_000_000_000 + 1
        taken.add(n)
        ids[m.key] = n
    return ids


def _room_order(meetings: Sequence[Meeting], names: Mapping[str, str]) -> list[str]:
    """The site's rooms that hold meetings, in the site's order, then any room outside it."""
    used = {m.room for m in meetings}
    return [r for r in names if r in used] + sorted(used - set(names))


def _room_name(room: str, conf: Conference) -> str:
    return conf.room_names.get(room, room)


def _room_guid(room: str, conf: Conference) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{conf.namespace}#room:{room}")


def _hours_minutes(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _slug(acronym: str, event_id: int, title: str) -> str:
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.sub(r"[^a-z0-9]+", "_", ascii_title.lower()).strip("_")[:48].rstrip("_")
    return "-".join(part for part in (acronym, str(event_id), words) if part)


def version_of(stamp: datetime | None, published: datetime) -> str:
    """The schedule's version: when it last changed."""
    return (stamp or published).isoformat(timespec="seconds")
