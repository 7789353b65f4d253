"""A request id for every request and WebSocket, and the room it is about, for the logs.

The id is made here (64 random bits), never taken from the client: a client's ``X-Request-ID``
could forge lines of another request or collide with them, so it is ignored.  Ours goes back in
the response's ``X-Request-ID``, for a report to quote.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import REQUEST_ID, ROOM

HEADER = b"x-request-id"
ROOM_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Paths that name a room (the rest of the path may follow).
ROOM_PATH = re.compile(r"^/(?:rooms|display|ws/rooms|ws/display|api/rooms|chair/screens)/([^/]+)")


def new_request_id() -> str:
    return secrets.token_hex(8)


def room_of(scope: Scope) -> str | None:
    """The room a request is about: its path's, or its ``?room=``; only a plausible id."""
    found = ROOM_PATH.match(scope.get("path", ""))
    room = found.group(1) if found else None
    if room is None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        room = (query.get("room") or [None])[0]
    if room is not None and ROOM_ID.fullmatch(room):
        return room
    return None


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = new_request_id()
        id_token = REQUEST_ID.set(request_id)
        room_token = ROOM.set(room_of(scope))
        header = (HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", ()) if h[0].lower() != HEADER]
                message = {**message, "headers": [*headers, header]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            REQUEST_ID.reset(id_token)
            ROOM.reset(room_token)
