"""Errors as people should see them: a plain page (or JSON under /api), never a traceback."""

from __future__ import annotations

import logging

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from ..domain.rooms import Room
from ..live.service import LiveService

log = logging.getLogger(__name__)


class RoomNotFound(HTTPException):
    def __init__(self, room: str) -> None:
        super().__init__(404, f"no room {room!r}")
        self.room = room


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if _wants_json(request):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    room = exc.room if isinstance(exc, RoomNotFound) else None
    # A display's address that names no room: the list of displays, not the phone pages.
    displays = request.url.path.startswith("/display/")
    html = request.app.state.renderer.render(
        "error.html",
        status=exc.status_code,
        room=room,
        rooms=_rooms(request),
        displays=displays,
    )
    return HTMLResponse(html, status_code=exc.status_code)


async def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    if _wants_json(request):
        return JSONResponse({"error": "internal error"}, status_code=500)
    html = request.app.state.renderer.render("error.html", status=500, room=None, rooms=())
    return HTMLResponse(html, status_code=500)


def _rooms(request: Request) -> tuple[Room, ...]:
    """The rooms running now (a revision may have changed them since start-up)."""
    service: LiveService = request.app.state.live
    return service.site.rooms


HANDLERS = {HTTPException: http_error, Exception: server_error}
