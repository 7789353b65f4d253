"""The override log: hash chain, tamper detection, idempotency, persistence."""

from __future__ import annotations

import hashlib
import itertools
import json
import sqlite3
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from dashboard.store import Store, StoredOverride
from dashboard.store.chain import GENESIS, entry_hash, verify_chain

T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)
CHEAP = PasswordHasher(time_cost=1, memory_cost=8192)


def open_store(path: Path) -> Store:
    return Store(path, password_hasher=CHEAP)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "dashboard.db"


def fill(path: Path, n: int = 5) -> list[StoredOverride]:
    with open_store(path) as store:
        return [
            store.append_override(
                {"n": i, "text": f"note {i}"}, "alice", T0 + timedelta(minutes=i)
            )[0]
            for i in range(1, n + 1)
        ]


def tamper(path: Path, *statements: str) -> None:
    """Edit the file behind the store's back, as someone with the file could."""
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER overrides_no_update")
    con.execute("DROP TRIGGER overrides_no_delete")
    for statement in statements:
        con.execute(statement)
    con.commit()
    con.close()


def test_chain_links_and_verifies(db: Path) -> None:
    stored = fill(db)
    assert [s.seq for s in stored] == [1, 2, 3, 4, 5]
    assert stored[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(stored):
        assert after.prev_hash == before.hash
    # The hash is exactly the documented recipe, so others can verify an export.
    first = stored[0]
    body = json.dumps(
        {
            "seq": 1,
            "id": first.id,
            "created": first.created.isoformat(timespec="microseconds"),
            "actor": "alice",
            "data": {"n": 1, "text": "note 1"},
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert first.hash == hashlib.sha256((GENESIS + body).encode()).hexdigest()
    with open_store(db) as store:
        result = store.verify()
    assert result.ok, result
    assert result.checked == 5
    assert result.first_bad_seq is None


def test_empty_log_verifies(db: Path) -> None:
    with open_store(db) as store:
        result = store.verify()
    assert result.ok and result.checked == 0


@pytest.mark.parametrize(
    ("statements", "bad_seq", "words"),
    [
        (['UPDATE overrides SET data = \'{"n":99,"text":"note 3"}\' WHERE seq = 3'], 3, "hash"),
        (["UPDATE overrides SET actor = 'mallory' WHERE seq = 1"], 1, "hash"),
        (
            ["UPDATE overrides SET created = '2023-12-13T16:00:00.000000+00:00' WHERE seq = 2"],
            2,
            "hash",
        ),
        (["UPDATE overrides SET data = 'not json' WHERE seq = 4"], 4, "JSON"),
        (["DELETE FROM overrides WHERE seq = 3"], 3, "missing"),
        (["DELETE FROM overrides WHERE seq = 1"], 1, "missing"),
        (["DELETE FROM overrides WHERE seq = 5"], 5, "missing"),  # only the head shows this
        (
            [  # reorder: swap entries 2 and 3
                "UPDATE overrides SET seq = 100 WHERE seq = 2",
                "UPDATE overrides SET seq = 2 WHERE seq = 3",
                "UPDATE overrides SET seq = 3 WHERE seq = 100",
            ],
            2,
            "link",
        ),
        (["UPDATE overrides SET seq = seq + 10 WHERE seq >= 4"], 4, "missing"),
        (["DELETE FROM chain_head"], 5, "head"),
    ],
)
def test_tampering_is_named(db: Path, statements: list[str], bad_seq: int, words: str) -> None:
    fill(db)
    with open_store(db) as store:
        assert store.verify().ok
    tamper(db, *statements)
    with open_store(db) as store:
        result = store.verify()
    assert not result.ok
    assert result.first_bad_seq == bad_seq, result
    assert words in result.message, result
    # Entries before the bad one were checked; a lost head leaves every entry good.
    assert result.checked == (5 if words == "head" else bad_seq - 1)


def test_rehashed_entry_breaks_the_next_link(db: Path) -> None:
    """Rewriting an entry *and* its hash is caught at the next entry's link."""
    stored = fill(db)
    third = stored[2]

    forged = entry_hash(
        third.prev_hash,
        3,
        third.id,
        third.created.isoformat(timespec="microseconds"),
        "alice",
        {"n": 99},
    )
    tamper(
        db,
        f"UPDATE overrides SET data = '{{\"n\":99}}', hash = '{forged}' WHERE seq = 3",
    )
    with open_store(db) as store:
        result = store.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4), result
    assert "link" in result.message


def test_appended_outside_the_store_is_caught(db: Path) -> None:
    stored = fill(db)

    h = entry_hash(stored[-1].hash, 6, "x", "2023-12-13T15:06:00.000000+00:00", "eve", {})
    tamper(
        db,
        "INSERT INTO overrides VALUES "
        f"(6, 'x', '2023-12-13T15:06:00.000000+00:00', 'eve', '{{}}', '{stored[-1].hash}', '{h}')",
    )
    with open_store(db) as store:
        result = store.verify()
    assert (result.ok, result.first_bad_seq) == (False, 6), result


def test_log_refuses_update_and_delete(db: Path) -> None:
    fill(db, 2)
    con = sqlite3.connect(db)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("UPDATE overrides SET actor = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM overrides")
    con.close()


def test_verify_chain_reports_first_of_several_problems() -> None:
    assert verify_chain([], None).ok
    row = (2, "a", "c", "x", "{}", GENESIS, "h")
    result = verify_chain([row], (2, "h"))
    assert (result.ok, result.first_bad_seq) == (False, 1)


def test_idempotency_returns_first_answer_and_stores_once(db: Path) -> None:
    with open_store(db) as store:
        first, created = store.append_override({"n": 1}, "alice", T0, "key-1")
        assert created
        again, created = store.append_override({"n": 2}, "alice", T0 + timedelta(1), "key-1")
        assert not created
        assert again == first
        assert store.find_idempotent("alice", "key-1") == first
        assert store.find_idempotent("bob", "key-1") is None
        # Keys are scoped by actor: bob's key-1 is a different request.
        bobs, created = store.append_override({"n": 3}, "bob", T0, "key-1")
        assert created and bobs.seq == 2
        assert [o.seq for o in store.overrides()] == [1, 2]
    with open_store(db) as store:
        again, created = store.append_override({"n": 4}, "alice", T0, "key-1")
        assert (again, created) == (first, False)
        assert len(store.overrides()) == 2
        assert store.verify().ok


def test_failed_append_does_not_consume_its_key(db: Path) -> None:
    """The key row is in the override's transaction: when the append fails, so does the key."""
    with open_store(db) as store:
        store.append_override({"id": "fixed"}, "alice", T0, "k1")
        with pytest.raises(ValueError, match="already"):
            store.append_override({"id": "fixed"}, "alice", T0, "k2")
        assert store.find_idempotent("alice", "k2") is None
        stored, created = store.append_override({"id": "other"}, "alice", T0, "k2")
        assert created and stored.seq == 2
        assert store.verify().ok


def test_ids_timestamps_and_data(db: Path) -> None:
    paris = timezone(timedelta(hours=1))
    data = {"id": "given", "rooms": ["cr4"], "text": "Séance reprend à 15 h — 会议", "x": 1.5}
    with open_store(db) as store:
        stored, _ = store.append_override(data, "alice", datetime(2023, 12, 13, 16, tzinfo=paris))
        assert stored.id == "given"
        assert stored.created == T0 and stored.created.utcoffset() == timedelta(0)
        data["text"] = "changed after the call"
        assert stored.data["text"].startswith("Séance")
        generated, _ = store.append_override({"n": 1}, "alice", T0)
        assert len(generated.id) == 32 and int(generated.id, 16) >= 0
        assert store.override("given") == stored
        assert store.override("nope") is None
        with pytest.raises(ValueError, match="naive"):
            store.append_override({"n": 2}, "alice", datetime(2023, 12, 13, 15))
        with pytest.raises(ValueError, match="JSON"):
            store.append_override({"n": float("nan")}, "alice", T0)
        with pytest.raises(ValueError, match="id"):
            store.append_override({"id": 7}, "alice", T0)
        assert len(store.overrides()) == 2
    con = sqlite3.connect(db)
    (created,) = con.execute("SELECT created FROM overrides WHERE seq = 1").fetchone()
    con.close()
    assert created == "2023-12-13T15:00:00.000000+00:00"


def test_reopen_keeps_everything(db: Path) -> None:
    stored = fill(db, 3)
    with open_store(db) as store:
        assert store.overrides() == stored
        more, _ = store.append_override({"n": 4}, "bob", T0)
        assert more.seq == 4 and more.prev_hash == stored[-1].hash
    with open_store(db) as store:
        assert store.overrides() == [*stored, more]
        assert store.verify().ok


def test_concurrent_appends_keep_the_chain(db: Path) -> None:
    with open_store(db) as store:
        errors: list[BaseException] = []

        def worker(name: str) -> None:
            try:
                for i in range(15):
                    store.append_override({"i": i}, name, T0, f"{name}-{i}")
                    store.overrides()
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(f"t{n}",)) for n in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert [o.seq for o in store.overrides()] == list(range(1, 91))
        assert store.verify().ok
