"""Clocks: the demo clock runs ``speed`` times faster, and ``real_time_of`` inverts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dashboard.clock import ShiftedClock, SystemClock

NY = ZoneInfo("America/New_York")
START = datetime(2023, 12, 13, 14, 59, 50, tzinfo=NY)
REAL_EPOCH = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic counter and a system clock that move together, only when told to."""

    def __init__(self) -> None:
        self.t = 1000.0

    def monotonic(self) -> float:
        return self.t

    def system_now(self) -> datetime:
        return REAL_EPOCH + timedelta(seconds=self.t - 1000.0)

    def advance(self, seconds: float) -> None:
        self.t += seconds


def shifted(speed: float, fake: FakeTime) -> ShiftedClock:
    return ShiftedClock(START, speed, monotonic=fake.monotonic, system_now=fake.system_now)


def test_starts_at_the_chosen_instant_in_utc() -> None:
    clock = shifted(10, FakeTime())
    assert clock.now() == START
    assert clock.now().utcoffset() == timedelta(0)


@pytest.mark.parametrize("speed", [1.0, 10.0, 0.5, 3600.0])
def test_now_advances_speed_times_faster(speed: float) -> None:
    fake = FakeTime()
    clock = shifted(speed, fake)
    fake.advance(2.0)
    assert clock.now() == START + timedelta(seconds=2.0 * speed)
    fake.advance(0.25)
    assert clock.now() == START + timedelta(seconds=2.25 * speed)


def test_now_does_not_move_while_monotonic_stands_still() -> None:
    fake = FakeTime()
    clock = shifted(10, fake)
    assert clock.now() == clock.now() == START


@pytest.mark.parametrize("speed", [1.0, 10.0, 60.0])
def test_real_time_of_inverts_now(speed: float) -> None:
    fake = FakeTime()
    clock = shifted(speed, fake)
    fake.advance(0.1)  # not at the start any more: the inversion must use the current offset
    boundary = datetime(2023, 12, 13, 15, 0, tzinfo=NY)
    real = clock.real_time_of(boundary)
    # Ten venue seconds were left at the start, 0.1 × speed of them have gone by.
    venue_left = timedelta(seconds=10) - timedelta(seconds=0.1 * speed)
    assert venue_left > timedelta(0)
    assert real == fake.system_now() + venue_left / speed
    # And when real time reaches that instant, the clock shows the boundary.
    fake.advance((real - fake.system_now()).total_seconds())
    assert abs(clock.now() - boundary) < timedelta(milliseconds=1)


def test_real_time_of_an_instant_already_passed_is_in_the_past() -> None:
    fake = FakeTime()
    clock = shifted(10, fake)
    fake.advance(5.0)  # the clock shows 15:00:40
    real = clock.real_time_of(datetime(2023, 12, 13, 15, 0, tzinfo=NY))
    assert real == fake.system_now() - timedelta(seconds=4)


def test_naive_start_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        ShiftedClock(datetime(2023, 12, 13, 15, 0))


@pytest.mark.parametrize("speed", [0, -1.0, float("nan"), float("inf")])
def test_non_positive_speed_refused(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        ShiftedClock(START, speed)


def test_system_clock_is_now_and_its_own_inverse() -> None:
    clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    after = datetime.now(UTC)
    assert now.tzinfo is not None
    assert before <= now <= after
    assert clock.real_time_of(START) == START
    assert clock.speed == 1.0
