"""WebSockets against a real server (``dashboard serve`` in a subprocess) with real clients.

Boundaries come from an accelerated demo clock: ``--at 2023-12-13T14:59:30 --speed 10`` puts the
15:00 boundary about three seconds after the server starts (room enough for a loaded machine to
start the server and connect the clients before it).  Tests wait on sockets with timeouts;
nothing sleeps until a boundary.
"""

from __future__ import annotations

import asyncio
import base64
import os
import re
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidStatus

from tests.conftest import ROOT, SHIPPED_NOTE, Server, make_config

StartServer = Callable[..., Server]
NY = ZoneInfo("America/New_York")

BEFORE_BOUNDARY = "2023-12-13T14:59:30"  # with SPEED, the 15:00 boundary is ~3 s away
SPEED = 10
BOUNDARY = datetime(2023, 12, 13, 15, 0, tzinfo=NY)
NEW_SLOT = "2023-12-13-1500"
BOUNDARY_WAIT = 10.0  # seconds: a generous cap on waiting for the boundary frame
QUIET = 0.6  # seconds without a frame that count as "nothing more was sent"

# A display frame may carry the states still to come in inert <template>s: not the state now.
_TEMPLATE = re.compile(r"<template\b.*?</template>", re.DOTALL)
_TOP = re.compile(r'<(\w+) id="([^"]+)"[^>]*\bdata-version="(\d+)"')
_STATUS = re.compile(r'data-status="([a-z_]+)"')
_CURRENT = re.compile(r'class="[^"]*\bcurrent\b[^"]*"[^>]*\bdata-slot="([^"]+)"')
_NEXT = re.compile(r'class="[^"]*\bnext\b[^"]*"[^>]*\bdata-slot="([^"]+)"')


@dataclass(frozen=True)
class Frame:
    """What a test needs from one text frame."""

    text: str
    ids: tuple[str, ...]  # ids of the top-level elements, in order
    version: int  # of the first top-level element
    status: str | None  # the first data-status
    current: str | None  # the slot under way
    next: str | None  # the next slot


def is_state(text: str) -> bool:
    """A frame with the channel's state (not, say, a keepalive)."""
    return _TOP.search(_TEMPLATE.sub("", text)) is not None


def parse(text: str) -> Frame:
    now = _TEMPLATE.sub("", text)
    tops = _TOP.findall(now)
    assert tops, f"no top-level element with an id and a version in {text[:200]!r}"
    status = _STATUS.search(now)
    current = _CURRENT.search(now)
    upcoming = _NEXT.search(now)
    return Frame(
        text=text,
        ids=tuple(t[1] for t in tops),
        version=int(tops[0][2]),
        status=status.group(1) if status else None,
        current=current.group(1) if current else None,
        next=upcoming.group(1) if upcoming else None,
    )


async def receive(ws: ClientConnection, timeout: float = 5.0) -> Frame:
    """The next state frame on ``ws`` (frames without a state are passed over)."""

    async def state() -> Frame:
        while True:
            message = await ws.recv()
            assert isinstance(message, str)
            if is_state(message):
                return parse(message)

    return await asyncio.wait_for(state(), timeout)


async def assert_quiet(ws: ClientConnection, seconds: float = QUIET) -> None:
    """No state frame arrives on ``ws`` for ``seconds``."""
    try:
        frame = await receive(ws, seconds)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected frame: {frame.text[:200]!r}")


async def venue_now(server: Server) -> datetime:
    async with httpx.AsyncClient(base_url=server.url) as client:
        data = (await client.get("/api/time")).json()
    return datetime.fromtimestamp(data["now"] / 1000, UTC)


@pytest.mark.parametrize(
    ("at", "status", "current", "upcoming"),
    [
        ("2023-12-13T11:00:00", "in_session", "2023-12-13-1000", "2023-12-13-1500"),
        ("2023-12-13T13:30:00", "next_today", None, "2023-12-13-1500"),
        ("2023-12-13T18:30:00", "done_today", None, "2023-12-14-1000"),
        ("2023-12-10T12:00:00", "no_meeting_today", None, "2023-12-11-1000"),
        ("2023-12-16T09:00:00", "session_closed", None, None),
    ],
)
async def test_a_new_client_first_receives_the_current_state(
    start_server: StartServer, at: str, status: str, current: str | None, upcoming: str | None
) -> None:
    server = start_server(at=at)
    async with connect(f"{server.ws_url}/ws/display/cr4") as ws:
        frame = await receive(ws)
    assert frame.ids == ("display-now",)
    assert (frame.status, frame.current, frame.next) == (status, current, upcoming)
    assert frame.version == 1

    async with connect(f"{server.ws_url}/ws/rooms/cr4") as ws:
        frame = await receive(ws)
    assert frame.ids == ("room-now", "room-day")
    assert (frame.status, frame.current, frame.next) == (status, current, upcoming)

    async with connect(f"{server.ws_url}/ws/overview") as ws:
        frame = await receive(ws)
    assert frame.ids == ("card-cr4",)
    assert frame.status == status


async def test_the_first_frame_is_the_same_as_the_page(start_server: StartServer) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    async with httpx.AsyncClient(base_url=server.url) as client:
        page = (await client.get("/display/cr4")).text
    async with connect(f"{server.ws_url}/ws/display/cr4") as ws:
        frame = await receive(ws)
    # The page embeds the same live region the socket swaps in.
    section = re.search(
        r'<section id="display-now".*?</section>', _TEMPLATE.sub("", frame.text), re.DOTALL
    )
    assert section is not None
    assert section.group(0) in page


async def test_every_client_gets_the_boundary_frame_exactly_once(
    start_server: StartServer,
) -> None:
    server = start_server(at=BEFORE_BOUNDARY, speed=SPEED)
    paths = ["/ws/display/cr4"] * 20 + ["/ws/rooms/cr4"] * 5 + ["/ws/overview"] * 3

    async def client(path: str) -> tuple[Frame, Frame, float]:
        async with connect(server.ws_url + path) as ws:
            first = await receive(ws)
            assert first.status == "next_today", "started too late"
            second = await receive(ws, BOUNDARY_WAIT)
            arrived = time.monotonic()
            await assert_quiet(ws)  # no duplicate of the new version, nor anything else
            return first, second, arrived

    results = await asyncio.gather(*(client(path) for path in paths))
    assert await venue_now(server) >= BOUNDARY
    for path, (first, second, _) in zip(paths, results, strict=True):
        assert second.version == first.version + 1, path
        assert second.status == "in_session", path
        assert second.ids == first.ids, path
        if path != "/ws/overview":  # cards name no slot
            assert (first.next, second.current) == (NEW_SLOT, NEW_SLOT), path
    # Everyone got it at the same moment (one render, one publish).
    arrivals = [arrived for _, _, arrived in results]
    assert max(arrivals) - min(arrivals) < 1.0
    # And every client of a channel got the very same text.
    display_texts = {
        second.text
        for path, (_, second, _) in zip(paths, results, strict=True)
        if path == "/ws/display/cr4"
    }
    assert len(display_texts) == 1


async def stalled_connection(port: int, path: str) -> socket.socket:
    """A WebSocket that completes its handshake, then never reads again, with the smallest
    receive buffer the kernel allows, so the server's writes back up quickly."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    response = b""
    while b"\r\n\r\n" not in response:  # the head only, a byte at a time: no frame read
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 1), 5)
        assert chunk, "closed during the handshake"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response[:100]
    return sock


def big_programme(folder: Path) -> Path:
    """The shipped week, with 3 MB of details on Wednesday morning: two frames of the room
    channel that day are more than the kernel's socket buffers (4 MB at most on Linux) and the
    server's transport buffer hold for a client that does not read, so the server's second write
    to such a client blocks (a single global send lock, say, would then stall everyone)."""
    text = (ROOT / "config" / "oewg-ict-sixth-session-2023.toml").read_text(encoding="utf-8")
    details = '"Confidence-building measures [from para. 1, resolution 75/240]"'
    assert details in text
    big = text.replace(details, '"' + "Confidence-building measures. " * 108_000 + '"')
    return make_config(
        folder, rooms=[("cr4", "Conference Room 4", "big.toml")], files={"big.toml": big}
    )


async def test_clients_that_stop_reading_do_not_delay_the_others(
    start_server: StartServer, tmp_path: Path
) -> None:
    # A little more time before the boundary than elsewhere: the frames here are big.
    config = big_programme(tmp_path / "c")
    server = start_server(at="2023-12-13T14:59:20", speed=SPEED, config=config)
    url = f"{server.ws_url}/ws/rooms/cr4"
    # Handshake, then never read: after the first big frame the server's next write to these
    # waits on the socket.  Several of them, so that some are woken before the readers.
    stalled = [await stalled_connection(server.port, "/ws/rooms/cr4") for _ in range(6)]
    try:
        readers = [await connect(url, max_size=None) for _ in range(3)]
        firsts = [await receive(ws) for ws in readers]
        assert len(firsts[0].text) > 3_000_000
        assert all(f.status == "next_today" for f in firsts), "started too late"
        # When, in real time, the boundary falls.
        ahead = (BOUNDARY - await venue_now(server)).total_seconds() / SPEED
        due = time.monotonic() + ahead

        async def boundary_frame(ws: ClientConnection) -> float:
            frame = await receive(ws, BOUNDARY_WAIT)
            assert (frame.status, frame.current) == ("in_session", NEW_SLOT)
            return time.monotonic()

        arrivals = await asyncio.gather(*(boundary_frame(ws) for ws in readers))
        # Promptly: a reader held up behind a stalled client would wait for ever.
        assert max(arrivals) - due < 2.5, f"frames came {max(arrivals) - due:.2f}s late"
        # The server is still answering, and counts every connection, the stalled ones too.
        async with httpx.AsyncClient(base_url=server.url, timeout=2) as client:
            health = (await client.get("/healthz")).json()
        assert health["rooms"]["cr4"]["phones"] == 6 + 3
        for ws in readers:
            await ws.close()
    finally:
        for sock in stalled:
            sock.close()


GENEVA_NOTE = """\
# A Geneva meeting in the TOML format.
format = 1
title = "Conference on Disarmament"
session = "Test session"
venue = "Geneva"
timezone = "Europe/Zurich"
start_date = 2023-12-11
end_date = 2023-12-15
""" + "".join(
    f"""
[[slots]]
date = 2023-12-{day}
start = {start}
end = {end}
title = "Plenary meeting"
"""
    for day in range(11, 16)
    for start, end in (("09:30:00", "12:30:00"), ("14:30:00", "17:30:00"))
)


def two_rooms(folder: Path) -> Path:
    return make_config(
        folder,
        rooms=[
            ("cr4", "Conference Room 4", SHIPPED_NOTE.name),
            ("gva", "Council Chamber", "geneva.toml"),
        ],
        files={"geneva.toml": GENEVA_NOTE},
    )


async def test_a_boundary_in_one_room_sends_nothing_to_another(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server(at=BEFORE_BOUNDARY, speed=SPEED, config=two_rooms(tmp_path / "cfg"))
    async with (
        connect(f"{server.ws_url}/ws/display/cr4") as cr4,
        connect(f"{server.ws_url}/ws/display/gva") as gva_display,
        connect(f"{server.ws_url}/ws/rooms/gva") as gva_room,
        connect(f"{server.ws_url}/ws/overview") as overview,
    ):
        first = await receive(cr4)
        assert (first.status, first.next) == ("next_today", NEW_SLOT), "started too late"
        # 20:59:30 in Geneva: Wednesday's meetings are over.
        gva_first = await receive(gva_display)
        assert (gva_first.status, gva_first.next) == ("done_today", "2023-12-14-0930")
        assert (await receive(gva_room)).ids == ("room-now", "room-day")
        cards_before = await receive(overview)
        assert cards_before.ids == ("card-cr4", "card-gva")

        after = await receive(cr4, BOUNDARY_WAIT)
        assert (after.version, after.current) == (first.version + 1, NEW_SLOT)
        # The overview shows every room, so it changes; only cr4's card does.
        cards_after = await receive(overview, 2)
        assert cards_after.ids == ("card-cr4", "card-gva")
        assert card(cards_after.text, "gva") == card(cards_before.text, "gva")
        assert card(cards_after.text, "cr4") != card(cards_before.text, "cr4")
        assert 'data-status="in_session"' in card(cards_after.text, "cr4")
        # Geneva's screens hear nothing.
        await asyncio.gather(assert_quiet(gva_display), assert_quiet(gva_room))
    async with httpx.AsyncClient(base_url=server.url) as client:
        rooms = (await client.get("/healthz")).json()["rooms"]
    assert rooms["gva"]["version"] == gva_first.version == 1
    assert rooms["cr4"]["version"] == after.version


def card(overview: str, room: str) -> str:
    match = re.search(rf'<li id="card-{room}".*?</li>', overview, re.DOTALL)
    assert match is not None, overview
    return match.group(0)


async def test_a_socket_for_an_unknown_room_is_refused(start_server: StartServer) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    for path in ["/ws/display/unknown", "/ws/rooms/unknown", "/ws/display/CR4"]:
        with pytest.raises(InvalidStatus) as refused:
            async with connect(server.ws_url + path, open_timeout=5):
                pass
        assert refused.value.response.status_code == 403, path
    with pytest.raises(InvalidStatus) as refused:  # no such route at all
        async with connect(f"{server.ws_url}/ws/display/cr4/extra", open_timeout=5):
            pass
    assert refused.value.response.status_code in (403, 404)
    # Nobody was subscribed by the attempts.
    async with httpx.AsyncClient(base_url=server.url) as client:
        health = (await client.get("/healthz")).json()
    assert set(health["rooms"]) == {"cr4"}
    counts = {k: health["rooms"]["cr4"][k] for k in ("version", "screens", "phones")}
    assert counts == {"version": 1, "screens": 0, "phones": 0}


async def test_a_closed_client_is_unsubscribed(start_server: StartServer) -> None:
    server = start_server(at="2023-12-13T11:00:00")
    async with httpx.AsyncClient(base_url=server.url) as client:

        async def counts() -> tuple[int, int]:
            cr4 = (await client.get("/healthz")).json()["rooms"]["cr4"]
            return cr4["screens"], cr4["phones"]

        async with (
            connect(f"{server.ws_url}/ws/display/cr4") as d1,
            connect(f"{server.ws_url}/ws/display/cr4") as d2,
            connect(f"{server.ws_url}/ws/rooms/cr4") as r1,
        ):
            for ws in (d1, d2, r1):
                await receive(ws)  # subscribed: the first frame came
            assert await counts() == (2, 1)
        # The server notices the closes; poll briefly (not a boundary wait).
        deadline = time.monotonic() + 5
        while (now := await counts()) != (0, 0) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert now == (0, 0)
