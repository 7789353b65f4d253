"""A screen's connection once its ASGI task has ended: written to from the hub, hearing the
screen's heartbeats through callbacks (dashboard/direct_ws.py's ``detach``).

Thousands of door displays and phones stay connected all day and only ever receive.  Through
ASGI each would hold a task awaiting ``receive`` through every middleware and Starlette's
routing; detached, each holds this object, its subscribers and uvicorn's protocol, and a task
only while a slow client's mailbox is drained.  What ``web/ws.py``'s reading loop does for a
connection served through ASGI, ``received`` does here: the same budget, size limit and
"heard from" time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from prometheus_client import Counter

from ..clock import Clock
from ..live.hub import Hub, Subscriber
from ..live.screens import Screen, ScreenRegistry
from .security import MAX_WS_MESSAGE

log = logging.getLogger(__name__)

CLOSE_POLICY = 1008  # policy violation: bad origin, unknown room, too many messages
CLOSE_TOO_BIG = 1009
CLOSE_ERROR = 1011  # the server failed while serving the connection


class Link(Protocol):
    """What the server offers a connection it can write to directly (direct_ws.py)."""

    def write(self, payload: bytes) -> bool: ...

    async def send_text(self, text: str) -> None: ...

    def close(self, code: int, reason: str = "") -> None: ...

    def detach(
        self, received: Callable[[int], None], closed: Callable[[int | None], None]
    ) -> None: ...


# A door display or board: listed among the screens, and heard from by its heartbeats.
Listed = tuple[Screen, ScreenRegistry, Clock]


class Budget(Protocol):
    def take(self) -> bool: ...


class LiveSocket:
    """One detached connection: its subscriptions, its budget of messages, and its screen."""

    __slots__ = (
        "_closing",
        "budget",
        "channels",
        "drains",
        "finish",
        "hub",
        "link",
        "listed",
        "subscribers",
        "throttled",
    )

    def __init__(
        self,
        link: Link,
        hub: Hub,
        channels: list[str],
        budget: Budget,
        throttled: Counter,
        listed: Listed | None,
        finish: Callable[[int | None], None] | None,
    ) -> None:
        self.link = link
        self.hub = hub
        self.channels = channels
        self.budget = budget
        self.throttled = throttled
        self.listed = listed
        self.finish = finish
        self.drains: set[asyncio.Task[None]] | None = None  # made for a slow client only
        self._closing = False
        self.subscribers = [hub.subscribe(c, link.write, self.backlog) for c in channels]
        link.detach(self.received, self.closed)  # last: a client already gone ends it here

    def received(self, size: int) -> None:
        """A message came (screens send only heartbeats; nothing a client sends is acted
        on): refuse a flood, or one too large; else note when the screen was last heard."""
        if self._closing:  # what comes while the close is on its way is not counted again
            return
        if not self.budget.take():
            self.throttled.inc()
            self._close(CLOSE_POLICY, "too many messages")
        elif size > MAX_WS_MESSAGE:
            self._close(CLOSE_TOO_BIG, "message too large")
        elif self.listed is not None:
            screen, screens, clock = self.listed
            screens.heard(screen, clock.now())  # the server's clock, as shown

    def closed(self, code: int | None) -> None:
        """The connection ended (``code``: the client's close code; None when the server
        closed it or it was lost)."""
        for subscriber in self.subscribers:
            self.hub.unsubscribe(subscriber)
        for task in self.drains or ():
            task.cancel()
        if self.finish is not None:
            self.finish(None if self._closing else code)

    def backlog(self, subscriber: Subscriber) -> None:
        """The client is slow: drain ``subscriber``'s mailbox in a task that waits for it."""
        if self.drains is None:
            self.drains = set()
        task = asyncio.create_task(self._drain(subscriber))
        self.drains.add(task)
        task.add_done_callback(self._drained)

    async def _drain(self, subscriber: Subscriber) -> None:
        while (frame := subscriber.take()) is not None:
            await self.link.send_text(frame.text)
            self.hub.record_sent(subscriber.channel)

    def _drained(self, task: asyncio.Task[None]) -> None:
        if self.drains is not None:
            self.drains.discard(task)
        if task.cancelled() or (exc := task.exception()) is None:
            return
        if isinstance(exc, OSError):  # uvicorn's ClientDisconnected: the peer went
            log.debug("%s: peer gone (%s)", ",".join(self.channels), type(exc).__name__)
        else:
            log.warning("%s: connection failed", ",".join(self.channels), exc_info=exc)
            self._close(CLOSE_ERROR, "")

    def _close(self, code: int, reason: str) -> None:
        self._closing = True
        self.link.close(code, reason)
