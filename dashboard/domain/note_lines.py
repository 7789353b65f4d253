"""The kinds of line a programme note holds, and the patterns that tell them apart.

Every line of a note is read as one of ``LINE_KINDS`` (blank lines aside), so that nothing is
dropped unseen: ``dashboard check`` lists the reading of each line, and what was ignored or
guessed is a warning naming the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from .note_header import MONTH

LINE_KINDS = (
    "heading",  # the note's title, session, venue and dates, and its preamble
    "day",  # a day heading
    "slot",  # a time (range), and the slot's first text
    "detail",  # more text of the slot above
    "footnote",  # a footnote's text
    "furniture",  # page furniture: symbols, page and job numbers, running heads
    "period",  # MORNING, AFTERNOON, ...: context, never a detail
    "ignored",  # read as nothing (always with a warning)
)


@dataclass(frozen=True, slots=True)
class LineReading:
    """What one line of a note was read as."""

    line: int
    kind: str
    text: str  # what was read from it, in short; ``kind`` is one of LINE_KINDS


@dataclass(frozen=True, slots=True)
class HalfDays:
    """Where a meeting printed with its start alone is taken to end: at the end of its
    half-day (the first of ``ends`` after its start), or earlier at the next meeting's start.
    Configurable (``settings.toml``'s ``note_default_ends``)."""

    ends: tuple[time, ...] = (time(13), time(18), time(21))

    def end_after(self, start: time) -> time | None:
        return next((e for e in sorted(self.ends) if e > start), None)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WEEKDAY = rf"(?P<weekday>{'|'.join(WEEKDAYS)})"
_DATE = (
    rf"(?:(?P<day>\d{{1,2}})\s+(?P<month>{MONTH})|(?P<us_month>{MONTH})\s+(?P<us_day>\d{{1,2}}))"
    r"(?:,?\s+(?P<year>\d{4}))?"
)
# "Monday, 11 December", "MONDAY 9 MAY", "Monday, 27 March 2017", "Tuesday, December 12".
DAY_RE = re.compile(rf"^{_WEEKDAY},?\s+{_DATE}\s*$", re.IGNORECASE)
# A day heading with text after it ("Monday, 5 September   Official United Nations holiday"):
# a day without meetings; or, flattened onto the heading's line, the day's first slot
# ("Monday, 11 December 10 a.m.–1 p.m. Opening").
DAY_WITH_TEXT_RE = re.compile(
    rf"^{_WEEKDAY},?\s+{_DATE}\s+(?:[\u2013\u2014-]\s+)?(?P<text>\S.*)$", re.IGNORECASE
)
# One heading for two days: "Thursday, 3 July and Friday, 4 July".
TWO_DAYS_RE = re.compile(
    rf"^(?P<first>{_WEEKDAY},?\s+{_DATE})\s*(?:and|&|,)\s*(?P<second>[a-z]+,?\s+.+)$",
    re.IGNORECASE,
)
# "MONDAY," alone: the date is on the next line.
WEEKDAY_ALONE_RE = re.compile(rf"^{_WEEKDAY},?$", re.IGNORECASE)

PERIOD_RE = re.compile(
    r"^(?P<period>morning|afternoon|evening|lunch(?:\s*time)?|night)"
    r"(?:\s+(?:session|meetings?|break))?\s*:?$",
    re.IGNORECASE,
)

_SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
FOOTNOTE_DEF_RE = re.compile(
    rf"^(?P<marker>[{_SUPERSCRIPTS}]+|\d{{1,2}}|\*{{1,3}})\s+(?P<text>\S.*)$"
)
_SYMBOL = r"[A-Z]{1,3}(?:/[\w.()-]+)+"  # document symbols: A/AC.292/2023/L.1
_ORGAN = r"united nations|general assembly|economic and social council|security council"
# The symbol block's lines, its left column (the organ) and right column flattened into one.
FURNITURE_RE = re.compile(
    rf"^(?:(?:{_ORGAN})\s+)?(?:annex(?:\s+[IVX]+)?|(?:provisional\s+)?programme of work"
    r"|note by the secretariat"
    rf"|{_SYMBOL}"
    r"|\d{1,3}/\d{1,3}|page \d+(?: of \d+)?"  # page numbers
    r"|(?:GE\.)?\d{2}-\d{5}\s*(?:\(E\))?(?:\s+\S+)*"  # job numbers: 17-02180 (E) 150217
    r"|\*\d{5,}\*"  # the job number's bar code
    r"|distr\.?:?\s*(?:general|limited|restricted)(?:\s+.*)?"
    rf"|\d{{1,2}}\s+{MONTH}\s+\d{{4}}"  # the date of issue
    r"|original:\s*\w+(?:\s*(?:and|/|,)\s*\w+)*"
    rf"|{_ORGAN})$",
    re.IGNORECASE,
)

# A bare agenda-item column after the time: "10 a.m.–1 p.m.  6  Provisions on ...".
ITEM_COLUMN_RE = re.compile(r"^\s*(?P<item>\d{1,3}(?:\s?\([a-z]\))?)(?:\s{2,}|\t)(?=\S)")


def clean(text: str) -> str:
    return " ".join(text.split())


def continuation(raw: str) -> str:
    """The text of a continuation line, its lost or dashed bullet made a bullet again."""
    body = raw.lstrip("\t")
    if body[:1].isspace() and body.strip():
        return "\u2022 " + clean(body)
    text = clean(body)
    bullet = re.match(r"^[-\u2013\u2022\u00b7\u25aa\u25cf]\s+(?=\S)", text)
    return "\u2022 " + text[bullet.end() :] if bullet else text
