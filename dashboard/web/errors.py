"""Errors as people should see them: a plain page (or JSON under /api), never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..domain.rooms import Room
from ..i18n import negotiate, page_languages
from ..live.render import Renderer
from ..live.service import LiveService
from ..store import StorageError
from .auth import session_actor

log = logging.getLogger(__name__)


class RoomNotFound(HTTPException):
    def __init__(self, room: str) -> None:
        super().__init__(404, f"no room {room!r}")
        self.room = room


# The cookie that keeps a reader's choice of language (web/language.py sets it).
LANGUAGE_COOKIE = "lang"


def page_renderer(request: Request) -> Renderer:
    """An error page in the reader's language, chosen as the phone pages choose theirs
    (web/language.py), except that a ``?lang=`` not offered is passed over (the page says
    so); the console's pages stay in the server's language."""
    service: LiveService = request.app.state.live
    if request.url.path.startswith("/chair"):
        return service.renderer
    offered = page_languages()
    asked = request.query_params.get("lang", "").split(",")[0].strip().lower()
    kept = request.cookies.get(LANGUAGE_COOKIE, "")
    if asked in offered:
        language: str | None = asked
    elif kept in offered:
        language = kept
    else:
        language = negotiate(request.headers.get("accept-language", ""), offered)
    try:
        return service.use_language(language) if language else service.renderer
    except KeyError:
        return service.renderer


class BadLanguage(HTTPException):
    """A ``?lang=`` (or ``?every=``) that cannot be served: 400, with the languages offered."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class ProgrammeNotFound(HTTPException):
    """A board's ``?programme=`` that no room shows."""

    def __init__(self, programme: str) -> None:
        super().__init__(404, f"no room shows a programme {programme!r}")
        self.programme = programme


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _console_action(request: Request) -> bool:
    """An action of the console's page (htmx, not a GET poll): its errors are answered with a
    fragment to show by the action (htmx swaps it: static/js/console.js), not a whole page."""
    return (
        request.url.path.startswith("/chair/")
        and request.headers.get("hx-request") == "true"
        and request.method != "GET"
    )


def _problem(exc: HTTPException) -> str:
    """What went wrong, as the console's error fragment words it."""
    if exc.status_code == 401:
        return "session"
    if exc.status_code == 403 and "CSRF" in str(exc.detail):
        return "csrf"
    if exc.status_code in (403, 404, 413, 429):
        return str(exc.status_code)
    return "refused" if exc.status_code < 500 else "server"


async def console_error(
    request: Request, status: int, problem: str, csrf: str | None = None
) -> Response:
    """The console's error fragment (partials/_console_message.html), with the status.  It is
    swapped into the action's target whatever the target's own swap style (HX-Reswap)."""
    html = request.app.state.renderer.render(
        "partials/_console_message.html", ok=False, problem=problem, status=status, csrf=csrf
    )
    headers = {"cache-control": "no-store", "hx-reswap": "innerHTML", "x-console-error": problem}
    return HTMLResponse(html, status_code=status, headers=headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _console_action(request):
        problem = _problem(exc)
        csrf = None
        if problem == "csrf":
            # The page's token is out of date (a log-in since, in another tab): the session's
            # own goes back with the answer, only readable by this origin's pages (the
            # Fetch-Metadata and Origin checks passed), so that sending again works.
            actor = await session_actor(request)
            csrf = actor.session.csrf if actor and actor.session else None
        return await console_error(request, exc.status_code, problem, csrf)
    if _wants_json(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    room = exc.room if isinstance(exc, RoomNotFound) else None
    # A display's address that names no room: the list of displays, not the phone pages.
    displays = request.url.path.startswith("/display/")
    html = page_renderer(request).render(
        "error.html",
        status=exc.status_code,
        room=room,
        programme=exc.programme if isinstance(exc, ProgrammeNotFound) else None,
        rooms=_rooms(request),
        displays=displays,
        bad_language=isinstance(exc, BadLanguage),
        detail=exc.detail if isinstance(exc, BadLanguage) else "",
    )
    return HTMLResponse(html, status_code=exc.status_code)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    if _console_action(request):
        return await console_error(request, 500, "server")
    if _wants_json(request):
        return JSONResponse({"error": "internal error"}, status_code=500)
    html = page_renderer(request).render("error.html", status=500, room=None, rooms=())
    return HTMLResponse(html, status_code=500)


STORAGE_MESSAGES = {
    "full": "the server's storage is full: nothing was stored; free some space and send again",
    "read-only": "the server's storage is read-only: nothing was stored",
    "failing": "the server's storage is failing: nothing was stored",
}


async def storage_error(request: Request, exc: Exception) -> Response:
    """A write refused by the disk: 507 when full, else 503; nothing was stored or
    acknowledged.  Logged once per request, without a traceback (the cause is the disk)."""
    assert isinstance(exc, StorageError)
    status = 507 if exc.state == "full" else 503
    request.app.state.metrics.database_errors.labels(exc.state).inc()
    log.error("%s %s: %s", request.method, request.url.path, exc)
    message = STORAGE_MESSAGES.get(exc.state, STORAGE_MESSAGES["failing"])
    if _console_action(request):
        return await console_error(request, status, f"storage-{exc.state}")
    if _wants_json(request):
        return JSONResponse({"error": message, "storage": exc.state}, status_code=status)
    html = page_renderer(request).render("error.html", status=status, room=None, rooms=())
    return HTMLResponse(html, status_code=status)


def _rooms(request: Request) -> tuple[Room, ...]:
    """The rooms running now (a revision may have changed them since start-up)."""
    service: LiveService = request.app.state.live
    return service.site.rooms


HANDLERS = {HTTPException: http_error, StorageError: storage_error, Exception: server_error}
