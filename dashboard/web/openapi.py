"""``GET /api/openapi.json``: the JSON endpoints and their shapes, as an OpenAPI 3.1 document.

Written by hand, next to the shapes it describes (domain/json_format.py, domain/request_shape.py,
the enumerations of domain/plan.py, timeline.py and overrides.py, which it reads so that a new
status or kind appears here by itself).  tests/web/test_openapi.py keeps it true: every /api
route is described, every path described is a route, and real answers validate against the
schemas.  OpenAPI 3.1's schemas are JSON Schema 2020-12.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain.overrides import PRIORITIES, OverrideKind
from ..domain.plan import SlotStatus
from ..domain.request_shape import OverrideRequest
from ..domain.timeline import Status

Schema = dict[str, Any]


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    return {"anyOf": [schema, {"type": "null"}]}


def obj(properties: dict[str, Schema], optional: tuple[str, ...] = ()) -> Schema:
    """An object with exactly these properties, all required but ``optional``."""
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
        "additionalProperties": False,
    }


STRING: Schema = {"type": "string"}
STRINGS: Schema = {"type": "array", "items": STRING}
INSTANT: Schema = {"type": "string", "format": "date-time"}
DAY: Schema = {"type": "string", "format": "date"}
FOOTNOTE = obj({"marker": STRING, "text": STRING})

SCHEMAS: dict[str, Schema] = {
    "Error": obj({"error": STRING, "storage": STRING}, optional=("storage",)),
    "Slot": obj(
        {
            "id": STRING,
            "start": INSTANT,
            "end": INSTANT,
            # The note printed the start alone: the end is the parser's default ("until about").
            "end_estimated": {"type": "boolean"},
            # The room the note names for this slot ("" when the note names none).
            "room": STRING,
            "agenda_items": STRINGS,
            "title": STRING,
            "details": STRINGS,
            "footnotes": {"type": "array", "items": FOOTNOTE},
            "kind": STRING,
        }
    ),
    "Programme": obj(
        {
            "title": STRING,
            "session": STRING,
            "venue": STRING,
            "timezone": STRING,
            "start_date": DAY,
            "end_date": DAY,
            "slots": {"type": "array", "items": ref("Slot")},
        }
    ),
    "Meeting": obj(
        {
            "id": STRING,
            "status": {"enum": [s.value for s in SlotStatus]},
            "start": INSTANT,
            "end": INSTANT,
            "scheduled_start": INSTANT,
            "scheduled_end": INSTANT,
            "room": STRING,
            "title": STRING,
            "agenda_items": STRINGS,
            "details": STRINGS,
            "footnotes": {"type": "array", "items": FOOTNOTE},
            "kind": STRING,
            "closed": {"type": "boolean"},
            "notices": STRINGS,
        }
    ),
    "Room": obj(
        {"id": STRING, "name": STRING, "programme": STRING, "title": STRING, "session": STRING}
    ),
    "RoomNow": obj(
        {
            "room": STRING,
            "at": INSTANT,
            "status": {"enum": [s.value for s in Status]},
            "current": nullable(ref("Meeting")),
            "next": nullable(ref("Meeting")),
        }
    ),
    "RoomDay": obj(
        {
            "room": STRING,
            "at": INSTANT,
            "date": DAY,
            "slots": {"type": "array", "items": ref("Meeting")},
        }
    ),
    "Time": obj({"now": {"type": "number"}, "speed": {"type": "number"}}),
    "OverrideRequest": {
        "type": "object",
        "description": "Kinds and the fields each takes: README.md, 'The chair's office'.",
        "properties": {
            **{field: nullable(STRING) for field in OverrideRequest.__struct_fields__},
            "kind": {"enum": [k.value for k in OverrideKind]},
            "rooms": {"anyOf": [STRING, STRINGS, {"type": "null"}]},
            "minutes": nullable({"type": "integer"}),
            "shift_rest": nullable({"type": "boolean"}),
            "priority": nullable({"enum": list(PRIORITIES)}),
        },
        "required": ["kind"],
        "additionalProperties": False,
    },
    "Override": obj(
        {
            "id": STRING,
            "kind": {"enum": [k.value for k in OverrideKind]},
            "rooms": STRINGS,
            "author": STRING,
            "created": INSTANT,
            "effective": INSTANT,
            "slots": {"type": "object", "additionalProperties": STRING},
            "minutes": nullable({"type": "integer"}),
            "until": nullable(INSTANT),
            "to_room": nullable(STRING),
            "text": nullable(STRING),
            "priority": nullable(STRING),
            "expires": nullable(INSTANT),
            "target": nullable(STRING),
            "reason": nullable(STRING),
            "shift_rest": nullable({"type": "boolean"}),
            "in_force": {"type": "boolean"},
        }
    ),
    "Overrides": obj({"room": STRING, "overrides": {"type": "array", "items": ref("Override")}}),
    "OverrideReceipt": obj(
        {
            "id": STRING,
            "version": {"type": "integer"},
            "slots": {"type": "object", "additionalProperties": ref("Meeting")},
        }
    ),
    "ReloadResult": obj(
        {
            "published": {"type": "boolean"},
            "rooms": {
                "type": "object",
                "additionalProperties": obj(
                    {
                        "added": STRINGS,
                        "removed": STRINGS,
                        "moved": {"type": "array", "items": STRINGS},
                        "changed": STRINGS,
                    }
                ),
            },
            "orphaned_overrides": STRINGS,
        }
    ),
    "Health": obj(
        {
            "status": {"enum": ["ok", "degraded", "starting"]},
            "live": {"type": "boolean"},
            "ready": {"type": "boolean"},
            "storage": obj(
                {
                    "state": {"enum": ["ok", "full", "read-only", "failing"]},
                    "free_bytes": nullable({"type": "integer"}),
                }
            ),
            "rooms": {
                "type": "object",
                "additionalProperties": obj(
                    {
                        "version": {"type": "integer"},
                        "screens": {"type": "integer"},
                        "phones": {"type": "integer"},
                        "next_change": nullable(INSTANT),
                        "last_publish": nullable(INSTANT),
                        "behind": {"type": "boolean"},
                        "error": STRING,
                    },
                    optional=("error",),
                ),
            },
        }
    ),
}


def answer(description: str, schema: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": description, **_json(schema)}}


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": ref(schema)}}}


def errors(*statuses: int) -> dict[str, Any]:
    words = {
        400: "bad request (the field named)",
        401: "no or unknown token",
        403: "not allowed",
        404: "unknown room",
        408: "body not sent in time",
        413: "body too large",
        422: "Idempotency-Key already used for another request",
        503: "storage read-only or failing",
        507: "storage full",
    }
    return {str(s): {"description": words[s], **_json("Error")} for s in statuses}


ROOM = {"name": "room", "in": "path", "required": True, "schema": STRING}


def query(name: str, required: bool = False, schema: Schema = STRING) -> Schema:
    return {"name": name, "in": "query", "required": required, "schema": schema}


BEARER: list[dict[str, list[str]]] = [{"bearer": []}, {"session": []}]


def document() -> dict[str, Any]:
    """The OpenAPI document (built afresh: it is small, and asked for rarely)."""
    paths: dict[str, Any] = {
        "/api/rooms": {
            "get": {
                "summary": "The rooms and their programmes",
                "responses": {
                    "200": {
                        "description": "every room",
                        "content": {
                            "application/json": {"schema": {"type": "array", "items": ref("Room")}}
                        },
                    }
                },
            }
        },
        "/api/rooms/{room}/now": {
            "get": {
                "summary": "The room as it stands now (overrides in force applied)",
                "parameters": [ROOM],
                "responses": {**answer("the room now", "RoomNow"), **errors(404)},
            }
        },
        "/api/rooms/{room}/slots": {
            "get": {
                "summary": "A day's meetings of the room, as they stand now",
                "parameters": [
                    ROOM,
                    query("date", schema=DAY),
                ],
                "responses": {**answer("the day's meetings", "RoomDay"), **errors(400, 404)},
            }
        },
        "/api/programme": {
            "get": {
                "summary": "A room's printed programme (as `dashboard export` prints it)",
                "parameters": [query("room")],
                "responses": {**answer("the printed programme", "Programme"), **errors(404)},
            }
        },
        "/api/programme/reload": {
            "post": {
                "summary": "Read the config folder again and publish (secretariat)",
                "security": BEARER,
                "parameters": [query("dry_run")],
                "responses": {
                    **answer("what changed", "ReloadResult"),
                    **errors(400, 401, 403),
                },
            }
        },
        "/api/time": {
            "get": {
                "summary": "The venue clock as the server runs it (ms since the epoch, speed)",
                "responses": answer("the clock", "Time"),
            }
        },
        "/api/overrides": {
            "get": {
                "summary": "A room's overrides in force (?all=1: every one ever made)",
                "security": BEARER,
                "parameters": [
                    query("room", required=True),
                    query("all"),
                ],
                "responses": {**answer("the overrides", "Overrides"), **errors(401, 403, 404)},
            },
            "post": {
                "summary": "Send an override (the console's desk, the same rules)",
                "security": BEARER,
                "parameters": [
                    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": STRING}
                ],
                "requestBody": {"required": True, **_json("OverrideRequest")},
                "responses": {
                    **answer("stored, and the meeting acted on per room", "OverrideReceipt", "201"),
                    **errors(400, 401, 403, 408, 413, 422, 503, 507),
                },
            },
        },
        "/api/openapi.json": {
            "get": {
                "summary": "This document",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/healthz": {
            "get": {
                "summary": "Live, ready, storage and each room's health (?strict=1: 503 degraded)",
                "parameters": [query("strict")],
                "responses": {
                    **answer("ok or degraded", "Health"),
                    "503": {"description": "starting, or degraded (?strict=1)", **_json("Health")},
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Meeting-room dashboard",
            "version": "1",
            "description": "The rooms as they stand, the printed programme, and overrides.",
        },
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "dsh_session"},
            },
        },
    }


async def openapi(request: Request) -> JSONResponse:
    return JSONResponse(document())
