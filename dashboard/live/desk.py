"""The override desk: where a request from the console or the API becomes an override that is
stored, then shown.

Order matters, for "never lose one": validate (domain) → append to the log and commit (store) →
apply to the live state and re-plan the room's job (service, scheduler) → acknowledge.  One lock
serialises submissions, so each is validated against every override before it.

An idempotency key names one request: sent again with the same request (its fingerprint: what
it says, whatever the JSON's spacing), it gets the first answer; with another request, it is
refused (``AlreadySent``, 422, as the IETF Idempotency-Key draft answers), and nothing is stored.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..domain.overrides import Override, OverrideError
from ..domain.requests import (
    OverrideRequest,
    build_override,
    parse_request,
    request_fingerprint,
)
from ..metrics import Metrics
from ..store import KeyReused, Store, StoredOverride
from .scheduler import RoomScheduler
from .service import LiveService


@dataclass(frozen=True)
class Receipt:
    override: Override
    seq: int  # position in the append-only log: the version of the override log
    created: bool  # False when an idempotency key matched an earlier request


class AlreadySent(OverrideError):
    """The idempotency key was used before, for another request."""

    status = 422

    def __init__(self, earlier: Override) -> None:
        super().__init__(
            "Idempotency-Key",
            f"already used for another request (override {earlier.id}): use a new key for a new"
            " request",
        )
        self.earlier = earlier


class OverrideDesk:
    def __init__(
        self,
        service: LiveService,
        scheduler: RoomScheduler,
        store: Store,
        metrics: Metrics | None = None,
    ) -> None:
        self.service = service
        self.scheduler = scheduler
        self.store = store
        self.metrics = metrics
        self._lock = asyncio.Lock()

    def draft(
        self,
        body: OverrideRequest | Mapping[str, Any],
        author: str,
        allowed_rooms: frozenset[str] | None,
        id: str = "preview",
    ) -> Override:
        """The override a request would make, without storing it (the console's preview)."""
        return build_override(
            body,
            id=id,
            author=author,
            now=self.service.clock.now(),
            programmes=self.service.site.programmes,
            room_names={r.id: r.name for r in self.service.site.rooms},
            allowed_rooms=allowed_rooms,
            existing=self.service.overrides,
        )

    async def submit(
        self,
        body: OverrideRequest | Mapping[str, Any],
        author: str,
        allowed_rooms: frozenset[str] | None,
        idempotency_key: str | None = None,
        key_scope: str | None = None,
    ) -> Receipt:
        """``key_scope``: whose keys ``idempotency_key`` is among (default: ``author``).

        Shielded: a caller cancelled half-way (its client gone, the server stopping) does not
        cancel the submission, which runs to its end; an override committed is also shown."""
        return await asyncio.shield(
            self._submit(body, author, allowed_rooms, idempotency_key, key_scope)
        )

    async def _submit(
        self,
        body: OverrideRequest | Mapping[str, Any],
        author: str,
        allowed_rooms: frozenset[str] | None,
        idempotency_key: str | None,
        key_scope: str | None,
    ) -> Receipt:
        started = time.perf_counter()  # the request read: waiting for the lock counts too
        request = parse_request(body)  # a malformed request is refused before any key is read
        fingerprint = request_fingerprint(request)
        scope = author if key_scope is None else key_scope
        async with self._lock:
            if idempotency_key:
                found = await self.store.find_keyed(scope, idempotency_key)
                if found is not None:
                    earlier, earlier_fingerprint = found
                    if earlier_fingerprint not in (None, fingerprint):
                        raise AlreadySent(_override(earlier))
                    return Receipt(_override(earlier), earlier.seq, False)
            override = self.draft(request, author, allowed_rooms, id=uuid.uuid4().hex)
            try:
                stored, created = await self.store.append_override(
                    override.to_data(),
                    author,
                    override.created,
                    idempotency_key,
                    key_scope=scope,
                    fingerprint=fingerprint,
                )
            except KeyReused as exc:  # another process used the key meanwhile
                raise AlreadySent(_override(exc.earlier)) from None
            if not created:
                return Receipt(_override(stored), stored.seq, False)
            target = self._target(override)
            self.service.add_override(override)
        # Refreshing never raises (a failure is logged, retried and shown on /healthz): the
        # override is stored, so it is acknowledged whatever a render does.
        for room in affected_rooms(override, target):
            if self.service.site.room(room) is not None:
                self.scheduler.update(room)
        if self.metrics is not None:
            self.metrics.override_latency.observe(time.perf_counter() - started)
        return Receipt(override, stored.seq, created)

    async def apply_stored(self, stored: StoredOverride) -> None:
        """An override another process appended (live/follow.py): applied once, like one
        submitted here, and its rooms refreshed.  Under the lock, so that it is never applied
        twice with one this process is storing."""
        override = _override(stored)
        async with self._lock:
            if any(o.id == override.id for o in self.service.overrides):
                return  # this process's own, applied when it was acknowledged
            target = self._target(override)
            self.service.add_override(override)
        for room in affected_rooms(override, target):
            if self.service.site.room(room) is not None:
                self.scheduler.update(room)

    def _target(self, override: Override) -> Override | None:
        """The override a clear undoes (read before the clear makes it forgotten)."""
        if override.target is None:
            return None
        return next((o for o in self.service.overrides if o.id == override.target), None)


def _override(stored: StoredOverride) -> Override:
    return Override.from_data(stored.data)


def affected_rooms(override: Override, target: Override | None) -> set[str]:
    rooms = set(override.rooms)
    if override.to_room:
        rooms.add(override.to_room)
    if target is not None:  # clearing a move changes both rooms back
        rooms |= set(target.rooms) | ({target.to_room} if target.to_room else set())
    return rooms
