"""Revised programmes: read, validate, compare, then publish atomically to every screen.

A revision comes from replacing a file in ``config/`` (a watcher polls their modification
times), from ``dashboard reload`` or ``kill -HUP`` or the secretariat's tools (``POST
/api/programme/reload``), or from the console.  A file that does not read right is refused with
its line named, and the running programmes stay.  Overrides whose slot disappeared are kept and
flagged.

Reading and comparing a programme of thousands of slots takes a noticeable fraction of a second:
it runs in a worker thread, on immutable data, so that every screen and phone keeps being served.
Only the swap itself (one assignment, then each room re-planned) runs on the event loop, and one
revision at a time (``lock``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from starlette.concurrency import run_in_threadpool

from ..domain.overrides import Override
from ..domain.programme import ProgrammeError
from ..domain.revision import ProgrammeDiff, diff_programmes, orphaned_overrides
from ..domain.rooms import Room
from ..settings import Settings
from ..site import Site, load_site, slot_snapshots, with_identities
from ..store import StorageError, Store
from .published import materialise, revision_texts
from .scheduler import RoomScheduler
from .service import LiveService

log = logging.getLogger(__name__)
WATCH_SECONDS = 2


@dataclass
class ReloadResult:
    ok: bool
    error: str = ""
    diffs: dict[str, ProgrammeDiff] = field(default_factory=dict)  # by room
    orphans: list[Override] = field(default_factory=list)


def compare(old: Site, new: Site, overrides: Sequence[Override], now: datetime) -> ReloadResult:
    """What publishing ``new`` over ``old`` would change.  Pure, so it may run in a thread."""
    diffs: dict[str, ProgrammeDiff] = {}
    done: dict[tuple[int, int], ProgrammeDiff] = {}  # rooms that share a programme share its diff
    for room in new.rooms:
        if room.id in old.programmes:
            pair = old.programmes[room.id], new.programmes[room.id]
            key = id(pair[0]), id(pair[1])
            if key not in done:
                done[key] = diff_programmes(*pair)
            diffs[room.id] = done[key]
    return ReloadResult(
        True, diffs=diffs, orphans=orphaned_overrides(overrides, new.programmes, now)
    )


class Reloader:
    def __init__(
        self,
        settings: Settings,
        service: LiveService,
        scheduler: RoomScheduler,
        store: Store | None = None,
    ) -> None:
        """``store``: where each room's published slots are kept, so that a restart matches a
        programme revised meanwhile (None: not kept, for tests without a database)."""
        self.settings = settings
        self.service = service
        self.scheduler = scheduler
        self.store = store
        self._stamps = self._mtimes(service.site.rooms)
        self.last: ReloadResult | None = None
        # One revision at a time: the watcher, SIGHUP, the API and the console's publish would
        # otherwise read, compare and swap in interleaved steps.
        self.lock = asyncio.Lock()
        self._signalled: set[asyncio.Task[ReloadResult]] = set()
        # The revision published through a PostgreSQL store that is shown (0: none).
        self.published = 0

    def _files(self, rooms: Iterable[Room]) -> list[Path]:
        folder = self.settings.config_dir
        return [folder / "rooms.toml", *(folder / r.programme for r in rooms)]

    def _mtimes(
        self, rooms: Iterable[Room], known: dict[Path, int] | None = None
    ) -> dict[Path, int]:
        """The modification time of each config file (-1: missing); ``known`` ones kept."""
        stamps: dict[Path, int] = {}
        for path in self._files(rooms):
            if known is not None and path in known:
                stamps[path] = known[path]
                continue
            try:
                stamps[path] = path.stat().st_mtime_ns
            except OSError:
                stamps[path] = -1
        return stamps

    async def check(self, site: Site | None = None) -> ReloadResult:
        """Read the config folder again (or take ``site``) and compare it with the running
        programmes; no change to the running state."""
        try:
            _, result = await self._read(site)
        except ProgrammeError as exc:
            return ReloadResult(False, str(exc))
        return result

    async def _read(self, site: Site | None = None) -> tuple[Site, ReloadResult]:
        """The site (read from config/ unless given) and its comparison, in a worker thread.
        What the comparison needs of the running state is taken here, on the event loop: the
        thread sees only files and immutable programmes."""
        running, overrides = self.service.site, tuple(self.service.overrides)
        now = self.service.clock.now()

        def read() -> tuple[Site, ReloadResult]:
            # Each meeting keeps its id when it can be matched (domain/identity.py): a meeting
            # moved or reworded keeps its overrides, and is compared as moved or changed.
            previous = {r.id: running.programmes[r.id].slots for r in running.rooms}
            new = with_identities(site or load_site(self.settings), previous)
            return new, compare(running, new, overrides, now)

        return await run_in_threadpool(read)

    async def reload(self) -> ReloadResult:
        """Read and check, then publish: swap every room's programme at once and refresh the
        screens.  A reload under way is waited for, never interleaved."""
        async with self.lock:
            return await self.reload_locked()

    async def reload_locked(self) -> ReloadResult:
        """``reload`` for a caller that already holds ``lock`` (the console's publish: writing
        the files, reloading and, if that fails, restoring them is one step)."""
        assert self.lock.locked(), "reload_locked() without holding Reloader.lock"
        # Taken before reading: a file replaced while it is read is read again at the
        # watcher's next look.
        before = await run_in_threadpool(self._mtimes, self.service.site.rooms)
        try:
            new, result = await self._read()
        except ProgrammeError as exc:
            log.error("revised programme refused: %s", exc)
            self._stamps = before  # reported once, not at every look of the watcher
            self.last = ReloadResult(False, str(exc))
            return self.last
        stamps = await run_in_threadpool(self._mtimes, new.rooms, before)
        if self.store is not None and self.store.url is not None:
            # Shared: stored (and NOTIFYed) before it is shown here, so that every process
            # shows it; refused here too if it cannot be stored.
            try:
                self.published = await self._publish(new)
            except (OSError, StorageError) as exc:
                log.error("revised programme not published: %s", exc)
                self.last = ReloadResult(False, f"not published: {exc}")
                return self.last
        await self._swap(new, result)
        self._stamps = stamps
        return result

    async def _publish(self, site: Site) -> int:
        assert self.store is not None
        texts = await run_in_threadpool(revision_texts, self.settings.config_dir, site.rooms)
        return await self.store.publish_programmes(texts, self.service.clock.now())

    async def follow(self) -> None:
        """Load the revision last published through the database, if newer than the one
        shown (another process published it: live/follow.py).  A revision that does not load
        here is logged and the running programmes stay."""
        assert self.store is not None
        async with self.lock:
            published = await self.store.published_programmes()
            if published is None or published.version <= self.published:
                return
            try:
                folder = await run_in_threadpool(materialise, published, self.settings.data_dir)
                source = replace(self.settings, config_dir=folder)
                site = await run_in_threadpool(load_site, source)
                new, result = await self._read(site)
            except (ProgrammeError, OSError) as exc:
                log.error("published programme %d refused: %s", published.version, exc)
                return
            self.published = published.version
            await self._swap(new, result)

    async def _swap(self, new: Site, result: ReloadResult) -> None:
        """The swap, on the event loop: one assignment, so no screen sees half a revision."""
        self.service.replace_site(new)
        for room in new.rooms:
            self.scheduler.update(room.id)
        for orphan in result.orphans:
            log.warning("override %s refers to a slot the revised programme lacks", orphan.id)
        if self.store is not None:
            await self.store.save_slot_snapshots(slot_snapshots(new), self.service.clock.now())
        self.last = result

    def reload_soon(self) -> None:
        """For a signal handler (SIGHUP), which runs on the event loop but cannot await: the
        reload runs as a task, kept here until it is done."""
        task = asyncio.get_running_loop().create_task(self.reload())
        self._signalled.add(task)
        task.add_done_callback(self._signalled.discard)

    async def watch(self) -> None:
        """Scheduler job: reload when a config file changed since the last look."""
        if self.lock.locked():
            return  # a reload or a publish is under way; it notes the files' times itself
        stamps = await run_in_threadpool(self._mtimes, self.service.site.rooms)
        if stamps != self._stamps:
            await self.reload()
