"""The store's calls as the server makes them, this tree against a baseline tree, in one run.

This tree awaits the store: PostgreSQL through psycopg's async pool, SQLite's statements on a
thread of the store's own.  The baseline is the commit before (8ce2700), whose store was
synchronous and called through Starlette's thread pool (``run_in_threadpool``), one worker
thread per call in flight.  Both run the same calls, on both engines, in child processes (each
tree on its own PYTHONPATH), one after the other and repeated in turns:

- "appends, one at a time": 200 ``append_override`` awaited one after the other;
- "appends, 40 at once": 400 appends, 40 in flight (what a burst of console sends does);
- "session reads, 40 at once": 1,000 ``session`` lookups, 40 in flight (every console page and
  socket checks its session).

Reported per call: wall time and the process's CPU time, medians of the repeats, and the
ratio of this tree to the baseline.  PostgreSQL is a throw-away cluster (tests/_postgres.py),
a new database per child.

    git worktree add /tmp/base 8ce2700
    .venv/bin/python bench/store_calls.py --baseline /tmp/base
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)
CASES = (
    ("appends, one at a time", 200, 1),
    ("appends, 40 at once", 400, 40),
    ("session reads, 40 at once", 1000, 40),
)


async def child(database: str, key: Path) -> dict[str, list[float]]:
    """Run every case once on this tree's store; (wall, CPU) per call in ms, by case."""
    from argon2 import PasswordHasher
    from starlette.concurrency import run_in_threadpool

    from dashboard.store import Store

    cheap = PasswordHasher(time_cost=1, memory_cost=8192)
    store: Any = Store(database if "://" in database else Path(database), key_path=key,
                       password_hasher=cheap)  # fmt: skip
    awaited = inspect.iscoroutinefunction(Store.append_override)

    def call(method: Callable[..., Any], *args: Any) -> Awaitable[Any]:
        # As each tree's server calls its store.
        return method(*args) if awaited else run_in_threadpool(method, *args)

    if awaited:
        await store.open()
    await call(store.add_user, "alice", "chair", "correct horse", ("cr4",))
    secret, _ = await call(store.create_session, "alice", T0, timedelta(hours=12))
    results: dict[str, list[float]] = {}
    for name, count, in_flight in CASES:
        limit = asyncio.Semaphore(in_flight)

        async def one(n: int, name: str = name, limit: asyncio.Semaphore = limit) -> None:
            async with limit:
                if name.startswith("session"):
                    assert await call(store.session, secret, T0) is not None
                else:
                    await call(store.append_override, {"room": "cr4", "n": n}, "alice", T0)

        wall, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(one(n) for n in range(count)))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        results[name] = [wall * 1000 / count, cpu * 1000 / count]
    if awaited:
        await store.close()
    else:
        store.close()
    return results


def run_child(tree: Path, database: str, folder: Path) -> dict[str, list[float]]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(
        [sys.executable, __file__, "--child", database, str(folder / "audit.key")],
        env=env,
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"child on {tree} failed:\n{done.stderr}")
    answer: dict[str, list[float]] = json.loads(done.stdout.splitlines()[-1])
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the baseline commit")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="2 repeats")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, os.getcwd())  # the tree under test, before any installed copy
        print(json.dumps(asyncio.run(child(args.child[0], Path(args.child[1])))))
        return
    if args.baseline is None:
        parser.error("--baseline: a checkout of the baseline commit (see the module's text)")
    sys.path.insert(0, str(ROOT))
    from dashboard.store.pg import migrate
    from tests._postgres import Cluster

    trees = {"this tree": ROOT, "baseline": args.baseline.resolve()}
    repeats = 2 if args.quick else args.repeats
    found: dict[tuple[str, str, str], list[list[float]]] = {}
    cluster = Cluster()
    try:
        for _ in range(repeats):
            for engine in ("sqlite", "postgresql"):
                for label, tree in trees.items():  # in turns: the machine's noise hits both
                    with tempfile.TemporaryDirectory() as folder:
                        if engine == "postgresql":
                            database = cluster.create_database()
                            migrate(database)
                        else:
                            database = str(Path(folder) / "dashboard.sqlite3")
                        for case, figures in run_child(tree, database, Path(folder)).items():
                            found.setdefault((engine, case, label), []).append(figures)
                        if engine == "postgresql":
                            cluster.drop_database(database)
    finally:
        cluster.close()
    print(f"{repeats} repeats, medians; ms per call (wall / process CPU)")
    print("| engine | calls | baseline wall | this tree wall | ratio | baseline CPU"
          " | this tree CPU | ratio |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for engine in ("sqlite", "postgresql"):
        for case, _, _ in CASES:
            base = found[(engine, case, "baseline")]
            mine = found[(engine, case, "this tree")]
            bw, bc = (statistics.median(f[i] for f in base) for i in (0, 1))
            mw, mc = (statistics.median(f[i] for f in mine) for i in (0, 1))
            print(f"| {engine} | {case} | {bw:.3f} | {mw:.3f} | {mw / bw:.2f}x | {bc:.3f}"
                  f" | {mc:.3f} | {mc / bc:.2f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
