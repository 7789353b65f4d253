"""``dashboard serve --log-format json``: one JSON object a line, with the request id (made by
the server, returned as X-Request-ID) and the room wherever there is one."""

from __future__ import annotations

import json
import logging
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from dashboard.logs import REQUEST_ID, ContextFilter, JsonFormatter, room_context
from tests.conftest import make_config, spawn_server, stop_server

HEX_ID = re.compile(r"^[0-9a-f]{16}$")
FORGED = "forged-id-0001"


def lines_of(log: Path) -> list[dict[str, Any]]:
    text = log.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except json.JSONDecodeError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
        assert isinstance(parsed[-1], dict), line
    return parsed


def test_every_line_is_json_with_the_request_id_and_the_room(tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    options = ("--log-level", "debug", "--log-format", "json")
    config = make_config(tmp_path / "config")
    at = "2023-12-13T10:30:00"  # the session under way: the scheduler books changes
    server = spawn_server(config, tmp_path / "data", log, at=at, options=options)
    try:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            page = client.get("/rooms/cr4", headers={"x-request-id": FORGED})
            api = client.get("/api/rooms/cr4/now")
            missing = client.get("/api/programme?room=nowhere")
            other = client.get("/api/time")
    finally:
        stop_server(server)
    ids = [r.headers["x-request-id"] for r in (page, api, missing, other)]
    assert all(HEX_ID.match(i) for i in ids), ids
    assert len(set(ids)) == 4
    assert page.headers.get_list("x-request-id") == [ids[0]]  # the client's is not echoed

    lines = lines_of(log)
    assert FORGED not in log.read_text(encoding="utf-8")
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
    access = {line["request_id"]: line for line in lines if line["logger"] == "uvicorn.access"}
    assert access[ids[0]]["room"] == "cr4" and access[ids[0]]["path"] == "/rooms/cr4"
    assert access[ids[0]]["status"] == 200
    assert access[ids[1]]["room"] == "cr4"
    assert access[ids[2]]["room"] == "nowhere" and access[ids[2]]["status"] == 404
    assert "room" not in access[ids[3]]
    # The scheduler's lines name their room too (no request there).
    scheduler = [line for line in lines if line["logger"] == "dashboard.live.scheduler"]
    assert scheduler and all(line["room"] == "cr4" for line in scheduler), scheduler
    # What serve says at start-up is JSON too.
    assert any(line["message"].startswith("Serving on http://") for line in lines)


def test_a_record_is_one_line_whatever_its_text(capsys: Any) -> None:
    """A message with line breaks, or a traceback, stays one JSON object on one line."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    logger = logging.getLogger("tests.json-lines")
    logger.addHandler(handler)
    logger.propagate = False
    token = REQUEST_ID.set("0123456789abcdef")
    try:
        with room_context("cr4"):
            logger.warning('two\nlines \u2014 "quoted"')
            try:
                raise ValueError("boom")
            except ValueError:
                logger.exception("failed")
        logger.warning("after")
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    first, failed, after = (json.loads(line) for line in out)
    assert first["message"] == 'two\nlines \u2014 "quoted"'
    assert first["room"] == "cr4" and first["request_id"] == "0123456789abcdef"
    assert "ValueError: boom" in failed["exc"]
    assert "room" not in after  # the room's context ended
