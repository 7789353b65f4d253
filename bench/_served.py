"""``dashboard serve`` with optional bench-side probes, for the benchmarks that need to see inside
the server without changing ``dashboard/``::

    python bench/_served.py [--probe-sends] [--count-renders] [--no-page-cache]
                            [--tracemalloc=DIR] -- serve ARGS...

Everything after ``--`` goes to ``dashboard.cli.main``: the same command, app and uvicorn
configuration as ``dashboard serve``.  The probes patch this process only, and print one line
per event on stderr, ``BENCH-PROBE <kind> key=value ...`` (integers; times in monotonic ns):

--probe-sends    ``sends version=V subscribers=S publish=P first=F last=L count=C``, once the
                 sends of a display frame have stopped for 0.5 s: when ``Hub.publish`` was
                 called for ``display:*``, and when the first and the last
                 ``WebSocket.send_text`` of that frame returned (a thin wrapper around
                 Starlette's method: one call, one ``str.find`` per send); with the time spent
                 in garbage collection between the publish and the last send (``gc_us``) and
                 how many of those collections were full ones (``gc_full``).
--count-renders  ``page-render count=N`` each time a phone page is built (a cache miss of
                 ``LiveService.page``).
--no-page-cache  defeat that cache: every request renders, gzips and hashes its page again (the
                 baseline for bench/phone.py).
--tracemalloc=DIR  ``tracemalloc.start(25)`` before the app is built; at each SIGUSR1, a full
                 collection, then the snapshot dumped to DIR/snapshot-K.pickle and
                 ``snapshot k=K traced=B overhead=B`` (bytes traced, and tracemalloc's own
                 memory) printed (bench/socket_memory.py; bench/_baseline.py takes it too).
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable
from typing import Any


def emit(kind: str, **fields: int) -> None:
    values = " ".join(f"{k}={v}" for k, v in fields.items())
    print(f"BENCH-PROBE {kind} {values}", file=sys.stderr, flush=True)


def probe_sends() -> None:
    import gc

    from starlette.websockets import WebSocket

    from dashboard.live.hub import Hub

    published: dict[int, tuple[int, int]] = {}  # version → (publish ns, subscribers)
    pauses: list[tuple[int, int, int]] = []  # GC: (start ns, end ns, generation), recent ones
    started = [0]

    def on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.monotonic_ns()
        else:
            pauses.append((started[0], time.monotonic_ns(), info["generation"]))
            del pauses[:-1000]

    gc.callbacks.append(on_gc)
    sends: dict[int, list[int]] = {}  # version → [count, first ns, last ns]
    original_publish, original_send = Hub.publish, WebSocket.send_text

    def publish(self: Hub, channel: str, version: int, text: str) -> int:
        stamp = time.monotonic_ns()
        offered: int = original_publish(self, channel, version, text)
        if channel.startswith("display:"):
            published[version] = (stamp, offered)
        return offered

    async def report(version: int) -> None:
        count = -1
        while sends[version][0] != count:
            count = sends[version][0]
            await asyncio.sleep(0.5)
        done, first, last = sends.pop(version)
        publish_ns, subscribers = published.pop(version, (0, 0))
        during = [(a, b, g) for a, b, g in pauses if publish_ns <= a <= last]
        emit(
            "sends",
            version=version,
            subscribers=subscribers,
            publish=publish_ns,
            first=first,
            last=last,
            count=done,
            gc_us=sum(b - a for a, b, _ in during) // 1000,
            gc_full=sum(g == 2 for _, _, g in during),
        )

    async def send_text(self: WebSocket, data: str) -> None:
        await original_send(self, data)
        if not data.startswith('<section id="display-now"'):
            return
        stamp = time.monotonic_ns()
        i = data.find('data-version="') + 14
        version = int(data[i : data.find('"', i)])
        entry = sends.get(version)
        if entry is None:
            sends[version] = [1, stamp, stamp]
            TASKS.add(asyncio.create_task(report(version)))
        else:
            entry[0] += 1
            entry[2] = stamp

    setattr(Hub, "publish", publish)  # noqa: B010 - patching a method, on purpose
    setattr(WebSocket, "send_text", send_text)  # noqa: B010


TASKS: set[asyncio.Task[None]] = set()


def probe_tracemalloc(directory: str) -> None:
    import gc
    import signal
    import tracemalloc
    from pathlib import Path

    tracemalloc.start(25)
    taken = 0

    def dump(signum: int, frame: object) -> None:
        nonlocal taken
        taken += 1
        gc.collect()
        snapshot = tracemalloc.take_snapshot()
        snapshot.dump(str(Path(directory) / f"snapshot-{taken}.pickle"))
        emit(
            "snapshot",
            k=taken,
            traced=tracemalloc.get_traced_memory()[0],
            overhead=tracemalloc.get_tracemalloc_memory(),
        )

    signal.signal(signal.SIGUSR1, dump)


def page_cache(count: bool, defeat: bool) -> None:
    from dashboard.live.service import CachedPage, LiveService

    original = LiveService.page
    renders = 0

    def page(
        self: LiveService, key: str, versions: tuple[int, ...], build: Callable[[], str]
    ) -> CachedPage:
        if defeat:
            self._pages.clear()

        def counted() -> str:
            nonlocal renders
            renders += 1
            emit("page-render", count=renders)
            return build()

        return original(self, key, versions, counted if count else build)

    setattr(LiveService, "page", page)  # noqa: B010 - patching a method, on purpose


def main(argv: list[str]) -> Any:
    split = argv.index("--")
    flags, rest = set(argv[:split]), argv[split + 1 :]
    for flag in [f for f in flags if f.startswith("--tracemalloc=")]:
        flags.discard(flag)
        probe_tracemalloc(flag.split("=", 1)[1])
    unknown = flags - {"--probe-sends", "--count-renders", "--no-page-cache"}
    if unknown:
        sys.exit(f"unknown flags: {sorted(unknown)}")
    if "--probe-sends" in flags:
        probe_sends()
    if flags & {"--count-renders", "--no-page-cache"}:
        page_cache("--count-renders" in flags, "--no-page-cache" in flags)
    from dashboard.cli import main as dashboard_main

    return dashboard_main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
