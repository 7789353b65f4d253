"""``/api/overrides``: overrides for other systems (a chair's button panel, the secretariat's
tools).  The console calls the same desk, so both follow one set of rules."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain.json_format import planned_json
from ..domain.overrides import Override, OverrideError, for_room, standing
from ..domain.requests import OverrideRequest, decode_request
from ..live.desk import OverrideDesk
from ..live.reload import Reloader
from ..live.service import LiveService
from .auth import Actor, require_actor, store_of
from .views import live

MAX_IDEMPOTENCY_KEY = 200


def desk_of(request: Request) -> OverrideDesk:
    desk: OverrideDesk = request.app.state.desk
    return desk


async def read_request(request: Request) -> OverrideRequest:
    """The override request in the body: JSON of the shape ``OverrideRequest`` declares
    (OverrideError, 400, naming the field, otherwise)."""
    if "application/json" not in request.headers.get("content-type", ""):
        raise HTTPException(400, "send the override as JSON (Content-Type: application/json)")
    return decode_request(await request.body())


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key")
    if key is not None and not 0 < len(key) <= MAX_IDEMPOTENCY_KEY:
        raise HTTPException(400, f"Idempotency-Key: 1 to {MAX_IDEMPOTENCY_KEY} characters")
    return key


def key_scope(actor: Actor) -> str:
    """Whose idempotency keys a request's key is among.  Users and tokens are kept apart: a
    token's actor is "token:NAME" and a user's keys are under "user:NAME", so no user name (not
    even one made before names were checked) can reach a token's keys, or the other way round."""
    return actor.name if actor.session is None else f"user:{actor.name}"


def check_staff(actor: Actor) -> None:
    if actor.role not in ("chair", "secretariat"):
        raise HTTPException(403, "only the chair's office and the secretariat send overrides")


async def post_override(request: Request) -> JSONResponse:
    actor = await require_actor(request, changes_state=True)
    check_staff(actor)
    key = idempotency_key(request)
    try:
        body = await read_request(request)
        receipt = await desk_of(request).submit(
            body, actor.name, actor.allowed_rooms, key, key_scope(actor)
        )
    except OverrideError as exc:
        return JSONResponse({"error": str(exc)}, status_code=exc.status)
    return JSONResponse(
        {
            "id": receipt.override.id,
            "version": receipt.seq,
            "slots": chosen_slots(live(request), receipt.override),
        },
        status_code=201,  # a retry gets the first answer, status included
    )


def chosen_slots(service: LiveService, override: Override) -> dict[str, Any]:
    """The meeting the override acts on in each room, as it now stands: a sender that named
    no slot sees which one was chosen."""
    now = service.clock.now()
    chosen: dict[str, Any] = {}
    for room, slot_id in override.slots:
        if room not in service.site.programmes:
            continue  # a revision has since removed the room
        planned = next((p for p in service.state_at(room, now).slots if p.id == slot_id), None)
        if planned is not None:
            chosen[room] = planned_json(planned, now, room, service.site.programmes[room].tz)
    return chosen


async def list_overrides(request: Request) -> JSONResponse:
    actor = await require_actor(request, changes_state=False)
    check_staff(actor)
    service = live(request)
    room = request.query_params.get("room", "")
    if service.site.room(room) is None:
        raise HTTPException(404, f"no room {room!r}")
    allowed = actor.allowed_rooms
    if allowed is not None and room not in allowed:
        raise HTTPException(403, f"you may not see room {room!r}")
    now = service.clock.now()
    in_force = {o.id for o in standing(for_room(service.overrides, room), now)}
    if request.query_params.get("all") == "1":
        shown = await logged_overrides(request, room)
    else:
        shown = [o for o in for_room(service.overrides, room) if o.id in in_force]
    return JSONResponse(
        {
            "room": room,
            "overrides": [{**o.to_data(), "in_force": o.id in in_force} for o in shown],
        }
    )


async def logged_overrides(request: Request, room: str) -> list[Override]:
    """Every override ever made for ``room``, from the log (memory keeps only those that can
    still be in force)."""
    stored = await store_of(request).overrides()
    return for_room([Override.from_data(s.data) for s in stored], room)


async def reload_programme(request: Request) -> JSONResponse:
    """Read the config folder again.  ``?dry_run=1`` only compares (what would change, which
    overrides would lose their slot); otherwise the revision is published to every screen."""
    actor = await require_actor(request, changes_state=True)
    if actor.role != "secretariat" or actor.allowed_rooms is not None:
        raise HTTPException(403, "only the secretariat publishes programmes")
    reloader: Reloader = request.app.state.reloader
    dry = request.query_params.get("dry_run") == "1"
    result = await (reloader.check() if dry else reloader.reload())
    if not result.ok:
        return JSONResponse({"error": result.error}, status_code=400)
    return JSONResponse(
        {
            "published": not dry,
            "rooms": {
                room: {
                    "added": [s.id for s in d.added],
                    "removed": [s.id for s in d.removed],
                    "moved": [[m.before.id, m.after.id] for m in d.moved],
                    "changed": [s.id for s in d.changed],
                }
                for room, d in result.diffs.items()
            },
            "orphaned_overrides": [o.id for o in result.orphans],
        }
    )
