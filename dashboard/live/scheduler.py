"""One APScheduler job per room, at the next instant its screens change.

APScheduler 3's defaults would silently skip a change: a job that starts more than one second
late (a stalled event loop, a suspended laptop) is a "misfire" and is dropped.  Slot changes must
never be dropped, so ``misfire_grace_time=None`` (run however late) and ``coalesce=True`` (one
run for any number of missed ones; the refresh computes the state at the real instant anyway).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from .service import LiveService

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


def job_id(room_id: str) -> str:
    return f"room:{room_id}"


class RoomScheduler:
    def __init__(self, service: LiveService) -> None:
        self.service = service
        self.scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)

    def start(self) -> None:
        """Must be called from the running event loop (the app's lifespan)."""
        self.scheduler.start()
        for room in self.service.site.rooms:
            self.update(room.id)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def update(self, room_id: str, at: datetime | None = None) -> None:
        """Refresh a room now and plan its next change (also after an override lands)."""
        self.service.refresh(room_id, at)
        self.plan(room_id, at)

    def plan(self, room_id: str, at: datetime | None = None) -> None:
        change = self.service.next_change(room_id, at)
        if change is None:
            if self.scheduler.get_job(job_id(room_id)) is not None:
                self.scheduler.remove_job(job_id(room_id))
            return
        self.scheduler.add_job(
            self._tick,
            DateTrigger(self.service.clock.real_time_of(change)),
            args=[room_id, change],
            id=job_id(room_id),
            replace_existing=True,
        )
        log.debug("room %s: next change at %s", room_id, change.isoformat())

    async def _tick(self, room_id: str, change: datetime) -> None:
        self.update(room_id, change)

    def next_run(self, room_id: str) -> datetime | None:
        job = self.scheduler.get_job(job_id(room_id))
        return job.next_run_time if job is not None else None
