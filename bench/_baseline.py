"""Minimal servers the benchmarks compare the dashboard with, run as subprocesses::

python bench/_baseline.py websockets --port P --frame FILE
    the ``websockets`` library's server (compression off): each connection gets FRAME, then
    nothing; a connection to ``/control`` sends JSON commands: ``{"op": "broadcast",
    "version": V}`` → ``websockets.broadcast`` of FRAME (its data-version set to V) to every
    other connection, answered ``{"t0": ns, "t1": ns, "n": count}``.
    With ``--tracemalloc DIR``: bench/_served.py's ``--tracemalloc`` probe (snapshots at
    SIGUSR1), started before ``websockets`` is imported.
python bench/_baseline.py starlette --port P --frame FILE
    a bare Starlette WebSocket endpoint (any path) under the dashboard's own uvicorn
    configuration: accept, send FRAME, read until the client goes.
python bench/_baseline.py static --port P --frame FILE [--index FILE2]
    a bare Starlette route (any path; ``/`` answers FILE2 when given) answering FILE's bytes,
    gzipped once at start, with the phone view's headers: the floor of an HTTP response under
    the same uvicorn.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import re
import sys
import time
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.applications import Starlette

VERSION_RE = re.compile(r'data-version="\d+"')


async def serve_websockets(port: int, frame: str) -> None:
    from websockets.asyncio.server import ServerConnection, broadcast, serve
    from websockets.http11 import Request, Response

    connections: set[ServerConnection] = set()

    async def control(connection: ServerConnection) -> None:
        async for message in connection:
            command = json.loads(message)
            if command["op"] == "broadcast":
                text = VERSION_RE.sub(f'data-version="{command["version"]}"', frame)
                t0 = time.monotonic_ns()
                broadcast(connections, text)
                t1 = time.monotonic_ns()
                await connection.send(json.dumps({"t0": t0, "t1": t1, "n": len(connections)}))

    async def handler(connection: ServerConnection) -> None:
        if connection.request is not None and connection.request.path == "/control":
            await control(connection)
            return
        connections.add(connection)
        try:
            await connection.send(frame)
            await connection.wait_closed()
        finally:
            connections.discard(connection)

    def health(connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        return None

    async with serve(
        handler,
        "127.0.0.1",
        port,
        compression=None,
        max_size=64 * 1024,
        backlog=2048,
        process_request=health,
    ):
        print("ready", file=sys.stderr, flush=True)
        await asyncio.Future()


def starlette_app(kind: str, frame: str, index: str) -> Starlette:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route, WebSocketRoute
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(frame)
        with contextlib.suppress(WebSocketDisconnect):
            while (await websocket.receive())["type"] != "websocket.disconnect":
                pass

    body, index_body = gzip.compress(frame.encode(), 6), gzip.compress(index.encode(), 6)
    headers = {
        "etag": '"static"',
        "cache-control": "no-cache",
        "vary": "Accept-Encoding",
        "content-encoding": "gzip",
    }

    async def page(request: Request) -> Response:
        content = index_body if request.url.path == "/" else body
        return Response(content, media_type="text/html; charset=utf-8", headers=headers)

    async def health(request: Request) -> Response:
        return Response("ok")

    if kind == "starlette":
        return Starlette(routes=[Route("/healthz", health), WebSocketRoute("/{p:path}", socket)])
    return Starlette(routes=[Route("/healthz", health), Route("/{p:path}", page)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("kind", choices=["websockets", "starlette", "static"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--frame", type=Path, required=True)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--tracemalloc", metavar="DIR")
    args = parser.parse_args()
    frame = args.frame.read_text()
    if args.tracemalloc:
        from _served import probe_tracemalloc

        probe_tracemalloc(args.tracemalloc)
    if args.kind == "websockets":
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve_websockets(args.port, frame))
        return
    import uvicorn

    from dashboard.server import uvicorn_config  # the product's uvicorn settings

    app = starlette_app(args.kind, frame, args.index.read_text() if args.index else frame)
    uvicorn.Server(uvicorn_config(app, "127.0.0.1", args.port, "warning")).run()


if __name__ == "__main__":
    main()
