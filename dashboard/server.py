"""How uvicorn runs the app: one place, used by ``dashboard serve`` and the benchmarks."""

from __future__ import annotations

import uvicorn
from starlette.applications import Starlette

from .web.security import MAX_WS_MESSAGE


def uvicorn_config(app: Starlette, host: str, port: int, log_level: str = "info") -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        # Per-message deflate costs ~59 KiB instead of ~25 KiB per idle screen, for frames of a
        # few KiB that compress little: off.
        ws_per_message_deflate=False,
        ws_max_size=MAX_WS_MESSAGE,
        log_level=log_level,
        server_header=False,
        lifespan="on",
    )
