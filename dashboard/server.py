"""How uvicorn runs the app: one place, used by ``dashboard serve`` and the benchmarks."""

from __future__ import annotations

import gc

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


def tune_gc() -> None:
    """Fewer full garbage collections: with thousands of screens connected a full collection
    walks every connection's objects (about 0.4 s at 5,000 on the benchmark machine) and a
    change published meanwhile waits for it.  What exists after start-up (modules, templates,
    programmes) lives as long as the process: ``freeze`` takes it out of every collection."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 50, 100)
