"""Memory keeps only the overrides that can still shape a screen (issue 9, item 7); the store
keeps them all (the console's history and ``?all=1`` read the log)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from dashboard.domain.loader import load_programme
from dashboard.domain.overrides import Override, OverrideKind
from dashboard.live.memory import ORPHANS_KEPT, OverrideMemory
from tests.conftest import SHIPPED_NOTE

NY = ZoneInfo("America/New_York")
WEEK = load_programme(SHIPPED_NOTE.read_bytes(), "x.txt").programme
PROGRAMMES = {"cr4": WEEK}
T = datetime(2023, 12, 13, 11, tzinfo=NY)


def made(id: str, kind: OverrideKind, **fields: object) -> Override:
    values: dict[str, object] = {"created": T, "effective": T, **fields}
    return Override(id=id, kind=kind, rooms=("cr4",), author="a", **values)  # type: ignore[arg-type]


def ids(memory: OverrideMemory) -> list[str]:
    return [o.id for o in memory.overrides]


def test_an_expired_override_is_forgotten_at_its_expiry() -> None:
    banner = made("b", OverrideKind.ANNOUNCE, text="Coffee", expires=T + timedelta(hours=1))
    memory = OverrideMemory([banner], PROGRAMMES, T)
    assert ids(memory) == ["b"]
    memory.forget_spent(PROGRAMMES, T + timedelta(minutes=59))
    assert ids(memory) == ["b"]
    memory.forget_spent(PROGRAMMES, T + timedelta(hours=1))
    assert ids(memory) == []


def test_a_cleared_override_goes_with_its_clear_once_the_clear_is_in_force() -> None:
    cancel = made("c", OverrideKind.CANCEL, slots=(("cr4", "2023-12-13-1500"),))
    later = T + timedelta(hours=1)
    clear = made("x", OverrideKind.CLEAR, target="c", effective=later)
    memory = OverrideMemory([cancel, clear], PROGRAMMES, T)
    assert ids(memory) == ["c", "x"]  # the clear is not in force yet: both matter
    memory.forget_spent(PROGRAMMES, later)
    assert ids(memory) == []


def test_an_override_whose_slot_is_gone_is_kept_a_while_then_forgotten() -> None:
    orphan = made("o", OverrideKind.LATE, minutes=10, slots=(("cr4", "2023-12-13-0900"),))
    kept = made("k", OverrideKind.LATE, minutes=10, slots=(("cr4", "2023-12-13-1500"),))
    memory = OverrideMemory([orphan, kept], PROGRAMMES, T + ORPHANS_KEPT)
    assert ids(memory) == ["o", "k"]
    memory.forget_spent(PROGRAMMES, T + ORPHANS_KEPT + timedelta(seconds=1))
    assert ids(memory) == ["k"]  # a slot of the running programme: it shapes the week


def test_an_announcement_without_an_expiry_stays() -> None:
    banner = made("b", OverrideKind.ANNOUNCE, text="Welcome")
    memory = OverrideMemory([banner], PROGRAMMES, T + timedelta(days=400))
    assert ids(memory) == ["b"]
