"""Which displays are connected, and when each was last heard from: so the secretariat can see
a screen that has gone down (its pings stop, or it disconnects) before a delegate reports it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

_NAME_RE = re.compile(r"[^\w .:-]")
MAX_SCREENS = 10_000  # forget the oldest disconnected ones beyond this


@dataclass
class Screen:
    room: str
    name: str  # ?screen=lobby-left on the display's URL, or its address
    address: str
    connected_at: datetime
    last_seen: datetime
    connections: int = 1  # open at once under this name (unnamed kiosks behind one address)

    @property
    def connected(self) -> bool:
        return self.connections > 0


def screen_name(raw: str | None, address: str) -> str:
    name = _NAME_RE.sub("", (raw or "").strip())[:40]
    return name or address


class ScreenRegistry:
    """Constant work per connect and disconnect: a reconnection storm of thousands of screens
    must not slow down on its own bookkeeping."""

    def __init__(self) -> None:
        self._screens: dict[tuple[str, str], Screen] = {}

    def connect(self, room: str, name: str, address: str, now: datetime) -> Screen:
        screen = self._screens.get((room, name))
        if screen is not None:
            screen.connections += 1
            if screen.connections == 1:
                screen.connected_at = now
            screen.address, screen.last_seen = address, now
            return screen
        screen = Screen(room, name, address, now, now)
        self._screens[(room, name)] = screen
        if len(self._screens) > MAX_SCREENS:
            self._forget_oldest()
        return screen

    def _forget_oldest(self) -> None:
        gone = sorted((s for s in self._screens.values() if not s.connected), key=_last_seen)
        for old in gone[: len(self._screens) - MAX_SCREENS]:
            del self._screens[(old.room, old.name)]

    def disconnect(self, screen: Screen, now: datetime) -> None:
        screen.connections = max(0, screen.connections - 1)
        screen.last_seen = now

    def screens(self) -> list[Screen]:
        return sorted(self._screens.values(), key=lambda s: (s.room, s.name))

    def count(self, room: str) -> int:
        return sum(s.connections for s in self._screens.values() if s.room == room)


def _last_seen(screen: Screen) -> datetime:
    return screen.last_seen
