"""The WebSocket protocol uvicorn runs: its own sans-I/O protocol, plus a direct write.

Through ASGI, every frame a screen is sent costs a task switch and a ``send`` coroutine through
each middleware, Starlette's ``WebSocket`` and uvicorn's ``send``, which encodes the text to
UTF-8 once per connection; at 10,000 displays that was 2.2 times the CPU of the ``websockets``
library's own ``broadcast()`` (docs/benchmarks.md, issue 16).  ``broadcast()`` writes one
pre-encoded message to each connection without any of that.  This protocol offers the same to
the app: once the handshake is accepted, the ASGI scope carries the extension ``DIRECT_WRITE``,
whose ``write(payload)`` writes one text message at once and returns True, or returns False and
writes nothing when the connection cannot take it now (writing paused because the peer is not
reading, closing, or closed).  The caller then falls back to ASGI's ``send``, which waits for
the peer: see ``live/hub.py``.

Everything else (handshake, reading, pings, close) is uvicorn's.  The write uses what uvicorn's
own ``send`` uses: ``conn`` (a ``websockets`` ``ServerProtocol``), ``transport`` and the
``writable`` flag that ``pause_writing``/``resume_writing`` keep.  Those are uvicorn's, not
part of a documented interface, so pyproject.toml pins uvicorn's minor release and
tests/web/test_direct_ws.py exercises each case; under a server without the extension (Starlette's
TestClient, another ASGI server) the app sends through ASGI as before.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.http11 import Request
from websockets.protocol import State

DIRECT_WRITE = "dashboard.direct_write"  # the ASGI scope extension's name


class DirectWebSocketProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O protocol, with ``write_text`` offered to the app as a scope extension."""

    def handle_connect(self, event: Request) -> None:
        super().handle_connect(event)
        # An upgrade that will be answered 101 has a scope; the app's task has been created but
        # has not run yet, so it sees the extension from its first step.
        if self.response.status_code == 101:
            extensions: dict[str, Any] = self.scope.setdefault("extensions", {}) or {}
            extensions[DIRECT_WRITE] = {"write": self.write_text}

    def write_text(self, payload: bytes) -> bool:
        """Write one text message (``payload``: UTF-8) now; False, writing nothing, when the
        connection is not open and accepted, or the peer has not taken what was written before
        (the transport paused writing): the caller keeps the message for ASGI's ``send``."""
        if (
            not self.handshake_complete
            or self.close_sent
            or self.disconnected
            or not self.writable.is_set()
            or self.conn.state is not State.OPEN
        ):
            return False
        self.conn.send_text(payload)
        self.transport.write(b"".join(self.conn.data_to_send()))
        return True
