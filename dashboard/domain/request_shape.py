"""The shape of an override request (step 1 of ``requests.py``): the known fields only, each of
its type, read from the JSON bytes of ``POST /api/overrides`` (``decode_request``) or from a
mapping such as the console's form (``parse_request``); strings must be text.  Every refusal is
an ``OverrideError`` naming the field.  What the fields mean is ``requests.build_override``'s."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import msgspec

from .overrides import OverrideError, OverrideKind

MAX_LATE_MINUTES = 240
_SURROGATE = re.compile(r"[\ud800-\udfff]")


# Why a library for the shape, and which: every 500 that issue 12 found came from reading the
# JSON by hand (json.loads recursing 30,000 levels deep, a 5,001-digit integer converted from
# text, a lone surrogate accepted and failing later in the hash) or from a type never checked
# ("shift_rest": "yes").  msgspec decodes the bytes straight into this declared shape, in one
# pass in C: nesting goes no deeper than the shape (a list where a string belongs is refused at
# its first byte), unknown fields, wrong types, NaN, invalid UTF-8 and lone surrogates are
# refused by the decoder, and the console's form is checked against the same shape
# (``msgspec.convert``).  It is small (one extension module, no dependencies), typed for mypy,
# and maintained; pydantic would do the same here with several packages more.  What no schema
# can say (the fields each kind takes, ranges that depend on the programme, the clock and the
# overrides already made) stays below, by hand, with messages written for the people who read
# them.
class OverrideRequest(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True, frozen=True):
    """What a sender may say.  ``None`` (or a JSON null) is "not given"."""

    kind: str | None = None
    room: str | None = None
    rooms: str | list[str] | None = None  # "all", or room ids
    slot: str | None = None
    minutes: int | None = None
    shift_rest: bool | None = None
    until: str | None = None
    to_room: str | None = None
    text: str | None = None
    priority: str | None = None
    expires: str | None = None
    target: str | None = None
    reason: str | None = None
    effective: str | None = None
    screens: str | None = None  # an announcement's: "rooms", "boards" or "all"

    def given(self) -> list[str]:
        """The fields given, in declaration order."""
        return [f for f in self.__struct_fields__ if getattr(self, f) is not None]


FIELDS = frozenset(OverrideRequest.__struct_fields__)
# The fields each kind takes, besides kind, room/rooms, reason and effective.  A field that the
# kind does not take is refused, never silently dropped: the sender meant something by it.
_SLOT_FIELDS = frozenset({"slot", "expires"})
KIND_FIELDS: Mapping[OverrideKind, frozenset[str]] = {
    OverrideKind.LATE: _SLOT_FIELDS | {"minutes", "shift_rest"},
    OverrideKind.EXTEND: _SLOT_FIELDS | {"until"},
    OverrideKind.END: _SLOT_FIELDS,
    OverrideKind.SUSPEND: _SLOT_FIELDS | {"until"},
    OverrideKind.RESUME: _SLOT_FIELDS,
    OverrideKind.CANCEL: _SLOT_FIELDS | {"text"},
    OverrideKind.MOVE: _SLOT_FIELDS | {"to_room"},
    OverrideKind.CLOSED: _SLOT_FIELDS,
    OverrideKind.POINTER: _SLOT_FIELDS | {"text"},
    OverrideKind.ANNOUNCE: frozenset({"text", "priority", "expires", "screens"}),
    OverrideKind.CLEAR: frozenset({"target"}),
}
ANY_KIND_FIELDS = frozenset({"kind", "room", "rooms", "reason", "effective"})
_ROOMS = 'give "room" (a room id or "all") or "rooms" (a list of room ids, or "all")'
# What each field should have been, for a value of the wrong type.
EXPECTED = {
    "kind": f"must be one of {', '.join(OverrideKind)}",
    "room": _ROOMS,
    "rooms": _ROOMS,
    "slot": "expected a slot id (a string)",
    "minutes": "expected a whole number of minutes",
    "shift_rest": "expected true or false",
    "until": "expected an ISO 8601 time",
    "to_room": "give the room the meeting moves to",
    "text": "expected a string",
    "priority": "must be normal or urgent",
    "expires": 'expected an ISO 8601 time, or "never" (shown until undone)',
    "target": "give the id of the override to clear",
    "reason": "expected a string",
    "effective": "expected an ISO 8601 time",
    "screens": 'must be "rooms" (the rooms\' displays), "boards" (the hall boards only) or "all"'
    " (every screen of the building)",
}
_AT_FIELD = re.compile(r"at `\$\.(\w+)")
_UNKNOWN_FIELD = re.compile(r"unknown field `(.*)`", re.DOTALL)


def decode_request(raw: bytes) -> OverrideRequest:
    """The request in ``raw`` (the JSON body of ``POST /api/overrides``)."""
    try:
        request = msgspec.json.decode(raw, type=OverrideRequest)
    except msgspec.ValidationError as exc:
        raise _shape_error(str(exc)) from None
    except msgspec.DecodeError as exc:
        raise OverrideError("body", f"not valid JSON in UTF-8 ({exc})") from None
    _check_strings(request)
    return request


def parse_request(body: OverrideRequest | Mapping[str, Any]) -> OverrideRequest:
    """The request a mapping (the console's form, a test's dict) makes, checked as the JSON is."""
    if isinstance(body, OverrideRequest):
        request = body
    elif not isinstance(body, Mapping):
        raise OverrideError("body", "expected a JSON object")
    else:
        try:
            request = msgspec.convert(dict(body), OverrideRequest, strict=True)
        except msgspec.ValidationError as exc:
            raise _shape_error(str(exc)) from None
    _check_strings(request)
    return request


def request_fingerprint(request: OverrideRequest) -> str:
    """A digest of what the request says, whatever the JSON's spacing and key order: an
    idempotency key sent again with another fingerprint is another request (the IETF
    Idempotency-Key draft's "fingerprint")."""
    return hashlib.sha256(msgspec.json.encode(request)).hexdigest()


def _shape_error(message: str) -> OverrideError:
    if unknown := _UNKNOWN_FIELD.search(message):
        return OverrideError(_shorten(unknown.group(1)), "unknown field")
    if at := _AT_FIELD.search(message):
        field = at.group(1)
        if field == "minutes" and "out of range" in message:
            return OverrideError(field, f"must be between 1 and {MAX_LATE_MINUTES}")
        return OverrideError(field, EXPECTED.get(field, message))
    return OverrideError("body", "expected a JSON object")


def _shorten(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_strings(request: OverrideRequest) -> None:
    for field in request.given():
        value = getattr(request, field)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and _SURROGATE.search(item):
                raise OverrideError(field, "is not valid text (a lone surrogate)")
