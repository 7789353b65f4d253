"""The console of the chair's office and the secretariat: ``/chair``.

Log in; see every room as its screens show it (live, over ``/ws/chair``); preview an override;
send it; see the history; undo.  Forms post through htmx, which sends the session's CSRF token
as a header (``hx-headers`` on <body>); without JavaScript the same forms carry it as a field.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..domain.overrides import OverrideError, OverrideKind, for_room, standing
from ..domain.timeline import screen_state
from ..live.render import RoomView
from ..live.screens import ScreenRegistry
from .auth import (
    BUSY,
    SESSION_LIFETIME,
    Actor,
    check_fetch_metadata,
    login,
    require_actor,
    session_actor,
    session_cookie_name,
    session_cookie_options,
    store_of,
)
from .overrides_api import check_staff, desk_of, logged_overrides
from .revisions import may_publish, revisions_of
from .views import live
from .ws import StaffSockets

FORM_FIELDS = (
    *("room", "kind", "minutes", "until", "to_room", "text", "priority", "expires"),
    *("reason", "slot"),
)


def _render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = live(request).renderer.render(name, **context)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def rooms_of(request: Request, actor: Actor) -> list[str]:
    allowed = actor.allowed_rooms
    return [r.id for r in live(request).site.rooms if allowed is None or r.id in allowed]


async def console(request: Request) -> Response:
    actor = await session_actor(request)
    if actor is None:
        return _render(request, "chair_login.html", error=None)
    check_staff(actor)
    service = live(request)
    views = [service.view(room) for room in rooms_of(request, actor)]
    assert actor.session is not None
    return _render(
        request,
        "chair.html",
        actor=actor,
        views=views,
        csrf=actor.session.csrf,
        form_key=uuid.uuid4().hex,
        kinds=[k for k in OverrideKind if k is not OverrideKind.CLEAR],
        rooms=service.site.rooms,
        may_publish=may_publish(actor),
        targets=revisions_of(request).targets(),
    )


async def login_submit(request: Request) -> Response:
    check_fetch_metadata(request)
    form = await request.form()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    try:
        result = await login(request, name, password)
    except HTTPException as exc:
        if exc.status_code != 429:
            raise
        error = "busy" if exc.detail == BUSY else "throttled"
        return _render(request, "chair_login.html", 429, error=error)
    if result is None:
        return _render(request, "chair_login.html", 401, error="wrong")
    secret, _session = result
    response = RedirectResponse("/chair", status_code=303)
    response.set_cookie(
        session_cookie_name(request),
        secret,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        **session_cookie_options(request),
    )
    return response


async def logout(request: Request) -> Response:
    actor = await require_actor(request, changes_state=True)
    secret = request.cookies.get(session_cookie_name(request), "")
    session = await run_in_threadpool(store_of(request).revoke_session, secret)
    if session is not None:
        await close_staff_sockets(request, session.id_hash)
    response = RedirectResponse("/chair", status_code=303)
    # The deletion matches the cookie as set (name, path, SameSite, Secure), or a browser keeps it.
    response.delete_cookie(session_cookie_name(request), **session_cookie_options(request))
    response.headers["hx-redirect"] = "/chair"
    del actor
    return response


async def close_staff_sockets(request: Request, session_hash: str) -> None:
    sockets: StaffSockets = request.app.state.staff_sockets
    for websocket in sockets.of(session_hash):
        await websocket.close(code=1008, reason="logged out")


def form_body(form: FormData) -> dict[str, Any]:
    """The console's form as an API body: empty fields omitted, numbers as numbers."""
    body: dict[str, Any] = {}
    for key in FORM_FIELDS:
        value = str(form.get(key, "")).strip()
        if value:
            body[key] = value
    if "minutes" in body:
        body["minutes"] = int(body["minutes"]) if body["minutes"].isdigit() else body["minutes"]
    if form.get("shift_rest"):
        body["shift_rest"] = True
    return body


async def preview(request: Request) -> Response:
    actor = await require_actor(request, changes_state=True)
    check_staff(actor)
    body = form_body(await request.form())
    service = live(request)
    try:
        draft = desk_of(request).draft(body, actor.name, actor.allowed_rooms)
    except OverrideError as exc:
        return _render(request, "partials/_console_message.html", ok=False, message=str(exc))
    now = service.clock.now()
    overrides = [*service.overrides, draft]
    views = []
    chosen = {}
    for room_id in [*draft.rooms, *([draft.to_room] if draft.to_room else [])]:
        programmes = service.site.programmes
        state = screen_state(programmes[room_id], now, overrides, room_id, programmes)
        room = service.site.room(room_id)
        assert room is not None
        views.append(RoomView(room, programmes[room_id], state, 0))
        slot_id = draft.slot_in(room_id)
        if slot_id is not None:
            chosen[room_id] = next((p for p in state.slots if p.id == slot_id), None)
    return _render(request, "partials/_console_preview.html", views=views, chosen=chosen)


async def send(request: Request) -> Response:
    actor = await require_actor(request, changes_state=True)
    check_staff(actor)
    form = await request.form()
    key = str(form.get("form_key", "")) or None
    # The console's page stays open between sends: each answer gives its form a new key.
    return await _submit(request, actor, form_body(form), key, next_key=uuid.uuid4().hex)


async def undo(request: Request) -> Response:
    actor = await require_actor(request, changes_state=True)
    check_staff(actor)
    target = request.path_params["override"]
    found = next((o for o in live(request).overrides if o.id == target), None)
    if found is None:
        raise HTTPException(404, "no such override")
    body = {"kind": "clear", "target": target, "rooms": list(found.rooms)}
    return await _submit(request, actor, body, f"undo-{target}")


async def _submit(
    request: Request,
    actor: Actor,
    body: dict[str, Any],
    key: str | None,
    **context: Any,
) -> Response:
    try:
        receipt = await desk_of(request).submit(body, actor.name, actor.allowed_rooms, key)
    except OverrideError as exc:
        return _render(request, "partials/_console_message.html", ok=False, message=str(exc))
    return _render(
        request,
        "partials/_console_message.html",
        ok=True,
        message=None,
        override=receipt.override,
        **context,
    )


async def history(request: Request) -> Response:
    actor = await require_actor(request, changes_state=False)
    check_staff(actor)
    service = live(request)
    mine_rooms = rooms_of(request, actor)
    if not mine_rooms:
        raise HTTPException(403, "your account has no room in the programmes running now")
    room_id = request.query_params.get("room") or mine_rooms[0]
    if room_id not in mine_rooms:
        raise HTTPException(403, "you may not see this room")
    now = service.clock.now()
    logged = await logged_overrides(request, room_id)
    return _render(
        request,
        "chair_history.html",
        room=service.site.room(room_id),
        overrides=list(reversed(logged)),
        in_force={o.id for o in standing(for_room(service.overrides, room_id), now)},
        rooms=[service.site.room(r) for r in rooms_of(request, actor)],
        tz=service.site.programmes[room_id].tz,
        csrf=actor.session.csrf if actor.session else "",
    )


async def screens(request: Request) -> Response:
    """The displays and when each was last heard from (the console polls this fragment)."""
    actor = await require_actor(request, changes_state=False)
    check_staff(actor)
    allowed = actor.allowed_rooms
    registry: ScreenRegistry = request.app.state.screens
    listed = [s for s in registry.screens() if allowed is None or s.room in allowed]
    service = live(request)
    tz = service.site.programmes[service.site.rooms[0].id].tz
    return _render(
        request,
        "partials/_console_screens.html",
        screens=listed,
        tz=tz,
        now=datetime.now(UTC),
        names={r.id: r.name for r in service.site.rooms},
    )
