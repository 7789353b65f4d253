"""HTTP against a real server: pages, errors, the JSON API, caching, health, and start-up."""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import connect

from dashboard.clock import ShiftedClock
from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests.conftest import ROOT, SHIPPED_NOTE, Server, free_port, make_config

StartServer = Callable[..., Server]
WEDNESDAY = "2023-12-13T11:00:00"


async def get(server: Server, path: str, **headers: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        return await client.get(path, headers=headers)


async def get_raw(server: Server, path: str, **headers: str) -> tuple[httpx.Response, bytes]:
    """The response and its body as sent (not decompressed)."""
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=5) as client,
        client.stream("GET", path, headers=headers) as response,
    ):
        body = b"".join([chunk async for chunk in response.aiter_raw()])
    return response, body


@contextmanager
def running_server(config: Path, at: str | None = None) -> Iterator[Server]:
    """Like the ``start_server`` fixture, for fixtures that outlive one test: a server for
    read-only tests that need not each pay for a start."""
    port = free_port()
    log = config / "server.log"
    args = [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port)]
    args += ["--config", str(config), "--data", str(config / "data"), "--log-level", "warning"]
    args += ["--at", at] if at else []
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 20
        while True:  # waiting for the start-up, not for a boundary
            assert process.poll() is None, f"server exited: {server.output()}"
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{server.url}/healthz", timeout=1).read()
                break
            assert time.monotonic() < deadline, f"server did not start: {server.output()}"
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def wednesday(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module's read-only tests; its clock shows Wednesday 13 December 2023,
    11 a.m. in New York."""
    with running_server(make_config(tmp_path_factory.mktemp("wednesday")), at=WEDNESDAY) as s:
        yield s


@pytest.mark.parametrize("path", ["/display/nope", "/rooms/nope"])
async def test_an_unknown_room_page_is_a_404_page(wednesday: Server, path: str) -> None:
    response = await get(wednesday, path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "nope" in response.text
    assert "Traceback" not in response.text
    # The rooms there are: their displays for a display's address, else their pages.
    room = "/display/cr4" if path.startswith("/display/") else "/rooms/cr4"
    assert f'href="{room}"' in response.text


async def test_an_unknown_room_name_is_escaped(wednesday: Server) -> None:
    response = await get(wednesday, "/rooms/%3Cb%3Enope%3C%5Cb%3E")
    assert response.status_code == 404
    assert "&lt;b&gt;nope&lt;\\b&gt;" in response.text
    assert "<b>nope" not in response.text


async def test_an_unknown_page_is_a_404_page(wednesday: Server) -> None:
    response = await get(wednesday, "/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "path", ["/api/rooms/nope/now", "/api/programme?room=nope", "/api/no-such-endpoint"]
)
async def test_api_errors_are_json(wednesday: Server, path: str) -> None:
    response = await get(wednesday, path)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    if "nope" in path:
        assert "nope" in body["error"]


async def test_api_rooms(wednesday: Server) -> None:
    response = await get(wednesday, "/api/rooms")
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": "cr4",
            "name": "Conference Room 4",
            "programme": SHIPPED_NOTE.name,
            "title": "Open-ended working group on security of and in the use of information "
            "and communications technologies 2021–2025",
            "session": "Sixth substantive session",
        }
    ]


async def test_api_room_now(wednesday: Server) -> None:
    response = await get(wednesday, "/api/rooms/cr4/now")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"room", "at", "status", "current", "next"}
    current, upcoming = body["current"], body["next"]
    assert (current["id"], current["start"], current["end"]) == (
        "2023-12-13-1000",
        "2023-12-13T10:00:00-05:00",
        "2023-12-13T13:00:00-05:00",
    )
    assert current["agenda_items"] == ["5"]
    assert (upcoming["id"], upcoming["status"]) == ("2023-12-13-1500", "scheduled")
    assert upcoming["footnotes"][0]["marker"] == "2"


async def test_api_programme_and_time(wednesday: Server) -> None:
    programme = (await get(wednesday, "/api/programme?room=cr4")).json()
    assert programme["timezone"] == "America/New_York"
    assert len(programme["slots"]) == 10
    assert (await get(wednesday, "/api/programme")).json() == programme  # the first room
    clock = await get(wednesday, "/api/time")
    assert clock.headers["cache-control"] == "no-store"
    assert clock.json()["speed"] == 1.0
    # 11 a.m. in New York, give or take the seconds the server has been up.
    assert 0 <= clock.json()["now"] - 1702483200000 < 60_000


@pytest.mark.parametrize("path", ["/", "/rooms/cr4"])
async def test_cached_pages_answer_304_to_their_etag(wednesday: Server, path: str) -> None:
    first = await get(wednesday, path)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"')
    assert first.headers["cache-control"] == "no-cache"
    again = await get(wednesday, path, **{"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = await get(wednesday, path, **{"if-none-match": '"something-else"'})
    assert other.status_code == 200
    assert other.content == first.content


@pytest.mark.parametrize("path", ["/", "/rooms/cr4"])
async def test_cached_pages_are_gzipped_when_asked(wednesday: Server, path: str) -> None:
    plain, plain_body = await get_raw(wednesday, path, **{"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    zipped, zipped_body = await get_raw(wednesday, path, **{"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert len(zipped_body) < len(plain_body)
    assert gzip.decompress(zipped_body) == plain_body
    assert b'data-status="in_session"' in plain_body


async def test_the_display_page_is_not_cached(wednesday: Server) -> None:
    response = await get(wednesday, "/display/cr4")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert 'id="display-now"' in response.text
    assert 'ws-connect="/ws/display/cr4"' in response.text or "/ws/display/cr4" in response.text


async def test_the_list_of_displays(wednesday: Server) -> None:
    """Where a display's wrong address leads (issue 10, item 11): every room's display."""
    response = await get(wednesday, "/display/")
    assert response.status_code == 200
    assert '<a href="/display/cr4">Conference Room 4</a>' in response.text
    missing = await get(wednesday, "/display/nosuch")
    assert missing.status_code == 404
    assert '<a href="/display/cr4">Conference Room 4</a>' in missing.text
    assert 'href="/rooms/cr4"' not in missing.text


@asynccontextmanager
async def in_process(config: Path, data: Path, clock: ShiftedClock) -> AsyncIterator[Starlette]:
    """A real uvicorn on a loopback port, in this test's event loop, so the test can hold the
    app's clock and change the state itself: no race against a boundary in real time."""
    app = create_app(Settings.load(config, data_dir=data), clock=clock)
    port = free_port()
    config_ = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config_)
    task = asyncio.create_task(server.serve())
    while not server.started:  # waiting for the start-up, not for a boundary
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    app.state.url = f"http://127.0.0.1:{port}"
    try:
        yield app
    finally:
        server.should_exit = True
        await task


async def test_the_etag_changes_at_a_boundary(tmp_path: Path) -> None:
    """The clock stands at 14:59:30 until the test moves it to 15:00 and runs the room's
    update, as the scheduler's job at 15:00 would (test_scheduler.py tests that the job runs
    then): deterministic however loaded the machine is."""
    elapsed = [0.0]
    clock = ShiftedClock(
        datetime(2023, 12, 13, 14, 59, 30, tzinfo=ZoneInfo("America/New_York")),
        monotonic=lambda: elapsed[0],
    )
    async with in_process(make_config(tmp_path / "config"), tmp_path / "data", clock) as app:
        url = app.state.url
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            before = await client.get("/rooms/cr4")
            assert 'data-status="next_today"' in before.text
            async with connect(f"{url.replace('http', 'ws')}/ws/rooms/cr4") as ws:
                first = await asyncio.wait_for(ws.recv(), 5)  # the current state
                assert 'data-status="next_today"' in str(first)
                elapsed[0] = 30.0  # 15:00
                app.state.scheduler.update("cr4")
                frame = await asyncio.wait_for(ws.recv(), 5)  # the boundary
            assert 'data-status="in_session"' in str(frame)
            after = await client.get(
                "/rooms/cr4", headers={"if-none-match": before.headers["etag"]}
            )
            assert after.status_code == 200
            assert after.headers["etag"] != before.headers["etag"]
            assert 'data-status="in_session"' in after.text
            assert 'class="slot current" data-slot="2023-12-13-1500"' in after.text
            # And the new ETag is good for a 304 in turn.
            again = await client.get("/rooms/cr4", headers={"if-none-match": after.headers["etag"]})
            assert again.status_code == 304


async def test_healthz_counts_connected_clients(start_server: StartServer) -> None:
    wednesday = start_server(at=WEDNESDAY)
    health = (await get(wednesday, "/healthz")).json()
    counts = ("version", "screens", "phones")
    assert {k: health[k] for k in ("status", "live", "ready")} == {
        "status": "ok",
        "live": True,
        "ready": True,
    }
    assert {k: health["rooms"]["cr4"][k] for k in counts} == {
        "version": 1,
        "screens": 0,
        "phones": 0,
    }
    assert health["rooms"]["cr4"]["behind"] is False
    assert health["rooms"]["cr4"]["next_change"] == "2023-12-13T13:00:00-05:00"
    displays = [await connect(f"{wednesday.ws_url}/ws/display/cr4") for _ in range(3)]
    phones = [await connect(f"{wednesday.ws_url}/ws/rooms/cr4") for _ in range(2)]
    overview = await connect(f"{wednesday.ws_url}/ws/overview")
    try:
        for ws in [*displays, *phones, overview]:
            await asyncio.wait_for(ws.recv(), 5)  # subscribed
        health = (await get(wednesday, "/healthz")).json()
        assert {k: health["rooms"]["cr4"][k] for k in counts} == {
            "version": 1,
            "screens": 3,
            "phones": 2,
        }
    finally:
        for ws in [*displays, *phones, overview]:
            await ws.close()


def serve(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "dashboard.cli", "serve"),
            *("--config", str(config), "--data", str(config / "data")),
            *("--port", str(free_port()), "--log-level", "warning", *args),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_serve_with_a_bad_programme_names_the_line(tmp_path: Path) -> None:
    text = SHIPPED_NOTE.read_text(encoding="utf-8")
    bad = text.replace("Wednesday, 13 December", "Wednesday, 31 February")
    line = bad.splitlines().index(next(ln for ln in bad.splitlines() if "31 February" in ln)) + 1
    config = make_config(
        tmp_path / "cfg",
        rooms=[("cr4", "Conference Room 4", "bad.txt")],
        files={"bad.txt": bad},
    )
    result = serve(config)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [ln for ln in result.stderr.splitlines() if "warning" not in ln]
    assert len(errors) == 1, result.stderr
    assert f"bad.txt:{line}:" in errors[0]
    assert "February" in errors[0]
    assert "Serving" not in result.stderr


def test_serve_with_a_missing_programme_says_so(tmp_path: Path) -> None:
    config = make_config(tmp_path / "cfg", rooms=[("cr4", "Conference Room 4", "missing.txt")])
    result = serve(config)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "missing.txt" in result.stderr


@pytest.mark.parametrize(
    "option",
    [
        ("--at", "2023-03-12T02:30:00"),  # skipped by the spring-forward change in New York
        ("--at", "13 December"),
        ("--speed", "0"),
        ("--speed", "-2"),
        ("--speed", "nan"),
        ("--speed", "inf"),
    ],
)
def test_serve_with_a_bad_clock_option_is_a_usage_error(
    tmp_path: Path, option: tuple[str, str]
) -> None:
    result = serve(make_config(tmp_path / "cfg"), *option)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [ln for ln in result.stderr.splitlines() if "warning" not in ln]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"dashboard: {option[0]}")
