"""The first revision of the programmes on PostgreSQL: the workers of ``serve --workers`` start
together, and every one of them finds the database without a revision.

Each worker here is a thread with its own event loop (``asyncio.run``) and its own Store, so its
own pool of connections, as each worker process has: a Store is bound to the loop that opened
it.  They are released together through a barrier, so the four transactions race for real."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

from dashboard.store import Store
from dashboard.store.pg import migrate
from tests.store.conftest import CHEAP

AT = datetime(2023, 12, 11, 14, 0, tzinfo=UTC)
FILES = {"rooms.toml": "[[rooms]]\n", "p.txt": "Provisional programme of work\n"}
WORKERS = 4


def test_workers_starting_together_publish_one_first_revision(
    postgres_url: str, tmp_path: Path
) -> None:
    migrate(postgres_url)
    key = tmp_path / "audit.key"
    start = threading.Barrier(WORKERS)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    async def one_worker() -> None:
        async with Store(postgres_url, key_path=key, password_hasher=CHEAP) as store:
            # Connected (the pool opens without waiting), and nothing published yet.
            assert await store.published_programmes() is None
            # Blocking this thread's own loop, which has nothing else to run: the four
            # workers leave the barrier at once and go straight into their transactions.
            start.wait(60)
            published, first = await store.published_or_first(dict(FILES), AT)
            assert published.files == FILES
            results.append((published.version, first))

    def worker() -> None:
        try:
            asyncio.run(one_worker())
        except BaseException as exc:
            errors.append(exc)
            start.abort()  # the others are not left waiting for this one

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(thread.is_alive() for thread in threads)
    assert errors == []
    assert sorted(results) == [(1, False), (1, False), (1, False), (1, True)]

    async def afterwards() -> None:
        async with (
            Store(postgres_url, key_path=key, password_hasher=CHEAP) as one,
            Store(postgres_url, key_path=key, password_hasher=CHEAP) as another,
        ):
            again = await one.published_programmes()
            assert again is not None and again.version == 1, "one revision, not one a worker"
            # A later publish is the next revision, and the one every worker then starts from.
            assert await one.publish_programmes({**FILES, "p.txt": "Revised\n"}, AT) == 2
            published, first = await another.published_or_first(dict(FILES), AT)
            assert (published.version, first, published.files["p.txt"]) == (2, False, "Revised\n")

    asyncio.run(afterwards())
