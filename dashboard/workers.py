"""``dashboard serve --workers N``: N server processes on one port, each a full server (its own
scheduler, hub and store connections), the kernel spreading connections between them
(SO_REUSEPORT).  They share a PostgreSQL store, through which each learns what the others did
(live/follow.py); with SQLite, more than one is refused (the CLI says so).

This parent process only starts the workers, restarts one that dies, and passes SIGTERM or
Ctrl+C on to them.  A worker that dies at once (its port taken, its database refused) stops
them all: restarting would only fail again.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

# A worker that exits within this many seconds of starting failed to start.
START_SECONDS = 15.0
POLL_SECONDS = 0.2


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` that other processes may bind too (the kernel then
    spreads incoming connections between them).  uvicorn (asyncio) listens on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


class StartError(Exception):
    """A worker could not start: its exit status and the command."""


def run_workers(child_args: Sequence[str], count: int) -> None:
    """Run ``count`` workers (``dashboard serve CHILD_ARGS --reuse-port``) until SIGTERM or
    SIGINT; StartError if one fails to start."""
    command = [sys.executable, "-m", "dashboard.cli", "serve", *child_args, "--reuse-port"]
    stopping = False

    def spawn() -> tuple[subprocess.Popen[bytes], float]:
        return subprocess.Popen(command), time.monotonic()  # noqa: S603 - our own command

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for process, _ in workers:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)

    workers = [spawn() for _ in range(count)]
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            if stopping:
                for process, _ in workers:
                    process.wait()
                return
            for index, (process, started) in enumerate(workers):
                code = process.poll()
                if code is None:
                    continue
                if time.monotonic() - started < START_SECONDS:
                    stop(signal.SIGTERM, None)
                    for other, _ in workers:
                        other.wait()
                    raise StartError(f"a worker exited with status {code} as it started")
                print(f"dashboard: worker {process.pid} exited ({code}); restarting it",
                      file=sys.stderr)  # fmt: skip
                workers[index] = spawn()
            time.sleep(POLL_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
