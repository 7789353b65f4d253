"""A session ended from the command line (another process) ends the console too: `dashboard
user remove` and `dashboard user passwd` end the sessions in the database, and an open console
socket notices within ws.SESSION_RECHECK and is closed, as a logout closes it."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from dashboard.settings import Settings
from dashboard.web import ws
from dashboard.web.app import create_app
from tests._staff import PASSWORD, accounts, cli
from tests.conftest import make_config

ORIGIN = {"origin": "http://testserver"}
WEDNESDAY = datetime(2023, 12, 13, 11, 0, tzinfo=ZoneInfo("America/New_York"))


@pytest.mark.parametrize(
    "command",
    [("user", "remove", "alice"), ("user", "passwd", "alice")],
)
def test_the_command_line_ends_an_open_console(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setattr(ws, "SESSION_RECHECK", 0.2)
    config = make_config(
        tmp_path / "config", files={"settings.toml": 'allowed_origins = ["http://testserver"]\n'}
    )
    data = tmp_path / "data"
    accounts(data, users=(("alice", "chair", "cr4"),))
    app = create_app(Settings.load(config, data_dir=data, start_at=WEDNESDAY))
    with TestClient(app, headers=ORIGIN) as client:
        client.post("/chair/login", data={"name": "alice", "password": PASSWORD})
        assert re.search(r"Logged in as alice", client.get("/chair").text)
        with client.websocket_connect("/ws/chair", headers=ORIGIN) as socket:
            assert 'id="console-cr4"' in socket.receive_text()
            result = cli(*command, data=data, stdin="a new password\n")
            assert result.returncode == 0, result.stderr
            assert "1 session ended" in result.stderr
            with pytest.raises(WebSocketDisconnect) as closed:
                for _ in range(3):  # a heartbeat (every 15 s) may come first
                    socket.receive_text()
            assert closed.value.code == 1008
        assert "Logged in as" not in client.get("/chair").text  # the login form again
        assert len(app.state.staff_sockets) == 0
