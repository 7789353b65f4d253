"""``dashboard serve --workers N``: N server processes on one port, each a full server (its own
scheduler, hub and store connections), the kernel spreading connections between them
(SO_REUSEPORT).  They share a PostgreSQL store, through which each learns what the others did
(live/follow.py); with SQLite, more than one is refused (the CLI says so).

This parent process only starts the workers, restarts one that dies, and passes SIGTERM or
Ctrl+C on to them.  A worker that refuses to start (its port taken, its database refused) stops
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

# A worker that exits with one of `dashboard`'s own statuses (bad input, bad usage, a log that
# does not verify, could not start) is not restarted: it would fail the same way.  One killed
# (by a signal, the OOM killer) or crashed otherwise is, unless that happens MAX_RESTARTS times
# within CRASH_WINDOW seconds.
REFUSED = frozenset({1, 2, 3, 4})
MAX_RESTARTS, CRASH_WINDOW = 5, 60.0
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
    restarts: list[float] = []
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            if stopping:
                for process, _ in workers:
                    process.wait()
                return
            for index, (process, _) in enumerate(workers):
                code = process.poll()
                if code is None:
                    continue
                restarts = [t for t in restarts if time.monotonic() - t < CRASH_WINDOW]
                if code in REFUSED or len(restarts) >= MAX_RESTARTS:
                    # The command refused its input or could not start (its port, its
                    # database): another try would fail the same way.
                    stop(signal.SIGTERM, None)
                    for other, _ in workers:
                        other.wait()
                    raise StartError(f"a worker exited with status {code}")
                print(f"dashboard: worker {process.pid} exited ({code}); restarting it",
                      file=sys.stderr)  # fmt: skip
                restarts.append(time.monotonic())
                workers[index] = spawn()
            time.sleep(POLL_SECONDS)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
