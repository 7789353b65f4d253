"""Once per turn of the event loop: what many rooms changing at one instant need done once.

At 10 a.m. a building's forty rooms cross a boundary together, each publishing its new state.
Views made of every room (the hall board, the phones' overview) must follow each change, but
once after all of them, not forty times: each of the forty frames would be rendered, encoded and
written to every screen of that view, and only the last one matters.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime


class OncePerTurn:
    """``self(instant)`` asks for ``action(instant)``; on the event loop, every ask made in the
    same turn is answered by one call, soon after, with the latest instant asked for.  Without
    a running loop (a script, a command), at once."""

    def __init__(self, action: Callable[[datetime], object]) -> None:
        self._action = action
        self._pending: datetime | None = None  # a call booked on the loop, at this instant

    def __call__(self, instant: datetime) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._action(instant)
            return
        booked = self._pending is not None
        self._pending = instant if self._pending is None else max(instant, self._pending)
        if not booked:
            loop.call_soon(self.flush)

    @property
    def pending(self) -> bool:
        return self._pending is not None

    def flush(self) -> None:
        """Make the booked call now, if there is one (a reader that needs it done first)."""
        instant, self._pending = self._pending, None
        if instant is not None:
            self._action(instant)
