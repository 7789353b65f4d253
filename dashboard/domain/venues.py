"""Where UN meetings are held, and the time zone each venue keeps.

A note names its venue ("New York, 11–15 December 2023"), never its zone; this table turns one
into the other.  A venue not listed here needs its zone given explicitly (the programme's TOML
``timezone`` field, or ``--timezone`` on the command line).
"""

from __future__ import annotations

import re

VENUE_TIMEZONES: dict[str, str] = {
    "new york": "America/New_York",
    "headquarters": "America/New_York",
    "geneva": "Europe/Zurich",
    "vienna": "Europe/Vienna",
    "nairobi": "Africa/Nairobi",
    "bonn": "Europe/Berlin",
    "the hague": "Europe/Amsterdam",
    "rome": "Europe/Rome",
    "paris": "Europe/Paris",
    "montreal": "America/Toronto",
    "bangkok": "Asia/Bangkok",
    "addis ababa": "Africa/Addis_Ababa",
    "santiago": "America/Santiago",
    "beirut": "Asia/Beirut",
    "kingston": "America/Jamaica",
    # The buildings notes name instead of (or beside) their city.
    "united nations headquarters": "America/New_York",
    "palais des nations": "Europe/Zurich",
    "vienna international centre": "Europe/Vienna",
    "united nations office at nairobi": "Africa/Nairobi",
    "gigiri": "Africa/Nairobi",
    "fao headquarters": "Europe/Rome",
    "unesco headquarters": "Europe/Paris",
    "un campus": "Europe/Berlin",
    "peace palace": "Europe/Amsterdam",
    "world forum": "Europe/Amsterdam",
    "icao headquarters": "America/Toronto",
    "montréal": "America/Toronto",
    "isa headquarters": "America/Jamaica",
}
_WORD_RE = re.compile(r"[^\w\s]+")


def timezone_for_venue(venue: str) -> str | None:
    """The IANA zone of a venue, or None when the venue is not known.

    "Geneva (Palais des Nations)", "Rome (FAO)", "Kingston (ISA)", "Vienna International Centre,
    Vienna": a known name among the venue's words, a city rather than a building."""
    key = " ".join(venue.lower().replace("\u00a0", " ").split())
    if (zone := VENUE_TIMEZONES.get(key)) is not None:
        return zone
    words = f" {' '.join(_WORD_RE.sub(' ', key).split())} "
    # The table lists cities before buildings: a city named anywhere wins.
    return next((zone for name, zone in VENUE_TIMEZONES.items() if f" {name} " in words), None)
