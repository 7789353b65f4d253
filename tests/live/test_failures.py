"""A refresh that raises never freezes a room (issue 9, item 1).

The room keeps its next change booked (a retry first), nothing is committed until it is
published, the failure is logged with its room and traceback, and ``/healthz`` says the room is
behind ("degraded"; 503 with ``?strict=1``) until a refresh succeeds again.  The failure is a
real one: a template that raises for the in-session state, fixed on disk while the server runs.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from dashboard.clock import ShiftedClock
from dashboard.live.hub import Hub
from dashboard.live.render import TEMPLATES_DIR, Renderer
from dashboard.live.scheduler import RoomScheduler
from dashboard.live.service import LiveService, display_channel
from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests.conftest import make_config
from tests.live.test_scheduler import ny, status_and_slot, take

BROKEN = '{% if v.state.status == "in_session" %}{{ v.no_such_field }}{% endif %}\n'


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of the templates whose phone partial raises for the in-session state (the display
    partials, rendered ahead in the timeline, do not)."""
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES_DIR, folder)
    partial = folder / "partials" / "_room_now.html"
    partial.write_text(BROKEN + partial.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def repair(templates: Path) -> None:
    partial = templates / "partials" / "_room_now.html"
    partial.write_text(partial.read_text(encoding="utf-8").replace(BROKEN, ""), encoding="utf-8")
    later = partial.stat().st_mtime + 10  # Jinja reloads a template whose mtime changed
    os.utime(partial, (later, later))


@asynccontextmanager
async def app_with(
    templates: Path, tmp_path: Path, clock: ShiftedClock
) -> AsyncIterator[Starlette]:
    settings = Settings.load(make_config(tmp_path / "config"), data_dir=tmp_path / "data")
    app = create_app(settings, clock=clock)
    service: LiveService = app.state.live
    service.renderer = Renderer("en", templates_dir=templates, room_names={"cr4": "CR 4"})
    async with app.router.lifespan_context(app):
        yield app


async def healthz(app: Starlette, query: str = "") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(f"/healthz{query}")


async def test_a_failed_render_keeps_the_room_booked_and_says_so(
    templates: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    clock = ShiftedClock(ny(13, 14, 59), speed=1)
    async with app_with(templates, tmp_path, clock) as app:
        hub: Hub = app.state.hub
        service: LiveService = app.state.live
        scheduler: RoomScheduler = app.state.scheduler
        subscriber = hub.subscribe(display_channel("cr4"))
        first = await take(subscriber, 2)
        assert (first.version, *status_and_slot(first)) == (1, "next_today", None)
        assert (await healthz(app)).json()["status"] == "ok"

        with caplog.at_level(logging.ERROR, logger="dashboard.live.scheduler"):
            scheduler.update("cr4", ny(13, 15))  # the 15:00 boundary; never raises
        # Logged once, with the room and the traceback.
        failed = [r for r in caplog.records if "refresh failed" in r.getMessage()]
        assert len(failed) == 1 and "cr4" in failed[0].getMessage()
        assert failed[0].exc_info is not None and "no_such_field" in caplog.text
        # Nothing committed, nothing sent: the room is still at its last published state.
        assert subscriber.idle
        assert (service.view("cr4").version, service.view("cr4").state.status) == (1, "next_today")
        # A retry is booked (a second away in real time), before the 18:00 change.
        run = scheduler.next_run("cr4")
        assert run is not None and run < datetime.now(UTC) + timedelta(seconds=2)
        health = await healthz(app)
        assert health.status_code == 200
        body = health.json()
        assert body["status"] == "degraded"
        assert body["rooms"]["cr4"]["behind"] is True
        assert "no_such_field" in body["rooms"]["cr4"]["error"]
        assert (await healthz(app, "?strict=1")).status_code == 503

        repair(templates)  # the retry, when it runs, succeeds
        frame = await take(subscriber, 5)
        assert (frame.version, *status_and_slot(frame)) == (2, "in_session", "2023-12-13-1500")
        body = (await healthz(app, "?strict=1")).json()
        assert body["status"] == "ok"
        assert body["rooms"]["cr4"]["behind"] is False
        assert "error" not in body["rooms"]["cr4"]
        # And the slot's end is booked next.
        assert body["rooms"]["cr4"]["next_change"] == "2023-12-13T18:00:00-05:00"
        assert abs(scheduler.next_run("cr4") - clock.real_time_of(ny(13, 18))) < timedelta(  # type: ignore[operator]
            seconds=1
        )


async def test_healthz_reports_each_rooms_next_change_and_last_publish(
    tmp_path: Path, templates: Path
) -> None:
    repair(templates)
    clock = ShiftedClock(ny(13, 11), speed=1)
    async with app_with(templates, tmp_path, clock) as app:
        body = (await healthz(app, "?strict=1")).json()
        room = body["rooms"]["cr4"]
        assert room["next_change"] == "2023-12-13T13:00:00-05:00"
        assert room["last_publish"].startswith("2023-12-13T11:00")
        assert room["behind"] is False
