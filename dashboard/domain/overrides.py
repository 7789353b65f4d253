"""Overrides: what the chair's office and the secretariat say when the meeting departs from the
printed programme ("running 15 minutes late", "suspended", an announcement...).

Pure data and the rules of which overrides are in force.  ``requests.py`` turns a request into an
``Override``; ``plan.py`` applies the overrides in force to a room's slots.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class OverrideKind(StrEnum):
    LATE = "late"  # the current or next slot starts N minutes late
    EXTEND = "extend"  # the current slot runs until a time
    END = "end"  # the current slot ended early / adjourned
    SUSPEND = "suspend"  # suspended, with an optional expected resume time
    RESUME = "resume"
    CANCEL = "cancel"  # a slot cancelled or postponed
    MOVE = "move"  # a slot moved to another room
    CLOSED = "closed"  # closed meeting / informal consultations
    POINTER = "pointer"  # what is under discussion now, within the slot
    ANNOUNCE = "announce"  # a banner
    CLEAR = "clear"  # undo another override


# Kinds that act on one slot of each room they target.
SLOT_KINDS = frozenset(OverrideKind) - {OverrideKind.ANNOUNCE, OverrideKind.CLEAR}
PRIORITIES = ("normal", "urgent")
# Where an announcement shows: the displays of its rooms (the default), the hall boards only,
# or every screen of the building (every room's displays and the hall boards).
ROOM_SCREENS, BOARDS, EVERYWHERE = "rooms", "boards", "all"
SCREENS = (ROOM_SCREENS, BOARDS, EVERYWHERE)


class OverrideError(ValueError):
    """A request that cannot become an override: says which field and what is wrong."""

    status = 400

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class UnknownRoom(OverrideError):
    status = 404


class NotAllowed(OverrideError):
    status = 403


@dataclass(frozen=True)
class Override:
    id: str
    kind: OverrideKind
    rooms: tuple[str, ...]
    author: str
    created: datetime
    effective: datetime
    slots: tuple[tuple[str, str], ...] = ()  # (room, slot id) for the slot kinds
    minutes: int | None = None
    until: datetime | None = None
    to_room: str | None = None
    text: str = ""
    priority: str = "normal"
    expires: datetime | None = None
    target: str | None = None
    reason: str = ""
    shift_rest: bool = False
    screens: str = ROOM_SCREENS  # an announcement's: ``SCREENS``

    @property
    def on_room_screens(self) -> bool:
        """Shown by its rooms' displays and phones (an announcement to the boards only is not)."""
        return self.screens != BOARDS

    @property
    def on_boards(self) -> bool:
        return self.kind is OverrideKind.ANNOUNCE and self.screens in (BOARDS, EVERYWHERE)

    def slot_in(self, room: str) -> str | None:
        return next((slot for r, slot in self.slots if r == room), None)

    def to_data(self) -> dict[str, Any]:
        """JSON-able, for the store and the API."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "rooms": list(self.rooms),
            "author": self.author,
            "created": self.created.isoformat(),
            "effective": self.effective.isoformat(),
            "slots": {room: slot for room, slot in self.slots},
            "minutes": self.minutes,
            "until": self.until.isoformat() if self.until else None,
            "to_room": self.to_room,
            "text": self.text,
            "priority": self.priority,
            "expires": self.expires.isoformat() if self.expires else None,
            "target": self.target,
            "reason": self.reason,
            "shift_rest": self.shift_rest,
        }
        if self.screens != ROOM_SCREENS:  # entries made before boards read the same as then
            data["screens"] = self.screens
        return data

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Override:
        def instant(key: str) -> datetime | None:
            value = data.get(key)
            return datetime.fromisoformat(value) if value else None

        created = instant("created")
        effective = instant("effective")
        assert created is not None and effective is not None
        return cls(
            id=data["id"],
            kind=OverrideKind(data["kind"]),
            rooms=tuple(data["rooms"]),
            author=data["author"],
            created=created,
            effective=effective,
            slots=tuple(sorted(data.get("slots", {}).items())),
            minutes=data.get("minutes"),
            until=instant("until"),
            to_room=data.get("to_room"),
            text=data.get("text") or "",
            priority=data.get("priority") or "normal",
            expires=instant("expires"),
            target=data.get("target"),
            reason=data.get("reason") or "",
            shift_rest=bool(data.get("shift_rest")),
            screens=data.get("screens") or ROOM_SCREENS,
        )


def cleared_ids(overrides: Sequence[Override], instant: datetime) -> set[str]:
    return {
        o.target
        for o in overrides
        if o.kind is OverrideKind.CLEAR and o.target and o.effective <= instant
    }


def in_force(overrides: Sequence[Override], instant: datetime) -> list[Override]:
    """The overrides that shape what screens show at ``instant``: effective by then, not
    expired, not cleared.  In the order they were made (a later one wins over an earlier)."""
    cleared = cleared_ids(overrides, instant)
    return [
        o
        for o in overrides
        if o.kind is not OverrideKind.CLEAR
        and o.id not in cleared
        and o.effective <= instant
        and (o.expires is None or instant < o.expires)
    ]


def standing(overrides: Sequence[Override], instant: datetime) -> list[Override]:
    """Overrides not cleared and not expired, including those that take effect later: what
    the console lists as "in force"."""
    cleared = cleared_ids(overrides, instant)
    return [
        o
        for o in overrides
        if o.kind is not OverrideKind.CLEAR
        and o.id not in cleared
        and (o.expires is None or instant < o.expires)
    ]


def for_room(overrides: Sequence[Override], room: str) -> list[Override]:
    return [o for o in overrides if room in o.rooms or o.to_room == room]
