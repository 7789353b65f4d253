"""The live state of every room: ask the domain, render once, publish.

``refresh(room)`` is what the scheduler calls at each boundary: it computes the room's screen
state at the clock's instant, and only when that state differs from the last one does it bump
the room's version, render the room's partials once and publish them to the hub.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from ..clock import Clock
from ..domain.overrides import Override, for_room, standing
from ..domain.timeline import ScreenState, next_screen_change, screen_state, start_of_next_day
from ..site import Site
from .hub import Hub
from .render import Renderer, RoomView

OVERVIEW = "overview"
MAX_COMING = 24  # states sent ahead to displays: a day has a handful of changes


def display_channel(room_id: str) -> str:
    return f"display:{room_id}"


def room_channel(room_id: str) -> str:
    return f"room:{room_id}"


def console_channel(room_id: str) -> str:
    return f"console:{room_id}"


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    gzipped: bytes
    etag: str


class LiveService:
    def __init__(
        self,
        site: Site,
        clock: Clock,
        renderer: Renderer,
        hub: Hub,
        overrides: Sequence[Override] = (),
    ) -> None:
        self.site = site
        self.overrides: list[Override] = list(overrides)  # every override ever made, in order
        self.clock = clock
        self.renderer = renderer
        self.hub = hub
        self.boot = format(int(clock.now().timestamp() * 1000), "x")
        self._states: dict[str, tuple[ScreenState, tuple[Override, ...]]] = {}
        self._versions: dict[str, int] = {}
        self._since: dict[str, datetime] = {}
        self._cards: dict[str, str] = {}
        self._pages: dict[str, tuple[tuple[int, ...], CachedPage]] = {}

    def instant(self, at: datetime | None = None) -> datetime:
        """The clock's instant, never before ``at`` (a job may fire a hair early on a scaled
        clock; it must still see the boundary it was planned for)."""
        now = self.clock.now()
        return max(now, at) if at is not None else now

    def replace_site(self, site: Site) -> None:
        """Publish revised programmes: one assignment, so no render mixes old and new."""
        self.site = site
        self._states.clear()  # every room re-renders on its next refresh
        self._pages.clear()

    def state_at(self, room_id: str, instant: datetime) -> ScreenState:
        programmes = self.site.programmes
        return screen_state(programmes[room_id], instant, self.overrides, room_id, programmes)

    def refresh(self, room_id: str, at: datetime | None = None) -> bool:
        """Recompute a room's state; publish it if it changed.  True when it did."""
        instant = self.instant(at)
        state = self.state_at(room_id, instant)
        standing_now = tuple(standing(for_room(self.overrides, room_id), instant))
        if self._states.get(room_id) == (state, standing_now):
            return False
        self._states[room_id] = (state, standing_now)
        self._since[room_id] = instant
        version = self._versions[room_id] = self._versions.get(room_id, 0) + 1
        view = self.view(room_id)
        coming = self.coming_today(room_id, instant)
        self.hub.publish(
            display_channel(room_id), version, self.renderer.display_frame(view, coming)
        )
        self.hub.publish(room_channel(room_id), version, self.renderer.room_frame(view))
        self.hub.publish(console_channel(room_id), version, self.renderer.console_frame(view))
        self._cards[room_id] = self.renderer.card(view)
        overview = "".join(self._cards.get(r.id, "") for r in self.site.rooms)
        self.hub.publish(OVERVIEW, sum(self._versions.values()), overview)
        return True

    def next_change(self, room_id: str, at: datetime | None = None) -> datetime | None:
        programmes = self.site.programmes
        return next_screen_change(
            programmes[room_id], self.instant(at), self.overrides, room_id, programmes
        )

    def view(self, room_id: str) -> RoomView:
        if room_id not in self._states:
            self.refresh(room_id)
        room = self.site.room(room_id)
        assert room is not None
        state, standing_now = self._states[room_id]
        return RoomView(
            room=room,
            programme=self.site.programmes[room_id],
            state=state,
            version=self._versions[room_id],
            overrides=standing_now,
            since=self._since[room_id],
        )

    def coming_today(self, room_id: str, instant: datetime) -> list[RoomView]:
        """The room's states from each coming change until the end of the venue's day, as
        known now (overrides that expire today included)."""
        view = self.view(room_id)
        end_of_day = start_of_next_day(view.programme, instant)
        coming: list[RoomView] = []
        at = self.next_change(room_id, instant)
        while at is not None and at <= end_of_day and len(coming) < MAX_COMING:
            coming.append(replace(view, state=self.state_at(room_id, at), since=at))
            at = self.next_change(room_id, at)
        return coming

    async def heartbeat(self) -> None:
        """Scheduler job (async, so it runs on the event loop, as the hub requires), every
        ``Settings.live.heartbeat`` seconds.  Browsers send no keepalive of their own: a page
        that hears nothing for two heartbeats knows its link is dead and reconnects.  The frame,
        rendered once (templates/partials/_heartbeat.html), replaces the page's own #heartbeat
        and carries the server's build, so that displays notice a deploy."""
        self.hub.heartbeat(self.renderer.heartbeat_frame)

    def version(self, room_id: str) -> int:
        return self.view(room_id).version

    def page(self, key: str, versions: tuple[int, ...], build: Callable[[], str]) -> CachedPage:
        """A page rendered once per state version (phones reload often, on weak links)."""
        cached = self._pages.get(key)
        if cached is not None and cached[0] == versions:
            return cached[1]
        body = build().encode()
        digest = hashlib.sha256(body).hexdigest()[:16]
        page = CachedPage(body, gzip.compress(body, 6), f'"{self.boot}-{digest}"')
        self._pages[key] = (versions, page)
        return page
