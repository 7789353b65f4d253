"""State that went stale or grew without bound (issue 9, item 7).

The real app, in-process (Starlette's TestClient speaks HTTP and WebSocket to it), so that what
it keeps can be looked at: error pages list the rooms running now, a chair whose rooms are gone
gets a clear answer rather than a 500 and a reconnecting console, staff sockets are forgotten
when they close, a display refused for its Origin is not listed as a screen, and ws.py logs
what ends a connection once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dashboard.live.screens import ScreenRegistry
from dashboard.settings import Settings
from dashboard.web import ws
from dashboard.web.app import create_app
from tests._staff import PASSWORD, accounts
from tests.conftest import SHIPPED_NOTE, make_config

ORIGIN = {"origin": "http://testserver"}
WEDNESDAY = datetime(2023, 12, 13, 11, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    config = make_config(
        tmp_path / "config",
        rooms=[
            ("cr4", "Conference Room 4", SHIPPED_NOTE.name),
            ("cr9", "Conference Room 9", SHIPPED_NOTE.name),
        ],
        # TestClient's pages come from http://testserver: a DNS name, so a configured origin
        # (the Host header alone is no longer trusted for WebSockets: DNS rebinding).
        files={"settings.toml": 'allowed_origins = ["http://testserver"]\n'},
    )
    data = tmp_path / "data"
    accounts(data, users=(("sec", "secretariat", None), ("nine", "chair", "cr9")), config=config)
    return config, data


@pytest.fixture
def app(folders: tuple[Path, Path]) -> Starlette:
    config, data = folders
    return create_app(Settings.load(config, data_dir=data, start_at=WEDNESDAY))


@pytest.fixture
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, headers=ORIGIN) as client:
        yield client


def log_in(client: TestClient, name: str) -> str:
    response = client.post("/chair/login", data={"name": name, "password": PASSWORD})
    assert response.status_code in (200, 303), response.text
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/chair").text)
    assert found
    return found.group(1)


def drop_room_nine(config: Path, app: Starlette, client: TestClient) -> None:
    """A revised rooms.toml without cr9 (and cr4 renamed), published as the watcher would (on
    the app's event loop)."""
    (config / "rooms.toml").write_text(
        f'[[rooms]]\nid = "cr4"\nname = "Trusteeship Council"\nprogramme = "{SHIPPED_NOTE.name}"\n',
        encoding="utf-8",
    )
    assert client.portal is not None
    result = client.portal.call(app.state.reloader.reload)
    assert getattr(result, "ok", True), result


def test_an_error_page_lists_the_rooms_running_now(
    client: TestClient, app: Starlette, folders: tuple[Path, Path]
) -> None:
    before = client.get("/rooms/nowhere")
    assert before.status_code == 404 and "Conference Room 9" in before.text
    drop_room_nine(folders[0], app, client)
    after = client.get("/rooms/nowhere")
    assert after.status_code == 404
    assert "Trusteeship Council" in after.text and "Conference Room 9" not in after.text


def test_a_chair_whose_rooms_are_gone_gets_answers_not_errors(
    client: TestClient, app: Starlette, folders: tuple[Path, Path]
) -> None:
    log_in(client, "nine")
    drop_room_nine(folders[0], app, client)
    console = client.get("/chair")
    assert console.status_code == 200
    assert "has no room in the programmes running now" in console.text
    assert "You may act on no room." in console.text
    history = client.get("/chair/history")
    assert history.status_code == 403
    assert "Traceback" not in history.text
    # The console's live socket is accepted and stays open (heartbeats only), rather than
    # failing and reconnecting forever.
    with client.websocket_connect("/ws/chair", headers=ORIGIN) as socket:
        assert len(app.state.staff_sockets) == 1
        socket.send_text("hb")
    assert len(app.state.staff_sockets) == 0


def test_staff_sockets_are_forgotten_when_they_close(client: TestClient, app: Starlette) -> None:
    log_in(client, "sec")
    for _ in range(3):
        with client.websocket_connect("/ws/chair", headers=ORIGIN) as socket:
            first = socket.receive_text()
            assert 'id="console-cr4"' in first or 'id="console-cr9"' in first
            assert len(app.state.staff_sockets) == 1
    assert len(app.state.staff_sockets) == 0


def test_a_display_refused_for_its_origin_is_not_listed(client: TestClient, app: Starlette) -> None:
    registry: ScreenRegistry = app.state.screens
    with (
        pytest.raises(WebSocketDisconnect),
        client.websocket_connect(
            "/ws/display/cr4?screen=evil", headers={"origin": "http://evil.example"}
        ),
    ):
        pass
    assert registry.screens() == []
    with client.websocket_connect("/ws/display/cr4?screen=door", headers=ORIGIN) as socket:
        socket.receive_text()
        assert [s.name for s in registry.screens()] == ["door"]


def test_what_ends_a_connection_is_logged_once_with_its_channel(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="dashboard.web.ws"):
        ws._report(WebSocketDisconnect(1001), ["display:cr4"])
        ws._report(RuntimeError("a bug"), ["display:cr4"])
        ws._report(None, ["display:cr4"])
    records = [(r.levelno, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert records == [
        (logging.DEBUG, "display:cr4: peer gone (WebSocketDisconnect)", False),
        (logging.WARNING, "display:cr4: connection failed", True),
    ]
