"""Floods that need no login (issue 12), against a real server with real WebSocket clients.

- A client sending messages far faster than a page's heartbeat is closed with 1008; a page
  sending its heartbeats is not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.conftest import Server

StartServer = Callable[..., Server]
AT = "2023-12-13T11:00:00"
# Heartbeats every second: a display is known once heard from half a second after connecting.
FAST_LIVE = "[live]\nheartbeat_seconds = 1\ndead_after_seconds = 2.5\n"


async def first_frame(ws: ClientConnection) -> None:
    await asyncio.wait_for(ws.recv(), 10)


async def flood(ws: ClientConnection, count: int) -> tuple[int, int | None]:
    """Send up to ``count`` tiny messages as fast as possible: (how many went out before the
    server closed the socket, its close code)."""
    sent = 0
    try:
        for _ in range(count):
            await ws.send("hb")
            sent += 1
        await asyncio.wait_for(ws.wait_closed(), 5)
    except (ConnectionClosed, TimeoutError):
        pass
    return sent, ws.close_code


@pytest.mark.parametrize("path", ["/ws/display/cr4?screen=flood", "/ws/rooms/cr4", "/ws/overview"])
async def test_a_message_flood_closes_the_socket_with_1008(
    start_server: StartServer, path: str
) -> None:
    """Issue 12: a display socket accepted 10,000 messages in 3.6 s without complaint."""
    server = start_server(at=AT)
    started = time.monotonic()
    async with connect(server.ws_url + path) as ws:
        await first_frame(ws)
        sent, code = await flood(ws, 10_000)
    assert code == 1008, (sent, code)
    assert ws.close_reason == "too many messages"
    assert time.monotonic() - started < 10
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200


async def test_a_page_sending_its_heartbeats_is_not_closed(start_server: StartServer) -> None:
    server = start_server(at=AT)
    async with connect(f"{server.ws_url}/ws/display/cr4?screen=steady") as ws:
        await first_frame(ws)
        for _ in range(8):  # a reconnecting page's burst, within the allowance
            await ws.send("hb")
        for _ in range(4):  # then a heartbeat a second, much faster than a page's 15 s
            await asyncio.sleep(1)
            await ws.send("hb")
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)
        assert ws.close_code is None
