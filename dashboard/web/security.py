"""Security that every response and socket gets: headers, origin checks, size limits."""

from __future__ import annotations

import asyncio
import time

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import proxies

# No inline script anywhere: htmx is configured through a <meta> tag and our own code lives in
# static/js.  'self' in connect-src covers ws:/wss: to this host in current browsers.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
MAX_WS_MESSAGE = 64 * 1024
MAX_BODY = 64 * 1024
# A request's body must have arrived this many seconds after its head (a programme of 1 MiB at
# 50 KiB/s), or the request is answered 408: a body trickled slowly holds no request open.
BODY_TIMEOUT = 20.0


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def origin_allowed(scope: Scope, allowed: tuple[str, ...]) -> bool:
    """Cross-site WebSocket hijacking guard: a browser always sends Origin; it must be one of
    the configured public origins (``allowed``: public_url's and allowed_origins), or this
    server's own address when reached by IP address or localhost (``proxies.origin_allowed``:
    never a DNS name from the Host header, which a DNS-rebinding page controls).  Clients that
    are not browsers send none and are let through: they cannot carry a visitor's cookies."""
    headers = Headers(scope=scope)
    origin = headers.get("origin")
    if origin is None:
        return True
    return proxies.origin_allowed(origin, headers.get("host"), allowed)


class BodySizeLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413, whether the client announced the
    size (Content-Length) or streams it; uvicorn and Starlette set no limit of their own.  A
    body not all there ``timeout`` seconds after the request began is answered 408."""

    def __init__(
        self,
        app: ASGIApp,
        limit: int = MAX_BODY,
        larger: dict[str, int] | None = None,
        timeout: float = BODY_TIMEOUT,
    ) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}  # path → its own limit
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await _too_large(send, limit)
            return
        received = 0
        complete = False
        deadline = time.monotonic() + self.timeout
        started = False

        async def limited_receive() -> Message:
            nonlocal received, complete
            if complete:  # only a disconnect is left to wait for: no deadline
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise BodyTimeout from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge
                complete = not message.get("more_body", False)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)
        except BodyTimeout:
            if not started:
                await _error(send, 408, b'{"error": "the request body did not arrive in time"}')


class BodyTooLarge(Exception):
    pass


class BodyTimeout(Exception):
    pass


async def _too_large(send: Send, limit: int) -> None:
    await _error(send, 413, b'{"error": "request body larger than %d KiB"}' % (limit // 1024))


async def _error(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
