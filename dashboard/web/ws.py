"""WebSockets: each connection subscribes to one channel and is sent every new frame.

The handshake is refused (HTTP 403) before ``accept`` when the Origin is not allowed or the room
is unknown.  After accepting, one task drains the subscriber's latest-wins mailbox to the socket
while this one reads (and discards) what the client sends, so a dead peer is noticed; whichever
ends first ends the other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..live.hub import Hub, Subscriber
from ..live.service import OVERVIEW, display_channel, room_channel
from .security import MAX_WS_MESSAGE, origin_allowed
from .views import live

CLOSE_POLICY = 1008  # policy violation: bad origin, unknown room
CLOSE_TOO_BIG = 1009


async def _pump(websocket: WebSocket, subscriber: Subscriber) -> None:
    while (frame := await subscriber.next()) is not None:
        await websocket.send_text(frame.text)


async def _read(websocket: WebSocket) -> None:
    """Read until the client goes; refuse oversized messages.  Screens send nothing we act on."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        size = len(message.get("text") or "") + len(message.get("bytes") or b"")
        if size > MAX_WS_MESSAGE:
            await websocket.close(code=CLOSE_TOO_BIG, reason="message too large")
            return


async def serve_channel(websocket: WebSocket, channel: str) -> None:
    if not origin_allowed(websocket.scope, websocket.app.state.settings.allowed_origins):
        await websocket.close(code=CLOSE_POLICY)
        return
    await websocket.accept()
    hub: Hub = live(websocket).hub
    subscriber = hub.subscribe(channel)
    tasks = {
        asyncio.create_task(_pump(websocket, subscriber)),
        asyncio.create_task(_read(websocket)),
    }
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.unsubscribe(subscriber)
        for task in tasks:
            task.cancel()
        for task in tasks:
            # A peer that vanished makes send/receive raise; that is how connections end.
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task


async def _serve_room(websocket: WebSocket, channel_of: Callable[[str], str]) -> None:
    room_id = websocket.path_params["room"]
    if live(websocket).site.room(room_id) is None:
        await websocket.close(code=CLOSE_POLICY)
        return
    await serve_channel(websocket, channel_of(room_id))


async def display_socket(websocket: WebSocket) -> None:
    await _serve_room(websocket, display_channel)


async def room_socket(websocket: WebSocket) -> None:
    await _serve_room(websocket, room_channel)


async def overview_socket(websocket: WebSocket) -> None:
    await serve_channel(websocket, OVERVIEW)
