"""The time-range grammar of UN notes: every way a note prints a range reads back the same times,
and an impossible range is refused."""

from __future__ import annotations

from datetime import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dashboard.domain.time_range import TimeRangeError, parse_start_times, parse_time_range

DASHES = ["\u2013", "-", "\u2014"]
MERIDIEMS = {
    "a": ["a.m.", "am", "a.m", "A.M.", "a. m."],
    "p": ["p.m.", "pm", "p.m", "P.M.", "p. m."],
}
TRAILERS = ["", "\tOpening of the session", " ", "\tAgenda item 5"]

minutes_of_day = st.integers(min_value=0, max_value=24 * 60 - 1)


def as_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def separators(draw: st.DrawFn) -> str:
    """A dash of any kind with or without spaces, or " to "."""
    if draw(st.booleans()):
        return " to "
    left, right = draw(st.sampled_from(["", " "])), draw(st.sampled_from(["", " "]))
    return left + draw(st.sampled_from(DASHES)) + right


@st.composite
def clock_12h(draw: st.DrawFn, minutes: int, with_meridiem: bool = True) -> str:
    """``minutes`` after midnight on a 12-hour clock: "10", "10.30", "3:30", "12 noon"..."""
    hour, minute = divmod(minutes, 60)
    if minutes == 12 * 60 and with_meridiem and draw(st.booleans()):
        return draw(st.sampled_from(["noon", "12 noon"]))
    text = str(hour % 12 or 12)
    if minute or draw(st.booleans()):
        text += draw(st.sampled_from([".", ":"])) + f"{minute:02d}"
    if with_meridiem:
        space = draw(st.sampled_from(["", " "]))
        text += space + draw(st.sampled_from(MERIDIEMS["p" if hour >= 12 else "a"]))
    return text


@st.composite
def ordered_times(draw: st.DrawFn) -> tuple[int, int]:
    start = draw(st.integers(min_value=0, max_value=24 * 60 - 2))
    end = draw(st.integers(min_value=start + 1, max_value=24 * 60 - 1))
    return start, end


@settings(max_examples=200)
@given(times=ordered_times(), data=st.data())
def test_twelve_hour_ranges_read_back(times: tuple[int, int], data: st.DataObject) -> None:
    start, end = times
    text = data.draw(clock_12h(start)) + data.draw(separators()) + data.draw(clock_12h(end))
    trailer = data.draw(st.sampled_from(TRAILERS))
    parsed = parse_time_range(text + trailer)
    assert parsed is not None, text
    assert (parsed.start, parsed.end) == (as_time(start), as_time(end)), text
    assert parsed.length == len(text)
    assert not parsed.missing_separator


@settings(max_examples=200)
@given(times=ordered_times(), data=st.data())
def test_shared_meridiem_reads_back(times: tuple[int, int], data: st.DataObject) -> None:
    """ "3–6 p.m.": the start takes the end's meridiem when both share it."""
    start, end = times
    assume((start < 12 * 60) == (end < 12 * 60))
    text = (
        data.draw(clock_12h(start, with_meridiem=False))
        + data.draw(separators())
        + data.draw(clock_12h(end))
    )
    parsed = parse_time_range(text + data.draw(st.sampled_from(TRAILERS)))
    assert parsed is not None, text
    assert (parsed.start, parsed.end) == (as_time(start), as_time(end)), text
    assert parsed.length == len(text)


@settings(max_examples=200)
@given(times=ordered_times(), data=st.data())
def test_twenty_four_hour_ranges_read_back(times: tuple[int, int], data: st.DataObject) -> None:
    start, end = times
    mark = data.draw(st.sampled_from([".", ":"]))

    def clock(minutes: int) -> str:
        hour, minute = divmod(minutes, 60)
        pad = data.draw(st.booleans())
        return (f"{hour:02d}" if pad else str(hour)) + mark + f"{minute:02d}"

    text = clock(start) + data.draw(separators()) + clock(end)
    parsed = parse_time_range(text + data.draw(st.sampled_from(TRAILERS)))
    assert parsed is not None, text
    assert (parsed.start, parsed.end) == (as_time(start), as_time(end)), text
    assert parsed.length == len(text)
    assert not parsed.missing_separator


@settings(max_examples=200)
@given(times=ordered_times(), data=st.data())
def test_lost_dash_is_read_and_flagged(times: tuple[int, int], data: st.DataObject) -> None:
    """ "10 a.m1 p.m.": a start with its meridiem, then straight on to the end."""
    start, end = times
    first = data.draw(clock_12h(start))
    assume(not first.endswith("noon"))
    second = data.draw(clock_12h(end))
    assume(not second.endswith("noon"))
    text = first + data.draw(st.sampled_from(["", " "])) + second
    parsed = parse_time_range(text + "\tAgenda item 6: other matters")
    assert parsed is not None, text
    assert (parsed.start, parsed.end) == (as_time(start), as_time(end)), text
    assert parsed.missing_separator
    assert parsed.length == len(text)


@settings(max_examples=200)
@given(
    start=minutes_of_day,
    end=minutes_of_day,
    twelve=st.booleans(),
    data=st.data(),
)
def test_end_not_after_start_is_refused(
    start: int, end: int, twelve: bool, data: st.DataObject
) -> None:
    assume(end <= start)
    if twelve:
        text = data.draw(clock_12h(start)) + data.draw(separators()) + data.draw(clock_12h(end))
    else:
        text = f"{start // 60}.{start % 60:02d}" + data.draw(separators())
        text += f"{end // 60}.{end % 60:02d}"
    with pytest.raises(TimeRangeError, match="end is not after the start"):
        parse_time_range(text + "\tOpening")


@pytest.mark.parametrize(
    ("text", "start", "end", "length"),
    [
        ("10 a.m.–1 p.m.\tOpening of the session", time(10), time(13), 14),
        ("3–6 p.m.\tAgenda item 5", time(15), time(18), 8),
        ("11–1 p.m.\tx", time(11), time(13), 9),  # a shared p.m. that can only be 11 a.m.
        ("10 a.m. to 12 noon", time(10), time(12), 18),
        ("noon-3 p.m.", time(12), time(15), 11),
        ("12 noon – 3 p.m.", time(12), time(15), 16),
        ("11.30 a.m.–1 p.m.", time(11, 30), time(13), 17),
        ("3:30 - 6 p.m.", time(15, 30), time(18), 13),
        ("1.15–2.30 p.m.", time(13, 15), time(14, 30), 14),
        ("6.30–8 p.m.", time(18, 30), time(20), 11),
        ("10.00–13.00", time(10), time(13), 11),
        ("10 a.m.—1 p.m.", time(10), time(13), 14),
        ("  10 a.m.–1 p.m.\tindented", time(10), time(13), 16),
    ],
)
def test_examples(text: str, start: time, end: time, length: int) -> None:
    parsed = parse_time_range(text)
    assert parsed is not None
    assert (parsed.start, parsed.end, parsed.length) == (start, end, length)
    assert not parsed.missing_separator


def test_shipped_missing_dash() -> None:
    parsed = parse_time_range("10 a.m1 p.m.\tAgenda item 6: other matters")
    assert parsed is not None
    assert (parsed.start, parsed.end, parsed.length) == (time(10), time(13), 12)
    assert parsed.missing_separator


@pytest.mark.parametrize(
    "text",
    [
        "Monday, 11 December",
        "Agenda item 5: discussions",
        "10 11",  # two numbers, no dash and no meridiem
        "10–13",  # a 24-hour range must give its minutes
        "noon1 p.m.",
        "1 States are strongly encouraged",
        "",
        "\tOpening statements",
    ],
)
def test_not_a_range(text: str) -> None:
    assert parse_time_range(text) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 p.m.–1 p.m.", "end is not after the start"),
        ("1 p.m.–1 p.m.", "end is not after the start"),
        ("6–3 a.m.", "end is not after the start"),
        ("13.00–10.00", "end is not after the start"),
        ("10 a.m.–13.00", "missing a.m. or p.m."),
        ("13–2 p.m.", "12-hour clock"),
        ("13 p.m.–2 p.m.", "not a time of day"),
        ("10.75–11 a.m.", "not a time of day"),
        ("24.00–25.00", "not a time of day"),
    ],
)
def test_impossible_ranges(text: str, message: str) -> None:
    with pytest.raises(TimeRangeError, match=message):
        parse_time_range(text)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("10-11:30 a.m.\tx", time(10), time(11, 30)),
        ("11:30 a.m.-1 p.m. x", time(11, 30), time(13)),
        ("3-4:30 p.m. x", time(15), time(16, 30)),
        ("9.00 – 12.00 x", time(9), time(12)),
        ("9.00 – 12.00 hrs x", time(9), time(12)),
        ("15h00–18h00 x", time(15), time(18)),
    ],
)
def test_issue_13_range_forms(text: str, start: time, end: time) -> None:
    parsed = parse_time_range(text)
    assert parsed is not None
    assert (parsed.start, parsed.end) == (start, end)
    assert text[parsed.length :].strip() == "x"


@pytest.mark.parametrize(
    ("text", "starts", "rest"),
    [
        ("10 a.m. Opening of the session", (time(10),), " Opening of the session"),
        ("noon\tBriefing", (time(12),), "\tBriefing"),
        ("12 noon Briefing", (time(12),), " Briefing"),
        ("10.00 hrs Plenary", (time(10),), " Plenary"),
        ("15h00", (time(15),), ""),
        ("10.30 a.m. and 3 p.m. Plenary", (time(10, 30), time(15)), " Plenary"),
        ("10 a.m. and 5 delegations", (time(10),), " and 5 delegations"),
        ("noon and 9 others", (time(12),), " and 9 others"),
        ("15.00 hrs and 10 a.m. x", (time(15),), " and 10 a.m. x"),  # not after the first
    ],
)
def test_start_times_alone(text: str, starts: tuple[time, ...], rest: str) -> None:
    # The bug of issue 13: "10 a.m. Opening" was read as "1", then "0 a.m.", and refused.
    assert parse_time_range(text) is None
    parsed = parse_start_times(text)
    assert parsed is not None
    assert (parsed.starts, text[parsed.length :]) == (starts, rest)


@pytest.mark.parametrize(
    "text", ["10 Downing", "1. The session", "Item 10", "10–13 x", "1997", "28 delegations", "99"]
)
def test_not_start_times(text: str) -> None:
    assert parse_start_times(text) is None


def test_an_impossible_start_is_refused() -> None:
    with pytest.raises(TimeRangeError, match=r"13 p\.m\. is not a time of day"):
        parse_start_times("13 p.m. Opening")
