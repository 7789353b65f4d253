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

A screen's state (``state_of``) is *connected*, *off* (its socket closed normally, 1000 or 1001:
the page was unloaded or the screen turned off cleanly) or *down* (lost without a close: silent
too long, or closed abnormally).  Staff may *dismiss* a screen that is not connected (it is
forgotten until it connects again; with a shared store, by every process: live/screen_sync.py)
and give a screen a *label*, shown instead of its name (kept by the store, so a restart keeps
them; ``labels`` is loaded from it).

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
MAX_LABEL = 60  # characters of a label staff give a screen
CLEAN_CLOSES = frozenset({1000, 1001})  # normal closure, going away: a screen turned off
CONNECTED, DOWN, OFF = "connected", "down", "off"
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
    closed_cleanly: bool = False  # its last connection closed with 1000 or 1001

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


_LABEL_REFUSED = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_label(raw: str) -> str | None:
    """A label as staff typed it, trimmed and its runs of spaces made one; None if it is too
    long (``MAX_LABEL``) or holds control or direction-formatting characters (the console
    isolates each label's direction itself).  "" clears the label."""
    label = " ".join(raw.split())
    if len(label) > MAX_LABEL or _LABEL_REFUSED.search(label):
        return None
    return label


def state_of(screen: Screen, now: datetime, silent_after: timedelta) -> str:
    """``CONNECTED``; ``OFF`` once its last connection closed normally; else ``DOWN``: closed
    abnormally, or connected but not heard from for longer than ``silent_after``."""
    if screen.connected:
        return CONNECTED if now - screen.last_seen <= silent_after else DOWN
    return OFF if screen.closed_cleanly else DOWN


class ScreenRegistry:
    def __init__(self, proven_after: timedelta = timedelta(seconds=7.5)) -> None:
        self.proven_after = proven_after
        self._screens: dict[Key, Screen] = {}
        self._named_from: dict[str, dict[Key, None]] = {}  # address → names it registered
        self._new: dict[Key, None] = {}  # not yet known, oldest first
        # Given by staff (bounded by what they name: each label is of a listed screen).
        self.labels: dict[Key, str] = {}
        # The screens other processes hold (a shared PostgreSQL store: live/screen_sync.py),
        # listed with these; never counted against this process's bounds.
        self.elsewhere: dict[Key, Screen] = {}

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
                screen.closed_cleanly = False
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

    def disconnect(self, screen: Screen, now: datetime, code: int | None = None) -> None:
        """A connection of ``screen`` ended, with the close ``code`` the client sent (None: lost
        without one, or closed by the server)."""
        screen.connections = max(0, screen.connections - 1)
        screen.last_seen = now
        if screen.connections == 0:
            screen.closed_cleanly = code in CLEAN_CLOSES

    def find(self, room: str, name: str) -> Screen | None:
        return self._screens.get((room, name))

    def dismiss(self, room: str, name: str, seen: datetime | None = None) -> bool:
        """Forget a screen that is not connected (staff saw it go), this process's copy and
        the copy listed from another's: True if one was.  ``seen``: only if not heard from
        after it (a dismissal made on another process, which listed it as last heard then).
        It is listed again once it connects again; its label is kept for then."""
        key = (room, name)

        def gone(screen: Screen | None) -> bool:
            return (
                screen is not None
                and not screen.connected
                and not screen.others
                and (seen is None or screen.last_seen <= seen)
            )

        screen = self._screens.get(key)
        mine = gone(screen)
        if mine and screen is not None:
            self._forget(key, screen)
        theirs = gone(self.elsewhere.get(key))
        if theirs:
            del self.elsewhere[key]
        return mine or theirs

    def listed(self, room: str, name: str) -> Screen | None:
        """The screen as listed: this process's or another's (as ``screens``)."""
        key = (room, name)
        screen, other = self._screens.get(key), self.elsewhere.get(key)
        if screen is None or other is None:
            return screen or other
        mine_first = (screen.connected, screen.last_seen) >= (other.connected, other.last_seen)
        return screen if mine_first else other

    def label(self, screen: Screen) -> str:
        return self.labels.get((screen.room, screen.name), "")

    def own(self) -> list[Screen]:
        """The screens of this process alone."""
        return list(self._screens.values())

    def _all(self) -> dict[Key, Screen]:
        """This process's screens and the other processes': of one screen listed by two (it
        moved), the one it is connected to, else the one that heard from it last."""
        if not self.elsewhere:
            return self._screens
        merged = dict(self.elsewhere)
        for key, screen in self._screens.items():
            other = merged.get(key)
            if other is None or (screen.connected, screen.last_seen) >= (
                other.connected,
                other.last_seen,
            ):
                merged[key] = screen
        return merged

    def screens(self) -> list[Screen]:
        return sorted(self._all().values(), key=lambda s: (s.room, s.name))

    def of_room(self, room: str) -> list[Screen]:
        return [s for s in self._all().values() if s.room == room]

    def count(self, room: str) -> int:
        return sum(s.connections for s in self._screens.values() if s.room == room)

    def __len__(self) -> int:
        return len(self._screens)
