"""Shared by the plan tests: programmes to plan, and a desk that makes overrides one after
another from requests, as the service does."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.domain.loader import load_programme
from dashboard.domain.overrides import Override, OverrideError
from dashboard.domain.plan import RoomPlan, plan_room
from dashboard.domain.programme import Programme
from dashboard.domain.requests import build_override
from dashboard.domain.timeline import ScreenState, next_screen_change, screen_state
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")

# Conference Room 4: the shipped week, 10 a.m.–1 p.m. and 3–6 p.m., 11–15 December 2023.
WEEK = load_programme(SHIPPED_NOTE.read_bytes(), "x.txt").programme
# Conference Room 1: free on Wednesday morning, busy on Thursday morning.
SIDE = load_programme(
    """Working group on testing Second session New York, 11–15 December 2023

Wednesday, 13 December
8–9.30 a.m.\tBriefing for delegations
Thursday, 14 December
10 a.m.–1 p.m.\tInformal consultations
""".encode(),
    "side.txt",
).programme
# Two slots in one half-day, for "shift the rest".
SPLIT = load_programme(
    """Working group on testing Third session New York, 13 December 2023

Wednesday, 13 December
10–11.30 a.m.\tFirst part
11.30 a.m.–1 p.m.\tSecond part
3–4 p.m.\tAfternoon part
""".encode(),
    "split.txt",
).programme
NAMES = {"cr4": "Conference Room 4", "cr1": "Conference Room 1", "cr2": "Conference Room 2"}


def ny(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2023, 12, day, hour, minute, second, tzinfo=NY)


class Desk:
    """Overrides made one after another against some rooms' programmes, as the service does."""

    def __init__(self, programmes: dict[str, Programme] | None = None) -> None:
        self.programmes = programmes or {"cr4": WEEK, "cr1": SIDE}
        self.overrides: list[Override] = []

    def make(self, at: datetime, **body: Any) -> Override:
        made = build_override(
            body,
            id=f"o{len(self.overrides) + 1}",
            author="alice",
            now=at,
            programmes=self.programmes,
            room_names=NAMES,
            allowed_rooms=None,
            existing=self.overrides,
        )
        self.overrides.append(made)
        return made

    def refuse(self, at: datetime, **body: Any) -> OverrideError:
        with pytest.raises(OverrideError) as info:
            self.make(at, **body)
        return info.value

    def screen(self, at: datetime, room: str = "cr4") -> ScreenState:
        return screen_state(self.programmes[room], at, self.overrides, room, self.programmes)

    def plan(self, at: datetime, room: str = "cr4") -> RoomPlan:
        return plan_room(room, self.programmes, self.overrides, at)

    def next_change(self, at: datetime, room: str = "cr4") -> datetime | None:
        return next_screen_change(self.programmes[room], at, self.overrides, room, self.programmes)


def slot_ids(state: ScreenState) -> tuple[str | None, str | None]:
    return (
        state.current.id if state.current else None,
        state.next.id if state.next else None,
    )


WED_AM, WED_PM, THU_AM = "2023-12-13-1000", "2023-12-13-1500", "2023-12-14-1000"
