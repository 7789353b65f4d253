"""The hall board's live state: every room's rows, rendered once per change of any room.

After each room publishes a new state (``LiveService.listeners``), the board reads every room's
state as published and its states to come to the end of the venue's day
(``LiveService.states``: the same states the door displays were sent), makes the board's
phases of them (``domain/board.py``) and, when they differ from the last ones sent, renders the
board once and publishes it on the ``board`` channel.  Every board of the building, whatever
its filter (``?rooms=``, ``?programme=``), gets the same frame: each row carries its room and
programme, and the page shows the rows its filter asks for (static/js/board.js).

Rendering is one function of the board's data and a ``Renderer`` (``render_board``): each
change is rendered once in every language in use (``LiveService.render_each``) and published
on that language's channel (``board``, ``board@fr``...); a language coming into use later
(``LiveService.use_language``) gets the board as it stands at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from ..domain.board import Phase, board_phases
from ..domain.overrides import standing
from ..domain.plan import Banner
from ..domain.programme import Programme
from ..domain.rooms import Room
from ..domain.timeline import start_of_next_day
from .batch import OncePerTurn
from .hub import Hub
from .render import BannerWindow, Renderer
from .service import LiveService

log = logging.getLogger(__name__)

BOARD = "board"  # the hub's channel of the hall boards
# The console's list of displays keeps boards under this name instead of a room id (no room
# id can be it: rooms.toml ids start with a letter or a digit).
BOARD_ROOM = "@board"


def programme_key(room: Room) -> str:
    """How ``?programme=`` names a room's programme: its file's name without the suffix."""
    return PurePosixPath(room.programme).stem


@dataclass(frozen=True, slots=True)
class BoardView:
    """Everything the board's template needs, for one version."""

    phases: tuple[Phase, ...]
    rooms: tuple[Room, ...]
    programmes: dict[str, Programme]  # by room id
    version: int
    since: datetime  # the instant this board was computed for
    # The announcements for the hall boards, in force or to come, each with its instants (the
    # page's clock shows and hides them: static/js/screen.js), urgent ones first.
    banners: tuple[BannerWindow, ...] = ()

    @property
    def keys(self) -> dict[str, str]:
        return {r.id: programme_key(r) for r in self.rooms}


def render_board(renderer: Renderer, view: BoardView) -> str:
    """The board's live region (``#board-now``) in the renderer's language: the one place a
    board is rendered, for its page and for its frames."""
    return renderer.render("partials/_board.html", b=view)


class Board:
    """The board's phases as last published, and what publishes them."""

    def __init__(self, service: LiveService, hub: Hub) -> None:
        self.service = service
        self.hub = hub
        self.view: BoardView | None = None
        # The live region as last published, by language (None: the server's default).
        self.regions: dict[str | None, str] = {}
        # Forty rooms crossing 10 a.m. together: the board is updated once, after them all.
        self.changed = OncePerTurn(self.update)
        service.listeners.append(self.changed)
        service.language_listeners.append(self.new_language)

    def compute(self, instant: datetime) -> tuple[Phase, ...] | None:
        """The board's phases at ``instant``; None until every room was published once."""
        site = self.service.site
        states = {}
        for room in site.rooms:
            room_states = self.service.states(room.id)
            if room_states is None:
                return None
            states[room.id] = room_states
        if not site.rooms:
            return ()
        horizon = start_of_next_day(site.programmes[site.rooms[0].id], instant)
        return board_phases([r.id for r in site.rooms], states, instant, horizon)

    def banners(self, instant: datetime) -> tuple[BannerWindow, ...]:
        """The announcements to the hall boards standing at ``instant`` (in force or to come)."""
        windows = [
            BannerWindow(
                Banner(o.id, o.text, o.priority, o.expires),
                o.effective if o.effective > instant else None,
                o.expires,
            )
            for o in standing(self.service.overrides, instant)
            if o.on_boards
        ]
        return tuple(sorted(windows, key=lambda w: w.banner.priority != "urgent"))

    def update(self, instant: datetime) -> bool:
        """Publish the board if what it shows changed; True when it did.  Never raises: a board
        that cannot be rendered keeps its last frame, and the rooms go on."""
        try:
            phases = self.compute(instant)
            site = self.service.site
            banners = self.banners(instant)
            last = self.view
            now = (phases, site.rooms, banners)
            if phases is None or (last and (last.phases, last.rooms, last.banners) == now):
                return False
            version = (self.view.version if self.view else 0) + 1
            view = BoardView(phases, site.rooms, dict(site.programmes), version, instant, banners)
            regions = self.service.render_each(lambda r: render_board(r, view))
        except Exception:
            log.exception("the hall board could not be rendered; it keeps its last frame")
            return False
        self.view, self.regions = view, regions
        self.service.publish_each(BOARD, version, self._frames(regions))
        return True

    def _frames(self, regions: dict[str | None, str]) -> dict[str | None, str]:
        renderers = self.service.renderers
        return {k: text + renderers.get(k).heartbeat_frame for k, text in regions.items()}

    def new_language(self, renderer: Renderer) -> None:
        """A language came into use: the board as it stands, rendered and published in it."""
        key = self.service.renderers.key(renderer.language)
        if self.view is None or key in self.regions:
            return
        try:
            region = render_board(renderer, self.view)
        except Exception:
            log.exception("the hall board could not be rendered in %s", renderer.language)
            return
        self.regions[key] = region
        self.service.publish_each(BOARD, self.view.version, self._frames({key: region}))

    def region(self, renderer: Renderer) -> str:
        """The live region as last published in ``renderer``'s language (for the page)."""
        key = self.service.renderers.key(renderer.language)
        if key not in self.regions:
            self.new_language(renderer)
        return self.regions.get(key) or render_board(renderer, self.current())

    def current(self) -> BoardView:
        """The board as last published (computed now if it never was, or if a room's change
        is still to reach it)."""
        self.changed.flush()
        if self.view is None:
            for room in self.service.site.rooms:
                self.service.view(room.id)  # publishes each room once, and with it the board
            if self.view is None:
                self.update(self.service.clock.now())
        assert self.view is not None, "the board cannot be rendered (see the log)"
        return self.view
