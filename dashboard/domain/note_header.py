"""The head of a programme-of-work note: which meeting, which session, where and when.

The shipped note prints it on one line::

    Open-ended working group ... 2021–2025 Sixth substantive session New York, 11–15 December 2023

others spread it over three (title, session, "Geneva, 29 July–9 August 2024").  The dates line is
the anchor: the block of text that ends with it holds the title, the session and the venue.  When
that block lacks the title or the session, the paragraphs above it (blank lines between) are taken
too: "Title" / "" / "Third session" / "" / "New York, 27 March–7 April 2017".  Page furniture
(the symbol block, "Distr.: Limited", "Original: English") is passed over; other lines above the
title are strays (a web page's leftovers), reported by the caller as ignored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from .programme import ProgrammeError
from .venues import VENUE_TIMEZONES

MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
MONTH = r"(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DASH = r"(?:\s*[\u2013\u2014\u2012\u2212-]\s*|\s+to\s+)"

# "11–15 December 2023", "29 July–9 August 2024", "30 December 2024 to 3 January 2025",
# or a single day, "1 June 2022".
DATES_RE = re.compile(
    rf"(?:(?P<d1>\d{{1,2}})(?:\s+(?P<m1>{MONTH}))?(?:,?\s+(?P<y1>\d{{4}}))?{_DASH})?"
    rf"(?P<d2>\d{{1,2}})\s+(?P<m2>{MONTH}),?\s+(?P<y2>\d{{4}})",
    re.IGNORECASE,
)
_VENUE_LINE_RE = re.compile(
    rf"^(?P<before>.*?),\s*(?P<dates>{DATES_RE.pattern})\s*$", re.IGNORECASE
)

_ORDINALS = (
    "(?:Twenty|Thirty|Forty|Fifty|Sixty|Seventy|Eighty|Ninety)-"
    "(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|"
    "Thirtieth|Fortieth|Fiftieth|Sixtieth|Seventieth|Eightieth|Ninetieth|"
    "First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Eleventh|Twelfth|"
    "Thirteenth|Fourteenth|Fifteenth|Sixteenth|Seventeenth|Eighteenth|Nineteenth|Twentieth|"
    r"Resumed|Organizational|Special|Substantive|\d+(?:st|nd|rd|th)"
)
# The title is greedy so that the session is the last "<ordinal> ... session" in the text.
_SESSION_RE = re.compile(
    rf"^(?P<title>.*\s|)(?P<session>(?:{_ORDINALS})(?:\s+[\w-]+){{0,2}}?\s+[Ss]ession"
    r"(?:\s+of\s+\d{4})?)\b(?P<venue>.*)$"  # "Substantive session of 1997"
)
_CAPITALISED_TAIL_RE = re.compile(r"((?:[A-Z][\w'.-]*\s*)+)$")


@dataclass(frozen=True, slots=True)
class Header:
    title: str
    session: str
    venue: str
    start_date: date
    end_date: date
    line: int  # the line of the dates
    lines: tuple[int, ...] = ()  # the lines the title, session, venue and dates were read from
    strays: tuple[int, ...] = ()  # lines above the title that are neither it nor furniture


def month_number(name: str) -> int:
    key = name.rstrip(".")
    if (number := MONTHS.get(key.lower())) is not None:
        return number
    # MONTH matches case-insensitively, and so lets "\u017f" stand for "s" or "\u0131" for "i"
    # ("Augu\u017ft"), which lower() leaves alone: look the name up the way it was matched.
    return next(n for k, n in MONTHS.items() if re.fullmatch(k, key, re.IGNORECASE))


def make_date(year: int, month: int, day: int, source: str, line: int) -> date:
    """A calendar date, or a clear error for one that does not exist (31 June)."""
    try:
        return date(year, month, day)
    except ValueError:
        raise ProgrammeError(
            source, line, f"{day} {_month_name(month)} {year} is not a date"
        ) from None


def _month_name(month: int) -> str:
    return date(2000, month, 1).strftime("%B")


def _dates(m: re.Match[str], source: str, line: int) -> tuple[date, date]:
    y2 = int(m.group("y2"))
    m2 = month_number(m.group("m2"))
    end = make_date(y2, m2, int(m.group("d2")), source, line)
    if m.group("d1") is None:
        return end, end
    m1 = month_number(m.group("m1")) if m.group("m1") else m2
    y1 = int(m.group("y1")) if m.group("y1") else (y2 - 1 if m1 > m2 else y2)
    start = make_date(y1, m1, int(m.group("d1")), source, line)
    if end < start:
        raise ProgrammeError(source, line, "the session's last day is before its first")
    return start, end


def _split_session_and_venue(text: str) -> tuple[str, str, str]:
    """(title, session, venue) from the text before the dates' comma."""
    m = _SESSION_RE.match(text)
    if m:
        return m.group("title").strip(), m.group("session"), m.group("venue").strip()
    lowered = text.lower()
    for venue in sorted(VENUE_TIMEZONES, key=len, reverse=True):
        if lowered.endswith(venue):
            cut = len(text) - len(venue)
            return text[:cut].strip(), "", text[cut:].strip()
    tail = _CAPITALISED_TAIL_RE.search(text)
    if tail is None:
        return text.strip(), "", ""
    return text[: tail.start()].strip(), "", tail.group(1).strip()


def _paragraphs(lines: list[str], index: int, furniture: Callable[[str], bool]) -> list[list[int]]:
    """The paragraphs above ``lines[index]``, nearest first: runs of indices of non-blank lines
    that are not furniture."""
    paragraphs: list[list[int]] = [[]]
    for i in range(index - 1, -1, -1):
        text = lines[i].strip()
        if not text:
            if paragraphs[-1]:
                paragraphs.append([])
        elif not furniture(text):
            paragraphs[-1].insert(0, i)
    return [p for p in paragraphs if p]


def _split_lines(lines: list[str], indices: list[int], before: str) -> tuple[str, str, str]:
    return _split_session_and_venue(" ".join([lines[i].strip() for i in indices] + [before]))


def _no_furniture(_text: str) -> bool:
    return False


def parse_header(
    lines: list[str], source: str, furniture: Callable[[str], bool] = _no_furniture
) -> Header:
    """Read the header from the lines before the annex (``lines[i]`` is line ``i + 1``)."""
    for index, raw in enumerate(lines):
        m = _VENUE_LINE_RE.match(raw.strip())
        if m is None:
            continue
        line = index + 1
        before = m.group("before").strip()
        paragraphs = _paragraphs(lines, index, furniture)
        # The block that ends with the dates (as the shipped note has it), then paragraphs
        # above it while the title or the session is missing.
        used: list[int] = []
        if paragraphs and paragraphs[0][-1] == index - 1:
            used = paragraphs.pop(0)
        title, session, venue = _split_lines(lines, used, before)
        while paragraphs and (not title or not session) and len(used) < 12:
            t, s, v = _split_lines(lines, paragraphs[0] + used, before)
            if title and not s:
                break  # the paragraph above brings no session: a stray, not the title
            used = paragraphs.pop(0) + used
            title, session, venue = t, s, v
        if not venue:
            raise ProgrammeError(source, line, "no venue before the session's dates")
        if not title:
            raise ProgrammeError(source, line, "no meeting title before the session's dates")
        start, end = _dates(m, source, line)
        strays = tuple(sorted(i + 1 for p in paragraphs for i in p))
        return Header(title, session, venue, start, end, line, tuple(i + 1 for i in used), strays)
    raise ProgrammeError(
        source,
        1,
        "no venue and dates found before the first day "
        "(expected a line such as 'New York, 11–15 December 2023')",
    )
