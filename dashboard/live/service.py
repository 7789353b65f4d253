"""The live state of every room: ask the domain, render once, publish.

``refresh(room)`` is what the scheduler calls at each boundary: it computes the room's screen
state at the clock's instant, and only when that state differs from the last one published does
it render the room's partials once and publish them to the hub.  A state is committed (its
version, the pages and JSON built from it) only once everything is rendered and published: a
render that raises leaves the room at its last published state, so the next attempt renders it
again instead of finding it "unchanged".
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..clock import Clock
from ..domain.overrides import Override, for_room, standing
from ..domain.rooms import Room
from ..domain.timeline import RoomTimeline, ScreenState, next_screen_change, screen_state
from ..site import Site
from .hub import Hub
from .languages import Renderers, localized_channel
from .memory import OverrideMemory
from .render import Renderer, RoomView, banner_windows

OVERVIEW = "overview"
# States sent ahead to displays: the rest of the session, so that a display that loses the
# server in the evening still turns to the next morning's meetings (a week is a few dozen).
MAX_COMING = 64


def display_channel(room_id: str, language: str | None = None) -> str:
    """A room's displays in ``language`` (None: the server's default language)."""
    return localized_channel(f"display:{room_id}", language)


def room_channel(room_id: str, language: str | None = None) -> str:
    return localized_channel(f"room:{room_id}", language)


def overview_channel(language: str | None = None) -> str:
    return localized_channel(OVERVIEW, language)


def console_channel(room_id: str, every_room: bool = True) -> str:
    """The console's channel of a room: for staff who may act on every room, or (``every_room``
    False) for those bound to some rooms, whose frames offer Undo only where they may act."""
    return f"console:{room_id}" if every_room else f"console:{room_id}:bound"


@dataclass(frozen=True, slots=True)
class CachedPage:
    body: bytes
    gzipped: bytes
    etag: str


@dataclass(frozen=True)
class Timeline:
    """A display's states to come, rendered once per language, resent only when they change."""

    entries: tuple[tuple[datetime, ScreenState], ...]
    coming: tuple[RoomView, ...]
    version: int  # the room's version when it was rendered
    htmls: dict[str, str] = field(default_factory=dict)  # by language, as first asked for

    def html(self, renderer: Renderer) -> str:
        if renderer.language not in self.htmls:
            self.htmls[renderer.language] = renderer.display_timeline(self.coming)
        return self.htmls[renderer.language]

    def still(self, entries: Sequence[tuple[datetime, ScreenState]], now: datetime) -> bool:
        """The same future as ``entries``, as seen at ``now`` (past entries are spent).  A
        timeline cut at ``MAX_COMING`` states ends at a horizon, not at the session's end: it
        is still good while what it holds is unchanged and it holds half of that at least."""
        mine = [e for e in self.entries if e[0] > now]
        if len(self.entries) >= MAX_COMING and self.entries:
            if len(mine) < MAX_COMING // 2:
                return False  # running short: send one reaching further
            horizon = self.entries[-1][0]
            entries = [e for e in entries if e[0] <= horizon]
        if len(mine) != len(entries) or any(
            a[0] != b[0] for a, b in zip(mine, entries, strict=True)
        ):
            return False
        # The states of one timeline share their plan (the session's slots, one tuple): compare
        # each pair of plans once, not once a state (thousands of slots, dozens of states).
        plans: dict[tuple[int, int], bool] = {}
        for (_, a), (_, b) in zip(mine, entries, strict=True):
            pair = (id(a.slots), id(b.slots))
            if pair not in plans:
                plans[pair] = a.slots == b.slots
            # Announcements are not part of the states to come (they are sent once, with
            # their instants, in the state now).
            if not plans[pair] or replace(a, slots=(), banners=()) != replace(
                b, slots=(), banners=()
            ):
                return False
        return True


@dataclass(frozen=True)
class RoomTexts:
    """A room's state rendered in one language: what each of its channels is sent."""

    now: str  # the display's state now
    timeline: str  # the display's states to come
    room: str  # the phone's room page
    card: str  # the room's card on the phones' overview


@dataclass(frozen=True)
class Committed:
    """What a room's screens were last sent."""

    key: tuple[ScreenState, tuple[Override, ...], int]
    view: RoomView
    timeline: Timeline
    texts: dict[str, RoomTexts] = field(default_factory=dict)  # by language

    def in_language(self, renderer: Renderer) -> RoomTexts:
        """Rendered once per language (a language first asked for later renders it then)."""
        if renderer.language not in self.texts:
            self.texts[renderer.language] = RoomTexts(
                now=renderer.display_now(self.view),
                timeline=self.timeline.html(renderer),
                room=renderer.room_frame(self.view),
                card=renderer.card(self.view),
            )
        return self.texts[renderer.language]


class LiveService:
    def __init__(
        self,
        site: Site,
        clock: Clock,
        renderer: Renderer,
        hub: Hub,
        overrides: Sequence[Override] = (),
        make_renderer: Callable[[str], Renderer] | None = None,
    ) -> None:
        """``renderer``: the server's default language; ``make_renderer(lang)``: another
        language's, made when a reader first asks for it."""
        self.site = site
        self.clock = clock
        # Without a factory (tests), another language's renderer shares the default's build.
        self.renderers = Renderers(
            renderer, make_renderer or (lambda lang: Renderer(lang, build=renderer.build))
        )
        self.hub = hub
        self.memory = OverrideMemory(overrides, site.programmes, clock.now())
        self.boot = format(int(clock.now().timestamp() * 1000), "x")
        self._generation = 0  # bumped by each revised site: every room renders again
        self._rooms: dict[str, Committed] = {}
        self._published_at: dict[str, datetime] = {}
        self._pages: dict[str, tuple[tuple[int, ...], CachedPage]] = {}
        # Called after a room published a new state (the hall boards: live/board.py).
        self.listeners: list[Callable[[datetime], object]] = []
        # Called with a language's renderer when it comes into use: views other than the
        # rooms' (the hall boards) publish their frames in it then.
        self.language_listeners: list[Callable[[Renderer], object]] = []

    @property
    def renderer(self) -> Renderer:
        """The default language's renderer (the console's, and the plain channels')."""
        return self.renderers.default

    @renderer.setter
    def renderer(self, renderer: Renderer) -> None:
        self.renderers.default = renderer

    def use_language(self, language: str) -> Renderer:
        """Make ``language`` one in use: a language not yet in use is rendered and published
        now for every room already published (and then at each change).  Raises KeyError for
        a language not offered."""
        new = language not in {r.language for r in self.renderers.in_use()}
        renderer = self.renderers.get(language)
        if new:
            key = self.renderers.key(language)
            for room, committed in self._committed_rooms():
                texts = committed.in_language(renderer)
                self._publish_display(room.id, committed, texts, renderer, key)
                self.hub.publish(room_channel(room.id, key), committed.view.version, texts.room)
            self.hub.publish(
                overview_channel(key), self._overview_version(), self._overview(renderer)
            )
            for listener in self.language_listeners:
                listener(renderer)
        return renderer

    def render_each(self, render: Callable[[Renderer], str]) -> dict[str | None, str]:
        """``render(renderer)`` in every language in use, keyed as channels are (None: the
        default language): for a live view's frames, rendered once per change per language."""
        return {self.renderers.key(r.language): render(r) for r in self.renderers.in_use()}

    def publish_each(self, channel: str, version: int, texts: dict[str | None, str]) -> None:
        for key, text in texts.items():
            self.hub.publish(localized_channel(channel, key), version, text)

    def count(self, channel_of: Callable[[str | None], str]) -> int:
        """Subscribers of a channel in every language in use."""
        keys = {self.renderers.key(r.language) for r in self.renderers.in_use()}
        return sum(self.hub.count(channel_of(key)) for key in keys)

    @property
    def overrides(self) -> tuple[Override, ...]:
        """The overrides that can still shape a screen, in the order they were made."""
        return self.memory.overrides

    def add_override(self, override: Override) -> None:
        """An acknowledged override joins the live state (the store has it already)."""
        self.memory.add(override, self.site.programmes, self.clock.now())

    def instant(self, at: datetime | None = None) -> datetime:
        """The clock's instant, never before ``at`` (a job may fire a hair early on a scaled
        clock; it must still see the boundary it was planned for)."""
        now = self.clock.now()
        return max(now, at) if at is not None else now

    def replace_site(self, site: Site) -> None:
        """Publish revised programmes: one assignment, so no render mixes old and new.  Rooms
        keep their last published state (pages and JSON still answer) until each re-renders."""
        self.site = site
        self.renderers.use_rooms({r.id: r.name for r in site.rooms})
        self._generation += 1
        self._pages.clear()
        for gone in set(self._rooms) - {r.id for r in site.rooms}:
            del self._rooms[gone]
            self._published_at.pop(gone, None)

    def state_at(self, room_id: str, instant: datetime) -> ScreenState:
        """The one function every view reads (see domain/timeline.py)."""
        programmes = self.site.programmes
        return screen_state(programmes[room_id], instant, self.overrides, room_id, programmes)

    def refresh(self, room_id: str, at: datetime | None = None) -> bool:
        """Recompute a room's state; publish it if it changed.  True when it did.  Raises if
        rendering fails, with nothing committed."""
        instant = self.instant(at)
        self.memory.forget_spent(self.site.programmes, instant)
        state = self.state_at(room_id, instant)
        standing_now = tuple(standing(for_room(self.overrides, room_id), instant))
        key = (state, standing_now, self._generation)
        before = self._rooms.get(room_id)
        if before is not None and before.key == key:
            self._published_at[room_id] = instant  # checked: what the screens show is right
            return False
        room = self.site.room(room_id)
        if room is None:
            raise KeyError(f"no room {room_id!r}")
        version = (before.view.version if before else 0) + 1
        entries = self.coming_states(room_id, instant)
        view = RoomView(
            room=room,
            programme=self.site.programmes[room_id],
            state=state,
            version=version,
            overrides=standing_now,
            since=instant,
            # The announcements now and to come, sent once with the state now (not in each
            # state to come): the page's clock shows and hides each at its instants.
            windows=banner_windows([(None, state), *entries]),
        )
        # Render everything first, in every language in use: an exception here leaves the
        # room as it was.
        timeline = self._timeline(view, entries, instant, before, key)
        committed = Committed(key, view, timeline)
        renderers = self.renderers.in_use()
        texts = [committed.in_language(r) for r in renderers]
        console_frame = self.renderer.console_frame(view, undo_all=True)
        console_own = self.renderer.console_frame(view, undo_all=False)
        overviews = [self._overview(r, (room_id, committed)) for r in renderers]
        # Commit, then publish (publishing never raises: it only fills mailboxes).
        self._rooms[room_id] = committed
        self._published_at[room_id] = instant
        for renderer, text, overview in zip(renderers, texts, overviews, strict=True):
            lang = self.renderers.key(renderer.language)
            self._publish_display(room_id, committed, text, renderer, lang)
            self.hub.publish(room_channel(room_id, lang), version, text.room)
            self.hub.publish(overview_channel(lang), self._overview_version(), overview)
        self.hub.publish(console_channel(room_id), version, console_frame)
        self.hub.publish(console_channel(room_id, every_room=False), version, console_own)
        for listener in self.listeners:
            listener(instant)
        return True

    def _publish_display(
        self,
        room_id: str,
        committed: Committed,
        texts: RoomTexts,
        renderer: Renderer,
        lang: str | None,
    ) -> None:
        build = renderer.heartbeat_frame  # the server's build: a display after a deploy
        self.hub.publish(
            display_channel(room_id, lang),
            committed.view.version,
            texts.now + texts.timeline + build,
            brief=texts.now + build,
            brief_after=committed.timeline.version,
        )

    def _overview(self, renderer: Renderer, new: tuple[str, Committed] | None = None) -> str:
        """The phones' overview in one language: every room's card, ``new`` one included."""
        rooms = dict(self._committed_rooms_by_id())
        if new is not None:
            rooms[new[0]] = new[1]
        return "".join(
            rooms[r.id].in_language(renderer).card for r in self.site.rooms if r.id in rooms
        )

    def _overview_version(self) -> int:
        return sum(c.view.version for _, c in self._committed_rooms())

    def _committed_rooms_by_id(self) -> list[tuple[str, Committed]]:
        return [(r.id, c) for r, c in self._committed_rooms()]

    def _committed_rooms(self) -> list[tuple[Room, Committed]]:
        return [(r, self._rooms[r.id]) for r in self.site.rooms if r.id in self._rooms]

    def _timeline(
        self,
        view: RoomView,
        entries: list[tuple[datetime, ScreenState]],
        instant: datetime,
        before: Committed | None,
        key: tuple[ScreenState, tuple[Override, ...], int],
    ) -> Timeline:
        if (
            before is not None
            and before.key[2] == key[2]  # the same site generation
            and before.timeline.still(entries, instant)
        ):
            return before.timeline
        coming = tuple(replace(view, state=state, since=at, windows=()) for at, state in entries)
        return Timeline(tuple(entries), coming, view.version)

    def states(self, room_id: str) -> list[tuple[datetime | None, ScreenState]] | None:
        """The room's state as last published (at None) and its states to come after it, each
        from its instant; None if the room was never published."""
        committed = self._rooms.get(room_id)
        if committed is None:
            return None
        since = committed.view.since
        coming = [e for e in committed.timeline.entries if since is None or e[0] > since]
        return [(None, committed.view.state), *coming]

    def coming_states(self, room_id: str, instant: datetime) -> list[tuple[datetime, ScreenState]]:
        """The room's states from each coming change until the end of the session, as known
        now (overrides that expire later included)."""
        # One timeline, planning once per set of overrides in force; it says None after the
        # session's last day, which ends the list.
        programmes = self.site.programmes
        timeline = RoomTimeline(programmes[room_id], self.overrides, room_id, programmes)
        coming: list[tuple[datetime, ScreenState]] = []
        at = timeline.next_change(instant)
        while at is not None and len(coming) < MAX_COMING:
            coming.append((at, timeline.state(at)))
            at = timeline.next_change(at)
        return coming

    def next_change(self, room_id: str, at: datetime | None = None) -> datetime | None:
        programmes = self.site.programmes
        return next_screen_change(
            programmes[room_id], self.instant(at), self.overrides, room_id, programmes
        )

    def view(self, room_id: str) -> RoomView:
        """The room as its screens were last sent it (rendered now if it never was)."""
        if room_id not in self._rooms:
            self.refresh(room_id)
        return self._rooms[room_id].view

    def coming(self, room_id: str) -> tuple[RoomView, ...]:
        """The display's states to come, as last sent (for the display's page)."""
        if room_id not in self._rooms:
            self.refresh(room_id)
        return self._rooms[room_id].timeline.coming

    def published_at(self, room_id: str) -> datetime | None:
        """The clock's instant when the room's screens were last known right."""
        return self._published_at.get(room_id)

    async def heartbeat(self) -> None:
        """Scheduler job (async, so it runs on the event loop, as the hub requires), every
        ``Settings.live.heartbeat`` seconds.  Browsers send no keepalive of their own: a page
        that hears nothing for two heartbeats knows its link is dead and reconnects.  The frame,
        rendered once (templates/partials/_heartbeat.html), replaces the page's own #heartbeat
        and carries the server's build, so that displays notice a deploy."""
        self.hub.heartbeat(self.renderer.heartbeat_frame)

    def version(self, room_id: str) -> int:
        return self.view(room_id).version

    def page(
        self,
        key: str,
        versions: tuple[int, ...],
        build: Callable[[], str],
        language: str | None = None,
    ) -> CachedPage:
        """A page rendered once per state version and language (phones reload often, on weak
        links)."""
        key = localized_channel(key, self.renderers.key(language))
        cached = self._pages.get(key)
        if cached is not None and cached[0] == versions:
            return cached[1]
        body = build().encode()
        digest = hashlib.sha256(body).hexdigest()[:16]
        page = CachedPage(body, gzip.compress(body, 6), f'"{self.boot}-{digest}"')
        self._pages[key] = (versions, page)
        return page
