"""JSON for other tools.  Shapes match the command line's (``dashboard export`` / ``now``)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain.json_format import now_json, programme_json
from ..live.service import display_channel, room_channel
from .views import live, room_view


async def rooms(request: Request) -> JSONResponse:
    site = live(request).site
    return JSONResponse(
        [
            {
                "id": room.id,
                "name": room.name,
                "programme": room.programme,
                "title": site.programmes[room.id].title,
                "session": site.programmes[room.id].session,
            }
            for room in site.rooms
        ]
    )


async def room_now(request: Request) -> JSONResponse:
    view = room_view(request)
    return JSONResponse(now_json(view.programme, live(request).clock.now()))


async def programme(request: Request) -> JSONResponse:
    """``?room=ID`` (default: the first room)."""
    site = live(request).site
    room_id = request.query_params.get("room", site.rooms[0].id)
    if site.room(room_id) is None:
        raise HTTPException(404, f"no room {room_id!r}")
    return JSONResponse(programme_json(site.programmes[room_id]))


async def server_time(request: Request) -> JSONResponse:
    """The venue clock as the server runs it; pages measure their offset against it."""
    clock = live(request).clock
    return JSONResponse(
        {"now": clock.now().timestamp() * 1000, "speed": clock.speed},
        headers={"cache-control": "no-store"},
    )


async def healthz(request: Request) -> JSONResponse:
    """Live (this answers) and ready (the scheduler runs: screens will change on time), with
    the connected screens and phones per room.  503 when not ready."""
    service = live(request)
    ready = bool(request.app.state.scheduler.scheduler.running)
    return JSONResponse(
        {
            "status": "ok" if ready else "starting",
            "live": True,
            "ready": ready,
            "rooms": {
                room.id: {
                    "version": service.version(room.id),
                    "screens": service.hub.count(display_channel(room.id)),
                    "phones": service.hub.count(room_channel(room.id)),
                }
                for room in service.site.rooms
            },
        },
        status_code=200 if ready else 503,
    )
