"""Property tests: notes generated in every supported layout (tabs or PDF text, indented or not,
blank lines inside cells, page furniture, period labels, every day-heading and time form, start
times alone) read back as the meetings they were written from, and through TOML unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.domain.note_lines import HalfDays
from dashboard.domain.note_parser import parse_note
from dashboard.domain.toml_format import from_toml, to_toml

FIRST = date(2025, 3, 3)  # a Monday; Geneva, before the spring change
GRID = (time(9), time(10), time(11, 30), time(13, 15), time(15), time(16, 30), time(18, 30))
FURNITURE = ("25-01234 (E) 270225", "*2501234*", "Page 2 of 5", "A/AC.999/2025/L.2", "3/5")
PERIODS = ("MORNING", "AFTERNOON", "Evening", "LUNCH")


@dataclass(frozen=True)
class Meeting:
    day: date
    start: time
    end: time
    end_printed: bool
    title: str
    details: tuple[str, ...]
    item: int


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _twelve(t: time, meridiem: bool = True) -> str:
    text = str(t.hour % 12 or 12) + (f".{t.minute:02d}" if t.minute else "")
    return text + ((" a.m." if t.hour < 12 else " p.m.") if meridiem else "")


@st.composite
def printed_range(draw: st.DrawFn, start: time, end: time) -> str:
    style = draw(st.sampled_from(["12h", "shared", "24h", "hrs", "h"]))
    if style == "shared" and (start.hour < 12) == (end.hour < 12) and start.hour % 12 != 0:
        return f"{_twelve(start, meridiem=False)}–{_twelve(end)}"
    if style in ("12h", "shared"):
        return f"{_twelve(start)}–{_twelve(end)}"
    if style == "h":
        return f"{start.hour}h{start.minute:02d}–{end.hour}h{end.minute:02d}"
    tail = " hrs" if style == "hrs" else ""
    return f"{start.hour}.{start.minute:02d} – {end.hour}.{end.minute:02d}{tail}"


@st.composite
def printed_start(draw: st.DrawFn, start: time) -> str:
    if start == time(12) and draw(st.booleans()):
        return draw(st.sampled_from(["noon", "12 noon"]))
    style = draw(st.sampled_from(["12h", "hrs", "h"]))
    if style == "12h":
        return _twelve(start)
    if style == "h":
        return f"{start.hour}h{start.minute:02d}"
    return f"{start.hour:02d}.{start.minute:02d} hrs"


@st.composite
def printed_day(draw: st.DrawFn, day: date) -> list[str]:
    text = f"{day:%A}, {day.day} {day:%B}"
    style = draw(st.sampled_from(["plain", "year", "capitals", "split", "tab"]))
    if style == "year":
        return [f"{text} {day.year}"]
    if style == "capitals":
        return [text.upper()]
    if style == "split":
        return [f"{day:%A}".upper() + ",", f"{day.day} {day:%B}"]
    if style == "tab":
        return [text + "\t"]
    return [text]


@st.composite
def notes(draw: st.DrawFn) -> tuple[str, list[Meeting]]:
    tabs = draw(st.booleans())  # the shipped layout; else PDF text
    lines = [
        "Invented Committee on Examples",
        "",
        "Second session",
        "",
        "Geneva, 3–14 March 2025",
        "",
        "Provisional programme of work",
        "",
    ]
    meetings: list[Meeting] = []
    weekdays = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11]
    days = draw(st.lists(st.sampled_from(weekdays), min_size=1, max_size=4, unique=True))
    for offset in days:
        day = FIRST + timedelta(days=offset)
        lines += draw(printed_day(day))
        picks = sorted(draw(st.lists(st.integers(0, len(GRID) - 1), min_size=1, max_size=4,
                                     unique=True)))  # fmt: skip
        for n, k in enumerate(picks):
            start = GRID[k]
            limit = GRID[picks[n + 1]] if n + 1 < len(picks) else time(21)
            printed = draw(st.booleans())
            if printed:
                span = draw(st.integers(30, _minutes(limit) - _minutes(start)))
                end_minutes = _minutes(start) + span - span % 15
                end = time(end_minutes // 60, end_minutes % 60)
                when = draw(printed_range(start, end))
            else:
                default = HalfDays().end_after(start)
                assert default is not None
                end = min(default, limit) if n + 1 < len(picks) else default
                when = draw(printed_start(start))
            if draw(st.booleans()):
                lines.append(draw(st.sampled_from(PERIODS)))
            item = draw(st.integers(1, 19))
            title = f"Plenary on invented matter {len(meetings) + 1} (item {item})"
            details = tuple(f"Discussion of point {d + 1}" for d in range(draw(st.integers(0, 2))))
            alone = draw(st.booleans())  # the time alone on its line, the title below
            sep = "\t" if tabs else " "
            lines += [when, title] if alone else [f"{when}{sep}{title}"]
            for detail in details:
                if draw(st.booleans()):
                    lines.append("")  # a blank line inside the cell
                lines.append(("\t" if tabs else "") + detail)
            if draw(st.integers(0, 4)) == 0:
                lines += ["", draw(st.sampled_from(FURNITURE)), ""]
            meetings.append(Meeting(day, start, end, printed, title, details, item))
    return "\n".join(lines) + "\n", meetings


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(note=notes())
def test_generated_notes_read_back(note: tuple[str, list[Meeting]]) -> None:
    text, meetings = note
    result = parse_note(text, "generated.txt")
    p = result.programme
    # The only guesses: the ends not printed, each a warning naming its line.
    assert len(result.warnings) == sum(not m.end_printed for m in meetings), text
    assert all(w.message.startswith("no end printed") for w in result.warnings)
    assert (p.title, p.session, p.venue) == (
        "Invented Committee on Examples",
        "Second session",
        "Geneva",
    )
    expected = sorted(meetings, key=lambda m: (m.day, m.start))
    got = [
        (s.start.date(), s.start.time(), s.end.time(), not s.end_estimated, s.title, s.details)
        for s in p.slots
    ]
    assert got == [(m.day, m.start, m.end, m.end_printed, m.title, m.details) for m in expected], (
        text
    )
    assert [s.agenda_items for s in p.slots] == [(str(m.item),) for m in expected]
    # Every non-blank line read as something; nothing ignored.
    assert [r.line for r in result.readings] == [
        i + 1 for i, raw in enumerate(text.split("\n")) if raw.strip()
    ]
    assert "ignored" not in {r.kind for r in result.readings}
    assert from_toml(to_toml(p), "again.toml") == p
