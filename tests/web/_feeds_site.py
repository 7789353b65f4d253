"""A site whose session spans a DST change (New York, 1 November 2026, 2 a.m.: clocks go back
from EDT, UTC-4, to EST, UTC-5), with the overrides the feeds must show, for the feed tests.

Every expected time below is written by hand in UTC, not computed by the code under test.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from tests._staff import accounts, bearer, serving
from tests.conftest import Server, make_config

DST_PROGRAMME = """\
format = 1
title = "Working group on feeds"
session = "Autumn session"
venue = "New York"
timezone = "America/New_York"
start_date = 2026-10-30
end_date = 2026-11-03

[footnotes]
1 = "Statements of up to five minutes."

[[slots]]
date = 2026-10-30
start = 10:00:00
end = 13:00:00
title = "Opening of the session"
details = ["Opening statements", "Agenda item 2: organization of work"]
agenda_items = ["1", "2"]
kind = "opening"
footnotes = []

[[slots]]
date = 2026-10-30
start = 15:00:00
end = 18:00:00
title = "General exchange of views"
details = ["Statements by delegations"]
agenda_items = ["3"]
kind = "meeting"
footnotes = ["1"]

[[slots]]
date = 2026-11-02
start = 10:00:00
end = 13:00:00
title = "Informal consultations on the report"
agenda_items = ["4"]
kind = "informal"
footnotes = []

[[slots]]
date = 2026-11-02
start = 15:00:00
end = 18:00:00
title = "Dialogue with stakeholders"
agenda_items = ["5"]
kind = "stakeholder"
footnotes = []

[[slots]]
date = 2026-11-03
start = 10:00:00
end = 13:00:00
title = "Consideration of the draft report"
agenda_items = ["6"]
kind = "meeting"
footnotes = []

[[slots]]
date = 2026-11-03
start = 15:00:00
end = 18:00:00
title = "Adoption of the report and closure"
agenda_items = ["7"]
kind = "closing"
footnotes = []
"""

ANNEX_PROGRAMME = """\
format = 1
title = "Working group on feeds"
session = "Autumn session"
venue = "New York"
timezone = "America/New_York"
start_date = 2026-10-30
end_date = 2026-11-03

[[slots]]
date = 2026-11-03
start = 15:00:00
end = 17:00:00
title = "Side event: capacity building"
kind = "side_event"
footnotes = []
"""

ROOMS = [("ny", "Conference Room 1", "dst.toml"), ("annex", "Annex", "annex.toml")]
NAMES = dict((room, name) for room, name, _ in ROOMS)
AT = "2026-10-30T09:00:00"  # Friday morning, before the first meeting


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Expected:
    """One meeting as every feed must show it once the overrides below are made."""

    key: str  # printing room / slot id
    room: str  # where it is held
    title: str
    start: datetime  # UTC
    end: datetime  # UTC
    cancelled: bool = False
    sequence: int = 0


EXPECTED = [
    # Friday 30 October: EDT (UTC-4).
    Expected("ny/2026-10-30-1000", "ny", "Opening of the session", utc("2026-10-30T14:00"),
             utc("2026-10-30T17:00")),
    Expected("ny/2026-10-30-1500", "ny", "General exchange of views", utc("2026-10-30T19:00"),
             utc("2026-10-30T22:00"), cancelled=True, sequence=1),
    # Monday 2 November: EST (UTC-5).  Moved to the Annex.
    Expected("ny/2026-11-02-1000", "annex", "Informal consultations on the report",
             utc("2026-11-02T15:00"), utc("2026-11-02T18:00"), sequence=1),
    # 20 minutes late.
    Expected("ny/2026-11-02-1500", "ny", "Dialogue with stakeholders", utc("2026-11-02T20:20"),
             utc("2026-11-02T23:00"), sequence=1),
    # 10 minutes late, then 25, then the 25 undone: 10 minutes late, changed three times.
    Expected("ny/2026-11-03-1000", "ny", "Consideration of the draft report",
             utc("2026-11-03T15:10"), utc("2026-11-03T18:00"), sequence=3),
    Expected("ny/2026-11-03-1500", "ny", "Adoption of the report and closure",
             utc("2026-11-03T20:00"), utc("2026-11-03T23:00")),
    Expected("annex/2026-11-03-1500", "annex", "Side event: capacity building",
             utc("2026-11-03T20:00"), utc("2026-11-03T22:00")),
]  # fmt: skip


@dataclass
class Site:
    server: Server
    token: str
    before: dict[str, httpx.Response]  # each feed before any override

    def get(self, path: str, **headers: str) -> httpx.Response:
        return httpx.get(f"{self.server.url}{path}", headers=headers, timeout=30)

    def post(self, **body: Any) -> str:
        response = httpx.post(
            f"{self.server.url}/api/overrides", json=body, headers=bearer(self.token), timeout=10
        )
        assert response.status_code == 201, response.text
        override_id: str = response.json()["id"]
        return override_id


FEEDS = ("/programme.ics", "/rooms/ny.ics", "/rooms/annex.ics", "/schedule.xml", "/schedule.json")


@contextmanager
def dst_site(folder: Path) -> Iterator[Site]:
    """The server, its feeds fetched as printed, then the overrides of ``EXPECTED`` made."""
    config = make_config(
        folder / "config",
        rooms=ROOMS,
        files={"dst.toml": DST_PROGRAMME, "annex.toml": ANNEX_PROGRAMME},
    )
    data = folder / "data"
    tokens = accounts(data, tokens=(("office", "secretariat", None),))
    with serving(config, data, at=AT) as server:
        site = Site(server, tokens["office"], {})
        site.before = {path: site.get(path) for path in FEEDS}
        site.post(room="ny", kind="cancel", slot="2026-10-30-1500", text="Postponed to Tuesday")
        site.post(room="ny", kind="move", to_room="annex", slot="2026-11-02-1000")
        site.post(room="ny", kind="late", minutes=20, slot="2026-11-02-1500")
        site.post(room="ny", kind="late", minutes=10, slot="2026-11-03-1000")
        second = site.post(room="ny", kind="late", minutes=25, slot="2026-11-03-1000")
        site.post(room="ny", kind="clear", target=second)
        yield site
