"""Read a UN "Provisional programme of work" note (plain text, as extracted from the PDF).

The annex is a table that extraction flattens into lines:

* a day header: ``Monday, 11 December`` (comma, year optional);
* a slot: ``10 a.m.–1 p.m.<TAB>Opening of the session`` (the time range, then its first line);
* a continuation: ``<TAB>Opening statements``, more text of the current slot; a leading space
  after the tab, or a dash, is a bullet whose glyph was lost;
* a footnote text: ``¹ States are strongly encouraged ...``, wherever a page break left it;
* page furniture (document symbols, page numbers, the annex's own headings), skipped.

Anything else is refused with the file, the line number and the problem: a schedule that is read
wrong is worse than none.  Guesses that are safe (the missing dash of "10 a.m1 p.m.") are
accepted with a warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from .note_header import MONTH, Header, make_date, month_number, parse_header
from .programme import (
    Footnote,
    ParseWarning,
    Programme,
    ProgrammeError,
    Slot,
    first_overlap,
    local_instant,
)
from .slot_text import TO_DIGITS, agenda_items, kind_of, split_markers
from .time_range import TimeRange, TimeRangeError, parse_time_range
from .venues import timezone_for_venue

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_RE = re.compile(
    rf"^(?P<weekday>{'|'.join(_WEEKDAYS)}),?\s+"
    rf"(?:(?P<day>\d{{1,2}})\s+(?P<month>{MONTH})|(?P<us_month>{MONTH})\s+(?P<us_day>\d{{1,2}}))"
    r"(?:,?\s+(?P<year>\d{4}))?$",
    re.IGNORECASE,
)
_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
FOOTNOTE_DEF_RE = re.compile(
    rf"^(?P<marker>[{_SUPERSCRIPTS}]+|\d{{1,2}}|\*{{1,3}})\s+(?P<text>\S.*)$"
)
_FURNITURE_RE = re.compile(
    r"^(?:annex(?:\s+[IVX]+)?|provisional programme of work|programme of work"
    r"|[A-Z]{1,3}(?:/[\w.()-]+)+"  # document symbols: A/AC.292/2023/L.1
    r"|\d{1,3}/\d{1,3}|page \d+(?: of \d+)?"  # page numbers
    r"|\d{2}-\d{5}(?:\s*\(E\))?(?:\s+\S+)*"  # job numbers: 23-23456 (E) 281123
    r"|\*\d{5,}\*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ParseResult:
    programme: Programme
    warnings: tuple[ParseWarning, ...] = ()


@dataclass
class _PendingSlot:
    line: int
    day: date
    range: TimeRange
    lines: list[str] = field(default_factory=list)


def _clean(text: str) -> str:
    return " ".join(text.split())


def _continuation(raw: str) -> str:
    """The text of a continuation line, its lost or dashed bullet made a bullet again."""
    body = raw.lstrip("\t")
    if body[:1].isspace() and body.strip():
        return "\u2022 " + _clean(body)
    text = _clean(body)
    bullet = re.match(r"^[-\u2013\u2022\u00b7\u25aa\u25cf]\s+(?=\S)", text)
    return "\u2022 " + text[bullet.end() :] if bullet else text


class _NoteReader:
    def __init__(self, text: str, source: str, timezone: str | None) -> None:
        self.source = source
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.timezone_override = timezone
        self.warnings: list[ParseWarning] = []
        self.footnotes: dict[str, str] = {}

    def error(self, line: int, message: str) -> ProgrammeError:
        return ProgrammeError(self.source, line, message)

    def read(self) -> ParseResult:
        first_day = next((i for i, raw in enumerate(self.lines) if DAY_RE.match(raw.strip())), None)
        if first_day is None:
            raise self.error(1, "no day found (expected a line such as 'Monday, 11 December')")
        header = parse_header(self.lines[:first_day], self.source)
        tz_name = self.timezone_override or timezone_for_venue(header.venue)
        if tz_name is None:
            raise self.error(
                header.line,
                f"unknown venue {header.venue!r}: give its time zone (--timezone, or the "
                "'timezone' field of the programme's TOML)",
            )
        try:
            tz = ZoneInfo(tz_name)
        except (ValueError, KeyError, OSError):
            raise self.error(header.line, f"unknown time zone {tz_name!r}") from None
        pending = self._read_annex(first_day, header)
        slots = self._build_slots(pending, header, tz)
        programme = Programme(
            title=header.title,
            session=header.session,
            venue=header.venue,
            timezone=tz_name,
            start_date=header.start_date,
            end_date=header.end_date,
            slots=tuple(slots),
        )
        return ParseResult(programme, tuple(self.warnings))

    def _read_annex(self, first_day: int, header: Header) -> list[_PendingSlot]:
        slots: list[_PendingSlot] = []
        day: date | None = None
        current: _PendingSlot | None = None  # the slot that continuation lines belong to
        footnote: str | None = None  # the footnote whose text may run on to the next line
        for index in range(first_day, len(self.lines)):
            line = index + 1
            raw = self.lines[index].replace("\f", "").rstrip()
            stripped = raw.strip()
            if not stripped:
                footnote = None
                continue
            if not raw[0].isspace() or "\t" in stripped:
                if (m := DAY_RE.match(stripped)) is not None:
                    day, current, footnote = self._day(m, line, header), None, None
                    continue
                try:
                    time_range = parse_time_range(stripped)
                except TimeRangeError as exc:
                    raise self.error(line, str(exc)) from None
                if time_range is not None:
                    if day is None:  # pragma: no cover - the annex starts at a day
                        raise self.error(line, "a time slot before any day")
                    if time_range.missing_separator:
                        self.warnings.append(
                            ParseWarning(
                                self.source,
                                line,
                                f"no dash between the times in {stripped[: time_range.length]!r}"
                                f"; read as {_fmt(time_range.start)}–{_fmt(time_range.end)}",
                            )
                        )
                    current = _PendingSlot(line, day, time_range)
                    if rest := _clean(stripped[time_range.length :]):
                        current.lines.append(rest)
                    slots.append(current)
                    footnote = None
                    continue
            if raw[0].isspace():
                # A page break may put footnote texts between two lines of one slot: an
                # indented line always continues the slot, wherever the footnotes fell.
                if current is None:
                    raise self.error(line, f"text outside any time slot: {stripped[:60]!r}")
                current.lines.append(_continuation(raw))
                footnote = None
                continue
            if (m := FOOTNOTE_DEF_RE.match(stripped)) is not None:
                footnote = m.group("marker").translate(TO_DIGITS)
                if footnote in self.footnotes:
                    raise self.error(line, f"footnote {footnote} is given twice")
                self.footnotes[footnote] = _clean(m.group("text"))
                continue
            if footnote is not None:
                self.footnotes[footnote] += " " + _clean(stripped)
                continue
            if _FURNITURE_RE.match(stripped):
                continue
            raise self.error(
                line,
                f"not a day, a time slot or a continuation: {stripped[:60]!r} "
                "(continuation lines start with a tab)",
            )
        return slots

    def _day(self, m: re.Match[str], line: int, header: Header) -> date:
        day_number = int(m.group("day") or m.group("us_day"))
        month = month_number(m.group("month") or m.group("us_month"))
        if m.group("year"):
            years = [int(m.group("year"))]
        else:
            years = sorted({header.start_date.year, header.end_date.year})
        candidates = [make_date(y, month, day_number, self.source, line) for y in years]
        inside = [d for d in candidates if header.start_date <= d <= header.end_date]
        if not inside:
            raise self.error(
                line,
                f"{m.group(0).strip()!r} is outside the session "
                f"({header.start_date:%d %B %Y}–{header.end_date:%d %B %Y})",
            )
        day = inside[0]
        weekday = m.group("weekday").lower()
        if _WEEKDAYS[day.weekday()] != weekday:
            raise self.error(line, f"{day:%d %B %Y} is a {day:%A}, not a {weekday.capitalize()}")
        return day

    def _build_slots(self, pending: list[_PendingSlot], header: Header, tz: ZoneInfo) -> list[Slot]:
        slots: list[Slot] = []
        for p in pending:
            try:
                slots.append(self._build_slot(p, tz))
            except ProgrammeError:
                # Overlaps are checked once for the whole annex (a sort, not a scan per slot);
                # one above this line is still the first problem in the file.
                self._check_overlaps(slots, pending)
                raise
        self._check_overlaps(slots, pending)
        return slots

    def _build_slot(self, p: _PendingSlot, tz: ZoneInfo) -> Slot:
        if not p.lines:
            raise self.error(p.line, "a time slot with no text")
        texts: list[str] = []
        markers: list[str] = []
        for text in p.lines:
            clean, found = split_markers(text, self.footnotes.keys())
            texts.append(clean)
            markers += [f for f in found if f not in markers]
        for marker in markers:
            if marker not in self.footnotes:
                self.warnings.append(
                    ParseWarning(self.source, p.line, f"footnote {marker} has no text")
                )
        return Slot(
            start=self._instant(p.day, p.range.start, tz, p.line),
            end=self._instant(p.day, p.range.end, tz, p.line),
            title=texts[0],
            details=tuple(texts[1:]),
            agenda_items=agenda_items(texts),
            footnotes=tuple(Footnote(m, self.footnotes[m]) for m in markers if m in self.footnotes),
            kind=kind_of(texts[0]),
        )

    def _check_overlaps(self, slots: list[Slot], pending: list[_PendingSlot]) -> None:
        """Refuse the first slot (in the file's order) that overlaps one above it, naming both
        lines; ``slots[k]`` was read from ``pending[k]``."""
        if (pair := first_overlap(slots)) is None:
            return
        other = slots[pair[0]]
        raise self.error(
            pending[pair[1]].line,
            f"this slot overlaps the one at line {pending[pair[0]].line} "
            f"({other.start:%A %d %B}, {_fmt(other.start.time())}–{_fmt(other.end.time())})",
        )

    def _instant(self, day: date, at: time, tz: ZoneInfo, line: int) -> datetime:
        try:
            return local_instant(day, at, tz)
        except ValueError as exc:
            raise self.error(line, str(exc)) from None


def _fmt(t: time) -> str:
    return t.strftime("%H:%M")


def parse_note(text: str, source: str = "<note>", timezone: str | None = None) -> ParseResult:
    """Read a programme-of-work note.  Raises ProgrammeError naming the line and the problem."""
    return _NoteReader(text, source, timezone).read()
