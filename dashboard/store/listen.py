"""Listening for what other processes changed: one PostgreSQL connection of its own (a pooled
one cannot be kept for LISTEN), asynchronous, delivering each NOTIFY's payload.

``listen`` returns only by raising: when the connection drops (the server restarted, the
network failed) psycopg raises OperationalError, and the caller reconnects and re-reads what
changed meanwhile (live/follow.py).  TCP keepalives make a silently dead link fail within a
minute instead of never.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import psycopg

from .pg import CHANNEL, CONNECT_TIMEOUT


@dataclass(frozen=True)
class Change:
    kind: str  # "override" | "programme" | "screens"
    version: int  # the override's seq, the programme revision's number, the dismissal's


def parse_change(payload: str) -> Change | None:
    """The change a payload names; None for one this program does not know (a newer release's,
    during a rolling upgrade)."""
    try:
        value = json.loads(payload)
        return Change(str(value["kind"]), int(value["version"]))
    except (ValueError, KeyError, TypeError):
        return None


async def listen(
    url: str,
    connected: Callable[[], Awaitable[None]],
    changed: Callable[[Change], Awaitable[None]],
) -> None:
    """LISTEN on ``url``; ``connected()`` once listening (so that a re-read from then on
    misses nothing), then ``changed(change)`` for each notification, in order."""
    conn = await psycopg.AsyncConnection.connect(
        url,
        autocommit=True,
        connect_timeout=int(CONNECT_TIMEOUT),
        keepalives=1,
        keepalives_idle=10,
        keepalives_interval=5,
        keepalives_count=3,
    )
    async with conn:
        await conn.execute(f"LISTEN {CHANNEL}")
        await connected()
        async for notify in conn.notifies():
            change = parse_change(notify.payload)
            if change is not None:
                await changed(change)
