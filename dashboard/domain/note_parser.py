"""Read a UN "Provisional programme of work" note (plain text, as extracted from the PDF).

The annex is a table that extraction flattens into lines (note_lines.py names each kind):

* a day heading: ``Monday, 11 December`` (comma and year optional, any case; "MONDAY," and its
  date may be split over two lines; "Thursday, 3 July and Friday, 4 July" is two days with one
  schedule; a heading with text after it is a day without meetings);
* a slot: ``10 a.m.–1 p.m.<TAB>Opening of the session``, a tab or a space after the time range;
  a time alone on its line takes the next line as its text; start times alone
  (``10 a.m.``, ``10.30 a.m. and 3 p.m.``) end at the end of their half-day (``HalfDays``);
* its details: the lines that follow it, indented (a tab; a space after the tab, or a dash, is a
  bullet whose glyph was lost) or not (PDF text), blank lines inside a cell included;
* a footnote text: ``¹ States are strongly encouraged ...``, wherever a page break left it;
* a period label (MORNING, AFTERNOON, LUNCH...), which closes the slot above;
* page furniture (document symbols, page and job numbers, running heads), skipped.

Anything else is refused with the file, the line number and the problem: a schedule that is read
wrong is worse than none.  Guesses that are safe (the missing dash of "10 a.m1 p.m.") are
accepted with a warning, and every line's reading is kept for ``dashboard check``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .note_days import DayReader, starts_with_time
from .note_header import Header, parse_header
from .note_lines import (
    FOOTNOTE_DEF_RE,
    FURNITURE_RE,
    ITEM_COLUMN_RE,
    PERIOD_RE,
    HalfDays,
    LineReading,
    clean,
    continuation,
)
from .programme import (
    Footnote,
    ParseWarning,
    Programme,
    ProgrammeError,
    Slot,
    first_overlap,
    local_instant,
    room_key,
)
from .slot_text import TO_DIGITS, agenda_items, kind_of, room_line, room_of, split_markers
from .time_range import TimeRangeError, parse_start_times, parse_time_range
from .venues import timezone_for_venue


@dataclass(frozen=True, slots=True)
class ParseResult:
    programme: Programme
    warnings: tuple[ParseWarning, ...] = ()
    readings: tuple[LineReading, ...] = ()  # one per non-blank line of a note, in order


@dataclass
class _PendingSlot:
    line: int
    day: date
    start: time
    end: time | None  # None: the note prints its start only
    lines: list[str] = field(default_factory=list)
    items: list[str] = field(default_factory=list)  # from a bare item-number column
    kind: str | None = None  # a day without meetings: "holiday"
    all_day: bool = False


class _NoteReader:
    def __init__(self, text: str, source: str, timezone: str | None, half_days: HalfDays) -> None:
        self.source = source
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.timezone_override = timezone
        self.half_days = half_days
        self.warnings: list[ParseWarning] = []
        self.footnotes: dict[str, str] = {}
        self.readings: dict[int, LineReading] = {}
        self.running_heads: set[str] = set()  # the header's lines, repeated as page heads

    def error(self, line: int, message: str) -> ProgrammeError:
        return ProgrammeError(self.source, line, message)

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(self.source, line, message))

    def read_as(self, line: int, kind: str, text: str) -> None:
        self.readings[line] = LineReading(line, kind, text)

    def read(self) -> ParseResult:
        days = DayReader(self.lines, self.source)
        first_day = days.first_heading()
        if first_day is None:
            raise self.error(1, "no day found (expected a line such as 'Monday, 11 December')")
        header = parse_header(self.lines[:first_day], self.source, _is_furniture)
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
        self._read_head(first_day, header)
        pending = self._read_annex(first_day, header, days)
        slots = self._build_slots(pending, tz)
        programme = Programme(
            title=header.title,
            session=header.session,
            venue=header.venue,
            timezone=tz_name,
            start_date=header.start_date,
            end_date=header.end_date,
            slots=tuple(slots),
        )
        readings = tuple(self.readings[k] for k in sorted(self.readings))
        warnings = sorted(self.warnings, key=lambda w: w.line)
        return ParseResult(programme, tuple(warnings), readings)

    def _read_head(self, first_day: int, header: Header) -> None:
        """Account for every line above the first day: the header, its furniture, the
        note's preamble below it, and strays above the title (a warning each)."""
        for index in range(first_day):
            line, text = index + 1, clean(self.lines[index])
            if not text:
                continue
            if line in header.strays:
                self.read_as(line, "ignored", text[:60])
                self.warn(line, f"ignored above the title: {text[:60]!r}")
            elif line in header.lines or line == header.line:
                self.read_as(line, "heading", text[:60])
            elif _is_furniture(text):
                self.read_as(line, "furniture", text[:60])
            elif line < header.line:  # pragma: no cover - the header takes or strays them
                self.read_as(line, "ignored", text[:60])
            elif starts_with_time(text):
                raise self.error(line, f"a time slot before any day: {text[:60]!r}")
            else:
                self.read_as(line, "heading", text[:60])
        self.running_heads = {
            clean(self.lines[i - 1]) for i in (*header.lines, header.line) if i <= first_day
        }

    def _read_annex(self, first_day: int, header: Header, days: DayReader) -> list[_PendingSlot]:
        slots: list[_PendingSlot] = []
        on: tuple[date, ...] = ()  # the days the lines below belong to
        current: list[_PendingSlot] = []  # the slots that detail lines belong to
        footnote: str | None = None  # the footnote whose text may run on to the next line
        index = first_day
        while index < len(self.lines):
            line = index + 1
            raw = self.lines[index].replace("\f", "").rstrip()
            stripped = raw.strip()
            index += 1
            if not stripped:
                footnote = None
                continue
            if not raw[0].isspace() or "\t" in stripped:
                heading = days.heading_at(index - 1, header)
                if heading is not None:
                    on, current, footnote = heading.days, [], None
                    index = heading.next_index
                    self.read_as(line, "day", heading.describe())
                    for other in heading.other_lines:
                        self.read_as(other, "day", heading.describe())
                    if heading.text:
                        current = [self._day_without_meetings(line, d, heading.text) for d in on]
                        slots += current
                    elif heading.slot:
                        current = self._slot_line(line, heading.slot, on)
                        slots += current
                        said = self.readings[line].text
                        self.read_as(line, "day", f"{heading.describe()}; then {said}")
                    continue
                read = self._slot_line(line, stripped, on)
                if read:
                    current, footnote = read, None
                    slots += read
                    continue
            if PERIOD_RE.match(stripped):
                # Context for the reader, never a detail of the slot above.
                self.read_as(line, "period", stripped)
                current, footnote = [], None
                continue
            if raw[0].isspace() and current:
                # A page break may put footnote texts between two lines of one slot: an
                # indented line always continues the slot, wherever the footnotes fell.
                self._detail(line, current, continuation(raw))
                footnote = None
                continue
            if (m := FOOTNOTE_DEF_RE.match(stripped)) is not None:
                footnote = m.group("marker").translate(TO_DIGITS)
                if footnote in self.footnotes:
                    raise self.error(line, f"footnote {footnote} is given twice")
                self.footnotes[footnote] = clean(m.group("text"))
                self.read_as(line, "footnote", f"{footnote}: {clean(m.group('text'))[:50]}")
                continue
            if footnote is not None:
                self.footnotes[footnote] += " " + clean(stripped)
                self.read_as(line, "footnote", f"{footnote} (continued)")
                continue
            if _is_furniture(stripped) or clean(stripped) in self.running_heads:
                self.read_as(line, "furniture", clean(stripped)[:60])
                continue
            if not current:
                raise self.error(line, f"text outside any time slot: {stripped[:60]!r}")
            # PDF text: a slot's continuation lines are not indented.
            self._detail(line, current, continuation(raw))
        return slots

    def _detail(self, line: int, current: list[_PendingSlot], text: str) -> None:
        for p in current:
            p.lines.append(text)
        kind = "slot" if len(current[0].lines) == 1 else "detail"
        room = room_line(text) if kind == "detail" else ""
        self.read_as(line, kind, f"room: {room}" if room else text[:60])

    def _slot_line(self, line: int, stripped: str, on: tuple[date, ...]) -> list[_PendingSlot]:
        """The slots a time line opens (one per day of its heading, and per start time), or
        none when the line does not start with a time."""
        try:
            time_range = parse_time_range(stripped)
            starts = None if time_range is not None else parse_start_times(stripped)
        except TimeRangeError as exc:
            raise self.error(line, str(exc)) from None
        if time_range is not None:
            if time_range.missing_separator:
                self.warn(
                    line,
                    f"no dash between the times in {stripped[: time_range.length]!r}"
                    f"; read as {_fmt(time_range.start)}–{_fmt(time_range.end)}",
                )
            spans: list[tuple[time, time | None]] = [(time_range.start, time_range.end)]
            length = time_range.length
            said = f"{_fmt(time_range.start)}–{_fmt(time_range.end)}"
        elif starts is not None:
            spans = [(s, None) for s in starts.starts]
            length = starts.length
            said = " and ".join(_fmt(s) + "–?" for s in starts.starts)
        else:
            return []
        if not on:  # pragma: no cover - the annex starts at a day
            raise self.error(line, "a time slot before any day")
        rest = stripped[length:]
        items: list[str] = []
        if (column := ITEM_COLUMN_RE.match(rest)) is not None:
            items.append(column.group("item").replace(" ", ""))
            rest = rest[column.end() :]
        text = clean(rest)
        opened = [
            _PendingSlot(line, d, start, end, [text] if text else [], list(items))
            for d in on
            for start, end in spans
        ]
        self.read_as(line, "slot", f"{said} {text[:50]}".rstrip())
        return opened

    def _day_without_meetings(self, line: int, day: date, text: str) -> _PendingSlot:
        kind = kind_of([text])
        return _PendingSlot(
            line, day, time(0), None, [text], kind="holiday" if kind == "meeting" else kind,
            all_day=True,
        )  # fmt: skip

    def _build_slots(self, pending: list[_PendingSlot], tz: ZoneInfo) -> list[Slot]:
        slots: list[Slot] = []
        # A start printed alone ends, at the latest, where the next meeting in its room starts.
        rooms = [room_key(room_of(list(p.lines))[0]) for p in pending]
        order = sorted(
            range(len(pending)), key=lambda k: (pending[k].day, rooms[k], pending[k].start)
        )
        next_start: dict[int, time | None] = {}
        for a, b in zip(order, [*order[1:], None][: len(order)], strict=True):
            same_day = b is not None and (pending[b].day, rooms[b]) == (pending[a].day, rooms[a])
            next_start[a] = pending[b].start if b is not None and same_day else None
        for k, p in enumerate(pending):
            try:
                slots.append(self._build_slot(p, tz, next_start[k]))
            except ProgrammeError:
                # Overlaps are checked once for the whole annex (a sort, not a scan per slot);
                # one above this line is still the first problem in the file.
                self._check_overlaps(slots, pending)
                raise
        self._check_overlaps(slots, pending)
        return slots

    def _end_of(self, p: _PendingSlot, next_start: time | None) -> time:
        """The end printed; else the end of the half-day, or the next meeting's start if
        sooner.  A day without meetings ends at midnight (of the next day)."""
        if p.end is not None:
            return p.end
        if p.all_day:
            return time(0)
        end = self.half_days.end_after(p.start)
        if next_start is not None and next_start > p.start and (end is None or next_start < end):
            end = next_start
        if end is None:
            raise self.error(
                p.line,
                f"a meeting at {_fmt(p.start)} without an end, after the last half-day: "
                "print its end (10 p.m.–midnight is not guessed)",
            )
        return end

    def _build_slot(self, p: _PendingSlot, tz: ZoneInfo, next_start: time | None) -> Slot:
        if not p.lines:
            raise self.error(p.line, "a time slot with no text")
        texts: list[str] = []
        markers: list[str] = []
        for text in p.lines:
            clean_text, found = split_markers(text, self.footnotes.keys())
            texts.append(clean_text)
            markers += [f for f in found if f not in markers]
        for marker in markers:
            if marker not in self.footnotes:
                self.warn(p.line, f"footnote {marker} has no text")
        room, texts = room_of(texts)
        end_time = self._end_of(p, next_start)
        if p.end is None and not p.all_day:
            # The reading says the end the parser chose: "10:00–?" becomes "10:00–~13:00".
            reading = self.readings[p.line]
            said = reading.text.replace(f"{_fmt(p.start)}–?", f"{_fmt(p.start)}–~{_fmt(end_time)}")
            self.read_as(p.line, reading.kind, said)
            self.warn(
                p.line,
                f"no end printed for the meeting at {_fmt(p.start)} on {p.day.day} {p.day:%B}: "
                f"read as until about {_fmt(end_time)} ({_why_end(end_time, next_start)})",
            )
        end_day = p.day + timedelta(days=1) if p.all_day else p.day
        items = list(p.items)
        items += [i for i in agenda_items(texts) if i not in items]
        return Slot(
            start=self._instant(p.day, p.start, tz, p.line),
            end=self._instant(end_day, end_time, tz, p.line),
            title=texts[0],
            details=tuple(texts[1:]),
            agenda_items=tuple(items),
            footnotes=tuple(Footnote(m, self.footnotes[m]) for m in markers if m in self.footnotes),
            kind=p.kind or kind_of(texts),
            end_estimated=p.end is None and not p.all_day,
            room=room,
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


def _is_furniture(text: str) -> bool:
    return FURNITURE_RE.match(clean(text)) is not None


def _why_end(end: time, next_start: time | None) -> str:
    return "the next meeting's start" if end == next_start else "the end of the half-day"


def _fmt(t: time) -> str:
    return f"{t.hour:02d}:{t.minute:02d}"  # strftime is slow, and this runs for every slot


def parse_note(
    text: str,
    source: str = "<note>",
    timezone: str | None = None,
    half_days: HalfDays | None = None,
) -> ParseResult:
    """Read a programme-of-work note.  Raises ProgrammeError naming the line and the problem."""
    return _NoteReader(text, source, timezone, half_days or HalfDays()).read()
