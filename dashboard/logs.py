"""How the server logs: plain text (uvicorn's own layout), or one JSON object a line.

``dashboard serve --log-format json`` writes every record (ours, uvicorn's, its access log) as
one JSON object on one line, with the request id and the room wherever there is one.  Both come
from context variables: the request id is set by ``RequestIdMiddleware`` (web/request_id.py)
for each request and WebSocket, the room by the same middleware from the path (or ``?room=``),
and by the scheduler around each room's refresh.  A context variable follows the request's task
and whatever it awaits, so a line logged deep in the store still carries them, and uvicorn's
access line too (it is written while the app sends its response).
"""

from __future__ import annotations

import contextlib
import json
import logging
import logging.config
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
ROOM: ContextVar[str | None] = ContextVar("room", default=None)
FORMATS = ("text", "json")
_json_lines = False  # set once `serve --log-format json` has configured logging


def use_json_lines(level: str) -> None:
    """Every line JSON from now on (``serve --log-format json``, before anything is read)."""
    global _json_lines
    logging.config.dictConfig(json_log_config(level))
    _json_lines = True


def warn(text: str) -> None:
    """A warning for whoever runs the command: a line on stderr, or a JSON record when the
    server logs JSON (a programme's warnings at start-up)."""
    if _json_lines:
        logging.getLogger("dashboard").warning(text)
    else:
        print(text, file=sys.stderr)


@contextlib.contextmanager
def room_context(room_id: str) -> Iterator[None]:
    """Lines logged within are about ``room_id``."""
    token = ROOM.set(room_id)
    try:
        yield
    finally:
        ROOM.reset(token)


class ContextFilter(logging.Filter):
    """Puts the request id and the room of the current context on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.room = ROOM.get()
        return True


# uvicorn's access record: its args are (client, method, path, HTTP version, status).
ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, and request_id,
    room, the access line's fields and the traceback (``exc``) when there are."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "room"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            line.update(zip(ACCESS_FIELDS, record.args, strict=False))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def json_log_config(level: str) -> dict[str, Any]:
    """uvicorn's ``log_config`` for JSON lines on stderr: one handler on the root logger, which
    uvicorn's loggers and ours propagate to."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter}},
        "formatters": {"json": {"()": JsonFormatter}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["context"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            **{
                name: {"handlers": [], "propagate": True, "level": level.upper()}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "dashboard")
            },
            # Its every job run at info level would drown the rest.
            "apscheduler": {"handlers": [], "propagate": True, "level": "WARNING"},
        },
    }
