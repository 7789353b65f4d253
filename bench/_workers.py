"""Client processes, driven over pipes: each runs its share of bench/_wsclient.py's pools and
screens in its own event loop, pinned to the load CPUs."""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import multiprocessing.connection
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from _common import pin, raise_nofile
from _wsclient import Pool, Screens


class AsyncPipe:
    """A multiprocessing Connection read without blocking the event loop."""

    def __init__(self, conn: multiprocessing.connection.Connection) -> None:
        self.conn = conn
        self.inbox: asyncio.Queue[Any] = asyncio.Queue()
        self.loop = asyncio.get_running_loop()
        self.loop.add_reader(conn.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            while self.conn.poll():
                self.inbox.put_nowait(self.conn.recv())
        except (EOFError, OSError):
            self.loop.remove_reader(self.conn.fileno())
            self.inbox.put_nowait(("quit",))

    async def recv(self, timeout: float = 600) -> Any:
        return await asyncio.wait_for(self.inbox.get(), timeout)

    def send(self, message: Any) -> None:
        self.conn.send(message)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.loop.remove_reader(self.conn.fileno())


def worker_main(conn: multiprocessing.connection.Connection, cpus: set[int]) -> None:
    """A client process.  Commands (tuples) and replies:

    ("open", name, port, path, count)   -> ("opened", count, failures)
    ("stamps", name, version, timeout)  -> ("stamps", [monotonic ns, ...])
    ("close", name)                     -> ("closed",)
    ("screens", port, path, count, marker) -> ("screens",)   reconnecting displays
    ("epoch", ns)                       -> ("ok",)   count restarts from then on
    ("stats",)                          -> ("stats", Screens.stats())
    """
    pin(cpus)
    raise_nofile()
    asyncio.run(_worker(conn))


async def _worker(conn: multiprocessing.connection.Connection) -> None:
    pipe = AsyncPipe(conn)
    pools: dict[str, Pool] = {}
    screens: Screens | None = None
    while True:
        command, *args = await pipe.recv(3600)
        if command == "open":
            name, port, path, count = args
            pool = pools.setdefault(name, Pool())
            failures = await pool.open(port, path, count)
            pipe.send(("opened", pool.size, failures))
        elif command == "stamps":
            name, version, timeout = args
            pool = pools[name]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(pool.event(version).wait(), timeout)
            pipe.send(("stamps", pool.arrivals.pop(version, [])))
        elif command == "close":
            await pools.pop(args[0]).close()
            pipe.send(("closed",))
        elif command == "screens":
            screens = Screens(*args)
            pipe.send(("screens",))
        elif command == "epoch":
            assert screens is not None
            screens.start_epoch(args[0])
            pipe.send(("ok",))
        elif command == "stats":
            assert screens is not None
            pipe.send(("stats", screens.stats()))
        elif command == "quit":
            if screens is not None:
                await screens.stop()
            for pool in pools.values():
                await pool.close()
            break
    pipe.close()


class Workers:
    """``procs`` client processes pinned to ``cpus``; connections are spread evenly.  Use as
    ``async with``, inside the event loop that drives them."""

    def __init__(self, procs: int, cpus: set[int]) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.pipes: list[AsyncPipe] = []
        self.procs: list[Any] = []
        self.conns: list[multiprocessing.connection.Connection] = []
        for _ in range(procs):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=worker_main, args=(child, cpus), daemon=True)
            proc.start()
            child.close()
            self.procs.append(proc)
            self.conns.append(parent)

    async def __aenter__(self) -> Workers:
        self.pipes = [AsyncPipe(c) for c in self.conns]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(Exception):
                pipe.send(("quit",))
            pipe.close()
        for proc in self.procs:
            await asyncio.to_thread(proc.join, 30)
            if proc.is_alive():
                proc.terminate()

    def split(self, total: int) -> list[int]:
        n = len(self.pipes)
        return [total // n + (1 if i < total % n else 0) for i in range(n)]

    async def ask(self, messages: Sequence[Any], timeout: float = 600) -> list[Any]:
        for pipe, message in zip(self.pipes, messages, strict=True):
            pipe.send(message)
        return list(await asyncio.gather(*(p.recv(timeout) for p in self.pipes)))

    async def all(self, message: Any, timeout: float = 600) -> list[Any]:
        return await self.ask([message] * len(self.pipes), timeout)

    async def open(self, name: str, port: int, path: str, total: int) -> int:
        counts = self.split(total)
        replies = await self.ask([("open", name, port, path, c) for c in counts])
        failures = sum(r[2] for r in replies)
        if failures:
            print(f"  warning: {failures} of {total} connections failed", file=sys.stderr)
        return sum(r[1] for r in replies)

    async def stamps(self, name: str, version: int, timeout: float) -> list[int]:
        replies = await self.all(("stamps", name, version, timeout), timeout + 30)
        return [s for r in replies for s in r[1]]

    async def close(self, name: str) -> None:
        await self.all(("close", name), 60)

    async def screens(self, port: int, path: str, total: int, marker: bytes) -> None:
        await self.ask([("screens", port, path, c, marker) for c in self.split(total)])

    async def stats(self) -> dict[str, Any]:
        replies = await self.all(("stats",), 60)
        total: dict[str, Any] = {"marked": 0, "back": [], "errors": Counter(), "refused": 0}
        total["attempts"] = 0
        for _, stats in replies:
            total["marked"] += stats["marked"]
            total["back"] += stats["back"]
            total["errors"].update(stats["errors"])
            total["refused"] += stats["refused"]
            total["attempts"] += stats["attempts"]
        return total
