"""The hall board against a real server and real WebSocket clients: its frame is the rooms' truth
(the JSON says the same), one frame for every board, sent to a new board first; a board is a
named screen in the secretariat's list of displays (not a chair's); bad filters are refused
with what is wrong, never a 5xx."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from dashboard.clock import ShiftedClock
from dashboard.live.render import Renderer
from tests._staff import accounts, bearer, rooms
from tests.conftest import Server, make_config
from tests.web.test_server import in_process

from .test_console_screens import SUMMARY, rows, staff, summary, until

StartServer = Callable[..., Server]
AT = "2023-12-13T14:00:00"
ROW = re.compile(
    r'<tr class="board-row tone-(\w+) say-(\w+)" data-slot="([^"]+)" data-room="(\w+)"'
)


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path, str]:
    config = make_config(tmp_path / "config", rooms=rooms("cr1"))
    data = tmp_path / "data"
    token = accounts(
        data,
        users=(("sam", "secretariat", None), ("one", "chair", "cr1")),
        tokens=(("ops", "secretariat", None),),
        config=config,
    )["ops"]
    return config, data, token


async def test_the_board_frame_says_what_every_view_says(
    start_server: StartServer, site: tuple[Path, Path, str]
) -> None:
    config, data, token = site
    server = start_server(at=AT, config=config, data=data)
    async with connect(f"{server.ws_url}/ws/board?screen=lobby-north") as board:
        first = str(await asyncio.wait_for(board.recv(), 10))
        assert first.startswith('<section id="board-now"')
        found = ROW.findall(first)
        assert ("wait", "starts", "2023-12-13-1500", "cr4") in found
        now = httpx.get(f"{server.url}/api/rooms/cr4/now", timeout=10).json()
        assert now["next"]["id"] == "2023-12-13-1500"
        # A change of one room: one new frame, with the room's new truth.
        posted = httpx.post(
            f"{server.url}/api/overrides",
            headers=bearer(token),
            json={"room": "cr4", "kind": "late", "minutes": 15},
            timeout=30,
        )
        assert posted.status_code == 201, posted.text
        frame = str(await asyncio.wait_for(board.recv(), 10))
        while "board-now" not in frame:  # a heartbeat may come first
            frame = str(await asyncio.wait_for(board.recv(), 10))
        assert ("warn", "late", "2023-12-13-1500", "cr4") in ROW.findall(frame)
        assert "Running 15 min late" in frame
        now = httpx.get(f"{server.url}/api/rooms/cr4/now", timeout=10).json()
        assert now["next"]["status"] == "late"
        # A board is a named screen, listed to the secretariat, not to a chair of a room.
        with staff(server, "sam") as (client, _):
            until(lambda: summary(client).get("@board") == (1, 0, 0), str(summary(client)))
            assert "Hall boards" in client.get("/chair/screens").text
            assert rows(client, "@board") == [("lobby-north", "connected")]
        with staff(server, "one") as (client, _):
            assert "@board" not in summary(client)
            assert client.get("/chair/screens/@board").status_code == 403
    assert SUMMARY  # the same line format as the rooms'


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("?rooms=cr9", 404, "There is no room called “cr9”."),
        ("?rooms=cr1,<script>", 404, "There is no room called “&lt;script&gt;”."),
        ("?programme=nothing", 404, "No room shows a programme called “nothing”."),
        ("?rooms=" + "x," * 1500, 400, "This request cannot be served"),
    ],
)
async def test_bad_filters_are_refused_naming_what(
    query: str, status: int, says: str, start_server: StartServer, site: tuple[Path, Path, str]
) -> None:
    config, data, _ = site
    server = start_server(at=AT, config=config, data=data)
    answer = httpx.get(f"{server.url}/board{query}", timeout=10)
    assert answer.status_code == status
    assert says in answer.text
    assert "<script>" not in answer.text
    good = httpx.get(f"{server.url}/board?rooms=cr1&programme=oewg-ict-sixth-session-2023")
    assert good.status_code == 200
    assert 'data-rooms="cr1" data-programme="oewg-ict-sixth-session-2023"' in good.text


async def test_announcements_to_the_boards_only_or_to_every_screen(
    start_server: StartServer, site: tuple[Path, Path, str]
) -> None:
    config, data, token = site
    server = start_server(at=AT, config=config, data=data)

    def announce(**body: object) -> httpx.Response:
        return httpx.post(
            f"{server.url}/api/overrides",
            headers=bearer(token),
            json={"kind": "announce", **body},
            timeout=30,
        )

    boards = announce(text="Boards only", screens="boards")
    assert boards.status_code == 201, boards.text
    everywhere = announce(text="Everywhere", screens="all", room="all")
    assert everywhere.status_code == 201, everywhere.text
    rooms_only = announce(text="Rooms only", room="cr4")
    assert rooms_only.status_code == 201, rooms_only.text
    async with connect(f"{server.ws_url}/ws/board") as board:
        frame = str(await asyncio.wait_for(board.recv(), 10))
    assert "Boards only" in frame and "Everywhere" in frame and "Rooms only" not in frame
    async with connect(f"{server.ws_url}/ws/display/cr4") as display:
        frame = str(await asyncio.wait_for(display.recv(), 10))
    assert "Boards only" not in frame and "Everywhere" in frame and "Rooms only" in frame
    # What the boards show is the whole building's: no single room, and only the secretariat.
    refused = announce(text="x", screens="boards", room="cr4")
    assert refused.status_code == 400
    assert refused.json()["error"].startswith("room: the hall boards show every room")
    bad = announce(text="x", screens="lobby")
    assert bad.status_code == 400
    assert bad.json()["error"].startswith("screens: must be")


async def test_a_chair_cannot_announce_on_the_boards(
    start_server: StartServer, site: tuple[Path, Path, str], tmp_path: Path
) -> None:
    config, data, _ = site
    chair = accounts(data, tokens=(("panel", "chair", "cr4"),), config=config)["panel"]
    server = start_server(at=AT, config=config, data=data)
    for screens in ("boards", "all"):
        answer = httpx.post(
            f"{server.url}/api/overrides",
            headers=bearer(chair),
            json={"kind": "announce", "text": "Fire drill", "screens": screens},
            timeout=30,
        )
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"].startswith("screens: only the secretariat")
    async with connect(f"{server.ws_url}/ws/board") as board:
        assert "Fire drill" not in str(await asyncio.wait_for(board.recv(), 10))


async def test_the_board_is_rendered_once_per_change_per_language_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nine boards in three languages (real uvicorn, real sockets): each its language's frame,
    and a room's change renders the board once in each language, whatever its readers."""
    renders: Counter[str] = Counter()
    render = Renderer.render

    def counting(self: Renderer, name: str, **context: Any) -> str:
        if name == "partials/_board.html":
            renders[self.language] += 1
        return render(self, name, **context)

    monkeypatch.setattr(Renderer, "render", counting)  # still renders: only counted
    elapsed = [0.0]
    clock = ShiftedClock(
        datetime(2023, 12, 13, 14, 59, 30, tzinfo=ZoneInfo("America/New_York")),
        monotonic=lambda: elapsed[0],
    )
    async with in_process(make_config(tmp_path / "config"), tmp_path / "data", clock) as app:
        url = app.state.url
        async with httpx.AsyncClient(base_url=url, timeout=10) as client:
            page = await client.get("/board?lang=fr")
            refused = await client.get("/board?lang=xx")  # a language not offered
        assert page.status_code == 200
        assert '<html lang="fr" dir="ltr">' in page.text and "Séances du jour" in page.text
        assert 'data-live="/ws/board?lang=fr"' in page.text
        async with contextlib.AsyncExitStack() as stack:
            boards = {
                lang: [
                    await stack.enter_async_context(
                        connect(f"{url.replace('http', 'ws')}/ws/board{query}")
                    )
                    for _ in range(3)
                ]
                for lang, query in (("en", ""), ("fr", "?lang=fr"), ("ar", "?lang=ar"))
            }
            says = {"en": "<th scope=\"col\" class=\"col-meeting\">Meeting<", "fr": ">Séance<",
                    "ar": ">الجلسة<"}  # fmt: skip
            for lang, sockets in boards.items():
                for socket in sockets:
                    first = str(await asyncio.wait_for(socket.recv(), 10))
                    assert 'data-version="1"' in first and says[lang] in first, lang
                    assert 'data-slot="2023-12-13-1500"' in first
            assert renders == {"en": 1, "fr": 1, "ar": 1}
            elapsed[0] = 30.0  # 15:00: cr4 goes into session, as its job at 15:00 would
            app.state.scheduler.update("cr4")
            for lang, sockets in boards.items():
                for socket in sockets:
                    frame = str(await asyncio.wait_for(socket.recv(), 10))
                    while "board-now" not in frame:  # a heartbeat may come first
                        frame = str(await asyncio.wait_for(socket.recv(), 10))
                    assert 'data-version="2"' in frame and says[lang] in frame, lang
            assert renders == {"en": 2, "fr": 2, "ar": 2}  # once each, not nine times
            # A language not offered: the page refused naming it, the socket refused (403).
            assert refused.status_code == 400 and "&#39;xx&#39; is not one of" in refused.text
            with pytest.raises(InvalidStatus) as failed:
                await connect(f"{url.replace('http', 'ws')}/ws/board?lang=xx")
            assert failed.value.response.status_code == 403
