"""The hall board: ``/board`` (every room), ``/board?rooms=cr1,cr4``, ``/board?programme=NAME``
(the rooms showing that programme: its file's name in rooms.toml, without the suffix)."""

from __future__ import annotations

import secrets

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse

from ..live.board import Board, programme_key
from ..live.render import epoch_ms
from .errors import ProgrammeNotFound, RoomNotFound
from .language import asked_language, default_language
from .views import live

MAX_FILTER = 2000  # characters of ?rooms= (40 rooms of 40 characters, with commas)


def board_of(conn: HTTPConnection) -> Board:
    board: Board = conn.app.state.board
    return board


def board_filter(conn: HTTPConnection) -> tuple[list[str], str]:
    """The rooms and the programme a board shows (empty: all), each checked against the
    running rooms: an unknown one is refused (404) with its name, never shown as nothing."""
    site = live(conn).site
    raw = conn.query_params.get("rooms", "")
    if len(raw) > MAX_FILTER:
        raise HTTPException(400, f"?rooms=: at most {MAX_FILTER} characters")
    rooms = [r for r in dict.fromkeys(part.strip() for part in raw.split(",")) if r]
    for room in rooms:
        if site.room(room) is None:
            raise RoomNotFound(room[:40])
    programme = conn.query_params.get("programme", "").strip()
    if programme and programme not in {programme_key(r) for r in site.rooms}:
        raise ProgrammeNotFound(programme[:80])
    return rooms, programme


async def board_page(request: Request) -> HTMLResponse:
    """``?lang=fr``: in French (one language; a language not offered is refused, 400)."""
    rooms, programme = board_filter(request)
    service = live(request)
    renderer = service.use_language(asked_language(request) or default_language(request))
    board = board_of(request)
    view = board.current()
    screen = request.query_params.get("screen", "")[:40]
    # Without a name, an id for the page to keep (static/js/live.js): staff can label it.
    screen_id = "" if screen.strip() else f"display-{secrets.token_hex(4)}"
    first = service.site.rooms[0].id if service.site.rooms else None
    timezone = service.site.programmes[first].timezone if first else "UTC"
    day = view.since.astimezone(service.site.programmes[first].tz).date() if first else None
    html = renderer.render(
        "board.html",
        b=view,
        board_html=board.region(renderer),
        rooms=rooms,
        programme=programme,
        screen=screen,
        screen_id=screen_id,
        timezone=timezone,
        day=day or view.since.date(),
        clock={"now": epoch_ms(service.clock.now()), "speed": service.clock.speed},
    )
    return HTMLResponse(html, headers={"cache-control": "no-store"})
