"""What the async Store brings (store/base.py, store/pg.py): many calls awaited at once on one
store, stores of their own in several threads at once, and a database server gone away while
the event loop goes on serving everything else."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from dashboard.store import StorageError, Store
from dashboard.store.pg import CONNECT_TIMEOUT, migrate
from tests._postgres import Cluster

from .conftest import CHEAP, Db, open_store

T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)


async def test_many_calls_at_once_on_one_store_keep_the_chain(db: Db) -> None:
    """Fifty appends awaited together on one store (one loop), with reads and appends that
    fail (an id already in the log) among them: each failed transaction is rolled back
    alone, and every acknowledged append is in the chain, numbered 1..50 without a gap."""
    async with open_store(db) as store:
        await store.append_override({"id": "taken"}, "alice", T0)

        async def append(n: int) -> int:
            stored, created = await store.append_override({"n": n}, f"actor{n % 7}", T0)
            assert created
            return stored.seq

        async def clash() -> str:
            with pytest.raises(ValueError, match="already in the log"):
                await store.append_override({"id": "taken", "x": 1}, "mallory", T0)
            return "refused"

        async def read() -> int:
            seqs = [o.seq for o in await store.overrides()]
            assert seqs == list(range(1, len(seqs) + 1)), f"a read saw a gap: {seqs}"
            return len(seqs)

        calls: list[tuple[str, Coroutine[Any, Any, int | str]]] = [
            ("append", append(n)) for n in range(1, 50)
        ]
        for i in range(10):  # among the appends
            calls.insert(i * 5, ("clash", clash()))
            calls.insert(i * 5 + 2, ("read", read()))
        results = await asyncio.gather(*(call for _, call in calls))
        appended = [r for (kind, _), r in zip(calls, results, strict=True) if kind == "append"]
        assert sorted(appended) == list(range(2, 51)), "each append its own seq"
        assert results.count("refused") == 10
        stored = await store.overrides()
        assert [o.seq for o in stored] == list(range(1, 51))
        assert sorted(o.data.get("n", 0) for o in stored) == list(range(50))
        assert not any(o.actor == "mallory" for o in stored)
        result = await store.verify()
        assert result.ok and result.checked == 50, result


def test_stores_in_threads_of_their_own_append_at_once(db: Db) -> None:
    """Four threads, each with its own event loop and its own Store (on SQLite its own
    connection, serialised by the file's lock; on PostgreSQL its own pool, serialised by the
    advisory lock), released together: a real race between independent connections, as
    between the processes of ``serve --workers``.  No append lost, one chain."""
    threads, each = 4, 10
    start = threading.Barrier(threads)
    errors: list[BaseException] = []

    async def one_thread(name: str) -> None:
        async with open_store(db) as store:
            await store.verify()  # connected before the start
            start.wait(60)  # this thread's own loop has nothing else to run meanwhile
            for i in range(each):
                stored, created = await store.append_override({"i": i}, name, T0, f"k{i}")
                assert created and stored.actor == name

    def thread(name: str) -> None:
        try:
            asyncio.run(one_thread(name))
        except BaseException as exc:
            errors.append(exc)
            start.abort()  # the others are not left waiting for this one

    # The database and its key made first, as by the server's first start (opening a new
    # SQLite file from several processes at once: test_concurrent_open.py).
    asyncio.run(_touch(db))
    running = [threading.Thread(target=thread, args=(f"t{n}",)) for n in range(threads)]
    for t in running:
        t.start()
    for t in running:
        t.join(120)
    assert not any(t.is_alive() for t in running)
    assert errors == []

    async def check() -> None:
        async with open_store(db) as store:
            stored = await store.overrides()
            assert [o.seq for o in stored] == list(range(1, threads * each + 1))
            for n in range(threads):
                mine = [o.data["i"] for o in stored if o.actor == f"t{n}"]
                assert mine == list(range(each)), f"t{n}'s appends, in its order"
            result = await store.verify()
            assert result.ok and result.checked == threads * each, result

    asyncio.run(check())


async def _touch(db: Db) -> None:
    async with open_store(db):
        pass


async def test_an_unreachable_server_fails_the_call_without_blocking_the_loop(
    postgres_cluster: Cluster, postgres_url: str, tmp_path: Path
) -> None:
    """The PostgreSQL server stops: a store call waits for a connection (the pool tries to
    reconnect until its timeout) and then fails with StorageError("failing"), the state
    /healthz reports; meanwhile the same event loop goes on with other work (here another
    store's appends and a ticker), as the server goes on serving its displays.  Nothing
    acknowledged before is lost, nothing of the failed call is stored."""
    migrate(postgres_url)
    key = tmp_path / "pg" / "audit.key"
    async with (
        Store(postgres_url, key_path=key, password_hasher=CHEAP) as store,
        open_store(tmp_path / "lite" / "dashboard.db") as other,
    ):
        kept, _ = await store.append_override({"n": 1}, "alice", T0)  # pool connected
        postgres_cluster.stop()
        try:
            call = asyncio.create_task(store.append_override({"n": 2}, "alice", T0))
            await asyncio.sleep(0)  # the call is under way, waiting on the pool

            async def tick() -> None:
                for _ in range(1000):
                    await asyncio.sleep(0)

            async def other_work() -> None:
                for i in range(10):
                    await other.append_override({"i": i}, "bob", T0)

            await asyncio.gather(tick(), other_work())
            assert not call.done(), "the other work ran while the call still waited"
            with pytest.raises(StorageError) as failed:
                # A bound, not a measurement: a call that hangs fails the test here.
                await asyncio.wait_for(call, CONNECT_TIMEOUT * 6)
            assert failed.value.state == "failing"
            assert store.storage == "failing"
            assert [o.seq for o in await other.overrides()] == list(range(1, 11))
            assert (await other.verify()).ok
        finally:
            postgres_cluster.start()
    async with Store(postgres_url, key_path=key, password_hasher=CHEAP) as again:
        assert [o.id for o in await again.overrides()] == [kept.id]
        assert (await again.verify()).ok
