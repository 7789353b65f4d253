"""The hub: one channel per live region set (a room's display, a room's phone view, the
overview), and one latest-wins mailbox per subscriber.

Every frame is the full state of its channel, so a subscriber that falls behind needs only the
newest one: its mailbox holds one frame and a newer frame replaces an unsent one.  Publishing
never awaits a subscriber, so a slow or dead client cannot delay the others; each connection
drains its own mailbox in its own task.  The same ``str`` object goes to every subscriber.

A frame may come in two forms: the full text, and a ``brief`` one that leaves out what has not
changed since version ``brief_after`` (a display's timeline of the week to come is resent only
when it changes, not at every boundary).  A subscriber gets the brief form only if it was sent
a version at least that recent; a new subscriber, or one whose unsent frame was replaced, gets
the full text.

The interface is what a Redis-backed hub would offer between processes: ``publish(channel,
version, frame)`` and ``subscribe(channel)``.  Across processes only a small note ("channel C is
at version V") needs to travel, since every process renders frames from the same programme.

A subscriber may also be given ``write``: a way to write a message to its client at once, which
fails (returns False) rather than wait when the client has not taken what it was sent before
(dashboard/direct_ws.py).  Publishing then writes the frame's bytes, encoded once, straight to
every client that can take them: the cost per screen is close to the ``websockets`` library's
own ``broadcast()``, with no task switch per screen.  A client that cannot take a frame gets it
in its mailbox instead, and ``backlog`` is called once to start draining it (by a task that can
wait for the client); until the mailbox is empty again, every newer frame goes there too, so
frames are never reordered and latest still wins.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Frame:
    version: int
    text: str
    brief: Frame | None = None  # without what is unchanged since ``brief_after`` (one object)
    brief_after: int = 0
    # ``text`` in UTF-8, encoded once for every client written to directly.
    data: bytes = field(default=b"", compare=False, repr=False)


def frame(version: int, text: str, brief: Frame | None = None, brief_after: int = 0) -> Frame:
    return Frame(version, text, brief, brief_after, text.encode())


HEARTBEAT_VERSION = -1  # a frame that only says "this link is alive"

# Writes one text message (UTF-8) to a client at once; False, writing nothing, when it can't now.
Write = Callable[[bytes], bool]
# What ``Subscriber.offer`` did with a frame.
QUEUED, DROPPED, WRITTEN = 0, 1, 2


class Subscriber:
    __slots__ = (
        "_backlog",
        "_event",
        "_pending",
        "_write",
        "channel",
        "closed",
        "draining",
        "dropped",
        "sent",
    )

    def __init__(
        self,
        channel: str,
        write: Write | None = None,
        backlog: Callable[[Subscriber], None] | None = None,
    ) -> None:
        self.channel = channel
        self._write = write
        self._backlog = backlog
        self._pending: Frame | None = None
        self._event: asyncio.Event | None = None  # made by the first ``next()``
        self.closed = False
        self.draining = False  # written directly, but frames wait in the mailbox meanwhile
        self.dropped = 0  # frames replaced before they were sent (the client was slow)
        self.sent = 0  # the version of the last frame taken (0: none yet)

    def offer(self, frame: Frame) -> int:
        """Write ``frame`` at once when it can be, else put it in the mailbox: WRITTEN, QUEUED,
        or DROPPED when it replaced an unsent frame."""
        if self._write is not None and self._pending is None and not self.draining:
            sent = self.sent
            if self._write(self._form(frame).data):
                return WRITTEN
            self.sent = sent  # not sent after all: the mailbox chooses the form again
        replaced = self._pending is not None and self._pending.version != HEARTBEAT_VERSION
        self._pending = frame
        if self._event is not None:
            self._event.set()
        if self._write is not None and not self.draining and self._backlog is not None:
            self.draining = True
            self._backlog(self)
        if replaced:
            self.dropped += 1
            return DROPPED
        return QUEUED

    def close(self) -> None:
        self.closed = True
        if self._event is not None:
            self._event.set()

    @property
    def idle(self) -> bool:
        return self._pending is None and not self.closed

    def _form(self, frame: Frame) -> Frame:
        """The form of ``frame`` to send (its brief form when this subscriber has what the
        brief form leaves out), noting its version as sent."""
        if frame.version == HEARTBEAT_VERSION:
            return frame
        sent, self.sent = self.sent, frame.version
        if frame.brief is not None and sent >= frame.brief_after:
            return frame.brief
        return frame

    def take(self) -> Frame | None:
        """The newest frame waiting in the mailbox, in the form to send; None when there is
        none, which also ends the draining: later frames are written directly again."""
        frame, self._pending = self._pending, None
        if frame is None:
            self.draining = False
            return None
        return self._form(frame)

    async def next(self) -> Frame | None:
        """The newest frame not yet taken, waiting for one; None once the subscription is
        closed."""
        if self._event is None:
            self._event = asyncio.Event()
        while self._pending is None and not self.closed:
            self._event.clear()
            await self._event.wait()
        if self.closed:
            return None
        return self.take()


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._latest: dict[str, Frame] = {}
        # Channels whose newest state nobody has been sent yet, by how to render it (``defer``).
        self._deferred: dict[str, tuple[int, Callable[[], str]]] = {}
        # Per channel, since start-up, for /metrics: frames replaced unsent (latest wins), and
        # frames written to clients (heartbeats included).
        self.dropped: dict[str, int] = {}
        self.sent: dict[str, int] = {}

    def publish(
        self,
        channel: str,
        version: int,
        text: str,
        brief: str | None = None,
        brief_after: int = 0,
    ) -> int:
        """Offer a frame to every subscriber of ``channel``; returns how many were offered."""
        short = frame(version, brief) if brief is not None else None
        latest = frame(version, text, short, brief_after)
        self._latest[channel] = latest
        self._deferred.pop(channel, None)
        subscribers = self._subscribers.get(channel, ())
        outcomes = [0, 0, 0]  # QUEUED, DROPPED, WRITTEN
        for subscriber in subscribers:
            outcomes[subscriber.offer(latest)] += 1
        if outcomes[DROPPED]:
            self.dropped[channel] = self.dropped.get(channel, 0) + outcomes[DROPPED]
        if outcomes[WRITTEN]:
            self.record_sent(channel, outcomes[WRITTEN])
        return len(subscribers)

    def defer(self, channel: str, version: int, render: Callable[[], str]) -> None:
        """``channel``'s new state, rendered only when someone wants it: now if the channel
        has subscribers, else by the first ``subscribe`` (if any) before the next ``publish``
        or ``defer``.  For channels that are often without a listener (a room's console with
        no staff watching it): a boundary need not render frames for nobody."""
        if self._subscribers.get(channel):
            self.publish(channel, version, render())
            return
        self._latest.pop(channel, None)
        self._deferred[channel] = (version, render)

    def record_sent(self, channel: str, count: int = 1) -> None:
        """Count frames of ``channel`` written to clients (by ``publish``, or by a task
        draining a mailbox)."""
        self.sent[channel] = self.sent.get(channel, 0) + count

    def subscribe(
        self,
        channel: str,
        write: Write | None = None,
        backlog: Callable[[Subscriber], None] | None = None,
    ) -> Subscriber:
        """A new subscriber, whose first frame is the channel's current state (written at once
        when ``write`` can).  ``write`` and ``backlog``: see the module's docstring."""
        if (write is None) != (backlog is None):
            raise ValueError("write and backlog go together: a failed write needs a drain")
        deferred = self._deferred.get(channel)
        if deferred is not None:  # rendered before anything is registered: if it raises, no
            version, render = deferred  # subscriber is left behind (and it is tried again)
            self._latest[channel] = frame(version, render())
            del self._deferred[channel]
        subscriber = Subscriber(channel, write, backlog)
        self._subscribers.setdefault(channel, set()).add(subscriber)
        latest = self._latest.get(channel)
        if latest is not None and subscriber.offer(latest) == WRITTEN:
            self.record_sent(channel)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscriber.close()
        subscribers = self._subscribers.get(subscriber.channel)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[subscriber.channel]

    def heartbeat(self, text: str) -> int:
        """Offer ``text`` to every subscriber with nothing waiting to be sent, so every link
        carries something at least this often and a screen can tell a dead one.  One timer for
        the whole hub, rather than a timeout per connection.  Returns how many were offered."""
        beat = frame(HEARTBEAT_VERSION, text)
        offered = 0
        for channel, subscribers in self._subscribers.items():
            written = 0
            for subscriber in subscribers:
                if subscriber.idle:
                    written += subscriber.offer(beat) == WRITTEN
                    offered += 1
            if written:
                self.record_sent(channel, written)
        return offered

    def latest(self, channel: str) -> Frame | None:
        return self._latest.get(channel)

    def count(self, channel: str) -> int:
        return len(self._subscribers.get(channel, ()))

    def counts(self) -> dict[str, int]:
        """Subscribers per channel (channels without any are not listed)."""
        return {channel: len(subs) for channel, subs in self._subscribers.items()}

    def close(self) -> None:
        """Close every subscription (server shutdown)."""
        for subscribers in list(self._subscribers.values()):
            for subscriber in list(subscribers):
                self.unsubscribe(subscriber)
