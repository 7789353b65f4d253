"""How uvicorn runs the app: one place, used by ``dashboard serve`` and the benchmarks."""

from __future__ import annotations

import asyncio
import gc
import socket
from typing import Any

import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from .direct_ws import DirectWebSocketProtocol
from .logs import json_log_config
from .web.security import MAX_WS_MESSAGE
from .workers import report_serving

# A request's head (request line and headers) must arrive within this many seconds of the
# connection being opened, or of its first byte on a kept-alive connection.  uvicorn has no such
# deadline (h11 or httptools): a client trickling a header a byte a second held its connection
# for as long as it liked, and 200 of them held 200 connections.
HEADER_TIMEOUT = 10.0
REQUEST_TIMEOUT_RESPONSE = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 16\r\nconnection: close\r\n\r\nrequest timeout\n"
)


class HeadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request's head: past it, 408 and close.

    Armed when the connection opens and at the first byte of each later request; disarmed as
    soon as h11 has parsed a whole head (the request then runs; its body has its own deadline in
    ``BodySizeLimitMiddleware``) or the connection goes.  An idle kept-alive connection is
    closed by uvicorn's own ``timeout_keep_alive``."""

    header_timeout = HEADER_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._head_deadline is None and (self.cycle is None or self.cycle.response_complete):
            self._arm()  # the first byte of the next request on a kept-alive connection
        super().data_received(data)

    def handle_events(self) -> None:
        scope = self.scope
        super().handle_events()
        if self.scope is not scope:  # a whole head arrived (a request, or a WebSocket upgrade)
            self._disarm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            self.transport.write(REQUEST_TIMEOUT_RESPONSE)
            self.transport.close()


class ReportingServer(uvicorn.Server):
    """uvicorn's server that, once it listens and the app's start-up is done, tells the parent
    of ``serve --workers`` so (workers.py): a worker dying after that is restarted, one dying
    before it is a start-up failure."""

    def __init__(self, config: uvicorn.Config, ready_fd: int | None) -> None:
        super().__init__(config)
        self.ready_fd = ready_fd

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.ready_fd is not None:
            report_serving(self.ready_fd)
            self.ready_fd = None


def uvicorn_config(
    app: Starlette, host: str, port: int, log_level: str = "info", log_format: str = "text"
) -> uvicorn.Config:
    """``log_format``: "text" (uvicorn's own layout) or "json" (dashboard/logs.py)."""
    extra: dict[str, Any] = {}
    if log_format == "json":
        extra["log_config"] = json_log_config(log_level)
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=HeadTimeoutH11Protocol,
        # Frames written to each screen straight from the hub (issue 16): see direct_ws.py.
        ws=DirectWebSocketProtocol,
        # Forwarded headers are read by our own middleware, from the configured proxies only
        # (settings.toml's trusted_proxies); uvicorn's would trust any local peer.
        proxy_headers=False,
        # Per-message deflate costs ~59 KiB instead of ~25 KiB per idle screen, for frames of a
        # few KiB that compress little: off.
        ws_per_message_deflate=False,
        ws_max_size=MAX_WS_MESSAGE,
        log_level=log_level,
        server_header=False,
        lifespan="on",
        **extra,
    )


def tune_gc() -> None:
    """Fewer full garbage collections: with thousands of screens connected a full collection
    walks every connection's objects (about 0.4 s at 5,000 on the benchmark machine) and a
    change published meanwhile waits for it.  What exists after start-up (modules, templates,
    programmes) lives as long as the process: ``freeze`` takes it out of every collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
