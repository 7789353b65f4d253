"""The programme of work: a meeting's slots, and the questions every screen asks of them.

Pure data and pure functions: no I/O, no web imports, and every "now" is passed in.
All instants are timezone-aware; a slot covers the half-open interval ``[start, end)``.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from functools import cache, cached_property
from zoneinfo import ZoneInfo

# What a slot is, when its text says so.  "meeting" is an ordinary formal meeting.
SLOT_KINDS = (
    "meeting",
    "opening",
    "closing",
    "stakeholder",
    "side_event",
    "informal",
    "closed",
    "break",
    "holiday",
    "briefing",
)


class ProgrammeError(Exception):
    """A programme that cannot be read right: says where (source, line) and what."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        super().__init__(message)
        self.source = source
        self.line = line
        self.message = message

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class ParseWarning:
    """Something read with a guess; the file is accepted, the reader should look."""

    source: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: warning: {self.message}"


@dataclass(frozen=True, slots=True)
class Footnote:
    marker: str  # normalised to ASCII digits ("1"), or the symbol itself ("*")
    text: str


# A slot id given by hand (the TOML format's ``id``): short, and safe in URLs and HTML.
SLOT_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime
    end: datetime
    title: str
    details: tuple[str, ...] = ()
    agenda_items: tuple[str, ...] = ()
    footnotes: tuple[Footnote, ...] = ()
    kind: str = "meeting"
    # The note printed the start alone: the end is the parser's default (note_lines.HalfDays),
    # shown as "until about 1 p.m.".
    end_estimated: bool = False
    # The room the note names for it ("Conference Room 2"); "" when it names none.  Slots of
    # different rooms may overlap; rooms.toml's note_rooms says which room shows which.
    room: str = ""
    # The slot's identity, which overrides name.  Empty: the programme gives it one from its
    # start (``default_id``); a revision keeps a meeting's id when it can match it
    # (``identity.carry_ids``).  ``id_given``: written in the file, so kept as it is.
    id: str = ""
    id_given: bool = field(default=False, compare=False)

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("slot times must be timezone-aware")
        if not _utc(self.start) < _utc(self.end):
            raise ValueError("a slot must end after it starts")
        if self.kind not in SLOT_KINDS:
            raise ValueError(f"unknown slot kind {self.kind!r}")
        if self.id and not SLOT_ID_RE.match(self.id):
            raise ValueError(f"slot id {self.id!r}: letters, digits and . _ : - only")

    @property
    def local_date(self) -> date:
        return self.start.date()

    def contains(self, instant: datetime) -> bool:
        _require_aware(instant)
        return _utc(self.start) <= _utc(instant) < _utc(self.end)


@dataclass(frozen=True)
class Programme:
    title: str
    session: str
    venue: str
    timezone: str  # IANA name, e.g. "America/New_York"
    start_date: date
    end_date: date
    slots: tuple[Slot, ...] = field(default=())

    def __post_init__(self) -> None:
        ZoneInfo(self.timezone)  # raises for an unknown zone
        if self.end_date < self.start_date:
            raise ValueError("a session must end on or after its first day")
        if (pair := first_overlap(self.slots)) is not None:
            first, second = self.slots[pair[0]], self.slots[pair[1]]
            raise ValueError(f"slots {slot_name(first)} and {slot_name(second)} overlap")
        # Slots keep the venue's offset, so that their wall-clock fields read as the venue's
        # (as a fixed offset: see ``venue_time``).
        local = [
            replace(s, start=venue_time(s.start, self.tz), end=venue_time(s.end, self.tz))
            for s in sorted(self.slots, key=lambda s: _utc(s.start))
        ]
        object.__setattr__(self, "slots", with_ids(local))

    @cached_property
    def room_names(self) -> tuple[str, ...]:
        """The rooms the note names, in the order first named."""
        names: dict[str, str] = {}
        for slot in self.slots:
            if slot.room:
                names.setdefault(room_key(slot.room), slot.room)
        return tuple(names.values())

    def for_rooms(self, names: Sequence[str]) -> Programme:
        """The programme of the slots that name one of ``names`` (rooms.toml's note_rooms)."""
        keys = {room_key(n) for n in names}
        return replace(self, slots=tuple(s for s in self.slots if room_key(s.room) in keys))

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # Kept in UTC, and instants are compared in UTC: datetimes that share a tzinfo compare as
    # wall clocks, which is wrong in the repeated hour of an autumn night.
    @cached_property
    def _starts(self) -> list[datetime]:
        return [_utc(s.start) for s in self.slots]

    @cached_property
    def _boundaries(self) -> list[datetime]:
        return sorted({_utc(t) for s in self.slots for t in (s.start, s.end)})

    def days(self) -> Iterator[date]:
        """Every calendar day of the session, in the venue's calendar."""
        day = self.start_date
        while day <= self.end_date:
            yield day
            day += timedelta(days=1)

    def slot_at(self, instant: datetime) -> Slot | None:
        """The slot in progress at ``instant`` (half-open: an end instant belongs to no slot
        unless another slot starts then)."""
        _require_aware(instant)
        i = bisect.bisect_right(self._starts, _utc(instant)) - 1
        if i >= 0 and self.slots[i].contains(instant):
            return self.slots[i]
        return None

    def next_slot(self, instant: datetime) -> Slot | None:
        """The first slot that starts strictly after ``instant``."""
        _require_aware(instant)
        i = bisect.bisect_right(self._starts, _utc(instant))
        return self.slots[i] if i < len(self.slots) else None

    def slots_on(self, day: date) -> tuple[Slot, ...]:
        """The slots that start on ``day`` in the venue's calendar."""
        return tuple(s for s in self.slots if s.start.astimezone(self.tz).date() == day)

    def next_change_after(self, instant: datetime) -> datetime | None:
        """The first instant after ``instant`` at which ``slot_at`` or ``next_slot`` may give a
        different answer: the next slot start or end.  None once the programme is over."""
        _require_aware(instant)
        i = bisect.bisect_right(self._boundaries, _utc(instant))
        return venue_time(self._boundaries[i], self.tz) if i < len(self._boundaries) else None

    def footnotes(self) -> tuple[Footnote, ...]:
        """Every footnote once, in the order the slots first cite them."""
        seen: dict[str, Footnote] = {}
        for slot in self.slots:
            for f in slot.footnotes:
                seen.setdefault(f.marker, f)
        return tuple(seen.values())

    @cached_property
    def _by_id(self) -> dict[str, Slot]:
        return {s.id: s for s in self.slots}

    def slot_by_id(self, slot_id: str) -> Slot | None:
        return self._by_id.get(slot_id)


def default_id(start: datetime) -> str:
    """A new slot's id: its day and starting time at the venue ("2023-12-13-1500")."""
    return start.strftime("%Y-%m-%d-%H%M")


def slot_name(slot: Slot) -> str:
    """How an error names a slot: its id, or where it starts."""
    return slot.id or default_id(slot.start)


def with_ids(slots: Sequence[Slot]) -> tuple[Slot, ...]:
    """Every slot with a unique id: ids already set are kept (two alike are an error); the
    others get ``default_id``, or, when that is taken (the repeated hour of an autumn night, or
    an id a revision carried over), that id with the start in UTC, then with a counter."""
    taken: set[str] = set()
    for slot in slots:
        if slot.id:
            if slot.id in taken:
                raise ValueError(f"two slots have the id {slot.id!r}")
            taken.add(slot.id)
    result = []
    for slot in slots:
        if not slot.id:
            base = default_id(slot.start)
            candidates = itertools.chain(
                (base, f"{base}-{_utc(slot.start):%H%M}Z"),
                (f"{base}-{n}" for n in itertools.count(2)),
            )
            new_id = next(c for c in candidates if c not in taken)
            taken.add(new_id)
            slot = replace(slot, id=new_id)
        result.append(slot)
    return tuple(result)


def first_overlap(slots: Sequence[Slot], any_room: bool = False) -> tuple[int, int] | None:
    """The first pair (i, j), i < j, of slots of one room that share an instant, in the given
    order: j is the first slot that overlaps one before it, i the first of those it overlaps.
    ``any_room``: slots overlap whatever rooms they name (one room's screens show them all).
    """
    groups: dict[str, list[int]] = {}
    for k, slot in enumerate(slots):
        groups.setdefault("" if any_room else room_key(slot.room), []).append(k)
    found = []
    for indices in groups.values():
        pair = _first_overlap([slots[k] for k in indices])
        if pair is not None:
            found.append((indices[pair[1]], indices[pair[0]]))
    if not found:
        return None
    j, i = min(found)
    return i, j


def room_key(name: str) -> str:
    """A room's name as rooms are compared: "Conference room 2" is "CONFERENCE ROOM 2"."""
    return " ".join(name.split()).casefold()


def _first_overlap(slots: Sequence[Slot]) -> tuple[int, int] | None:
    """``first_overlap`` within one room.

    O(n log n) for a programme without overlaps (one sort and one sweep); a refused programme
    pays a few more sweeps (log n) to find the pair that reading in order would meet first, so
    that the error names the first problem in the file."""
    spans = [(_utc(s.start), _utc(s.end)) for s in slots]
    if not _any_overlap(spans):
        return None
    # The shortest prefix that holds an overlap ends with j; spans[:good] holds none.
    good, bad = 1, len(spans)
    while bad - good > 1:
        middle = (good + bad) // 2
        if _any_overlap(spans[:middle]):
            bad = middle
        else:
            good = middle
    j = bad - 1
    start, end = spans[j]
    i = next(i for i in range(j) if spans[i][0] < end and start < spans[i][1])
    return i, j


def _any_overlap(spans: Sequence[tuple[datetime, datetime]]) -> bool:
    """Whether any two of the UTC spans [start, end) share an instant.  Sorted by start, the
    spans overlap somewhere if and only if one starts before the latest end seen so far."""
    latest_end: datetime | None = None
    for start, end in sorted(spans):
        if latest_end is not None and start < latest_end:
            return True
        latest_end = end if latest_end is None else max(latest_end, end)
    return False


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The instant a wall clock in ``tz`` shows ``at`` on ``day``.

    Raises ValueError for a wall time that a daylight-saving change skips (2:30 a.m. on the
    spring-forward night); a repeated one (autumn) is its first occurrence.  The result carries
    that moment's fixed offset (see ``venue_time``).
    """
    instant = datetime.combine(day, at, tzinfo=tz)
    try:
        back = instant.astimezone(UTC).astimezone(tz)
    except OverflowError:  # 1 January of year 1, or 31 December 9999, beyond UTC's calendar
        raise ValueError(f"{at:%H:%M} on {day.isoformat()} is out of range") from None
    if back.replace(tzinfo=None) != instant.replace(tzinfo=None):
        raise ValueError(f"{at:%H:%M} on {day:%d %B %Y} does not exist in {tz.key}")
    return venue_time(instant, tz)


def venue_time(instant: datetime, tz: ZoneInfo) -> datetime:
    """``instant`` as the venue's wall clock reads it, carrying that moment's fixed UTC offset
    rather than the zone itself.

    Why: Python compares and subtracts two datetimes that share one tzinfo object as wall
    clocks, ignoring ``fold``, so with a ``ZoneInfo`` 1.30 a.m. EDT and 1.30 a.m. EST (the
    repeated hour of the autumn night) are "equal", and adding an hour across a change is off
    by one.  Datetimes with fixed offsets compare and subtract as instants, whatever their
    offsets, and still read as the venue's wall clock.  Every instant the domain keeps goes
    through here (or is UTC); arithmetic on one is followed by ``venue_time`` again, since the
    offset may change on the way.
    """
    _require_aware(instant)
    local = instant.astimezone(tz)
    offset = local.utcoffset()
    assert offset is not None  # a ZoneInfo always has one
    return local.replace(tzinfo=_fixed(offset))


@cache
def _fixed(offset: timedelta) -> timezone:
    return timezone(offset)


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def _require_aware(instant: datetime) -> None:
    # A naive instant compared with aware slot times raises a TypeError deep inside bisect;
    # say what is wrong instead.
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("instant must be timezone-aware")
