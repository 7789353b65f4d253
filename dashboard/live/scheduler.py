"""One APScheduler job per room, at the next instant its screens change.

APScheduler 3's defaults would silently skip a change: a job that starts more than one second
late (a stalled event loop, a suspended laptop) is a "misfire" and is dropped.  Slot changes must
never be dropped, so ``misfire_grace_time=None`` (run however late) and ``coalesce=True`` (one
run for any number of missed ones; the refresh computes the state at the real instant anyway).

A room always has its next change booked, whatever a refresh raised: a failure is logged with
its room and traceback, the room is reported behind on ``/healthz``, and a retry is booked
(1 s, then doubling to a minute), before the room's next change if that comes first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from ..logs import room_context
from ..metrics import Metrics
from .service import LiveService

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}
RETRY_FIRST = timedelta(seconds=1)
RETRY_LAST = timedelta(seconds=60)
# A job this late (in real time) means the scheduler is not running the room's changes.
OVERDUE = timedelta(seconds=30)


# How long (real time) before a room's change its next state is rendered (``LiveService.
# prepare``): enough for forty rooms' renders on a busy machine, short enough that an override
# rarely comes in between (it would only mean rendering again at the change).
PREPARE_AHEAD = timedelta(seconds=5)


def job_id(room_id: str) -> str:
    return f"room:{room_id}"


def prepare_job_id(room_id: str) -> str:
    return f"prepare:{room_id}"


@dataclass(frozen=True)
class RoomHealth:
    next_change: datetime | None  # the venue clock's instant of the booked change
    next_run: datetime | None  # when, in real time, the job runs (a change or a retry)
    failures: int  # refreshes failed in a row
    error: str  # the last failure, while failing
    behind: bool


class RoomScheduler:
    def __init__(self, service: LiveService, metrics: Metrics | None = None) -> None:
        self.service = service
        self.metrics = metrics
        self.scheduler = AsyncIOScheduler(timezone=UTC, job_defaults=JOB_DEFAULTS)
        self._failures: dict[str, int] = {}
        self._errors: dict[str, str] = {}
        self._booked: dict[str, datetime | None] = {}  # room → the change its job is for

    def start(self) -> None:
        """Must be called from the running event loop (the app's lifespan)."""
        self.scheduler.start()
        for room in self.service.site.rooms:
            self.update(room.id)

    def shutdown(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def update(self, room_id: str, at: datetime | None = None) -> None:
        """Refresh a room now and book its next change (also after an override lands).  Never
        raises: the room's screens must go on changing whatever one refresh did."""
        with room_context(room_id):  # every line logged meanwhile names the room
            self._update(room_id, at)

    def _update(self, room_id: str, at: datetime | None) -> None:
        if self.service.site.room(room_id) is None:  # gone with a revised rooms.toml
            self._forget(room_id)
            return
        try:
            self.service.refresh(room_id, at)
        except Exception as exc:
            failures = self._failures[room_id] = self._failures.get(room_id, 0) + 1
            self._errors[room_id] = f"{type(exc).__name__}: {exc}"
            log.exception("room %s: refresh failed (%d in a row); retrying", room_id, failures)
        else:
            if self._failures.pop(room_id, None):
                log.warning("room %s: refreshed again after failures", room_id)
            self._errors.pop(room_id, None)
        self.plan(room_id, at)

    def plan(self, room_id: str, at: datetime | None = None) -> None:
        """Book the room's job: its next change, or a retry first while it is failing."""
        try:
            change = self.service.next_change(room_id, at)
        except Exception as exc:
            self._failures[room_id] = self._failures.get(room_id, 0) + 1
            self._errors[room_id] = f"{type(exc).__name__}: {exc}"
            log.exception("room %s: cannot compute its next change; retrying", room_id)
            change = None
        run = self.service.clock.real_time_of(change) if change is not None else None
        retry = self._retry_at(room_id)
        if retry is not None and (run is None or retry < run):
            # The retry refreshes at the instant that failed (or later, if the clock is there):
            # a boundary whose job fired a hair early is still the one retried.
            run, change = retry, at
        if run is None:
            self._forget(room_id)
            return
        self.scheduler.add_job(
            self._tick,
            DateTrigger(run),
            args=[room_id, change],
            id=job_id(room_id),
            replace_existing=True,
        )
        self._booked[room_id] = change
        self._book_prepare(room_id, change if run != retry else None, run)
        log.debug("room %s: next run at %s", room_id, run.isoformat())

    def _book_prepare(self, room_id: str, change: datetime | None, run: datetime) -> None:
        """Book the rendering of the room's next change ahead of it (``LiveService.prepare``),
        so that the change itself only publishes; none for a retry, or when it is too near."""
        ahead = run - PREPARE_AHEAD
        if change is None or ahead <= datetime.now(UTC):
            self._drop(prepare_job_id(room_id))
            return
        self.scheduler.add_job(
            self._prepare,
            DateTrigger(ahead),
            args=[room_id, change],
            id=prepare_job_id(room_id),
            replace_existing=True,
        )

    async def _prepare(self, room_id: str, change: datetime) -> None:
        """Never raises: a state that cannot be rendered ahead is rendered at its change (and
        a failure there is the refresh's to report and retry)."""
        with room_context(room_id):
            try:
                self.service.prepare(room_id, change)
            except Exception:
                log.warning("room %s: could not render its next change ahead", room_id,
                            exc_info=True)  # fmt: skip

    def _retry_at(self, room_id: str) -> datetime | None:
        failures = self._failures.get(room_id, 0)
        if not failures:
            return None
        wait: timedelta = min(RETRY_LAST, RETRY_FIRST * 2 ** min(failures - 1, 10))
        return datetime.now(UTC) + wait

    def _forget(self, room_id: str) -> None:
        self._drop(job_id(room_id))
        self._drop(prepare_job_id(room_id))
        self._booked.pop(room_id, None)
        self._failures.pop(room_id, None)
        self._errors.pop(room_id, None)

    def _drop(self, job: str) -> None:
        if self.scheduler.get_job(job) is not None:
            self.scheduler.remove_job(job)

    async def _tick(self, room_id: str, change: datetime | None) -> None:
        self.update(room_id, change)
        published = room_id not in self._failures
        if self.metrics is not None and change is not None and published:
            # Booked instant (in real time, as the job was planned) to published: the lag a
            # screen connected now saw.  A retry's lag counts from the change it retried.
            lag = datetime.now(UTC) - self.service.clock.real_time_of(change)
            self.metrics.boundary_lag.labels(room_id).observe(max(0.0, lag.total_seconds()))

    def booked(self) -> dict[str, datetime | None]:
        """Each room with a job booked, and the change it is for (None: a retry)."""
        return dict(self._booked)

    def next_run(self, room_id: str) -> datetime | None:
        job = self.scheduler.get_job(job_id(room_id))
        run: datetime | None = job.next_run_time if job is not None else None
        return run

    def health(self, room_id: str) -> RoomHealth:
        """Behind: the last refresh failed, or no job is booked though a change is to come, or
        the booked job is long overdue."""
        next_run = self.next_run(room_id)
        failures = self._failures.get(room_id, 0)
        behind = failures > 0
        if next_run is None:
            try:
                behind = behind or self.service.next_change(room_id) is not None
            except Exception:
                behind = True
        elif next_run < datetime.now(UTC) - OVERDUE:
            behind = True
        return RoomHealth(
            next_change=self._booked.get(room_id),
            next_run=next_run,
            failures=failures,
            error=self._errors.get(room_id, ""),
            behind=behind,
        )
