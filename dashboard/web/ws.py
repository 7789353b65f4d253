"""WebSockets: each connection subscribes to one channel and is sent every new frame.

The handshake is refused (HTTP 403) before ``accept`` when the Origin is not allowed or the room
is unknown.  After accepting, one task drains the subscriber's latest-wins mailbox to the socket
while this one reads (and discards) what the client sends, so a dead peer is noticed; whichever
ends first ends the other.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from starlette.websockets import WebSocket, WebSocketDisconnect

from ..live.hub import Hub, Subscriber
from ..live.screens import Screen, ScreenRegistry, screen_name
from ..live.service import OVERVIEW, console_channel, display_channel, room_channel
from .auth import session_actor
from .security import MAX_WS_MESSAGE, origin_allowed
from .views import live

CLOSE_POLICY = 1008  # policy violation: bad origin, unknown room
CLOSE_TOO_BIG = 1009


async def _pump(websocket: WebSocket, subscriber: Subscriber) -> None:
    """Send each frame the subscriber's mailbox gets (states and the hub's heartbeats)."""
    while (frame := await subscriber.next()) is not None:
        await websocket.send_text(frame.text)


async def _read(websocket: WebSocket, screen: Screen | None = None) -> None:
    """Read until the client goes; refuse oversized messages.  Screens send only heartbeats,
    which tell when each was last heard from; nothing a client sends is acted on."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if screen is not None:
            screen.last_seen = datetime.now(UTC)
        size = len(message.get("text") or "") + len(message.get("bytes") or b"")
        if size > MAX_WS_MESSAGE:
            await websocket.close(code=CLOSE_TOO_BIG, reason="message too large")
            return


async def serve_channels(
    websocket: WebSocket,
    channels: list[str],
    registry: set[WebSocket] | None = None,
    screen: Screen | None = None,
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

    def end(_: object = None) -> None:  # either side went: every pump returns
        for subscriber in subscribers:
            hub.unsubscribe(subscriber)

    # The first channel is pumped in this task; a reader (and any other channel) in their own.
    # Fewer tasks per connection: thousands of screens stay connected all day.
    tasks = [asyncio.create_task(_read(websocket, screen))]
    tasks += [asyncio.create_task(_pump(websocket, s)) for s in subscribers[1:]]
    for task in tasks:
        task.add_done_callback(end)
    if registry is not None:
        registry.add(websocket)
    try:
        await _pump(websocket, subscribers[0])
    except Exception:  # noqa: S110 - a peer that vanished makes send raise: how connections end
        pass
    finally:
        if registry is not None:
            registry.discard(websocket)
        end()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                await task


async def serve_channel(websocket: WebSocket, channel: str) -> None:
    await serve_channels(websocket, [channel])


async def _known_room(websocket: WebSocket) -> str | None:
    """The room the path names, or None after refusing the handshake (403)."""
    room_id: str = websocket.path_params["room"]
    if live(websocket).site.room(room_id) is None:
        await websocket.close(code=CLOSE_POLICY)
        return None
    return room_id


async def display_socket(websocket: WebSocket) -> None:
    if (room_id := await _known_room(websocket)) is None:
        return
    screens: ScreenRegistry = websocket.app.state.screens
    address = websocket.client.host if websocket.client else "unknown"
    name = screen_name(websocket.query_params.get("screen"), address)
    screen = screens.connect(room_id, name, address, datetime.now(UTC))
    try:
        await serve_channels(websocket, [display_channel(room_id)], screen=screen)
    finally:
        screens.disconnect(screen, datetime.now(UTC))


async def room_socket(websocket: WebSocket) -> None:
    if (room_id := await _known_room(websocket)) is not None:
        await serve_channel(websocket, room_channel(room_id))


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
