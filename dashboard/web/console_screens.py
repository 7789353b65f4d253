"""The console's displays: ``/chair/screens`` (a line a room: connected, down, off), each room's
displays a page at a time, and the staff's actions on them (dismiss one not connected, name
one).  The registry itself is ``live/screens.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..domain.rooms import Room
from ..live.board import BOARD_ROOM
from ..live.screen_sync import ScreenSync
from ..live.screens import (
    CONNECTED,
    DOWN,
    MAX_LABEL,
    OFF,
    ScreenRegistry,
    clean_label,
    state_of,
)
from .auth import (
    Actor,
    require_actor,
    store_of,
)
from .chair import render_page, rooms_of
from .overrides_api import check_staff
from .views import live

SCREENS_PAGE = 20  # rows of a page of a room's displays in the console
# A connected display is marked down after this many heartbeat periods without one (45 s at
# the default 15 s: two heartbeats missed, and a margin).
SILENT_HEARTBEATS = 3


def screen_rooms(request: Request, actor: Actor) -> list[str]:
    """The rooms whose displays the user may see and act on; and the hall boards, which show
    every room, for those who may act on every room."""
    rooms = rooms_of(request, actor)
    return [*rooms, BOARD_ROOM] if actor.allowed_rooms is None else rooms


def _silent_after(request: Request) -> timedelta:
    # Heartbeats come every period of real seconds (settings.toml [live]); on a clock running N
    # times faster, N times as many of its seconds.
    period = timedelta(seconds=request.app.state.settings.live.heartbeat)
    return SILENT_HEARTBEATS * period * live(request).clock.speed


async def screens(request: Request) -> Response:
    """The displays of the rooms the user may act on, a line a room: how many are connected,
    down and off (the console polls this fragment; ``?only=summary``: the summary alone, so a
    room's list opened below it stays open).  Each room's displays are listed on demand,
    a page at a time (``room_screens``).  Times are the server's clock (``--at``/``--speed``
    included), as the screens' are stamped."""
    actor = await require_actor(request, changes_state=False)
    check_staff(actor)
    registry: ScreenRegistry = request.app.state.screens
    now = live(request).clock.now()
    silent_after = _silent_after(request)
    mine = screen_rooms(request, actor)
    counts: dict[str, dict[str, int]] = {}
    for screen in registry.screens():
        if screen.room in mine:
            room_counts = counts.setdefault(screen.room, {CONNECTED: 0, DOWN: 0, OFF: 0})
            room_counts[state_of(screen, now, silent_after)] += max(1, screen.connections)
    rooms = [(room, counts[room]) for room in mine if room in counts]
    total = {k: sum(c[k] for _, c in rooms) for k in (CONNECTED, DOWN, OFF)}
    return render_page(
        request,
        "partials/_console_screens.html",
        summary_only=request.query_params.get("only") == "summary",
        rooms=rooms,
        total=total,
        names={r.id: r.name for r in live(request).site.rooms},
        board_room=BOARD_ROOM,
    )


def _screens_room(request: Request, actor: Actor) -> str:
    """The room of a screens request, if the user may act on it (else 403)."""
    room: str = request.path_params["room"]
    if room != BOARD_ROOM and live(request).site.room(room) is None:
        raise HTTPException(404, "no such room")
    if room not in screen_rooms(request, actor):
        raise HTTPException(403, "you may not act on this room")
    return room


def _page_number(raw: object) -> int:
    text = str(raw or "")
    return int(text) if text.isdigit() and len(text) < 7 else 1


def _room_screens(
    request: Request, room: str, page: int, status: int = 200, **context: Any
) -> Response:
    """A page of ``room``'s displays: those that need attention first (known screens down,
    then newcomers down, then those off, then those connected), ``SCREENS_PAGE`` a page."""
    registry: ScreenRegistry = request.app.state.screens
    service = live(request)
    now = service.clock.now()
    silent_after = _silent_after(request)
    rank = {DOWN: 0, OFF: 1, CONNECTED: 2}
    rows = [(s, state_of(s, now, silent_after)) for s in registry.of_room(room)]
    rows.sort(key=lambda row: (rank[row[1]], not row[0].known, row[0].name))
    pages = max(1, -(-len(rows) // SCREENS_PAGE))
    page = min(max(1, page), pages)
    shown = rows[(page - 1) * SCREENS_PAGE : page * SCREENS_PAGE]
    headers = {"cache-control": "no-store"}
    if status >= 400:  # shown by the action all the same (static/js/console.js)
        headers |= {"x-console-error": "screens", "hx-reswap": "outerHTML"}
    first = service.site.rooms[0].id
    html = service.renderer.render(
        "partials/_console_room_screens.html",
        room=service.site.room(room) or Room(BOARD_ROOM, "", ""),
        board_room=BOARD_ROOM,
        rows=[(s, state, registry.label(s)) for s, state in shown],
        page=page,
        pages=pages,
        count=len(rows),
        tz=service.site.programmes[room if room != BOARD_ROOM else first].tz,
        max_label=MAX_LABEL,
        **{"error": None, "done": None, **context},
    )
    return HTMLResponse(html, status_code=status, headers=headers)


async def room_screens(request: Request) -> Response:
    """A page of one room's displays (``?page=N``), with what staff may do to each."""
    actor = await require_actor(request, changes_state=False)
    check_staff(actor)
    room = _screens_room(request, actor)
    return _room_screens(request, room, _page_number(request.query_params.get("page")))


async def _screen_form(request: Request) -> tuple[Actor, str, FormData, str, int]:
    """A staff action on one of a room's displays: who acts, the room (one they may act on),
    the form, the display's name and the page of the list to answer with."""
    actor = await require_actor(request, changes_state=True)
    check_staff(actor)
    room = _screens_room(request, actor)
    form = await request.form()
    return actor, room, form, str(form.get("name", "")), _page_number(form.get("page"))


async def dismiss_screen(request: Request) -> Response:
    """Forget a display that is down or off (it is listed again once it connects again)."""
    actor, room, _, name, page = await _screen_form(request)
    registry: ScreenRegistry = request.app.state.screens
    screen = registry.listed(room, name)  # this process's, or another's
    if screen is None:
        raise HTTPException(404, "no such display")
    if screen.connected or screen.others:
        return _room_screens(request, room, page, 409, error="connected")
    sync: ScreenSync | None = request.app.state.screen_sync
    if sync is not None:  # every process forgets it (stored, then NOTIFYed)
        await sync.dismiss(screen)
    else:
        registry.dismiss(room, name)
    detail = f"{room} {name}"
    await store_of(request).audit(actor.name, "screen-dismissed", detail, datetime.now(UTC))
    return _room_screens(request, room, page, done="dismissed")


async def label_screen(request: Request) -> Response:
    """Give a display a label, shown instead of its name (an empty one removes it).  Kept by
    the store, across restarts; only for a display listed now (nothing else can be labelled,
    so the labels are as many as the displays staff named)."""
    actor, room, form, name, page = await _screen_form(request)
    registry: ScreenRegistry = request.app.state.screens
    screen = registry.find(room, name)
    if screen is None or screen.others:
        raise HTTPException(404, "no such display")
    label = clean_label(str(form.get("label", "")))
    if label is None:
        return _room_screens(request, room, page, 422, error="label")
    store = store_of(request)
    await store.set_screen_label(room, name, label)
    if label:
        registry.labels[(room, name)] = label
    else:
        registry.labels.pop((room, name), None)
    detail = f"{room} {name}: {label}"
    await store.audit(actor.name, "screen-labelled", detail, datetime.now(UTC))
    return _room_screens(request, room, page, done="labelled")
