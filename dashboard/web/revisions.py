"""The secretariat publishes a revised programme from the console.

``POST /chair/programme/compare`` (a file and the programme it replaces) reads and compares it
and answers the differences, with a Publish button; nothing changes.  ``POST
/chair/programme/publish`` writes the compared file into config/ and pushes it to the screens.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from ..domain.programme import ProgrammeError
from ..live.revisions import MAX_PROGRAMME_BYTES, RevisionDesk, Staged
from .auth import Actor, require_actor, store_of
from .views import live

PARTIAL = "partials/_console_revision.html"


def revisions_of(request: Request) -> RevisionDesk:
    desk: RevisionDesk = request.app.state.revisions
    return desk


def may_publish(actor: Actor) -> bool:
    return actor.role == "secretariat" and actor.allowed_rooms is None


async def _secretariat(request: Request) -> Actor:
    actor = await require_actor(request, changes_state=True)
    if not may_publish(actor):
        raise HTTPException(403, "only the secretariat publishes programmes")
    return actor


def _csrf(actor: Actor) -> str:
    return actor.session.csrf if actor.session else ""


async def _render(request: Request, status: int = 200, **context: object) -> HTMLResponse:
    service = live(request)
    context.setdefault("staged", None)
    context.setdefault("error", None)
    context.setdefault("published", False)
    context.setdefault("problem", None)  # one the template words: "no_file", "gone"
    context.setdefault("csrf", "")
    # A whole new programme lists every slot as added: thousands of lines, rendered in a worker
    # thread like the reading itself, not on the event loop that serves the screens.
    html = await run_in_threadpool(service.renderer.render, PARTIAL, **context)
    return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})


async def compare(request: Request) -> Response:
    actor = await _secretariat(request)
    form = await request.form(max_files=1, max_fields=10, max_part_size=MAX_PROGRAMME_BYTES)
    target = str(form.get("target", ""))
    sent = form.get("file")
    if not isinstance(sent, UploadFile) or not sent.filename:
        return await _render(request, problem="no_file")
    data = await sent.read(MAX_PROGRAMME_BYTES + 1)
    try:
        staged = await revisions_of(request).stage(target, sent.filename, data)
    except ProgrammeError as exc:
        return await _render(request, error=str(exc))
    return await _render(request, staged=staged, tz=_tz(request, staged), csrf=_csrf(actor))


async def publish(request: Request) -> Response:
    actor = await _secretariat(request)
    form = await request.form()
    staged_id = str(form.get("staged", ""))
    now = datetime.now(UTC)
    try:
        staged, result = await revisions_of(request).publish(staged_id, now)
    except KeyError:
        return await _render(request, problem="gone")
    except (ProgrammeError, OSError) as exc:
        return await _render(request, error=str(exc))
    if not result.ok:
        return await _render(request, error=result.error)
    detail = f"{staged.target} -> {staged.saved_as} sha256={staged.sha256}"
    await store_of(request).audit(actor.name, "programme-published", detail, now)
    return await _render(request, staged=staged, published=True, tz=_tz(request, staged))


def _tz(request: Request, staged: Staged) -> object:
    return live(request).site.programmes[staged.rooms[0]].tz
