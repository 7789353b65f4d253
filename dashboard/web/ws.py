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
from ..live.service import OVERVIEW, console_channel, display_channel, room_channel
from .auth import session_actor
from .security import MAX_WS_MESSAGE, origin_allowed
from .views import live

CLOSE_POLICY = 1008  # policy violation: bad origin, unknown room
CLOSE_TOO_BIG = 1009


HEARTBEAT_SECONDS = 15.0
# Browsers send no keepalive of their own: a page that hears nothing for two heartbeats knows
# its link is dead and reconnects.  The element is swapped into the page's own #heartbeat.
HEARTBEAT_FRAME = '<div id="heartbeat" hidden></div>'


async def _pump(websocket: WebSocket, subscriber: Subscriber) -> None:
    while True:
        try:
            frame = await asyncio.wait_for(subscriber.next(), HEARTBEAT_SECONDS)
        except TimeoutError:
            await websocket.send_text(HEARTBEAT_FRAME)
            continue
        if frame is None:
            return
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


async def serve_channels(
    websocket: WebSocket, channels: list[str], registry: set[WebSocket] | None = None
) -> None:
    """Accept (Origin permitting) and send every new frame of ``channels`` until either side
    goes.  ``registry``, when given, holds the socket while it is open (so a logout can
    close a staff member's sockets)."""
    if not origin_allowed(websocket.scope, websocket.app.state.settings.allowed_origins):
        await websocket.close(code=CLOSE_POLICY)
        return
    await websocket.accept()
    hub: Hub = live(websocket).hub
    subscribers = [hub.subscribe(channel) for channel in channels]
    tasks = {asyncio.create_task(_pump(websocket, s)) for s in subscribers}
    tasks.add(asyncio.create_task(_read(websocket)))
    if registry is not None:
        registry.add(websocket)
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if registry is not None:
            registry.discard(websocket)
        for subscriber in subscribers:
            hub.unsubscribe(subscriber)
        for task in tasks:
            task.cancel()
        for task in tasks:
            # A peer that vanished makes send/receive raise; that is how connections end.
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task


async def serve_channel(websocket: WebSocket, channel: str) -> None:
    await serve_channels(websocket, [channel])


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


async def chair_socket(websocket: WebSocket) -> None:
    """The console's live view: the rooms the staff member may act on.  Needs a session."""
    actor = await session_actor(websocket)
    if actor is None or actor.session is None:
        await websocket.close(code=CLOSE_POLICY)
        return
    allowed = actor.allowed_rooms
    rooms = [r.id for r in live(websocket).site.rooms if allowed is None or r.id in allowed]
    registry = websocket.app.state.staff_sockets.setdefault(actor.session.id_hash, set())
    await serve_channels(websocket, [console_channel(r) for r in rooms], registry)
