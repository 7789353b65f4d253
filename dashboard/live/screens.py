"""Which displays are connected, and when each was last heard from: so the secretariat can see
a screen that has gone down (its pings stop, or it disconnects) before a delegate reports it.

Anyone may open a display's socket, under any ``?screen=`` name, without logging in; so the
registry keeps what a flood of made-up names can do within bounds (issue 12):

* a screen is *known* once it has shown itself to be one: a heartbeat heard at least
  ``proven_after`` after its connection opened (a page sends its first heartbeat one heartbeat
  period after connecting).  A known screen is never forgotten to make room for a newcomer, so
  a flood cannot push out the real screens that went down, which are the ones to report;
* from one address, at most ``MAX_NEW_PER_ADDRESS`` names wait to become known, and at most
  ``MAX_NAMES_PER_ADDRESS`` names are kept in all; in all, at most ``MAX_SCREENS``.  When a
  newcomer finds no room, the oldest disconnected newcomer (of its address first) is forgotten;
  if every one is still connected, the newcomer is not registered under its name but counted
  on its address's line (as unnamed displays behind one address are), and past the overall
  bound on the room's one line for the others (``OTHERS``);
* the console lists the screens that need attention first and at most a page of them
  (``web/chair.py``).

Constant work per connect and disconnect, but for the search of a newcomer to forget, over at
most ``MAX_NAMES_PER_ADDRESS`` entries (or, once the registry is full, over the newcomers): a
reconnection storm of thousands of screens must not slow down on its own bookkeeping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_NAME_RE = re.compile(r"[^\w .:-]")
MAX_SCREENS = 10_000  # entries in all, the rooms' OTHERS lines besides
MAX_NAMES_PER_ADDRESS = 100  # names registered from one address (a venue's displays each have
# their own; behind a proxy not declared as such they would share one, and fold beyond this)
MAX_NEW_PER_ADDRESS = 8  # of which not yet known
OTHERS = "*"  # the room's line for displays past every bound (no screen name can be "*")
Key = tuple[str, str]  # (room, name)


@dataclass(eq=False)
class Screen:
    room: str
    name: str  # ?screen=lobby-left on the display's URL, or its address
    address: str
    connected_at: datetime
    last_seen: datetime
    connections: int = 1  # open at once under this name (unnamed kiosks behind one address)
    known: bool = False  # heard from as a screen is (see the module's text): never forgotten
    registered_from: str = ""  # the address that registered the name (its per-address count)

    @property
    def connected(self) -> bool:
        return self.connections > 0

    @property
    def others(self) -> bool:
        """The room's line for displays not listed by name."""
        return self.name == OTHERS


def screen_name(raw: str | None, address: str) -> str:
    name = _NAME_RE.sub("", (raw or "").strip())[:40]
    return name or address


class ScreenRegistry:
    def __init__(self, proven_after: timedelta = timedelta(seconds=7.5)) -> None:
        self.proven_after = proven_after
        self._screens: dict[Key, Screen] = {}
        self._named_from: dict[str, dict[Key, None]] = {}  # address → names it registered
        self._new: dict[Key, None] = {}  # not yet known, oldest first

    def connect(self, room: str, name: str, address: str, now: datetime) -> Screen:
        key = (room, name)
        screen = self._screens.get(key)
        if screen is None and not self._room_for(name, address):
            key = (room, address)  # folded onto its address's line
            screen = self._screens.get(key)
            if screen is None and not self._room_for(address, address):
                key = (room, OTHERS)
                screen = self._screens.get(key)
        if screen is not None:
            screen.connections += 1
            if screen.connections == 1:
                screen.connected_at = now
            screen.address, screen.last_seen = address, now
            return screen
        screen = Screen(key[0], key[1], address, now, now, registered_from=address)
        self._screens[key] = screen
        if screen.others:
            screen.known = True  # never forgotten: it holds whatever found no room
        else:
            self._new[key] = None
            if screen.name != address:
                self._named_from.setdefault(address, {})[key] = None
        return screen

    def _room_for(self, name: str, address: str) -> bool:
        """Whether a new entry ``name`` from ``address`` may be made (after forgetting a
        disconnected newcomer if need be)."""
        if name != address:  # a name of its own: the address's bounds
            named = self._named_from.get(address, {})
            new = [k for k in named if not self._screens[k].known]
            if (len(named) >= MAX_NAMES_PER_ADDRESS or len(new) >= MAX_NEW_PER_ADDRESS) and (
                not self._forget_one(new)
            ):
                return False
        return len(self._screens) < MAX_SCREENS or self._forget_one(self._new)

    def _forget_one(self, candidates: list[Key] | dict[Key, None]) -> bool:
        """Forget the oldest disconnected newcomer among ``candidates``; False if none is."""
        for key in candidates:
            screen = self._screens[key]
            if not screen.connected and not screen.known:
                self._forget(key, screen)
                return True
        return False

    def _forget(self, key: Key, screen: Screen) -> None:
        del self._screens[key]
        self._new.pop(key, None)
        named = self._named_from.get(screen.registered_from)
        if named is not None:
            named.pop(key, None)
            if not named:
                del self._named_from[screen.registered_from]

    def heard(self, screen: Screen, now: datetime) -> None:
        """A message from the screen (its heartbeat): when it was last heard from, and, heard a
        while after connecting, it is known."""
        screen.last_seen = now
        if not screen.known and now - screen.connected_at >= self.proven_after:
            screen.known = True
            self._new.pop((screen.room, screen.name), None)

    def disconnect(self, screen: Screen, now: datetime) -> None:
        screen.connections = max(0, screen.connections - 1)
        screen.last_seen = now

    def screens(self) -> list[Screen]:
        return sorted(self._screens.values(), key=lambda s: (s.room, s.name))

    def count(self, room: str) -> int:
        return sum(s.connections for s in self._screens.values() if s.room == room)

    def __len__(self) -> int:
        return len(self._screens)
