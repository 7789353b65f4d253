"""What the store hands back, and how instants and values are written to the database."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ROLES = ("chair", "secretariat")


class AuditError(Exception):
    """The override log cannot be read as stored (e.g. an entry's data is not JSON).
    verify() does not raise it: it reports the first bad entry in a VerifyResult."""


class StorageError(Exception):
    """A write failed for want of storage: ``state`` is "full" (no space), "read-only" or
    "failing" (I/O errors).  Nothing of the transaction was stored."""

    def __init__(self, state: str, detail: str) -> None:
        super().__init__(f"storage {state}: {detail}")
        self.state = state


@dataclass(frozen=True)
class StoredOverride:
    seq: int
    id: str
    created: datetime
    actor: str
    data: dict[str, Any]
    prev_hash: str
    hash: str


class KeyReused(ValueError):
    """An idempotency key used again for another request (another fingerprint)."""

    def __init__(self, earlier: StoredOverride) -> None:
        super().__init__(f"idempotency key already used for override {earlier.id}")
        self.earlier = earlier


@dataclass(frozen=True)
class User:
    name: str
    role: str  # "chair" | "secretariat"
    rooms: tuple[str, ...]


@dataclass(frozen=True)
class Token:
    name: str
    role: str
    rooms: tuple[str, ...]
    revoked: bool


@dataclass(frozen=True)
class Session:
    id_hash: str  # sha256 hex of the cookie secret; the secret itself is never stored
    user: str
    csrf: str
    created: datetime
    expires: datetime


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int  # entries verified good (all of them when ok)
    first_bad_seq: int | None
    message: str


def instant_text(moment: datetime) -> str:
    """An aware datetime as ISO 8601 UTC with a fixed width (microseconds always present), so
    that text order is time order and SQL can compare instants as strings."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware one")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def parse_instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise AuditError(f"stored instant without offset: {text!r}")
    return moment


def canonical_json(value: Any) -> str:
    """The one JSON spelling of a value that the hash chain is computed over."""
    try:
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
    except (TypeError, ValueError) as exc:  # unserialisable values, NaN, mixed-type keys
        raise ValueError(f"not storable as JSON: {exc}") from None


def parse_data(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("data is not a JSON object")
    return value


# User and token names: lower-case ASCII letters, digits and . _ - @, starting with a letter or
# a digit.  No ":" above all: a token acts as "token:NAME", a name no user can then take; and no
# look-alike letters from other scripts, spaces or control characters in the audit trail.
NAME_RULE = "lower-case letters a-z, digits and . _ - @, starting with a letter or a digit"
MAX_NAME = 64
_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]*")


def check_name(name: str, what: str) -> None:
    if not name or not name.strip():
        raise ValueError(f"{what} name is empty")
    if name != name.strip():
        raise ValueError(f"{what} name {name!r} has leading or trailing spaces")
    if len(name) > MAX_NAME:
        raise ValueError(f"{what} name {name[:20]!r}…: at most {MAX_NAME} characters")
    if not _NAME.fullmatch(name):
        raise ValueError(f"{what} name {name!r}: use {NAME_RULE}")


def check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role {role!r}: expected one of {', '.join(ROLES)}")


def rooms_text(rooms: tuple[str, ...]) -> str:
    if isinstance(rooms, str):  # a bare "cr4" would otherwise become ("c", "r", "4")
        raise ValueError("rooms: pass a tuple of room ids, not a string")
    for room in rooms:
        if not isinstance(room, str) or not room.strip():
            raise ValueError(f"room id {room!r} is not a non-empty string")
    return canonical_json(list(rooms))


def parse_rooms(text: str) -> tuple[str, ...]:
    return tuple(str(room) for room in json.loads(text))
