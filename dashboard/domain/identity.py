"""A meeting keeps its identity across revisions of the programme.

Overrides name the slot they act on by its id.  A revised note has no ids (only days, times and
texts), so each of its slots is matched against the programme it replaces, and a matched slot
keeps the old slot's id: a meeting moved to 4 p.m., reworded, or both, keeps its overrides and
is reported as moved or changed rather than removed and added.

The matching, one to one, in passes (each pass takes only slots no earlier pass took):

1. the same start, end and text (title and sub-topics): unchanged;
2. the same text at another time: moved (the nearest in time, when the text recurs);
3. the same start: reworded;
4. the same day at the venue and a similar text (``SIMILAR`` or more, by difflib's ratio):
   moved and reworded (the most similar pairs first).

A slot whose id is written in a TOML programme (``id = "…"``) keeps that id and is not matched.
What matches nothing is new, and gets a new id (its day and start, made unique).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from difflib import SequenceMatcher
from typing import Any

from .programme import Programme, Slot

SIMILAR = 0.6
MAX_SIMILARITY_PAIRS = 20_000  # beyond this a day was rewritten, not revised: no fuzzy pass


def carry_ids(previous: Sequence[Slot], revised: Programme) -> Programme:
    """``revised`` with each slot that matches a slot of ``previous`` under that slot's id."""
    given = {s.id for s in revised.slots if s.id_given}
    old = [s for s in previous if s.id not in given]
    new_indices = [j for j, s in enumerate(revised.slots) if not s.id_given]
    pairs = match_slots(old, [revised.slots[j] for j in new_indices])
    carried = {new_indices[j]: old[i].id for j, i in pairs.items()}
    slots = [
        replace(s, id=carried[j]) if j in carried else s if s.id_given else replace(s, id="")
        for j, s in enumerate(revised.slots)
    ]
    return replace(revised, slots=tuple(slots))


def match_slots(old: Sequence[Slot], new: Sequence[Slot]) -> dict[int, int]:
    """Index in ``new`` → index in ``old`` of the slots that are the same meeting."""
    pairs: dict[int, int] = {}
    free_old = set(range(len(old)))

    def take(j: int, i: int) -> None:
        pairs[j] = i
        free_old.discard(i)

    def free_new() -> list[int]:
        return [j for j in range(len(new)) if j not in pairs]

    # 1. Unchanged.
    exact: dict[tuple[datetime, datetime, tuple[str, ...]], list[int]] = defaultdict(list)
    for i, s in enumerate(old):
        exact[(_utc(s.start), _utc(s.end), _text(s))].append(i)
    for j in free_new():
        s = new[j]
        found = exact.get((_utc(s.start), _utc(s.end), _text(s)))
        if found:
            take(j, found.pop(0))
    # 2. Moved: the same text elsewhere, the nearest in time.
    by_text: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in sorted(free_old):
        by_text[_text(old[i])].append(i)
    for j in free_new():
        candidates = [i for i in by_text.get(_text(new[j]), ()) if i in free_old]
        if candidates:
            start = _utc(new[j].start)
            take(j, min(candidates, key=lambda i: (abs(_utc(old[i].start) - start), i)))
    # 3. Reworded: the same start.
    by_start = {_utc(old[i].start): i for i in sorted(free_old, reverse=True)}
    for j in free_new():
        same = by_start.get(_utc(new[j].start))
        if same is not None and same in free_old:
            take(j, same)
    # 4. Moved and reworded, within a day.
    _similar_on_the_same_day(old, new, free_old, free_new(), take)
    return pairs


def _similar_on_the_same_day(
    old: Sequence[Slot],
    new: Sequence[Slot],
    free_old: set[int],
    free_new: list[int],
    take: Callable[[int, int], None],
) -> None:
    if len(free_old) * len(free_new) > MAX_SIMILARITY_PAIRS:
        return
    scored: list[tuple[float, int, int]] = []
    for j in free_new:
        a = _joined(new[j])
        for i in free_old:
            if old[i].start.date() != new[j].start.date():
                continue
            matcher = SequenceMatcher(None, a, _joined(old[i]), autojunk=False)
            if matcher.real_quick_ratio() >= SIMILAR and matcher.quick_ratio() >= SIMILAR:
                ratio = matcher.ratio()
                if ratio >= SIMILAR:
                    scored.append((ratio, j, i))
    done_new: set[int] = set()
    for _ratio, j, i in sorted(scored, key=lambda x: (-x[0], x[1], x[2])):
        if j not in done_new and i in free_old:
            take(j, i)
            done_new.add(j)


def _text(slot: Slot) -> tuple[str, ...]:
    return (slot.title, *slot.details)


def _joined(slot: Slot) -> str:
    return "\n".join(_text(slot)).casefold()


def _utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)


def snapshot(slots: Sequence[Slot]) -> list[dict[str, Any]]:
    """What a revision is matched against later (after a restart too): ids, times, texts."""
    return [
        {
            "id": s.id,
            "start": s.start.isoformat(),
            "end": s.end.isoformat(),
            "title": s.title,
            "details": list(s.details),
        }
        for s in slots
    ]


def from_snapshot(data: Sequence[Any]) -> list[Slot]:
    """The slots of a ``snapshot``; an entry that does not read is left out (its meeting, if
    still there, gets a new id: nothing worse)."""
    slots: list[Slot] = []
    for entry in data:
        try:
            slots.append(
                Slot(
                    start=datetime.fromisoformat(entry["start"]),
                    end=datetime.fromisoformat(entry["end"]),
                    title=str(entry["title"]),
                    details=tuple(str(d) for d in entry.get("details", ())),
                    id=str(entry["id"]),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            continue
    return slots
