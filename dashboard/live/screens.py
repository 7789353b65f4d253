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
    connected: bool = True


def screen_name(raw: str | None, address: str) -> str:
    name = _NAME_RE.sub("", (raw or "").strip())[:40]
    return name or address


class ScreenRegistry:
    def __init__(self) -> None:
        self._screens: dict[tuple[str, str], Screen] = {}

    def connect(self, room: str, name: str, address: str, now: datetime) -> Screen:
        # Two screens open at once under one name (two unnamed kiosks behind one address)
        # are both listed: the second is "name (2)".
        base, n = name, 1
        while (old := self._screens.get((room, name))) is not None and old.connected:
            n += 1
            name = f"{base} ({n})"
        screen = Screen(room, name, address, now, now)
        self._screens[(room, name)] = screen
        if len(self._screens) > MAX_SCREENS:
            gone = sorted(
                (s for s in self._screens.values() if not s.connected), key=lambda s: s.last_seen
            )
            for old in gone[: len(self._screens) - MAX_SCREENS]:
                del self._screens[(old.room, old.name)]
        return screen

    def disconnect(self, screen: Screen, now: datetime) -> None:
        screen.connected = False
        screen.last_seen = now

    def screens(self) -> list[Screen]:
        return sorted(self._screens.values(), key=lambda s: (s.room, s.name))

    def count(self, room: str) -> int:
        return sum(1 for s in self._screens.values() if s.room == room and s.connected)
