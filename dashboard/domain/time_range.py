"""The grammar of time ranges as UN notes print them.

Accepted: "10 a.m.–1 p.m.", "3–6 p.m." (shared meridiem), "10-11:30 a.m.", "10 a.m. to 12 noon",
"noon-3 p.m.", "11.30 a.m.–1 p.m.", "3:30 - 6 p.m.", "10.00–13.00", "9.00 – 12.00 hrs",
"15h00–18h00" (24-hour clock), and the extraction slip "10 a.m1 p.m." (the dash lost), which is
read with a warning.

Start times alone ("10 a.m.", "noon", "10.00 hrs", "15h00", "10.30 a.m. and 3 p.m.") are read by
``parse_start_times``: the note does not print their end, the parser supplies one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

_MERIDIEM = r"(?P<{name}>[ap]\.?\s?m(?![a-z])\.?)"
# The hour is never followed by another digit: "10 a.m." is not "1" and "0 a.m.".
_CLOCK = r"(?P<{name}h>\d{{1,2}})(?!\d)(?:[.:h](?P<{name}m>\d{{2}}))?"
_HOURS = r"(?:\s*(?:hrs|hours|h)\.?(?![a-z]))?"  # "10.00 hrs": said of a 24-hour clock


def _time(name: str) -> str:
    noon = rf"(?P<{name}noon>(?:12\s+)?noon|midday)"
    clock = _CLOCK.format(name=name) + r"(?:\s*" + _MERIDIEM.format(name=f"{name}mer") + ")?"
    return rf"(?:{noon}|{clock})"


_DASHES = "\u2013\u2014\u2012\u2212-"  # en dash, em dash, figure dash, minus, hyphen
_SEP = rf"(?P<sep>\s*[{_DASHES}]\s*|\s+to\s+|\s*)"

# The range is matched at the start of a line; what follows is the slot's text.
RANGE_RE = re.compile(rf"^\s*{_time('a')}{_SEP}{_time('b')}{_HOURS}(?=$|[\s\t])", re.IGNORECASE)
# One start, or two ("10.30 a.m. and 3 p.m.": two meetings, the same text).
STARTS_RE = re.compile(
    rf"^\s*{_time('a')}{_HOURS}(?:\s*(?:and|&|,)\s*{_time('b')}{_HOURS})?(?=$|[\s\t])",
    re.IGNORECASE,
)
_ONE_START_RE = re.compile(rf"^\s*{_time('a')}{_HOURS}(?=$|[\s\t])", re.IGNORECASE)


class TimeRangeError(ValueError):
    """The text looks like a time range but is not a valid one."""


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: time
    end: time
    length: int  # characters of the input taken by the range
    missing_separator: bool  # "10 a.m1 p.m.": read, but worth a warning


def _hour_minute(m: re.Match[str], name: str) -> tuple[int, int, str | None]:
    """(hour, minute, meridiem or None) of one side of the range, as written."""
    if m.group(f"{name}noon"):
        return 12, 0, "p"
    hour, minute = int(m.group(f"{name}h")), int(m.group(f"{name}m") or 0)
    mer = m.group(f"{name}mer")
    if minute > 59:
        raise TimeRangeError(f"{hour}.{minute:02d} is not a time of day")
    if mer is not None:
        if not 1 <= hour <= 12:
            raise TimeRangeError(f"{hour} {mer} is not a time of day")
        return hour, minute, mer[0].lower()
    if hour > 23:
        raise TimeRangeError(f"{hour}.{minute:02d} is not a time of day")
    return hour, minute, None


def _to_24h(hour: int, minute: int, meridiem: str) -> int:
    """Minutes after midnight.  12 a.m. is midnight, 12 p.m. is noon."""
    hour = hour % 12 + (12 if meridiem == "p" else 0)
    return hour * 60 + minute


def parse_time_range(text: str) -> TimeRange | None:
    """Read a time range at the start of ``text``.

    Returns None when the text does not start with a range at all, and raises
    TimeRangeError when it does but the range is impossible (an end before its start).
    """
    m = RANGE_RE.match(text)
    if m is None:
        return None
    sep = m.group("sep")
    a_hour, a_min, a_mer = _hour_minute(m, "a")
    missing = sep == "" or sep.isspace()
    if missing and (a_mer is None or m.group("anoon")):
        # "10 11" or "noon1 p.m." are not ranges: without a dash only "a.m1 p.m." is read.
        return None
    b_hour, b_min, b_mer = _hour_minute(m, "b")
    if a_mer is None and b_mer is None:
        # 24-hour clock: both sides must say their minutes ("10.00–13.00"), or "10–13" is
        # too easily a pair of numbers in running text.
        if m.group("am") is None or m.group("bm") is None:
            return None
        start, end = a_hour * 60 + a_min, b_hour * 60 + b_min
    elif a_mer is None:
        # A shared meridiem: "3–6 p.m." is 3 p.m.; "11–1 p.m." can only be 11 a.m.
        assert b_mer is not None
        end = _to_24h(b_hour, b_min, b_mer)
        if not 1 <= a_hour <= 12:
            raise TimeRangeError(f"{a_hour} is not a time of day on a 12-hour clock")
        start = _to_24h(a_hour, a_min, b_mer)
        if start >= end and b_mer == "p":
            start = _to_24h(a_hour, a_min, "a")
    elif b_mer is None:
        raise TimeRangeError(f"missing a.m. or p.m. after the end time in {m.group(0).strip()!r}")
    else:
        start, end = _to_24h(a_hour, a_min, a_mer), _to_24h(b_hour, b_min, b_mer)
    if end <= start:
        raise TimeRangeError(f"the end is not after the start in {m.group(0).strip()!r}")
    return TimeRange(
        start=time(start // 60, start % 60),
        end=time(end // 60, end % 60),
        length=m.end(),
        missing_separator=missing,
    )


@dataclass(frozen=True, slots=True)
class StartTimes:
    """Start times printed without an end: one meeting each, the same text."""

    starts: tuple[time, ...]
    length: int


def _start(m: re.Match[str], name: str) -> time | None:
    if not (m.group(f"{name}noon") or m.group(f"{name}mer") or m.group(f"{name}m")):
        return None  # a number alone ("28 delegations") is no time
    hour, minute, mer = _hour_minute(m, name)
    if mer is not None:
        total = _to_24h(hour, minute, mer)
        return time(total // 60, total % 60)
    # Without a meridiem, only a 24-hour time that says its minutes ("10.00", "15h00").
    return time(hour, minute)


def parse_start_times(text: str) -> StartTimes | None:
    """Start times alone at the start of ``text`` ("10 a.m.", "10.30 a.m. and 3 p.m."), or None.

    Raises TimeRangeError for a time that is not one ("13 p.m.")."""
    m = STARTS_RE.match(text)
    if m is None:
        return None
    first = _start(m, "a")
    if first is None:
        return None
    starts = [first]
    if m.group("bh") or m.group("bnoon"):
        second = _start(m, "b")
        if second is None or second <= first:
            # "10 a.m. and 5 delegations": no second time; the first alone.
            one = _ONE_START_RE.match(text)
            assert one is not None  # STARTS_RE matched this start
            return StartTimes((first,), one.end())
        starts.append(second)
    return StartTimes(tuple(starts), m.end())
