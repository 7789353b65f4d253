"""JSON for other tools.

``/api/programme`` is the printed programme (as ``dashboard export`` gives it);
``/api/rooms/{room}/now`` and ``/slots`` are the room as it stands at this instant, with the
overrides in force, computed by the same function the screens are rendered from.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain.json_format import programme_json, room_day_json, room_now_json
from ..domain.programme import venue_time
from ..live.follow import Follower
from ..live.scheduler import RoomScheduler
from ..live.service import display_channel, room_channel
from ..store import Store
from .views import live, room_view

# What these say is true at the instant they are asked: a cache would answer from the past.
NO_STORE = {"cache-control": "no-store"}


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
    room_id = room_view(request).room.id  # 404 for an unknown room
    service = live(request)
    now = service.clock.now()
    state = service.state_at(room_id, now)
    tz = service.site.programmes[room_id].tz
    return JSONResponse(room_now_json(room_id, state, now, tz), headers=NO_STORE)


async def room_slots(request: Request) -> JSONResponse:
    """``?date=YYYY-MM-DD`` (default: today at the venue)."""
    room_id = room_view(request).room.id
    service = live(request)
    now = service.clock.now()
    tz = service.site.programmes[room_id].tz
    raw = request.query_params.get("date")
    try:
        day = date.fromisoformat(raw) if raw else now.astimezone(tz).date()
    except ValueError:
        raise HTTPException(400, f"date: {(raw or '')[:40]!r} is not a date (YYYY-MM-DD)") from None
    state = service.state_at(room_id, now)
    return JSONResponse(room_day_json(room_id, state, day, now, tz), headers=NO_STORE)


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
    """Live (this answers), ready (the scheduler runs: screens will change on time), and per
    room: its version, screens and phones connected, its next booked change, when its screens
    were last known right, and whether it is behind (a refresh failed, or no change is booked).

    "degraded" when a room is behind; still 200 (the screens that work go on being served),
    unless asked with ``?strict=1`` (for a monitor that should page someone): then 503.  503
    while starting."""
    service = live(request)
    scheduler: RoomScheduler = request.app.state.scheduler
    ready = bool(scheduler.scheduler.running)
    rooms: dict[str, Any] = {}
    for room in service.site.rooms:
        health = scheduler.health(room.id)
        published = service.published_at(room.id)
        tz = service.site.programmes[room.id].tz
        rooms[room.id] = {
            "version": service.version(room.id),
            "screens": service.count(partial(display_channel, room.id)),
            "phones": service.count(partial(room_channel, room.id)),
            "next_change": _iso(health.next_change, tz),
            "last_publish": _iso(published, tz),
            "behind": health.behind,
            **({"error": health.error} if health.error else {}),
        }
    storage = storage_health(request.app.state.store)
    follower: Follower | None = request.app.state.follower
    if follower is not None:
        # Shared with other processes: whether this one hears their changes.
        storage["engine"] = "postgresql"
        storage["changes"] = follower.state
    degraded = (
        any(r["behind"] for r in rooms.values())
        or storage["state"] != "ok"
        or storage.get("changes", "listening") != "listening"
    )
    status = "starting" if not ready else "degraded" if degraded else "ok"
    strict = request.query_params.get("strict") == "1"
    code = 503 if not ready or (degraded and strict) else 200
    return JSONResponse(
        {"status": status, "live": True, "ready": ready, "storage": storage, "rooms": rooms},
        status_code=code,
        headers=NO_STORE,
    )


# Below this much free space the storage is reported full: a write may no longer fit.
MIN_FREE_BYTES = 1024 * 1024


def storage_health(store: Store) -> dict[str, Any]:
    """{"state": "ok" | "full" | "read-only" | "failing", "free_bytes"} of the data folder: its
    file system as it is now, or else what the last failed write said (until one succeeds)."""
    folder = Path(store.path).parent
    try:
        stats = os.statvfs(folder)
    except OSError:
        return {"state": "failing", "free_bytes": None}
    free = stats.f_bavail * stats.f_frsize
    if stats.f_flag & os.ST_RDONLY:
        state = "read-only"
    elif free < MIN_FREE_BYTES:
        state = "full"
    else:
        state = store.storage
    return {"state": state, "free_bytes": free}


def _iso(instant: datetime | None, tz: ZoneInfo) -> str | None:
    return venue_time(instant, tz).isoformat() if instant is not None else None
