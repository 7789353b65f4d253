"""What the server reads from its database before it serves: the log verified, the programmes
published through the database (PostgreSQL), the meetings' identities, the overrides in force,
the screens' labels.

Read once, on an event loop of its own, through a store of its own, opened and closed there:
``create_app`` is synchronous (uvicorn and the tests call it, sometimes where a loop is already
running), and the server's own store is bound to the server's loop, opened by the lifespan.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, TypeVar

from ..domain.overrides import Override
from ..settings import Settings
from ..site import Site, load_site, previous_slots, slot_snapshots, with_identities
from ..store import AuditError, StorageError, Store
from .published import materialise, revision_texts

T = TypeVar("T")


@dataclass(frozen=True)
class Startup:
    site: Site  # with the meetings' identities as last published
    published: int | None  # the revision loaded from the database; None on SQLite
    overrides: list[Override]  # every override in the log, in order
    last_seq: int  # the last one's seq (0: none): where following other processes starts
    labels: dict[tuple[str, str], str]  # the labels staff gave displays
    last_dismissal: int  # the last screen dismissal stored (PostgreSQL)
    storage_errors: tuple[str, ...]  # what the storage said of a write that failed


def run_apart(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to its end on an event loop of its own, in a thread of its own (whether or
    not the caller's thread runs a loop)."""
    with ThreadPoolExecutor(1, thread_name_prefix="startup") as pool:
        return pool.submit(asyncio.run, coro).result()


async def shared_programmes(
    settings: Settings, store: Store, site: Site, now: datetime
) -> tuple[Site, int] | None:
    """On PostgreSQL: the site as last published through the database (written out into the
    data folder and loaded from there), or this config folder's, published now as the first
    revision; with its version.  None on SQLite (config/ is the source)."""
    if store.url is None:
        return None
    files = revision_texts(settings.config_dir, site.rooms)
    published, first = await store.published_or_first(files, now)
    if first:
        return site, published.version
    folder = materialise(published, settings.data_dir)
    return load_site(replace(settings, config_dir=folder)), published.version


async def load_log(store: Store) -> tuple[list[Override], int]:
    """Every override in the log, in order (at start-up, all acknowledged ones are in effect;
    the service then keeps those that can still be), and the last one's seq (0: none)."""
    stored = await store.overrides()
    return [Override.from_data(s.data) for s in stored], stored[-1].seq if stored else 0


async def read_startup(settings: Settings, site: Site, now: datetime) -> Startup:
    """AuditError if the log does not verify: serving it would show forged overrides."""
    async with Store(settings.store_database, key_path=settings.audit_key) as store:
        # Only what was appended since the last check is verified (docs/security.md).
        checked = await store.verify_since_checked()
        if not checked.ok:
            message = (
                f"the override log {settings.store_database} does not verify: entry"
                f" {checked.first_bad_seq}: {checked.message}"
            )
            logging.getLogger("dashboard").critical("%s; refusing to serve", message)
            raise AuditError(message)
        # Shared with other processes: start from the programmes last published through the
        # database, or publish this config folder's if none was.
        shared = await shared_programmes(settings, store, site, now)
        if shared is not None:
            site = shared[0]
        # Meetings keep the ids they had when last published (a file revised while stopped).
        site = with_identities(site, previous_slots(await store.slot_snapshots()))
        errors: tuple[str, ...] = ()
        try:
            await store.save_slot_snapshots(slot_snapshots(site), now)
        except StorageError as exc:  # serve all the same; /healthz reports the storage
            errors = (exc.state,)
            logging.getLogger("dashboard").error("meeting ids not saved: %s", exc)
        overrides, last_seq = await load_log(store)
        return Startup(
            site=site,
            published=shared[1] if shared is not None else None,
            overrides=overrides,
            last_seq=last_seq,
            labels=await store.screen_labels(),
            last_dismissal=await store.last_dismissal(),
            storage_errors=errors,
        )
