"""Generated programme-of-work notes of any length, in the shipped note's format.

A long session (weekdays only, ten slots a day, from 8 a.m.) in New York, so that it crosses
the spring daylight-saving change; each day prints its times in the forms real notes use, its
slots have continuation lines (some of them bullets whose glyph was lost), agenda items and
footnote markers, and page breaks leave page furniture and footnote texts between the days.
Used by the parser's tests and by ``bench/parse.py``.
"""

from __future__ import annotations

from datetime import date, timedelta

FIRST_DAY = date(2024, 1, 8)  # a Monday
SLOTS_PER_DAY = 10
# (time range as printed, its first line); every form the parser reads, shared meridiems too.
DAY_PATTERN = (
    ("8–9 a.m.", "Informal consultations on the draft report"),
    ("9.00–10.00", "Agenda item {item}: general exchange of views"),
    ("10 a.m.–11 a.m.", "Agenda item {item}: discussions on substantive issues{marker}"),
    ("11 a.m. to 12 noon", "Agenda item {item}: discussions (continued)"),
    ("noon–1 p.m.", "Side event on capacity-building{marker}"),
    ("1.15–2.30 p.m.", "Closed meeting of the Bureau"),
    ("3–4 p.m.", "Dedicated stakeholder session{marker}"),
    ("4 - 5 p.m.", "Agenda item {item}: other matters"),
    ("5 p.m.–5.45 p.m.", "Agenda item {item}: adoption of the report"),
    ("6–7.30 p.m.", "Informal meeting of the Friends of the Chair"),
)
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
FOOTNOTES_EVERY = 5  # days: one footnote a week, cited on the day it is printed


def superscript(number: int) -> str:
    return str(number).translate(str.maketrans("0123456789", SUPERSCRIPTS))


def year_of(first: date, last: date) -> str:
    """The first day's year, when the session ends in another one."""
    return f" {first.year}" if first.year != last.year else ""


def session_days(slots: int) -> list[date]:
    """The weekdays that ``slots`` slots fill, ten a day."""
    days: list[date] = []
    day = FIRST_DAY
    while len(days) * SLOTS_PER_DAY < slots:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def generated_note(slots: int) -> str:
    """A note of ``slots`` slots (at least one); its last day may have fewer than ten."""
    days = session_days(max(slots, 1))
    first, last = days[0], days[-1]
    lines = [
        "",
        "Distr.: General 24 November 2023",
        "",
        "Open-ended working group on security of and in the use of information and "
        "communications technologies 2021–2025 Sixth substantive session New York, "
        f"{first.day} {first:%B}{year_of(first, last)}–{last.day} {last:%B %Y}",
        "",
        "Provisional programme of work",
        "",
        "Annex",
        "",
    ]
    left = slots
    footnote = 0
    for n, day in enumerate(days):
        # A session longer than a year names the year of each day.
        year = f" {day.year}" if (last - first).days >= 365 else ""
        lines.append(f"{day:%A}, {day.day} {day:%B}{year}\t")
        cites = n % FOOTNOTES_EVERY == 0
        if cites:
            footnote += 1
        for k, (times, title) in enumerate(DAY_PATTERN[: min(left, SLOTS_PER_DAY)]):
            marker = " " + superscript(footnote) if cites and "{marker}" in title else ""
            item = 3 + (n + k) % 5
            lines.append(f"{times}\t" + title.format(item=item, marker=marker))
            lines.append(f"\tDiscussion point {k + 1} of day {n + 1}")
            if k % 3 == 0:
                lines.append("\t Statements by delegations")  # a bullet whose glyph was lost
                lines.append(f"\t- Agenda items {item} and {item + 1}")
        left -= min(left, SLOTS_PER_DAY)
        if cites:  # a page break: the page's footnote, then the furniture of the next page
            lines += [
                "",
                f"{superscript(footnote)} Footnote {footnote}: see document A/78/265, "
                f"paragraph {footnote}.",
                "",
                "A/AC.292/2024/L.1",
                f"{n + 2}/{len(days) + 1}",
            ]
    return "\n".join(lines) + "\n"


# The same day in PDF text (issue 13): no tabs, 24-hour and start-only times, unindented and
# wrapped details, a period label before the afternoon, job numbers and running heads.
PDF_DAY_PATTERN = (
    ("8.00 – 9.00", "Informal consultations on the draft report"),
    ("9h00–10h00", "Item {item}: general exchange of views"),
    ("10 a.m.", "Items {item} and {next}: discussions on substantive issues"),
    ("11 a.m.–12 noon", "(item {item}) discussions (continued)"),
    ("noon", "Side event on capacity-building"),
    ("13.15 – 14.30 hrs", "Closed meeting of the Bureau"),
    ("3-4 p.m.", "Dedicated stakeholder session"),
    ("4 p.m.", "ITEM {item} - other matters"),
    ("5-5:45 p.m.", "Item {item}: adoption of the report"),
    ("18h00", "Informal meeting of the Friends of the Chair"),
)


def generated_pdf_note(slots: int) -> str:
    """A note of ``slots`` slots as text copied out of a PDF; the same days as
    ``generated_note``."""
    days = session_days(max(slots, 1))
    first, last = days[0], days[-1]
    head = "A/AC.999/2024/L.1"
    lines = [
        f"United Nations {head}",
        "General Assembly Distr.: Limited",
        "2 January 2024",
        "Original: English",
        "",
        "Invented working group on examples",
        "",
        "Second substantive session",
        "",
        f"New York, {first.day} {first:%B}{year_of(first, last)}–{last.day} {last:%B %Y}",
        "",
    ]
    left = slots
    for n, day in enumerate(days):
        year = f" {day.year}" if (last - first).days >= 365 else ""
        lines.append(f"{day:%A}, {day.day} {day:%B}{year}".upper())
        lines.append("MORNING")
        for k, (times, title) in enumerate(PDF_DAY_PATTERN[: min(left, SLOTS_PER_DAY)]):
            if k == 5:
                lines.append("AFTERNOON")
            item = 3 + (n + k) % 5
            lines.append(f"{times} " + title.format(item=item, next=item + 1))
            lines.append(f"Discussion point {k + 1} of day {n + 1}, which wraps")
            if k % 3 == 0:
                lines += ["", "onto a second line of the cell"]
        left -= min(left, SLOTS_PER_DAY)
        if n % 2 == 1:  # a page break
            lines += ["", f"24-0{n % 10}123 (E) 020124", f"*24{n % 10:01d}0123*", "", head, ""]
    return "\n".join(lines) + "\n"
