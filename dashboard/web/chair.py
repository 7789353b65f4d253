"""The console of the chair's office and the secretariat: ``/chair``.

Log in; see every room as its screens show it (live, over ``/ws/chair``); preview an override;
send it; see the history; undo.  Forms post through htmx, which sends the session's CSRF token
as a header (``hx-headers`` on <body>); without JavaScript the same forms carry it as a field.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..domain.overrides import (
    ROOM_SCREENS,
    SLOT_KINDS,
    Override,
    OverrideError,
    OverrideKind,
    cleared_ids,
    for_room,
    standing,
)
from ..domain.plan import RoomPlan, plan_room
from ..domain.programme import venue_time
from ..domain.requests import (
    ANY_KIND_FIELDS,
    FIELDS,
    KIND_FIELDS,
    NO_EXPIRY,
    default_expiry,
    may_clear,
)
from ..domain.timeline import screen_state
from ..live.desk import AlreadySent
from ..live.render import RoomView
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
from .overrides_api import check_staff, desk_of, key_scope, logged_overrides
from .revisions import may_publish, revisions_of
from .views import live
from .ws import StaffSockets

FORM_FIELDS = (
    *("room", "kind", "minutes", "until", "to_room", "text", "priority", "expires"),
    *("reason", "slot", "screens"),
)
_MINUTES = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Expiry:
    """When an override stops being shown, as the console words it."""

    at: datetime | None  # None: until it is undone
    today: bool = False  # on the venue's day of now
    midnight: bool = False  # the venue's next midnight: the end of today

    @classmethod
    def of(cls, at: datetime | None, today: date) -> Expiry:
        if at is None:
            return cls(None)
        midnight = at.date() == today + timedelta(days=1) and (at.hour, at.minute) == (0, 0)
        return cls(at, today=at.date() == today, midnight=midnight)


def render_page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    html = live(request).renderer.render(name, **context)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


def rooms_of(request: Request, actor: Actor) -> list[str]:
    allowed = actor.allowed_rooms
    return [r.id for r in live(request).site.rooms if allowed is None or r.id in allowed]


async def console(request: Request) -> Response:
    actor = await session_actor(request)
    if actor is None:
        return render_page(request, "chair_login.html", error=None)
    check_staff(actor)
    service = live(request)
    views = [service.view(room) for room in rooms_of(request, actor)]
    assert actor.session is not None
    return render_page(
        request,
        "chair.html",
        actor=actor,
        views=views,
        csrf=actor.session.csrf,
        undo_all=actor.allowed_rooms is None,
        form_key=uuid.uuid4().hex,
        kinds=[k for k in OverrideKind if k is not OverrideKind.CLEAR],
        rooms=service.site.rooms,
        may_publish=may_publish(actor),
        targets=revisions_of(request).targets(),
        expiry=_default_expiry(request, views[0].room.id if views else None),
        actions=_actions(request, actor, views[0].room.id) if views else None,
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
        return render_page(request, "chair_login.html", 429, error=error)
    if result is None:
        return render_page(request, "chair_login.html", 401, error="wrong")
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
    session = await store_of(request).revoke_session(secret)
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
    """The console's form as an API body, which then goes through the same rules: the fields of
    the kind chosen (the one form holds every kind's fields: a meeting picked, then
    "Announcement" chosen, is not an announcement about that meeting), empty ones omitted,
    minutes as a number when they are one."""
    try:
        wanted = ANY_KIND_FIELDS | KIND_FIELDS[OverrideKind(str(form.get("kind", "")).strip())]
    except ValueError:
        wanted = FIELDS  # refused for its kind, whatever else it says
    body: dict[str, Any] = {}
    for key in FORM_FIELDS:
        value = str(form.get(key, "")).strip()
        if value and key in wanted:
            body[key] = value
    if "minutes" in body and _MINUTES.fullmatch(body["minutes"]):
        body["minutes"] = int(body["minutes"])
    if form.get("shift_rest") and "shift_rest" in wanted:
        body["shift_rest"] = True
    if form.get("keep"):  # "Keep until undone": a standing notice, whatever "expires" says
        body["expires"] = NO_EXPIRY
    if body.get("screens") == ROOM_SCREENS:
        del body["screens"]  # the default: the form always says it
    elif "screens" in body:
        body["room"] = "all"  # the hall boards show every room, whichever the form's room is
    return body


def _today(request: Request, room_id: str) -> tuple[datetime, date]:
    """Now, and the venue's date now, at the room's venue."""
    service = live(request)
    now = venue_time(service.clock.now(), service.site.programmes[room_id].tz)
    return now, now.date()


def _default_expiry(request: Request, room: str | None) -> Expiry | None:
    """What an announcement sent now to ``room`` ("all": every room) would expire at."""
    service = live(request)
    programmes = service.site.programmes
    rooms = list(programmes) if room == "all" else [room] if room in programmes else []
    if not rooms:
        return None
    now, today = _today(request, rooms[0])
    return Expiry.of(default_expiry(rooms, programmes, service.overrides, now), today)


@dataclass(frozen=True)
class Actions:
    """The console's one-tap actions for one room: its meetings of the day (the picker), and
    the defaults of the actions that need a value."""

    view: RoomView
    extend_until: str  # the meeting under way (or the next) ends, plus EXTEND_BY; "" if none
    expiry: Expiry | None  # an announcement's default expiry
    to_rooms: list[tuple[str, str]]  # the rooms the meeting may move to: (id, name)


EXTEND_BY = timedelta(minutes=30)
ONE_TAP_HINT = "a-announce-hint"  # the one-tap announcement's default expiry


def _actions(request: Request, actor: Actor, room_id: str) -> Actions:
    service = live(request)
    allowed = actor.allowed_rooms
    now = service.clock.now()
    plan = plan_room(room_id, service.site.programmes, service.overrides, now)
    meeting = plan.current(now) or plan.next(now)
    until = ""
    if meeting is not None:
        tz = service.site.programmes[room_id].tz
        until = venue_time(meeting.end + EXTEND_BY, tz).strftime("%Y-%m-%dT%H:%M")
    return Actions(
        view=service.view(room_id),
        extend_until=until,
        expiry=_default_expiry(request, room_id),
        # Only rooms this account may act on: a move into another is refused.
        to_rooms=[
            (r.id, r.name)
            for r in service.site.rooms
            if r.id != room_id and (allowed is None or r.id in allowed)
        ],
    )


async def actions(request: Request) -> Response:
    """The one-tap actions of the room chosen (the console asks again when the room changes)."""
    actor = await require_actor(request, changes_state=False)
    check_staff(actor)
    room = request.query_params.get("room", "")
    mine = rooms_of(request, actor)
    if not mine:
        raise HTTPException(403, "your account has no room in the programmes running now")
    return render_page(
        request,
        "partials/_console_actions.html",
        actions=_actions(request, actor, room if room in mine else mine[0]),
        csrf=actor.session.csrf if actor.session else "",
    )


async def expiry_hint(request: Request) -> Response:
    """The hint by the console's "Expires at" field: the default for the room chosen (the
    form asks again when the room changes, and every minute)."""
    actor = await require_actor(request, changes_state=False)
    check_staff(actor)
    room = request.query_params.get("room", "")
    if room != "all" and room not in rooms_of(request, actor):
        room = ""
    # Which hint asks: the full form's, or the one-tap announcement's (and its room field).
    one_tap: dict[str, Any] = {}
    if request.query_params.get("hint") == ONE_TAP_HINT:
        one_tap = {"hint_id": ONE_TAP_HINT, "room_field": "#a-room"}
    return render_page(
        request,
        "partials/_console_expiry.html",
        expiry=_default_expiry(request, room or None),
        **one_tap,
    )


async def preview(request: Request) -> Response:
    actor = await require_actor(request, changes_state=True)
    check_staff(actor)
    body = form_body(await request.form())
    service = live(request)
    try:
        draft = desk_of(request).draft(body, actor.name, actor.allowed_rooms)
    except OverrideError as exc:
        return render_page(request, "partials/_console_message.html", ok=False, message=str(exc))
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
    return render_page(
        request,
        "partials/_console_preview.html",
        views=views,
        chosen=chosen,
        expiry=_expiry_of(request, draft),
    )


def _expiry_of(request: Request, override: Override) -> Expiry | None:
    """When ``override`` stops being shown, if that is worth saying: an announcement's
    expiry (or that it stays until undone), any other kind's only if it was given one (the
    others end with their meeting)."""
    if override.kind is not OverrideKind.ANNOUNCE and override.expires is None:
        return None
    return Expiry.of(override.expires, _today(request, override.rooms[0])[1])


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
    return await _submit(request, actor, body, f"undo-{target}", undone=found)


async def _submit(
    request: Request,
    actor: Actor,
    body: dict[str, Any],
    key: str | None,
    **context: Any,
) -> Response:
    try:
        receipt = await desk_of(request).submit(
            body, actor.name, actor.allowed_rooms, key, key_scope(actor)
        )
    except AlreadySent as exc:
        # The form was sent before (its answer lost, say) and changed since: say so, and give
        # the form a new key, so that sending again sends it as it is now.
        return render_page(
            request,
            "partials/_console_message.html",
            ok=False,
            already_sent=exc.earlier,
            **context,
        )
    except OverrideError as exc:
        return render_page(request, "partials/_console_message.html", ok=False, message=str(exc))
    context.setdefault("undone", None)
    return render_page(
        request,
        "partials/_console_message.html",
        ok=True,
        message=None,
        override=receipt.override,
        # Undo, one tap away, where this account may undo it (as in the room's card).
        may_undo=may_clear(receipt.override, actor.allowed_rooms),
        expiry=_expiry_of(request, receipt.override),
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
    standing_ids = {o.id for o in standing(for_room(service.overrides, room_id), now)}
    cleared = cleared_ids(logged, now)
    plans: dict[str, RoomPlan | None] = {}

    def plan(room: str) -> RoomPlan | None:
        if room not in plans:
            programmes = service.site.programmes
            known = room in programmes
            plans[room] = plan_room(room, programmes, service.overrides, now) if known else None
        return plans[room]

    return render_page(
        request,
        "chair_history.html",
        room=service.site.room(room_id),
        overrides=list(reversed(logged)),
        states={o.id: history_state(o, cleared, standing_ids, now, plan) for o in logged},
        targets={o.id: o for o in logged},
        may_undo={o.id for o in logged if may_clear(o, actor.allowed_rooms)},
        rooms=[service.site.room(r) for r in rooms_of(request, actor)],
        tz=service.site.programmes[room_id].tz,
        csrf=actor.session.csrf if actor.session else "",
    )


def history_state(
    o: Override,
    cleared: Collection[str | None],
    standing_ids: Collection[str],
    now: datetime,
    plan: Callable[[str], RoomPlan | None],
) -> str:
    """What the history says of an override now: "undo" (the row of an undo), "undone",
    "expired", "over" (the meetings it acted on are over), "to_come" (takes effect later) or
    "in_force".  ``cleared``: the ids undone by now; ``standing_ids``: those the live state
    keeps (``standing``); ``plan(room)``: the room's plan as it stands (None: no such room)."""
    if o.kind is OverrideKind.CLEAR:
        return "undo"
    if o.id in cleared:
        return "undone"
    if o.expires is not None and o.expires <= now:
        return "expired"
    if o.kind in SLOT_KINDS and o.slots:
        plans = [(plan(room), slot) for room, slot in o.slots]
        found = [p.find(slot) for p, slot in plans if p is not None]
        if found and all(f is not None and f.end <= now for f in found):
            return "over"
    if o.id not in standing_ids:  # forgotten by the live state: it can shape no screen now
        return "over"
    return "to_come" if o.effective > now else "in_force"
