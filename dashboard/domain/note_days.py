"""Day headings in the annex of a note, in every form notes print them.

"Monday, 11 December"; with the year; in capitals; "MONDAY," with "9 May" on the next line;
"Thursday, 3 July and Friday, 4 July" (one schedule for two days); "Monday, 5 September
Official United Nations holiday" (a day without meetings: the text after the date says why).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from .note_header import MONTH, Header, make_date, month_number
from .note_lines import DAY_RE, DAY_WITH_TEXT_RE, TWO_DAYS_RE, WEEKDAY_ALONE_RE, WEEKDAYS
from .programme import ProgrammeError
from .time_range import TimeRangeError, parse_start_times, parse_time_range

_DATE_ALONE_RE = re.compile(
    rf"^(?:\d{{1,2}}\s+{MONTH}|{MONTH}\s+\d{{1,2}})(?:,?\s+\d{{4}})?$", re.IGNORECASE
)


_WEEKDAY_STARTS = frozenset(w[:3] for w in WEEKDAYS)


def starts_with_time(text: str) -> bool:
    """Whether ``text`` starts with a time or a range, possible or not."""
    try:
        return parse_time_range(text) is not None or parse_start_times(text) is not None
    except TimeRangeError:
        return True  # refused, naming the line, when read as a slot


@dataclass(frozen=True, slots=True)
class Heading:
    days: tuple[date, ...]
    next_index: int  # the index of the line after the heading
    other_lines: tuple[int, ...] = ()  # further lines (numbers) the heading took
    text: str = ""  # after the date: the day has no meetings
    slot: str = ""  # after the date, a time: the day's first slot, on the heading's line

    def describe(self) -> str:
        said = " and ".join(f"{d:%A} {d.day} {d:%B %Y}" for d in self.days)
        return f"{said}: {self.text}" if self.text else said


class DayReader:
    def __init__(self, lines: list[str], source: str) -> None:
        self.lines = lines
        self.source = source

    def _text(self, index: int) -> str:
        return self.lines[index].replace("\f", "").strip()

    def _matches(self, index: int) -> tuple[list[re.Match[str]], int, str] | None:
        """The date matches of the heading at ``index``, the index after it and its text."""
        text = self._text(index)
        if text[:3].lower() not in _WEEKDAY_STARTS:  # most lines: no need for the patterns
            return None
        if (m := DAY_RE.match(text)) is not None:
            return [m], index + 1, ""
        if (two := TWO_DAYS_RE.match(text)) is not None:
            first = DAY_RE.match(two.group("first"))
            second = DAY_RE.match(two.group("second").strip())
            if first is not None and second is not None:
                return [first, second], index + 1, ""
        if (m := DAY_WITH_TEXT_RE.match(text)) is not None:
            return [m], index + 1, " ".join(m.group("text").split())
        if WEEKDAY_ALONE_RE.match(text):
            after = index + 1
            while after < len(self.lines) and not self._text(after):
                after += 1
            if after < len(self.lines) and _DATE_ALONE_RE.match(self._text(after)):
                joined = DAY_RE.match(f"{text.rstrip(',')}, {self._text(after)}")
                if joined is not None:
                    return [joined], after + 1, ""
        return None

    def first_heading(self) -> int | None:
        """The index of the first line that is a day heading."""
        return next((i for i in range(len(self.lines)) if self._matches(i)), None)

    def heading_at(self, index: int, header: Header) -> Heading | None:
        found = self._matches(index)
        if found is None:
            return None
        matches, after, text = found
        line = index + 1
        days = tuple(self._day(m, line, header) for m in matches)
        others = tuple(i + 1 for i in range(index + 1, after) if self._text(i))
        if text and starts_with_time(text):
            return Heading(days, after, others, slot=text)
        return Heading(days, after, others, text)

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
            raise ProgrammeError(
                self.source,
                line,
                f"{m.group(0).strip()!r} is outside the session "
                f"({header.start_date:%d %B %Y}–{header.end_date:%d %B %Y})",
            )
        day = inside[0]
        weekday = m.group("weekday").lower()
        if WEEKDAYS[day.weekday()] != weekday:
            raise ProgrammeError(
                self.source, line, f"{day:%d %B %Y} is a {day:%A}, not a {weekday.capitalize()}"
            )
        return day
