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
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial

from ..clock import Clock
from ..domain.overrides import Override, for_room, standing
from ..domain.rooms import Room
from ..domain.timeline import RoomTimeline, ScreenState, next_screen_change, screen_state
from ..site import Site
from .batch import OncePerTurn
from .committed import MAX_COMING, Committed, Prepared, RoomTexts, StateKey, Timeline
from .hub import Hub
from .languages import Renderers, localized_channel
from .memory import OverrideMemory
from .render import Renderer, RoomView, banner_windows

OVERVIEW = "overview"


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
        self._prepared: dict[str, Prepared] = {}  # the next change, rendered ahead
        self._published_at: dict[str, datetime] = {}
        self._pages: dict[str, tuple[tuple[int, ...], CachedPage]] = {}
        # Called after a room published a new state (the hall boards: live/board.py).
        self.listeners: list[Callable[[datetime], object]] = []
        # Called with a language's renderer when it comes into use: views other than the
        # rooms' (the hall boards) publish their frames in it then.
        self.language_listeners: list[Callable[[Renderer], object]] = []
        self._overviews = OncePerTurn(self._publish_overviews)

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
        self._prepared.clear()
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
        state, standing_now, key = self._key(room_id, instant)
        before = self._rooms.get(room_id)
        if before is not None and before.key == key:
            self._published_at[room_id] = instant  # checked: what the screens show is right
            return False  # (a state prepared for a later change is kept for it)
        prepared = self._prepared.pop(room_id, None)
        if prepared is not None and prepared.fits(before, self.overrides, key, instant):
            committed = prepared.committed  # rendered ahead (``prepare``): publish it as is
        else:
            committed = self._render(room_id, instant, state, standing_now, key, before)
        # Render everything first, in every language in use (one that came into use since it
        # was prepared too): an exception here leaves the room as it was.
        version = committed.view.version
        renderers = self.renderers.in_use()
        texts = [committed.in_language(r) for r in renderers]
        consoles = self._console_frames(room_id, committed.view)
        # Commit, then publish (publishing never raises: it only fills mailboxes).
        self._rooms[room_id] = committed
        self._published_at[room_id] = instant
        for renderer, text in zip(renderers, texts, strict=True):
            lang = self.renderers.key(renderer.language)
            self._publish_display(room_id, committed, text, renderer, lang)
            self.hub.publish(room_channel(room_id, lang), version, text.room)
        self._overviews(instant)
        for channel, console in consoles.items():
            if isinstance(console, str):
                self.hub.publish(channel, version, console)
            else:
                self.hub.defer(channel, version, console)
        for listener in self.listeners:
            listener(instant)
        return True

    def prepare(self, room_id: str, at: datetime) -> bool:
        """Render ahead, in every language in use, the room's state at its next change ``at``,
        for ``refresh`` at ``at`` to publish with no render (at 10 a.m. forty rooms change at
        once, and the screens of the last one rendered waited for all the renders before it).
        Nothing is committed or published: the refresh uses it only if nothing changed in
        between (an override, a revision, a refresh); else it renders as ever.  True when a
        state was prepared.  Raises if rendering fails (the refresh then renders again)."""
        if self.site.room(room_id) is None:
            return False
        state, standing_then, key = self._key(room_id, at)
        before = self._rooms.get(room_id)
        if before is not None and before.key == key:
            return False
        committed = self._render(room_id, at, state, standing_then, key, before)
        for renderer in self.renderers.in_use():
            committed.in_language(renderer)
        self._prepared[room_id] = Prepared(before, self.overrides, committed)
        return True

    def _key(
        self, room_id: str, instant: datetime
    ) -> tuple[ScreenState, tuple[Override, ...], StateKey]:
        """The room's state at ``instant``, its overrides standing then, and the key that
        tells whether its screens must change."""
        state = self.state_at(room_id, instant)
        standing_then = tuple(standing(for_room(self.overrides, room_id), instant))
        return state, standing_then, (state, standing_then, self._generation)

    def _render(
        self,
        room_id: str,
        instant: datetime,
        state: ScreenState,
        standing_then: tuple[Override, ...],
        key: StateKey,
        before: Committed | None,
    ) -> Committed:
        """The room's next version at ``instant``: its view and the display's states to come
        (texts are rendered by ``Committed.in_language``)."""
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
            overrides=standing_then,
            since=instant,
            # The announcements now and to come, sent once with the state now (not in each
            # state to come): the page's clock shows and hides each at its instants.
            windows=banner_windows([(None, state), *entries]),
        )
        timeline = self._timeline(view, entries, instant, before, key)
        first = entries[0][0] if entries else None
        return Committed(key, view, timeline, first_change=first)

    def _console_frames(self, room_id: str, view: RoomView) -> dict[str, str | Callable[[], str]]:
        """The room's two console frames (every room's staff, and staff bound to some rooms):
        rendered now for a channel someone watches, else how to render it when someone comes
        (``Hub.defer``).  At 10 a.m. a building's forty rooms change at once, and most rooms'
        consoles are not open on this process: two renders a room for nobody were the half of
        a boundary's work."""
        frames: dict[str, str | Callable[[], str]] = {}
        renderer = self.renderer
        for channel, undo_all in ((console_channel(room_id), True),
                                  (console_channel(room_id, every_room=False), False)):  # fmt: skip
            render = partial(renderer.console_frame, view, undo_all=undo_all)
            frames[channel] = render() if self.hub.count(channel) else render
        return frames

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

    def _overview(self, renderer: Renderer) -> str:
        """The phones' overview in one language: every published room's card."""
        return "".join(c.in_language(renderer).card for _, c in self._committed_rooms())

    def _publish_overviews(self, _: datetime) -> None:
        """The overview in every language in use, once after the rooms that changed together
        (``OncePerTurn``): at 10 a.m., one frame of forty cards to each phone, not forty."""
        version = self._overview_version()
        for renderer in self.renderers.in_use():
            lang = self.renderers.key(renderer.language)
            self.hub.publish(overview_channel(lang), version, self._overview(renderer))

    def _overview_version(self) -> int:
        return sum(c.view.version for _, c in self._committed_rooms())

    def _committed_rooms(self) -> list[tuple[Room, Committed]]:
        return [(r, self._rooms[r.id]) for r in self.site.rooms if r.id in self._rooms]

    def _timeline(
        self,
        view: RoomView,
        entries: list[tuple[datetime, ScreenState]],
        instant: datetime,
        before: Committed | None,
        key: StateKey,
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
