"""``dashboard serve --workers N``: N server processes on one port, each a full server (its own
scheduler, hub and store connections), the kernel spreading connections between them
(SO_REUSEPORT).  They share a PostgreSQL store, through which each learns what the others did
(live/follow.py); with SQLite, more than one is refused (the CLI says so).

This parent process only starts the workers, restarts one that dies, and passes SIGTERM or
Ctrl+C on to them.  It tells two deaths apart by whether the worker had said it was serving:

- Before serving (its port taken, its database refused or not migrated, a programme that does
  not read), an exit with one of ``dashboard``'s own statuses stops them all: another try would
  fail the same way.
- After serving, any exit is a crash (a bug, the OOM killer, a signal): the worker is restarted
  and the others go on, unless that happens MAX_RESTARTS times within CRASH_WINDOW seconds.

The exit status alone cannot say which: an uncaught exception exits with 1, the same status as
"bad input".  So each worker inherits the write end of a pipe (``--ready-fd``) and writes one
byte on it once uvicorn listens and the app's start-up is done (server.py); the parent reads it
after the worker has exited, when the byte is there or the pipe is at its end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import FrameType

# `dashboard`'s own statuses (bad input, bad usage, a log that does not verify, could not start).
REFUSED = frozenset({1, 2, 3, 4})
MAX_RESTARTS, CRASH_WINDOW = 5, 60.0
POLL_SECONDS = 0.2
SERVING = b"S"


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host``:``port`` that other processes may bind too (the kernel then
    spreads incoming connections between them).  uvicorn (asyncio) listens on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    return sock


def report_serving(fd: int) -> None:
    """In a worker: tell the parent this worker serves (once; the descriptor is then closed)."""
    try:
        os.write(fd, SERVING)
    finally:
        os.close(fd)


class StartError(Exception):
    """A worker could not start, or workers kept dying: what happened, for the operator."""


@dataclass
class Worker:
    """One worker process and the read end of the pipe it reports serving on."""

    process: subprocess.Popen[bytes]
    ready: int  # non-blocking read end
    closed: bool = field(default=False)

    @classmethod
    def spawn(cls, command: Sequence[str]) -> Worker:
        read, write = os.pipe()
        os.set_blocking(read, False)
        try:
            process = subprocess.Popen(  # noqa: S603 - our own command
                [*command, "--ready-fd", str(write)], pass_fds=(write,)
            )
        except BaseException:
            os.close(read)
            raise
        finally:
            os.close(write)  # the worker's copy is the only one: its exit ends the pipe
        return cls(process, read)

    def was_serving(self) -> bool:
        """Once the worker has exited: whether it had reported serving.  (Still running, or a
        descendant holding the write end: no byte yet reads as not serving.)"""
        if self.closed:
            return False
        try:
            return os.read(self.ready, 1) == SERVING
        except BlockingIOError:
            return False
        finally:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.ready)


def run_workers(child_args: Sequence[str], count: int) -> None:
    """Run ``count`` workers (``dashboard serve CHILD_ARGS --reuse-port``) until SIGTERM or
    SIGINT; StartError if one fails to start, or if workers die too often."""
    command = [sys.executable, "-m", "dashboard.cli", "serve", *child_args, "--reuse-port"]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for worker in workers:
            with contextlib.suppress(ProcessLookupError):
                worker.process.send_signal(signal.SIGTERM)

    def stop_all(reason: str) -> StartError:
        stop(signal.SIGTERM, None)
        for other in workers:
            other.process.wait()
        return StartError(reason)

    workers: list[Worker] = []
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        workers.extend(Worker.spawn(command) for _ in range(count))
        restarts: list[float] = []
        while True:
            if stopping:
                for worker in workers:
                    worker.process.wait()
                return
            for index, worker in enumerate(workers):
                code = worker.process.poll()
                if code is None:
                    continue
                serving = worker.was_serving()
                if not serving and code in REFUSED:
                    # It refused its input or could not start (its port, its database).
                    raise stop_all(f"a worker could not start (exit status {code})")
                now = time.monotonic()
                restarts = [t for t in restarts if now - t < CRASH_WINDOW]
                if len(restarts) >= MAX_RESTARTS:
                    raise stop_all(
                        f"workers died {len(restarts) + 1} times within {CRASH_WINDOW:.0f} s"
                        f" (the last with exit status {code})"
                    )
                when = "died while serving" if serving else "died before serving"
                print(f"dashboard: worker {worker.process.pid} {when} (exit status {code});"
                      " restarting it", file=sys.stderr)  # fmt: skip
                restarts.append(now)
                workers[index] = Worker.spawn(command)
            time.sleep(POLL_SECONDS)
    finally:
        for worker in workers:
            worker.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
