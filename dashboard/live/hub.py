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
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Frame:
    version: int
    text: str
    brief: Frame | None = None  # without what is unchanged since ``brief_after`` (one object)
    brief_after: int = 0


HEARTBEAT_VERSION = -1  # a frame that only says "this link is alive"


class Subscriber:
    __slots__ = ("_event", "_pending", "channel", "closed", "dropped", "sent")

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self._pending: Frame | None = None
        self._event = asyncio.Event()
        self.closed = False
        self.dropped = 0  # frames replaced before they were sent (the client was slow)
        self.sent = 0  # the version of the last frame taken (0: none yet)

    def offer(self, frame: Frame) -> bool:
        """Put ``frame`` in the mailbox; True when it replaced an unsent frame (dropped)."""
        replaced = self._pending is not None and self._pending.version != HEARTBEAT_VERSION
        if replaced:
            self.dropped += 1
        self._pending = frame
        self._event.set()
        return replaced

    def close(self) -> None:
        self.closed = True
        self._event.set()

    @property
    def idle(self) -> bool:
        return self._pending is None and not self.closed

    async def next(self) -> Frame | None:
        """The newest frame not yet taken (its brief form when this subscriber has what the
        brief form leaves out); None once the subscription is closed."""
        while self._pending is None and not self.closed:
            self._event.clear()
            await self._event.wait()
        if self.closed:
            return None
        frame, self._pending = self._pending, None
        if frame is None or frame.version == HEARTBEAT_VERSION:
            return frame
        sent, self.sent = self.sent, frame.version
        if frame.brief is not None and sent >= frame.brief_after:
            return frame.brief
        return frame


class Hub:
    def __init__(self) -> None:
        self._subscribers: dict[str, set[Subscriber]] = {}
        self._latest: dict[str, Frame] = {}
        # Frames replaced unsent (latest wins), per channel, since start-up: for /metrics.
        self.dropped: dict[str, int] = {}

    def publish(
        self,
        channel: str,
        version: int,
        text: str,
        brief: str | None = None,
        brief_after: int = 0,
    ) -> int:
        """Offer a frame to every subscriber of ``channel``; returns how many were offered."""
        short = Frame(version, brief) if brief is not None else None
        frame = Frame(version, text, short, brief_after)
        self._latest[channel] = frame
        subscribers = self._subscribers.get(channel, ())
        dropped = 0
        for subscriber in subscribers:
            dropped += subscriber.offer(frame)
        if dropped:
            self.dropped[channel] = self.dropped.get(channel, 0) + dropped
        return len(subscribers)

    def subscribe(self, channel: str) -> Subscriber:
        """A new subscriber, whose first frame is the channel's current state."""
        subscriber = Subscriber(channel)
        self._subscribers.setdefault(channel, set()).add(subscriber)
        if (latest := self._latest.get(channel)) is not None:
            subscriber.offer(latest)
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
        frame = Frame(HEARTBEAT_VERSION, text)
        offered = 0
        for subscribers in self._subscribers.values():
            for subscriber in subscribers:
                if subscriber.idle:
                    subscriber.offer(frame)
                    offered += 1
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
