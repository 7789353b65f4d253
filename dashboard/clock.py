"""Clocks.  Everything that needs "now" is handed a Clock, so that tests, demos and the
scheduler agree on what time it is without anyone sleeping.

``ShiftedClock`` is the one ``dashboard serve --at ... --speed N`` uses: it starts at a chosen
instant and runs N times faster than real time.  The scheduler needs the other direction too
(when, in real time, will the venue's clock show T?): ``real_time_of``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    speed: float

    def now(self) -> datetime:
        """The current instant (aware, UTC)."""
        ...

    def real_time_of(self, instant: datetime) -> datetime:
        """The real (system) instant at which ``now()`` will reach ``instant``."""
        ...


class SystemClock:
    speed = 1.0

    def now(self) -> datetime:
        return datetime.now(UTC)

    def real_time_of(self, instant: datetime) -> datetime:
        return instant


class ShiftedClock:
    """Starts at ``start`` and runs ``speed`` times faster than the system's clock."""

    def __init__(
        self,
        start: datetime,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        system_now: Callable[[], datetime] = lambda: datetime.now(UTC),
        origin: float | None = None,
    ) -> None:
        """``origin``: the ``monotonic()`` reading at which the clock shows ``start`` (default:
        now).  CLOCK_MONOTONIC is system-wide, so the workers of `serve --workers` given one
        origin show one time."""
        if start.tzinfo is None:
            raise ValueError("start must be timezone-aware")
        if not 0 < speed < math.inf:  # nan and inf too
            raise ValueError("speed must be positive and finite")
        self.start = start.astimezone(UTC)
        self.speed = speed
        self._monotonic = monotonic
        self._system_now = system_now
        self._t0 = monotonic() if origin is None else origin

    def _elapsed(self) -> timedelta:
        return timedelta(seconds=(self._monotonic() - self._t0) * self.speed)

    def now(self) -> datetime:
        return self.start + self._elapsed()

    def real_time_of(self, instant: datetime) -> datetime:
        ahead = (instant - self.now()) / self.speed
        return self._system_now() + ahead
