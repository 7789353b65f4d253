"""What a slot's text says: its footnote markers, its agenda items, its kind."""

from __future__ import annotations

import re
from collections.abc import Container

SUPERSCRIPTS = "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
TO_DIGITS = str.maketrans(SUPERSCRIPTS, "0123456789")
_SUPERSCRIPT_RUN = re.compile(rf"\s*([{SUPERSCRIPTS}]+)")
# A marker extracted as plain digits: "resolution 75/240 1".  Only at the end of a line, only for
# a footnote the note defines, and never after a word that numbers take ("Agenda item 3").
_TRAILING_MARKER = re.compile(r"(?<=\S)\s+(\d{1,2}|\*{1,3})$")
_NUMBERED_WORDS = {
    "item",
    "items",
    "and",
    "or",
    "to",
    "of",
    "para",
    "para.",
    "paragraph",
    "paragraphs",
    "resolution",
    "decision",
    "room",
    "annex",
    "chapter",
    "no.",
    "session",
    "meeting",
    "article",
    "rule",
}

_ITEM = r"\d{1,3}(?:\s?\([a-z]\))?"
_RANGE_WORDS = r"to|[\u2013\u2014-]"
# "Agenda item 3", "(item 1)", "(items 4 and 5)", "Item 6 (continued)", "Items 3–5",
# "ITEM 2 - Oral update": "item" with or without "agenda", never "sub-item".
_AGENDA_RE = re.compile(
    rf"(?<![\w-])(?:agenda\s+)?items?\s+(?P<items>{_ITEM}(?![\d/.]\d)"
    rf"(?:\s*(?:,|and|&|{_RANGE_WORDS})\s*{_ITEM}(?![\d/.]\d))*)",
    re.IGNORECASE,
)
_ITEM_RE = re.compile(_ITEM)

# Read from the slot's first line first; a later line gives the kind only when the first says
# none ("Agenda item 4" / "(closed meeting)").
_KIND_RULES = (
    ("holiday", re.compile(r"\b(?:official\s+)?(?:United Nations\s+)?holiday\b", re.IGNORECASE)),
    ("closed", re.compile(r"\bclosed meeting", re.IGNORECASE)),
    (
        "informal",
        re.compile(r"\binformal (?:consultations|meeting|session|working group)", re.IGNORECASE),
    ),
    ("briefing", re.compile(r"\bbriefings?\b", re.IGNORECASE)),
    ("stakeholder", re.compile(r"\bstakeholders?\b", re.IGNORECASE)),
    ("side_event", re.compile(r"\bside[- ]events?\b", re.IGNORECASE)),
    ("opening", re.compile(r"\bopening of the (?:session|meeting|conference)", re.IGNORECASE)),
    (
        "closing",
        re.compile(r"\b(?:closure|closing) of the (?:session|meeting|conference)", re.IGNORECASE),
    ),
    ("break", re.compile(r"^(?:lunch|coffee break|break)\b", re.IGNORECASE)),
)


def split_markers(text: str, defined: Container[str]) -> tuple[str, list[str]]:
    """The text without its footnote markers, and the markers (as ASCII digits) in order."""
    markers = [m.translate(TO_DIGITS) for m in _SUPERSCRIPT_RUN.findall(text)]
    text = _SUPERSCRIPT_RUN.sub("", text)
    trailing = _TRAILING_MARKER.search(text)
    if trailing and trailing.group(1) in defined:
        before = text[: trailing.start()].split()
        if not before or before[-1].lower() not in _NUMBERED_WORDS:
            markers.append(trailing.group(1))
            text = text[: trailing.start()]
    return " ".join(text.split()), markers


def agenda_items(texts: list[str]) -> tuple[str, ...]:
    """The agenda items the texts name, in order: "Agenda items 6 and 7" gives ("6", "7")."""
    found: list[str] = []
    for text in texts:
        for m in _AGENDA_RE.finditer(text):
            items = [i.replace(" ", "") for i in _ITEM_RE.findall(m.group("items"))]
            # "Agenda items 3 to 5" names 4 too.
            for a, b in re.findall(rf"(\d+)\s*(?:{_RANGE_WORDS})\s*(\d+)", m.group("items")):
                if int(a) < int(b) <= int(a) + 20:
                    items[items.index(a) + 1 : items.index(b)] = map(str, range(int(a) + 1, int(b)))
            found += [i for i in items if i not in found]
    return tuple(found)


# Any rule at all: most lines say no kind, and one search tells (the rules' order is the kinds'
# priority, which one alternation would not keep).
_ANY_KIND = re.compile("|".join(f"(?:{p.pattern})" for _, p in _KIND_RULES), re.IGNORECASE)


def kind_of(texts: list[str]) -> str:
    """The kind of a slot from its lines: the first line that says one."""
    for n, text in enumerate(texts):
        if not _ANY_KIND.search(text):
            continue
        for kind, pattern in _KIND_RULES:
            # A detail that starts "Lunch ..." does not make the meeting a break.
            if pattern.search(text) and (n == 0 or kind != "break"):
                return kind
    return "meeting"


# The rooms notes name: "Conference Room 2", "Room XX", "Salle IV", "ECOSOC Chamber", ...
_ROOM = (
    r"(?:conference\s+room|meeting\s+room|room|salle)\s+(?:[A-Z]{0,2}-?\d{1,3}[A-Z]?|[IVXLC]{1,6})"
    r"(?![\w-])|(?:ECOSOC|Trusteeship Council|Security Council|General Assembly"
    r"|Human Rights Council)\s+Chamber|General Assembly Hall|(?:Plenary|Assembly) Hall"
)
_ROOM_LINE_RE = re.compile(rf"^(?:in\s+)?\(?(?P<room>{_ROOM})\)?\.?$", re.IGNORECASE)
_ROOM_TAIL_RE = re.compile(
    rf"\s*(?:\((?P<a>{_ROOM})\)|(?:,|\s[\u2013\u2014-])\s*(?P<b>{_ROOM}))\.?$", re.IGNORECASE
)


def room_line(text: str) -> str:
    """The room a line names when it is only a room ("Conference Room 2"), else ""."""
    m = _ROOM_LINE_RE.match(text)
    return " ".join(m.group("room").split()) if m else ""


def room_of(texts: list[str]) -> tuple[str, list[str]]:
    """The room a slot's lines name, and the lines without it: a line that is only a room
    ("Conference Room 2"), or a room at the end of the first line ("Plenary (Room XX)")."""
    for k, text in enumerate(texts):
        if (m := _ROOM_LINE_RE.match(text)) is not None and len(texts) > 1:
            return " ".join(m.group("room").split()), texts[:k] + texts[k + 1 :]
    if texts and (m := _ROOM_TAIL_RE.search(texts[0])) is not None and m.start() > 0:
        room = " ".join((m.group("a") or m.group("b")).split())
        return room, [texts[0][: m.start()], *texts[1:]]
    return "", texts
