"""The first revision of the programmes on PostgreSQL: the workers of ``serve --workers`` start
together, and every one of them finds the database without a revision."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from dashboard.store import Store
from dashboard.store.pg import migrate
from tests.store.conftest import CHEAP

AT = datetime(2023, 12, 11, 14, 0, tzinfo=UTC)
FILES = {"rooms.toml": "[[rooms]]\n", "p.txt": "Provisional programme of work\n"}


def test_workers_starting_together_publish_one_first_revision(
    postgres_url: str, tmp_path: Path
) -> None:
    migrate(postgres_url)
    stores = [
        Store(postgres_url, key_path=tmp_path / "audit.key", password_hasher=CHEAP)
        for _ in range(4)
    ]
    start = threading.Barrier(len(stores))
    results: list[tuple[int, bool]] = []

    def worker(store: Store) -> None:
        start.wait()
        published, first = store.published_or_first(dict(FILES), AT)
        assert published.files == FILES
        results.append((published.version, first))

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    try:
        assert sorted(results) == [(1, False), (1, False), (1, False), (1, True)]
        again = stores[0].published_programmes()
        assert again is not None and again.version == 1, "one revision, not one a worker"
        # A later publish is the next revision, and the one every worker then starts from.
        assert stores[0].publish_programmes({**FILES, "p.txt": "Revised\n"}, AT) == 2
        published, first = stores[1].published_or_first(dict(FILES), AT)
        assert (published.version, first, published.files["p.txt"]) == (2, False, "Revised\n")
    finally:
        for store in stores:
            store.close()
