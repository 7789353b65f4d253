"""Slow-loris: connections that trickle a request's head, or its body, are not held open.
Real sockets against a real server; every loop is bounded in time and stops by itself."""

from __future__ import annotations

import asyncio
import time

import httpx

from tests.conftest import Server
from tests.web._staff_site import AT, StartServer

HEAD_TIMEOUT = 10  # dashboard/server.py
BODY_TIMEOUT = 20  # dashboard/web/security.py
GIVE_UP = 16  # how long a trickler keeps going if the server never closes


async def trickle_head(server: Server) -> tuple[float, bytes]:
    """Send a request head a byte every half second; (seconds until the server closed the
    connection, what it answered).  Stops by itself after GIVE_UP seconds."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    t0 = time.monotonic()
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
    answer = b""
    try:
        for byte in head:
            if time.monotonic() - t0 > GIVE_UP:
                break
            writer.write(bytes([byte]))
            try:
                await writer.drain()
                answer = await asyncio.wait_for(reader.read(1024), 0.5)
            except TimeoutError:
                continue
            except ConnectionError:
                break
            if answer == b"" or answer:  # EOF or an answer: the server let go
                break
    finally:
        writer.close()
    return time.monotonic() - t0, answer


async def test_a_trickled_head_is_cut_off(start_server: StartServer) -> None:
    server = start_server(at=AT)
    results = await asyncio.gather(*(trickle_head(server) for _ in range(20)))
    for seconds, answer in results:
        assert seconds < HEAD_TIMEOUT + 3, f"held {seconds:.1f} s"
        assert answer.startswith(b"HTTP/1.1 408"), answer
    # The server still serves, and a normal request on a kept-alive connection works twice.
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/api/time")).status_code == 200


async def test_a_head_sent_in_pieces_within_the_deadline_is_served(
    start_server: StartServer,
) -> None:
    server = start_server(at=AT)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        for piece in (b"GET /api/time HTTP/1.1\r\n", b"Host: 127.0.0.1\r\n", b"\r\n"):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(1)
        answer = await asyncio.wait_for(reader.read(4096), 5)
    finally:
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200"), answer


async def test_a_trickled_body_gets_408(start_server: StartServer) -> None:
    server = start_server(at=AT)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    t0 = time.monotonic()
    writer.write(
        b"POST /chair/login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nname="
    )
    await writer.drain()
    answer = b""
    try:
        while time.monotonic() - t0 < BODY_TIMEOUT + GIVE_UP:
            writer.write(b"a")
            await writer.drain()
            try:
                answer = await asyncio.wait_for(reader.read(4096), 1)
            except TimeoutError:
                continue
            break
        answered = time.monotonic()
        # The head and the body may come in separate segments: read to the close.
        while chunk := await asyncio.wait_for(reader.read(4096), 5):
            answer += chunk
    except ConnectionError:
        answered = time.monotonic()
    finally:
        writer.close()
    assert answered - t0 < BODY_TIMEOUT + 3
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"did not arrive in time" in answer
