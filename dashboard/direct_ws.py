"""The WebSocket protocol uvicorn runs: its own sans-I/O protocol, lighter, with a direct write
and a way for a connection to outlive its ASGI task.

Two costs of serving thousands of screens through ASGI, measured in issue 16
(docs/benchmarks.md):

* CPU: every frame cost a task switch and a ``send`` coroutine through each middleware,
  Starlette's ``WebSocket`` and uvicorn's ``send``, which encodes the text to UTF-8 once per
  connection: 2.2 times the CPU of the ``websockets`` library's own ``broadcast()``, which
  writes one pre-encoded message to each connection.  ``write`` does what ``broadcast()``
  does, for one connection, from the hub (live/hub.py).
* Memory: an idle screen held its ASGI task, awaiting ``receive`` through some twenty
  coroutine frames (each middleware, Starlette's routing, our endpoint), plus uvicorn's
  ``asyncio.Queue`` and ``Event`` (3.8 KiB) and the handshake's request and response.  A
  connection that only needs to be written to and to hear heartbeats can ``detach``: its ASGI
  task ends, and what the client sends goes to a callback.

The ASGI scope of an accepted connection carries the extension ``LINK`` (``{"link": self}``),
whose interface the app sees as ``web.ws.Link``.  Everything else (the handshake, pings, the
close handshake, shutdown) is uvicorn's.  These methods read uvicorn's protocol attributes
(``conn``, a ``websockets`` ``ServerProtocol``; ``transport``; ``writable``; ``queue``;
``frames``; ``close_sent``), which are not a documented interface: pyproject.toml pins uvicorn's
minor release, and tests/web/test_direct_ws.py exercises each case.  Under a server without the
extension (Starlette's TestClient, another ASGI server) the app serves through ASGI alone.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

LINK = "dashboard.link"  # the ASGI scope extension's name

Received = Callable[[int], None]  # a message of this many bytes came (its content is unused)
Closed = Callable[[int | None], None]  # the connection ended: the client's close code, if any


class Flag:
    """``asyncio.Event``'s set/clear/wait, without its deque (760 bytes a connection): a future
    is made only while someone waits, which here is only a sender to a client that is slow."""

    __slots__ = ("_set", "_waiters")

    def __init__(self) -> None:
        self._set = True
        self._waiters: list[asyncio.Future[None]] = []

    def is_set(self) -> bool:
        return self._set

    def set(self) -> None:
        self._set = True
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._set = False

    async def wait(self) -> bool:
        while not self._set:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            await waiter
        return True


class Inbox:
    """uvicorn's ``queue`` of what the app is to receive, without ``asyncio.Queue``'s three
    deques and Event (3 KiB a connection).  Once the connection is detached, a disconnect goes
    to ``closed`` (once) instead."""

    __slots__ = ("_items", "_waiter", "closed")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._waiter: asyncio.Future[None] | None = None
        self.closed: Closed | None = None

    def put_nowait(self, message: Any) -> None:
        if self.closed is not None:
            if message["type"] == "websocket.disconnect":
                closed, self.closed = self.closed, None
                code = message.get("code")
                closed(code if isinstance(code, int) else None)
            return
        self._items.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    async def get(self) -> Any:
        while not self._items:
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None
        return self._items.pop(0)

    def empty(self) -> bool:
        return not self._items

    def take_all(self) -> list[Any]:
        items, self._items = self._items, []
        return items


class DirectWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O protocol, lighter, offering the app ``write``, ``send``, ``close``
    and ``detach`` through the scope extension ``LINK``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.queue: Inbox = Inbox()  # type: ignore[assignment]
        self.writable: Flag = Flag()  # type: ignore[assignment]
        self.received: Received | None = None  # set once detached

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # An upgrade that will be answered 101 has a scope; the app's task has been created but
        # has not run yet, so it sees the extension from its first step.
        if self.response.status_code == 101:
            self.scope["extensions"] = {
                **(self.scope.get("extensions") or {}),
                LINK: {"link": self},
            }

    async def send(self, message: Any) -> None:
        await super().send(message)
        if message["type"] == "websocket.accept" and self.handshake_complete:
            # The handshake's request and response (their headers: about 3 KiB) are not read
            # again once it is answered.
            del self.request, self.response

    # -- the link the app sees --------------------------------------------------------------

    def write(self, payload: bytes) -> bool:
        """Write one text message (``payload``: UTF-8) now; False, writing nothing, when the
        connection is not open and accepted, or the peer has not taken what was written before
        (the transport paused writing): the caller keeps the message for ``send``."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or not self.writable.is_set()
            or self.conn.state is not State.OPEN
        ):
            return False
        self.conn.send_text(payload)
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True

    async def send_text(self, text: str) -> None:
        """Send one text message, waiting while the peer is slow; ClientDisconnected (an
        OSError) once it has gone, or is closing."""
        try:
            await self.send({"type": "websocket.send", "text": text})
        except RuntimeError:
            if self.close_sent:  # uvicorn's send refuses a message after a close: it is going
                raise ClientDisconnected() from None
            raise

    def close(self, code: int, reason: str = "") -> None:
        """Start the closing handshake (a detached connection's ``closed`` follows)."""
        if not (self.close_sent or self.disconnected):
            message = {"type": "websocket.close", "code": code, "reason": reason}
            task = self.loop.create_task(self._quietly(self.send(message)))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def detach(self, received: Received, closed: Closed) -> None:
        """From now on the app's ASGI task may return without closing the connection: each
        message the client sends is reported to ``received`` (by size: the screens' messages
        are heartbeats), and the end of the connection, once, to ``closed``."""
        self.received = received
        waiting = self.queue.take_all()  # what came before detaching
        self.queue.closed = closed
        for message in waiting:
            if message["type"] == "websocket.receive":
                received(len(message.get("text") or "") + len(message.get("bytes") or b""))
            else:
                self.queue.put_nowait(message)
        # The scope (headers, state: 1.4 KiB) is not read again by uvicorn once accepted.
        self.scope = {"type": "websocket", "path": self.scope["path"], "client": self.client}  # type: ignore[typeddict-item]
        if self.disconnected:
            self.queue.put_nowait({"type": "websocket.disconnect", "code": 1006})
        elif self.read_paused:
            self.read_paused = False
            self.transport.resume_reading()

    @staticmethod
    async def _quietly(send: Any) -> None:
        with contextlib.suppress(ClientDisconnected):
            await send

    # -- uvicorn's, changed for a detached connection ------------------------------------------

    def send_receive_event_to_app(self) -> None:
        if self.received is None:
            super().send_receive_event_to_app()
            return
        size = sum(len(frame) for frame in self.frames)
        self.frames = []
        if not self.close_sent:  # past a close, messages are discarded, as uvicorn does
            self.received(size)

    async def run_asgi(self) -> None:
        """uvicorn's, except that an app that has detached the connection returns without it
        being closed."""
        failed = False
        try:
            result = await self.app(self.scope, self.receive, self.send)
        except ClientDisconnected:
            failed = True
        except BaseException:
            failed = True
            self.logger.exception("Exception in ASGI application\n")
            self.send_500_response()
        else:
            if not self.handshake_complete:
                self.logger.error("ASGI callable returned without completing handshake.")
                self.send_500_response()
            elif result is not None:
                self.logger.error("ASGI callable should return None, but returned '%s'.", result)
        detached = self.received is not None and not failed
        if self.close_timer is None and not detached:
            self.transport.close()
