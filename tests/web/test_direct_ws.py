"""The direct write (dashboard/direct_ws.py) under a real uvicorn on a loopback port, with real
clients: what it writes and when it refuses, then the dashboard using it (one task per screen,
latest wins for a client that stops reading, nobody else delayed)."""

from __future__ import annotations

import asyncio
import socket
import struct
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from dashboard.clock import ShiftedClock
from dashboard.direct_ws import LINK, DirectWebSocketProtocol
from dashboard.live.hub import Hub
from dashboard.live.service import room_channel
from dashboard.server import uvicorn_config
from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests.conftest import free_port, make_config
from tests.web.test_websockets import big_programme, stalled_connection

WAIT = 10.0  # seconds; a guard only: every awaited thing here is already due


@asynccontextmanager
async def serving(config: uvicorn.Config) -> AsyncIterator[str]:
    """A real uvicorn in this test's event loop; yields its ws:// address."""
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # waiting for the start-up
        assert not task.done(), "uvicorn did not start"
        await asyncio.sleep(0.01)
    try:
        yield f"ws://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, WAIT)


class Probe:
    """A bare endpoint that hands each connection's direct write to the test."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[tuple[Any, bool, asyncio.Event]] = asyncio.Queue()

    async def endpoint(self, websocket: WebSocket) -> None:
        write = websocket.scope["extensions"][LINK]["link"].write
        before_accept = write(b"too early")
        await websocket.accept()
        gone = asyncio.Event()
        await self.connections.put((write, before_accept, gone))
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
        gone.set()


@pytest.fixture
async def probe() -> AsyncIterator[tuple[Probe, str]]:
    probe = Probe()
    app = Starlette(routes=[WebSocketRoute("/probe", probe.endpoint)])
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ws=DirectWebSocketProtocol,
        ws_per_message_deflate=False,
        log_level="warning",
        lifespan="off",
    )
    async with serving(config) as url:
        yield probe, url


async def read_frames(sock: socket.socket, count: int) -> list[str]:
    """Read ``count`` unmasked text frames (server to client) from a raw socket."""
    loop = asyncio.get_running_loop()
    buffer = bytearray()

    async def exactly(n: int) -> bytes:
        while len(buffer) < n:
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 1 << 20), WAIT)
            assert chunk, "closed"
            buffer.extend(chunk)
        data = bytes(buffer[:n])
        del buffer[:n]
        return data

    texts = []
    for _ in range(count):
        first, second = await exactly(2)
        assert first == 0x81, f"a final text frame, not {first:#x}"
        length = second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", await exactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", await exactly(8))
        texts.append((await exactly(length)).decode())
    return texts


async def test_a_message_is_written_only_once_accepted(probe: tuple[Probe, str]) -> None:
    server, url = probe
    async with connect(f"{url}/probe", compression=None) as client:
        write, before_accept, _ = await asyncio.wait_for(server.connections.get(), WAIT)
        assert before_accept is False, "nothing may be written before the handshake's answer"
        assert write("Conférence – 会议 – مؤتمر".encode()) is True
        assert await asyncio.wait_for(client.recv(), WAIT) == "Conférence – 会议 – مؤتمر"


async def test_nothing_is_written_once_the_client_has_gone(probe: tuple[Probe, str]) -> None:
    server, url = probe
    async with connect(f"{url}/probe", compression=None):
        write, _, gone = await asyncio.wait_for(server.connections.get(), WAIT)
    await asyncio.wait_for(gone.wait(), WAIT)
    assert write(b"after the close") is False


async def test_a_client_that_stops_reading_is_refused_not_buffered(
    probe: tuple[Probe, str],
) -> None:
    """Writes to a peer that reads nothing are taken until the transport pauses writing (its
    high-water mark), then refused: the server's memory for it stops growing there."""
    server, url = probe
    port = int(url.rsplit(":", 1)[1])
    sock = await stalled_connection(port, "/probe")
    try:
        write, _, _ = await asyncio.wait_for(server.connections.get(), WAIT)
        chunk = b"x" * 16_384
        taken = 0
        while write(chunk):
            taken += 1
            assert taken < 1_000, "16 MB written to a client that reads nothing"
        assert taken >= 1
        assert not any(write(chunk) for _ in range(10)), "refused until it reads again"
        # It reads again: what was taken arrives, whole and in order, and writes resume.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        frames = await read_frames(sock, taken)
        assert frames == [chunk.decode()] * taken
        for _ in range(100):  # the transport resumes writing once its buffer drains
            if write(b"again"):
                break
            await asyncio.sleep(0.01)  # waiting for the event loop to flush, not for time
        assert await read_frames(sock, 1) == ["again"]
    finally:
        sock.close()


@asynccontextmanager
async def dashboard(tmp_path: Path, config: Path | None = None) -> AsyncIterator[Starlette]:
    """The dashboard under ``uvicorn_config``, as ``dashboard serve`` runs it, in this loop."""
    clock = ShiftedClock(datetime(2023, 12, 13, 11, tzinfo=ZoneInfo("America/New_York")))
    config = config or make_config(tmp_path / "config")
    app = create_app(Settings.load(config, data_dir=tmp_path / "data"), clock=clock)
    port = free_port()
    async with serving(uvicorn_config(app, "127.0.0.1", port, log_level="warning")) as url:
        app.state.ws_url = url
        app.state.port = port
        yield app


async def test_an_idle_screen_costs_no_task(tmp_path: Path) -> None:
    """Frames are written from the hub and heartbeats heard through a callback: a connected
    screen keeps no task of the server's (it had two, a reader and a pump), whatever it is
    sent."""
    async with dashboard(tmp_path) as app:
        url = app.state.ws_url
        before = len(asyncio.all_tasks())
        clients = [await connect(f"{url}/ws/display/cr4", compression=None) for _ in range(10)]
        try:
            for client in clients:
                await asyncio.wait_for(client.recv(), WAIT)  # the current state
            hub: Hub = app.state.live.hub
            latest = hub.latest("display:cr4")
            assert latest is not None
            hub.publish("display:cr4", latest.version + 1, "<div id='x'>next</div>")
            for client in clients:
                assert await asyncio.wait_for(client.recv(), WAIT) == "<div id='x'>next</div>"
            # Only the client library's own reading task, one per connection.
            assert len(asyncio.all_tasks()) - before == len(clients)
        finally:
            for client in clients:
                await client.close()


async def test_a_stalled_phone_gets_only_the_newest_frame_and_delays_no_one(
    tmp_path: Path,
) -> None:
    """A phone that stops reading while frames of 3 MB are published: the other clients get
    each frame at once; the stalled one, when it reads again, gets the newest and the ones in
    between are counted as dropped (latest wins)."""
    config = big_programme(tmp_path / "c")
    async with dashboard(tmp_path, config) as app:
        hub: Hub = app.state.live.hub
        channel = room_channel("cr4")
        sock = await stalled_connection(app.state.port, "/ws/rooms/cr4")
        try:
            async with connect(
                f"{app.state.ws_url}/ws/rooms/cr4", compression=None, max_size=None
            ) as reader:
                first = await asyncio.wait_for(reader.recv(), WAIT)
                assert len(first) > 3_000_000
                latest = hub.latest(channel)
                assert latest is not None
                for step in (1, 2, 3):
                    hub.publish(channel, latest.version + step, f"<p id='s'>step {step}</p>")
                for step in (1, 2, 3):
                    assert await asyncio.wait_for(reader.recv(), WAIT) == (
                        f"<p id='s'>step {step}</p>"
                    )
                assert hub.dropped.get(channel, 0) == 2, "steps 1 and 2 replaced unsent"
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                frames = await read_frames(sock, 2)
                assert len(frames[0]) > 3_000_000
                assert frames[1] == "<p id='s'>step 3</p>"
        finally:
            sock.close()


async def until(condition: Callable[[], bool]) -> None:
    """Let the event loop run until ``condition`` holds (the server is in this loop)."""
    for _ in range(1_000):
        if condition():
            return
        await asyncio.sleep(0.005)  # a turn of the loop for the server, not a wait for time
    raise AssertionError("never happened")


async def test_a_detached_screen_is_heard_then_turned_off(tmp_path: Path) -> None:
    """A display's heartbeats reach its record without an ASGI task, and its page closing with
    1000 ends the connection as "turned off" (not down), unsubscribed."""
    async with dashboard(tmp_path) as app:
        hub: Hub = app.state.live.hub
        screens = app.state.screens
        async with connect(f"{app.state.ws_url}/ws/display/cr4?screen=lobby") as client:
            await asyncio.wait_for(client.recv(), WAIT)
            screen = screens.find("cr4", "lobby")
            assert screen is not None and screen.last_seen == screen.connected_at
            await client.send("heartbeat")
            await until(lambda: screen.last_seen > screen.connected_at)
        await until(lambda: hub.count("display:cr4") == 0)
        assert screen.connections == 0 and screen.closed_cleanly


async def test_a_flood_from_a_detached_screen_is_closed_1008(tmp_path: Path) -> None:
    async with dashboard(tmp_path) as app:
        async with connect(f"{app.state.ws_url}/ws/rooms/cr4") as client:
            await asyncio.wait_for(client.recv(), WAIT)
            with pytest.raises(ConnectionClosed) as closed:
                for _ in range(200):
                    await client.send("x")
                while True:
                    await asyncio.wait_for(client.recv(), WAIT)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
        await until(lambda: app.state.live.hub.count("room:cr4") == 0)


async def test_shutting_down_closes_detached_screens_with_1012(tmp_path: Path) -> None:
    """uvicorn's shutdown tells each screen to come back (1012: the pages reconnect), and the
    screens are unsubscribed though no task of theirs is running."""
    clients = []
    async with dashboard(tmp_path) as app:
        hub: Hub = app.state.live.hub
        for path in ("/ws/display/cr4", "/ws/rooms/cr4", "/ws/overview"):
            client = await connect(f"{app.state.ws_url}{path}")
            await asyncio.wait_for(client.recv(), WAIT)
            clients.append(client)
    for client in clients:
        await asyncio.wait_for(client.wait_closed(), WAIT)
        assert client.close_code == 1012
    assert hub.counts() == {}
