"""Helpers the audience modules share: find the room a request names, answer from a cache."""

from __future__ import annotations

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ..live.render import RoomView
from ..live.service import CachedPage, LiveService
from .errors import RoomNotFound


def live(conn: HTTPConnection) -> LiveService:
    service: LiveService = conn.app.state.live
    return service


def room_view(conn: HTTPConnection) -> RoomView:
    room_id = conn.path_params["room"]
    if live(conn).site.room(room_id) is None:
        raise RoomNotFound(room_id)
    return live(conn).view(room_id)


def cached_response(
    request: Request, page: CachedPage, media_type: str = "text/html; charset=utf-8"
) -> Response:
    """200 with the page (or feed: ``media_type``), gzipped when the client takes it, or 304
    when the client's copy is still the current version."""
    headers = {"etag": page.etag, "cache-control": "no-cache", "vary": "Accept-Encoding"}
    if_none_match = request.headers.get("if-none-match", "")
    if if_none_match.strip() == "*" or page.etag in if_none_match:
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["content-encoding"] = "gzip"
        return Response(page.gzipped, media_type=media_type, headers=headers)
    return Response(page.body, media_type=media_type, headers=headers)


def accepts_gzip(header: str) -> bool:
    """``gzip`` listed in Accept-Encoding with a non-zero quality (``gzip;q=0`` refuses it)."""
    for part in header.split(","):
        name, _, params = part.strip().partition(";")
        if name.strip().lower() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            try:
                return not params or float(q) > 0
            except ValueError:
                return False
    return False
