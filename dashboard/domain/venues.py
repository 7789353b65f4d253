"""Where UN meetings are held, and the time zone each venue keeps.

A note names its venue ("New York, 11–15 December 2023"), never its zone; this table turns one
into the other.  A venue not listed here needs its zone given explicitly (the programme's TOML
``timezone`` field, or ``--timezone`` on the command line).
"""

from __future__ import annotations

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
}


def timezone_for_venue(venue: str) -> str | None:
    """The IANA zone of a venue, or None when the venue is not known."""
    key = " ".join(venue.lower().replace("\u00a0", " ").split())
    return VENUE_TIMEZONES.get(key)
