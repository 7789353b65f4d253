"""Following the other processes that share a PostgreSQL store (several workers, several
machines): what one of them appends, every process shows.

A change commits and NOTIFYs in one transaction (store/base.py).  The follower LISTENs; at each
(re)connection, and at each notification, it reads the overrides appended after the last one it
has seen and hands them to the desk, which applies each once (its own process's are there
already) and refreshes the rooms concerned; likewise a published programme, and the screens
staff dismissed (live/screen_sync.py).  When the listening connection drops, it reconnects
with exponential back-off (capped, with jitter, so that many processes do not reconnect in step)
and re-reads from the last version seen: nothing is missed, whatever was NOTIFYed meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable

import psycopg

from ..store import StorageError, Store, StoredOverride
from ..store.listen import Change, listen

LOG = logging.getLogger("dashboard.follow")
FIRST_BACKOFF, MAX_BACKOFF = 0.2, 10.0


class Follower:
    def __init__(
        self,
        store: Store,
        apply: Callable[[StoredOverride], Awaitable[None]],
        last_seq: int,
        reload: Callable[[], Awaitable[None]] | None = None,
        screens: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        assert store.url is not None, "only a PostgreSQL store has other processes to follow"
        self.store = store
        self.url = store.url
        self._apply = apply
        self._reload = reload
        self._screens = screens  # reads the screens dismissed since it last did
        self.last_seq = last_seq
        # "connecting", "listening" or "reconnecting": /healthz reports it.
        self.state = "connecting"
        self.reconnects = 0
        self._heard = False  # whether the current attempt got as far as listening

    async def run(self) -> None:
        """Until cancelled."""
        backoff = FIRST_BACKOFF
        while True:
            self._heard = False
            try:
                await listen(self.url, self._connected, self._changed)
            except (psycopg.Error, StorageError, OSError) as exc:
                if self._heard:  # it was listening: a new outage, start the back-off again
                    backoff = FIRST_BACKOFF
                LOG.warning("listening for changes failed (%s); again in %.1f s", exc, backoff)
            self.state = "reconnecting"
            self.reconnects += 1
            await asyncio.sleep(backoff * random.uniform(0.5, 1.0))  # noqa: S311 - jitter only
            backoff = min(backoff * 2, MAX_BACKOFF)

    async def _connected(self) -> None:
        self.state = "listening"
        self._heard = True
        await self.catch_up()
        if self._reload is not None:
            await self._reload()  # a programme published while we were not listening
        if self._screens is not None:
            await self._screens()  # screens dismissed meanwhile

    async def _changed(self, change: Change) -> None:
        if change.kind == "override" and change.version > self.last_seq:
            await self.catch_up()
        elif change.kind == "programme" and self._reload is not None:
            await self._reload()
        elif change.kind == "screens" and self._screens is not None:
            await self._screens()

    async def catch_up(self) -> None:
        """Apply every override appended after the last one seen, in order."""
        for stored in await self.store.overrides_after(self.last_seq):
            await self._apply(stored)
            self.last_seq = max(self.last_seq, stored.seq)
