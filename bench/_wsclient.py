"""Thousands of light WebSocket clients, spread over worker processes driven over pipes.

The client is a hand-written RFC 6455 client on a bare ``asyncio.Protocol`` (handshake, unmasked
server frames, masked pong/close replies), because the ``websockets`` client costs several times
more CPU per message and, with thousands of sockets per process, would measure itself rather than
the server.  Each client stamps ``time.monotonic_ns()`` when a whole frame has arrived.

Two kinds of pools: ``Pool`` (connect once, record the first arrival of each frame version) and
``Screens`` (reconnect like ``static/js/live.js``: after any close or failed attempt wait
``random() * min(30 s, max(1 s, time offline so far))``).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import random
import socket
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

from _common import HOST

from dashboard.timings import LiveTimings

VERSION_MARK = b'data-version="'
FULL_STATE = b'id="display-now"'
# What the server tells the pages (dashboard/timings.py, rendered onto every page).
BACKOFF_MIN, BACKOFF_CAP = LiveTimings().backoff_min, LiveTimings().backoff_max
# Loopback source addresses a Pool spreads its connections over: one address has ~28k ephemeral
# ports (shared by every server port and by the TIME_WAITs of earlier rounds); 10,000 displays
# plus 10,000 baseline connections, round after round, need more.
SOURCES = [f"127.0.0.{i}" for i in range(1, 9)]
IP_BIND_ADDRESS_NO_PORT = getattr(socket, "IP_BIND_ADDRESS_NO_PORT", 24)  # Linux


async def connect_from(source: str, port: int) -> socket.socket:
    """A TCP socket to HOST:port from ``source``; the port is chosen at connect (not at bind),
    so it only has to be unique for this destination."""
    loop = asyncio.get_running_loop()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setblocking(False)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, 1)
        sock.bind((source, 0))
        await loop.sock_connect(sock, (HOST, port))
    except BaseException:
        sock.close()
        raise
    return sock


def reconnect_delay(offline_for: float) -> float:
    """static/js/live.js's delay before each new attempt: full jitter over the time offline so
    far."""
    return random.random() * min(BACKOFF_CAP, max(BACKOFF_MIN, offline_for))


def frame_version(payload: bytes) -> int | None:
    i = payload.find(VERSION_MARK)
    if i < 0:
        return None
    j = payload.find(b'"', i + len(VERSION_MARK))
    try:
        return int(payload[i + len(VERSION_MARK) : j])
    except ValueError:
        return None


def _masked(opcode: int, payload: bytes) -> bytes:
    """A client frame (payload ≤ 125 bytes: pong and close only)."""
    mask = os.urandom(4)
    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + mask + body


def handshake(port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()  # no Sec-WebSocket-Extensions: compression off


Sink = Callable[["WsClient", bytes, int], None]


class WsClient(asyncio.Protocol):
    """One connection; ``sink(client, payload, stamp)`` gets each whole text or binary message."""

    def __init__(self, sink: Sink, request: bytes) -> None:
        self.sink, self.request = sink, request
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.frag = bytearray()
        self.status = b""
        self.seen: set[int] = set()
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[bool] = loop.create_future()  # 101 (True) or not (False)
        self.first: asyncio.Future[bool] = loop.create_future()  # a first message (or not)
        self.closed: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.opened, self.first):
            if not future.done():
                future.set_result(False)
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        stamp = time.monotonic_ns()
        buf = self.buf
        buf += data
        if not self.opened.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            self.status = bytes(buf[: buf.find(b"\r\n")])
            if not self.status.startswith(b"HTTP/1.1 101"):
                self.opened.set_result(False)
                self.abort()
                return
            del buf[: end + 4]
            self.opened.set_result(True)
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            length, head = b1 & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, head = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, head = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < head + length:
                return
            payload = bytes(buf[head : head + length])
            del buf[: head + length]
            self.frame(b0 & 0x80, b0 & 0x0F, payload, stamp)

    def frame(self, fin: int, opcode: int, payload: bytes, stamp: int) -> None:
        assert self.transport is not None
        if opcode == 0x9:  # ping
            self.transport.write(_masked(0xA, payload))
        elif opcode == 0x8:  # close: echo it, as a browser does
            with contextlib.suppress(Exception):
                self.transport.write(_masked(0x8, payload[:2]))
            self.transport.close()
        elif opcode in (0x0, 0x1, 0x2):
            if not fin:
                self.frag += payload
                return
            if self.frag:
                payload, self.frag = bytes(self.frag) + payload, bytearray()
            if not self.first.done():
                self.first.set_result(True)
            self.sink(self, payload, stamp)

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            with contextlib.suppress(Exception):
                self.transport.write(_masked(0x8, (1000).to_bytes(2, "big")))
            self.transport.close()

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()


class Pool:
    """Connections opened once; the first-arrival stamps of each frame version."""

    def __init__(self) -> None:
        self.size = 0
        self.arrivals: dict[int, list[int]] = {}
        self.complete: dict[int, asyncio.Event] = {}
        self.clients: list[WsClient] = []

    def sink(self, client: WsClient, payload: bytes, stamp: int) -> None:
        version = frame_version(payload)
        if version is None or version in client.seen:
            return
        client.seen.add(version)
        stamps = self.arrivals.setdefault(version, [])
        stamps.append(stamp)
        if len(stamps) >= self.size:
            self.event(version).set()

    def event(self, version: int) -> asyncio.Event:
        return self.complete.setdefault(version, asyncio.Event())

    async def open(self, port: int, path: str, count: int, parallel: int = 64) -> int:
        """Open ``count`` connections (``parallel`` handshakes at a time, 5 tries each), each
        holding its first message; returns the failures."""
        loop, gate, failures = asyncio.get_running_loop(), asyncio.Semaphore(parallel), 0

        async def one(source: str) -> None:
            nonlocal failures
            for attempt in range(5):
                async with gate:
                    client: WsClient | None = None
                    with contextlib.suppress(OSError, TimeoutError):
                        sock = await connect_from(source, port)
                        _, client = await loop.create_connection(
                            lambda: WsClient(self.sink, handshake(port, path)), sock=sock
                        )
                        if await asyncio.wait_for(client.first, 30):
                            self.clients.append(client)
                            return
                    if client is not None:
                        client.abort()
                await asyncio.sleep(0.2 * (attempt + 1))
            failures += 1

        self.size += count
        await asyncio.gather(*(one(SOURCES[i % len(SOURCES)]) for i in range(count)))
        self.size = len(self.clients)
        return failures

    async def close(self) -> None:
        for client in self.clients:
            client.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*(c.closed for c in self.clients)), 30)


class Screens:
    """Room displays that reconnect like static/js/live.js, and what each saw after ``epoch``:
    when it was back (open, and its first message the full state carrying ``marker``)."""

    def __init__(self, port: int, path: str, count: int, marker: bytes) -> None:
        self.port, self.path, self.marker = port, path, marker
        self.epoch = 0  # monotonic ns; attempts after it count for the restart
        self.marked: set[int] = set()  # screens whose current connection got the marker
        self.back: dict[int, int] = {}  # screen → stamp of its first full state after epoch
        self.errors: Counter[str] = Counter()
        self.refused = 0
        self.attempts = 0
        self.tasks = [asyncio.create_task(self.run(i)) for i in range(count)]

    def sink_for(self, index: int, since: int) -> Sink:
        def sink(client: WsClient, payload: bytes, stamp: int) -> None:
            has = bool(self.marker) and self.marker in payload
            if has:
                self.marked.add(index)
            if client.seen:  # only a connection's first message is the state it was sent
                return
            client.seen.add(0)
            full = FULL_STATE in payload
            if since >= self.epoch > 0 and index not in self.back:
                if full and has:
                    self.back[index] = stamp
                else:
                    self.errors["stale first frame"] += 1

        return sink

    async def run(self, index: int) -> None:
        loop = asyncio.get_running_loop()
        offline_since: float | None = None  # live.js: set at a close, cleared by a message
        await asyncio.sleep(random.random() * 5)  # the screens come up over a few seconds
        while True:
            since = time.monotonic_ns()
            after = self.epoch > 0 and since >= self.epoch
            self.attempts += after
            client: WsClient | None = None
            sink, request = self.sink_for(index, since), handshake(self.port, self.path)
            try:
                _, opened = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: WsClient(sink, request),  # noqa: B023 - awaited right here
                        HOST,
                        self.port,
                    ),
                    10,
                )
                client = opened
                if await asyncio.wait_for(opened.opened, 10):
                    if await asyncio.wait_for(opened.first, 30):
                        offline_since = None  # a message: online again
                    elif after:
                        self.errors["closed before the first frame"] += 1
                    await opened.closed
                    self.marked.discard(index)
                elif after:
                    status = opened.status.decode(errors="replace")[:40] or "no status"
                    self.errors[f"handshake: {status}"] += 1
            except ConnectionRefusedError:
                self.refused += after
            except (OSError, TimeoutError) as exc:
                if after:
                    self.errors[f"{type(exc).__name__}"] += 1
            finally:
                if client is not None:
                    client.abort()
            if offline_since is None:
                offline_since = time.monotonic()
            await asyncio.sleep(reconnect_delay(time.monotonic() - offline_since))

    def start_epoch(self, epoch: int) -> None:
        """Count from ``epoch`` (monotonic ns) on, afresh."""
        self.epoch, self.back, self.errors = epoch, {}, Counter()
        self.refused = self.attempts = 0

    def stats(self) -> dict[str, Any]:
        return {
            "marked": len(self.marked),
            "back": list(self.back.values()),
            "errors": dict(self.errors),
            "refused": self.refused,
            "attempts": self.attempts,
        }

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
