"""WebSockets: each connection subscribes to its channels and is sent every new frame.

The handshake is refused (HTTP 403) before ``accept`` when the Origin is not allowed or the room
is unknown, and before anything is registered (a refused display is not listed as a screen).
After accepting, frames are written to the socket straight from ``Hub.publish`` where the server
offers it (dashboard/direct_ws.py), and the connection's task only reads (and discards) what the
client sends, so a dead peer is noticed; a task is started only to drain a mailbox when the
client is slow.  Where the server does not offer it, one task drains the subscriber's latest-wins
mailbox to the socket while another reads; whichever ends first ends the other.

Pages send one heartbeat a heartbeat period: a client sending much more than that
(``MessageBudget``) is closed with 1008.  A peer that goes is how connections end: that is
logged at debug level; anything else is logged once, with the channel, at warning level with its
traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from starlette.websockets import WebSocket, WebSocketDisconnect
from websockets.exceptions import ConnectionClosed

from ..direct_ws import LINK
from ..live.board import BOARD, BOARD_ROOM
from ..live.hub import Hub, Subscriber
from ..live.languages import localized_channel
from ..live.screens import Screen, ScreenRegistry, screen_name
from ..live.service import console_channel, display_channel, overview_channel, room_channel
from ..store import Session
from .auth import metrics_of, session_actor, session_still_live
from .errors import BadLanguage
from .language import socket_language
from .live_socket import CLOSE_POLICY, CLOSE_TOO_BIG, Link, LiveSocket
from .security import MAX_WS_MESSAGE, origin_allowed
from .views import live

log = logging.getLogger(__name__)

# What a client may send: a burst of BURST messages, then MIN_RATE a second, or 4 a heartbeat
# period if that is more (pages send 1).  Generous for every page, and it ends a flood within
# its first few dozen messages.
BURST = 10
MIN_RATE = 1.0
# A console whose account has no room in the running programmes listens here: only the hub's
# heartbeat reaches it, so the page stays quietly connected instead of reconnecting forever.
NO_ROOMS = "console:-"
# How often an open console socket checks that its session is still on: a session ended by the
# command line (another process: `dashboard user remove`, `user passwd`) closes it within this.
SESSION_RECHECK = 15.0
# How a peer going away shows up, depending on where the send or receive was.
GONE = (WebSocketDisconnect, ConnectionClosed, ConnectionError, OSError)


class StaffSockets:
    """The console sockets open per session, so a logout closes them.  A session's entry goes
    when its last socket closes: nothing accumulates over days of log-ins."""

    def __init__(self) -> None:
        self._by_session: dict[str, set[WebSocket]] = {}

    @contextlib.contextmanager
    def holding(self, session_hash: str, websocket: WebSocket) -> Iterator[None]:
        self._by_session.setdefault(session_hash, set()).add(websocket)
        try:
            yield
        finally:
            sockets = self._by_session.get(session_hash)
            if sockets is not None:
                sockets.discard(websocket)
                if not sockets:
                    del self._by_session[session_hash]

    def of(self, session_hash: str) -> list[WebSocket]:
        return list(self._by_session.get(session_hash, ()))

    def __len__(self) -> int:
        return len(self._by_session)


class MessageBudget:
    """A token bucket: ``burst`` messages at once, refilled at ``rate`` a second."""

    def __init__(self, rate: float, burst: float = BURST) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._at = time.monotonic()

    def take(self, now: float | None = None) -> bool:
        """Spend one message; False when the budget is spent."""
        now = time.monotonic() if now is None else now
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def message_budget(websocket: WebSocket) -> MessageBudget:
    heartbeat: float = websocket.app.state.settings.live.heartbeat
    return MessageBudget(max(MIN_RATE, 4 / heartbeat))


async def _pump(websocket: WebSocket, hub: Hub, subscriber: Subscriber) -> None:
    """Send each frame the subscriber's mailbox gets (states and the hub's heartbeats)."""
    while (frame := await subscriber.next()) is not None:
        await websocket.send_text(frame.text)
        hub.record_sent(subscriber.channel)


async def _read(websocket: WebSocket, screen: Screen | None = None) -> int | None:
    """Read until the client goes; refuse oversized messages, and a flood of them.  Screens
    send only heartbeats, which tell when each was last heard from; nothing a client sends is
    acted on.  The close code the client sent (None: the server closed it)."""
    budget = message_budget(websocket)
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            code = message.get("code")
            return code if isinstance(code, int) else None
        if not budget.take():
            metrics_of(websocket).throttled.labels("websocket").inc()
            await websocket.close(code=CLOSE_POLICY, reason="too many messages")
            return None
        size = len(message.get("text") or "") + len(message.get("bytes") or b"")
        if size > MAX_WS_MESSAGE:
            await websocket.close(code=CLOSE_TOO_BIG, reason="message too large")
            return None
        if screen is not None:
            registry: ScreenRegistry = websocket.app.state.screens
            registry.heard(screen, live(websocket).clock.now())  # the server's clock, as shown


async def refuse_unless_allowed(websocket: WebSocket) -> bool:
    """Close the handshake (403) for an Origin that is not allowed; True when it is."""
    if origin_allowed(websocket.scope, websocket.app.state.settings.public_origins):
        return True
    await websocket.close(code=CLOSE_POLICY)
    return False


def _report(exc: BaseException | None, channels: list[str]) -> None:
    if exc is None or isinstance(exc, asyncio.CancelledError):
        return
    if isinstance(exc, GONE):
        log.debug("%s: peer gone (%s)", ",".join(channels), type(exc).__name__)
    else:
        log.warning("%s: connection failed", ",".join(channels), exc_info=exc)


async def serve_channels(
    websocket: WebSocket,
    channels: list[str],
    screen: Screen | None = None,
    finish: Callable[[int | None], None] | None = None,
    detach: bool = True,
) -> None:
    """Accept and send every new frame of ``channels`` until either side goes, then call
    ``finish`` once with the close code the client sent, if it closed the socket (None: lost
    without one, or closed by the server).  The Origin must have been checked
    (``refuse_unless_allowed``).  Where the server offers a link (direct_ws.py) and ``detach``
    allows, this returns at once and the connection lives on without its ASGI task
    (live_socket.py); else it returns when the connection ends."""
    ended = False

    def end(code: int | None) -> None:
        nonlocal ended
        if not ended and finish is not None:
            finish(code)
        ended = True

    try:
        await websocket.accept()
        hub = live(websocket).hub
        link = link_of(websocket) if detach else None
        if link is not None:
            budget = message_budget(websocket)
            throttled = metrics_of(websocket).throttled.labels("websocket")
            registry: ScreenRegistry = websocket.app.state.screens
            listed = (screen, registry, live(websocket).clock) if screen else None
            LiveSocket(link, hub, channels, budget, throttled, listed, end)
            return
        end(await _serve_by_tasks(websocket, hub, channels, screen))
    except BaseException:
        end(None)
        raise


def link_of(websocket: WebSocket) -> Link | None:
    """The server's link to this connection, if it offers one (direct_ws.py)."""
    extension = (websocket.scope.get("extensions") or {}).get(LINK)
    link: Link | None = None if extension is None else extension["link"]
    return link


async def _serve_by_tasks(
    websocket: WebSocket, hub: Hub, channels: list[str], screen: Screen | None
) -> int | None:
    """``serve_channels`` through ASGI's ``send`` alone: a task per channel drains its mailbox."""
    subscribers = [hub.subscribe(channel) for channel in channels]

    def end(_: object = None) -> None:  # either side went: every pump returns
        for subscriber in subscribers:
            hub.unsubscribe(subscriber)

    # The first channel is pumped in this task; a reader (and any other channel) in their own.
    reader = asyncio.create_task(_read(websocket, screen))
    tasks: list[asyncio.Task[Any]] = [reader]
    tasks += [asyncio.create_task(_pump(websocket, hub, s)) for s in subscribers[1:]]
    for task in tasks:
        task.add_done_callback(end)
    failure: BaseException | None = None
    try:
        await _pump(websocket, hub, subscribers[0])
    except Exception as exc:
        failure = exc
    finally:
        end()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(BaseException):
                await task
            if failure is None and task.done() and not task.cancelled():
                failure = task.exception()
    _report(failure, channels)
    if reader.done() and not reader.cancelled() and reader.exception() is None:
        code: int | None = reader.result()
        return code
    return None


async def _known_room(websocket: WebSocket) -> str | None:
    """The room the path names, or None after refusing the handshake (403)."""
    room_id: str = websocket.path_params["room"]
    if live(websocket).site.room(room_id) is None:
        await websocket.close(code=CLOSE_POLICY)
        return None
    return room_id


async def _language(websocket: WebSocket) -> tuple[bool, str | None]:
    """(False, None) after refusing the handshake (403) for a ``?lang=`` not offered; else
    (True, the channel key of the socket's language: None for the default)."""
    try:
        return True, socket_language(websocket)
    except BadLanguage:
        await websocket.close(code=CLOSE_POLICY)
        return False, None


async def display_socket(websocket: WebSocket) -> None:
    if not await refuse_unless_allowed(websocket):
        return
    if (room_id := await _known_room(websocket)) is None:
        return
    ok, lang = await _language(websocket)
    if ok:
        await _serve_screen(websocket, room_id, display_channel(room_id, lang))


async def board_socket(websocket: WebSocket) -> None:
    """A hall board: one channel per language for every board (each shows the rows its filter
    asks for), and a named screen in the console's list, as the door displays are."""
    if not await refuse_unless_allowed(websocket):
        return
    ok, lang = await _language(websocket)
    if ok:
        await _serve_screen(websocket, BOARD_ROOM, localized_channel(BOARD, lang))


async def _serve_screen(websocket: WebSocket, room_id: str, channel: str) -> None:
    """Serve a screen's channel, the screen listed (under ``room_id``) while connected."""
    screens: ScreenRegistry = websocket.app.state.screens
    address = websocket.client.host if websocket.client else "unknown"
    name = screen_name(websocket.query_params.get("screen"), address)
    clock = live(websocket).clock
    if screens.find(room_id, name) is not None:  # connected before under this name
        metrics_of(websocket).reconnects.labels(room_id).inc()
    screen = screens.connect(room_id, name, address, clock.now())

    def gone(code: int | None) -> None:  # 1000/1001 from the page: turned off, not down
        screens.disconnect(screen, clock.now(), code)

    await serve_channels(websocket, [channel], screen=screen, finish=gone)


async def room_socket(websocket: WebSocket) -> None:
    if await refuse_unless_allowed(websocket) and (room_id := await _known_room(websocket)):
        ok, lang = await _language(websocket)
        if ok:
            await serve_channels(websocket, [room_channel(room_id, lang)])


async def overview_socket(websocket: WebSocket) -> None:
    if await refuse_unless_allowed(websocket):
        ok, lang = await _language(websocket)
        if ok:
            await serve_channels(websocket, [overview_channel(lang)])


async def chair_socket(websocket: WebSocket) -> None:
    """The console's live view: the rooms the staff member may act on.  Needs a session."""
    if not await refuse_unless_allowed(websocket):
        return
    actor = await session_actor(websocket)
    if actor is None or actor.session is None:
        await websocket.close(code=CLOSE_POLICY)
        return
    allowed = actor.allowed_rooms
    rooms = [r.id for r in live(websocket).site.rooms if allowed is None or r.id in allowed]
    every_room = allowed is None
    channels = [console_channel(r, every_room) for r in rooms] or [NO_ROOMS]
    registry: StaffSockets = websocket.app.state.staff_sockets
    watch = asyncio.create_task(_close_when_ended(websocket, actor.session))
    try:
        with registry.holding(actor.session.id_hash, websocket):
            # Staff sockets are few: served through ASGI, so a logout can close them.
            await serve_channels(websocket, channels, detach=False)
    finally:
        watch.cancel()
        with contextlib.suppress(BaseException):
            await watch


async def _close_when_ended(websocket: WebSocket, session: Session) -> None:
    """Close the console's socket once its session has ended elsewhere, as a logout here does
    (1008; the page's reconnection is then refused)."""
    while True:
        await asyncio.sleep(SESSION_RECHECK)
        if not await session_still_live(websocket, session):
            with contextlib.suppress(*GONE, RuntimeError):  # RuntimeError: already closed
                await websocket.close(code=CLOSE_POLICY, reason="session ended")
            return
