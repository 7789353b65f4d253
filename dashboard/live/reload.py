"""Revised programmes: read, validate, compare, then publish atomically to every screen.

A revision comes from replacing a file in ``config/`` (a watcher polls their modification
times), from ``dashboard reload`` or from the secretariat's console (``POST
/api/programme/reload``).  A file that does not read right is refused with its line named, and
the running programmes stay.  Overrides whose slot disappeared are kept and flagged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.overrides import Override
from ..domain.programme import ProgrammeError
from ..domain.revision import ProgrammeDiff, diff_programmes, orphaned_overrides
from ..settings import Settings
from ..site import Site, load_site
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


class Reloader:
    def __init__(self, settings: Settings, service: LiveService, scheduler: RoomScheduler) -> None:
        self.settings = settings
        self.service = service
        self.scheduler = scheduler
        self._stamps = self._mtimes()
        self.last: ReloadResult | None = None

    def _files(self) -> list[Path]:
        folder = self.settings.config_dir
        return [folder / "rooms.toml", *(folder / r.programme for r in self.service.site.rooms)]

    def _mtimes(self) -> dict[Path, float]:
        stamps: dict[Path, float] = {}
        for path in self._files():
            try:
                stamps[path] = path.stat().st_mtime_ns
            except OSError:
                stamps[path] = -1
        return stamps

    def check(self, site: Site | None = None) -> ReloadResult:
        """Read the config again; compare; no change to the running state."""
        try:
            new = site or load_site(self.settings)
        except ProgrammeError as exc:
            return ReloadResult(False, str(exc))
        old = self.service.site
        diffs = {
            room.id: diff_programmes(old.programmes[room.id], new.programmes[room.id])
            for room in new.rooms
            if room.id in old.programmes
        }
        orphans = orphaned_overrides(
            self.service.overrides, new.programmes, self.service.clock.now()
        )
        return ReloadResult(True, diffs=diffs, orphans=orphans)

    def reload(self) -> ReloadResult:
        """Check, then publish: swap every room's programme at once and refresh the screens."""
        try:
            new = load_site(self.settings)
        except ProgrammeError as exc:
            log.error("revised programme refused: %s", exc)
            self.last = ReloadResult(False, str(exc))
            return self.last
        result = self.check(new)
        self.service.replace_site(new)
        self._stamps = self._mtimes()
        for room in new.rooms:
            self.scheduler.update(room.id)
        for orphan in result.orphans:
            log.warning("override %s refers to a slot the revised programme lacks", orphan.id)
        self.last = result
        return result

    async def watch(self) -> None:
        """Scheduler job: reload when a config file changed since the last look."""
        stamps = self._mtimes()
        if stamps != self._stamps:
            self._stamps = stamps
            self.reload()
