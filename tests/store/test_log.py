"""The override log: hash chain, tamper detection, idempotency, persistence."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import itertools
import json
import sqlite3
import stat
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import psycopg
import pytest

from dashboard.store import AuditError, StoredOverride
from dashboard.store.chain import GENESIS, entry_hash, verify_chain

from .conftest import Db, Raw, key_of, open_store, tamper

T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)


async def fill(path: Db, n: int = 5) -> list[StoredOverride]:
    async with open_store(path) as store:
        return [
            (
                await store.append_override(
                    {"n": i, "text": f"note {i}"}, "alice", T0 + timedelta(minutes=i)
                )
            )[0]
            for i in range(1, n + 1)
        ]


async def test_chain_links_and_verifies(db: Path) -> None:
    stored = await fill(db)
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
    # HMAC-SHA256 under the key kept beside the database (never in it).
    key = bytes.fromhex(key_of(db).read_text().strip())
    assert first.hash == hmac.new(key, (GENESIS + body).encode(), hashlib.sha256).hexdigest()
    async with open_store(db) as store:
        result = await store.verify()
    assert result.ok, result
    assert result.checked == 5
    assert result.first_bad_seq is None


async def test_empty_log_verifies(db: Path) -> None:
    async with open_store(db) as store:
        result = await store.verify()
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
async def test_tampering_is_named(
    db: Path, statements: list[str], bad_seq: int, words: str
) -> None:
    await fill(db)
    async with open_store(db) as store:
        assert (await store.verify()).ok
    tamper(db, *statements)
    async with open_store(db) as store:
        result = await store.verify()
    assert not result.ok
    assert result.first_bad_seq == bad_seq, result
    assert words in result.message, result
    # Entries before the bad one were checked; a lost head leaves every entry good.
    assert result.checked == (5 if words == "head" else bad_seq - 1)


async def test_rehashed_entry_breaks_the_next_link(db: Path) -> None:
    """Rewriting an entry *and* its hash (with the key) is caught at the next entry's link."""
    stored = await fill(db)
    third = stored[2]
    key = bytes.fromhex(key_of(db).read_text().strip())
    forged = entry_hash(
        third.prev_hash,
        3,
        third.id,
        third.created.isoformat(timespec="microseconds"),
        "alice",
        {"n": 99},
        key,
    )
    tamper(
        db,
        f"UPDATE overrides SET data = '{{\"n\":99}}', hash = '{forged}' WHERE seq = 3",
    )
    async with open_store(db) as store:
        result = await store.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4), result
    assert "link" in result.message


async def test_appended_outside_the_store_is_caught(db: Path) -> None:
    stored = await fill(db)
    h = entry_hash(stored[-1].hash, 6, "x", "2023-12-13T15:06:00.000000+00:00", "eve", {}, None)
    tamper(
        db,
        "INSERT INTO overrides VALUES "
        f"(6, 'x', '2023-12-13T15:06:00.000000+00:00', 'eve', '{{}}', '{stored[-1].hash}', '{h}')",
    )
    async with open_store(db) as store:
        result = await store.verify()
    assert (result.ok, result.first_bad_seq) == (False, 6), result


# --- a deliberate rewrite, by someone with the database but not the key -----------------------


def rewrite_from(db: Db, seq: int, data: dict[str, object]) -> None:
    """Edit entry ``seq`` and recompute every later hash and the head, without the key (the
    unkeyed recipe: all an attacker with only the file can do), as the issue's attacker did."""
    con = Raw(db)
    rows = con.execute(
        "SELECT seq, id, created, actor, data, prev_hash FROM overrides WHERE seq >= ? "
        "ORDER BY seq",
        (seq,),
    ).fetchall()
    prev = rows[0][5]
    for n, id, created, actor, text, _ in rows:
        new = data if n == seq else json.loads(text)
        h = entry_hash(prev, n, id, created, actor, new, None)
        con.execute(
            "UPDATE overrides SET data = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (json.dumps(new, sort_keys=True, separators=(",", ":")), prev, h, n),
        )
        prev = h
    con.execute("UPDATE chain_head SET hash = ?", (prev,))
    con.commit()
    con.close()


async def test_a_rewrite_with_recomputed_hashes_is_caught(db: Path) -> None:
    await fill(db)
    rewrite_from(db, 3, {"n": 99, "text": "forged"})
    async with open_store(db) as store:
        result = await store.verify()
    assert (result.ok, result.first_bad_seq) == (False, 3), result
    assert "altered" in result.message


async def test_deleting_the_newest_entry_and_rewriting_the_head_is_caught(db: Path) -> None:
    stored = await fill(db)
    tamper(
        db,
        "DELETE FROM overrides WHERE seq = 5",
        f"UPDATE chain_head SET seq = 4, hash = '{stored[3].hash}'",
    )
    async with open_store(db) as store:
        result = await store.verify()
    assert (result.ok, result.first_bad_seq) == (False, 4), result
    assert "head" in result.message


async def test_a_whitespace_only_change_to_the_stored_json_is_caught(db: Path) -> None:
    await fill(db)
    tamper(db, 'UPDATE overrides SET data = \'{"n": 2, "text": "note 2"}\' WHERE seq = 2')
    async with open_store(db) as store:
        result = await store.verify()
    assert (result.ok, result.first_bad_seq) == (False, 2), result
    assert "re-spelt" in result.message


async def test_a_recorded_head_catches_even_a_rewrite_with_the_key(db: Path) -> None:
    """`audit head` recorded elsewhere: someone who has the key too can rewrite the log so
    that it verifies, but not so that it still holds the recorded head."""
    stored = await fill(db)
    async with open_store(db) as store:
        head = await store.head_digest()
        assert head == f"5-{stored[-1].hash[:20]}"
        assert (await store.verify(head=head)).ok
    key = bytes.fromhex(key_of(db).read_text().strip())
    # Truncate to four entries and reseal the head with the key: verifies without --head.
    from dashboard.store.chain import seal

    mac = seal(key, "head", 4, stored[3].hash)
    tamper(
        db,
        "DELETE FROM overrides WHERE seq = 5",
        f"UPDATE chain_head SET seq = 4, hash = '{stored[3].hash}', mac = '{mac}'",
    )
    async with open_store(db) as store:
        assert (await store.verify()).ok
        result = await store.verify(head=head)
    assert (result.ok, result.first_bad_seq) == (False, 5), result
    assert "recorded head" in result.message
    async with open_store(db) as store:
        with pytest.raises(ValueError, match="digest"):
            await store.verify(head="5-xyz")


async def test_without_its_key_a_keyed_log_is_not_verified_nor_extended(db: Path) -> None:
    await fill(db, 2)
    key_of(db).unlink()
    async with open_store(db) as store:
        result = await store.verify()
        assert not result.ok and "key is missing" in result.message
        with pytest.raises(AuditError, match=r"audit\.key"):
            await store.append_override({"n": 3}, "alice", T0)
    assert not key_of(db).exists()  # no new key made up for a keyed log


async def test_files_are_owner_only(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    await fill(data / "dashboard.db", 1)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


async def test_start_up_verifies_only_what_is_new(db: Path) -> None:
    await fill(db, 3)
    async with open_store(db) as store:
        first = await store.verify_since_checked()
        assert first.ok and first.checked == 3
        await store.append_override({"n": 4}, "alice", T0)
        await store.append_override({"n": 5}, "alice", T0)
    # Entry 1 altered, before the point verified: start-up does not look there (the full
    # `audit verify` does); entry 4, appended since, altered: caught at start-up.
    tamper(
        db,
        "UPDATE overrides SET actor = 'mallory' WHERE seq = 1",
        "UPDATE overrides SET actor = 'mallory' WHERE seq = 4",
    )
    async with open_store(db) as store:
        result = await store.verify_since_checked()
        assert (result.ok, result.first_bad_seq) == (False, 4), result
        assert (await store.verify()).first_bad_seq == 1
    tamper(db, "UPDATE overrides SET actor = 'alice' WHERE seq = 4")
    async with open_store(db) as store:
        again = await store.verify_since_checked()
        assert again.ok and again.checked == 3  # entries 3 (the point verified), 4 and 5
        assert (await store.verify_since_checked()).checked == 1
    # A forged checkpoint (its MAC needs the key) means the whole log is checked again.
    tamper(
        db,
        "UPDATE chain_checked SET seq = 2, hash = (SELECT hash FROM overrides WHERE seq = 2)",
    )
    async with open_store(db) as store:
        result = await store.verify_since_checked()
    assert (result.ok, result.first_bad_seq) == (False, 1), result


def legacy_database(db: Path, n: int = 3) -> list[str]:
    """A database as schema 2 wrote it (unkeyed SHA-256 chain, no key file); its hashes."""
    from dashboard.store.db import MIGRATIONS

    db.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for version in (1, 2):
        for statement in MIGRATIONS[version - 1]:
            assert isinstance(statement, str)
            con.execute(statement)
        con.execute("INSERT INTO schema_version VALUES (?)", (version,))
    prev, hashes = GENESIS, []
    for seq in range(1, n + 1):
        created = (T0 + timedelta(minutes=seq)).isoformat(timespec="microseconds")
        data = {"n": seq}
        h = entry_hash(prev, seq, f"old{seq}", created, "alice", data, None)
        con.execute(
            "INSERT INTO overrides VALUES (?, ?, ?, 'alice', ?, ?, ?)",
            (seq, f"old{seq}", created, json.dumps(data, separators=(",", ":")), prev, h),
        )
        prev = h
        hashes.append(h)
    con.execute("INSERT INTO chain_head (one, seq, hash) VALUES (1, ?, ?)", (n, prev))
    con.close()
    return hashes


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)  # SQLite's own schema history
async def test_a_schema_2_log_is_migrated_and_anchored(db: Path) -> None:
    hashes = legacy_database(db)
    async with open_store(db) as store:
        assert key_of(db).exists()
        assert (await store.verify()).ok
        new, _ = await store.append_override({"n": 4}, "alice", T0)
        assert new.prev_hash == hashes[-1]
        result = await store.verify()
        assert result.ok and result.checked == 4
    # The old entries are anchored: rewriting one and recomputing the unkeyed hashes through
    # the anchor is caught.
    rewrite_from(db, 2, {"n": 99})
    async with open_store(db) as store:
        result = await store.verify()
    assert not result.ok and result.first_bad_seq in (3, 4), result


async def test_log_refuses_update_and_delete(db: Db) -> None:
    await fill(db, 2)
    for statement in ("UPDATE overrides SET actor = 'x' WHERE seq = 1", "DELETE FROM overrides"):
        if isinstance(db, str):
            with (
                psycopg.connect(db, autocommit=True) as pg,
                pytest.raises(psycopg.DatabaseError, match="append-only"),
            ):
                pg.execute(statement)
        else:
            with (
                contextlib.closing(sqlite3.connect(db)) as con,
                pytest.raises(sqlite3.DatabaseError, match="append-only"),
            ):
                con.execute(statement)
    async with open_store(db) as store:
        assert [o.actor for o in await store.overrides()] == ["alice", "alice"]


def test_verify_chain_reports_first_of_several_problems() -> None:
    assert verify_chain([], None, b"k" * 32).ok
    row = (2, "a", "c", "x", "{}", GENESIS, "h")
    result = verify_chain([row], (2, "h", "m"), b"k" * 32)
    assert (result.ok, result.first_bad_seq) == (False, 1)


async def test_idempotency_returns_first_answer_and_stores_once(db: Path) -> None:
    async with open_store(db) as store:
        first, created = await store.append_override({"n": 1}, "alice", T0, "key-1")
        assert created
        again, created = await store.append_override({"n": 2}, "alice", T0 + timedelta(1), "key-1")
        assert not created
        assert again == first
        assert await store.find_idempotent("alice", "key-1") == first
        assert await store.find_idempotent("bob", "key-1") is None
        # Keys are scoped by actor: bob's key-1 is a different request.
        bobs, created = await store.append_override({"n": 3}, "bob", T0, "key-1")
        assert created and bobs.seq == 2
        assert [o.seq for o in await store.overrides()] == [1, 2]
    async with open_store(db) as store:
        again, created = await store.append_override({"n": 4}, "alice", T0, "key-1")
        assert (again, created) == (first, False)
        assert len(await store.overrides()) == 2
        assert (await store.verify()).ok


async def test_failed_append_does_not_consume_its_key(db: Path) -> None:
    """The key row is in the override's transaction: when the append fails, so does the key."""
    async with open_store(db) as store:
        await store.append_override({"id": "fixed"}, "alice", T0, "k1")
        with pytest.raises(ValueError, match="already"):
            await store.append_override({"id": "fixed"}, "alice", T0, "k2")
        assert await store.find_idempotent("alice", "k2") is None
        stored, created = await store.append_override({"id": "other"}, "alice", T0, "k2")
        assert created and stored.seq == 2
        assert (await store.verify()).ok


async def test_ids_timestamps_and_data(db: Path) -> None:
    paris = timezone(timedelta(hours=1))
    data = {"id": "given", "rooms": ["cr4"], "text": "Séance reprend à 15 h — 会议", "x": 1.5}
    async with open_store(db) as store:
        stored, _ = await store.append_override(
            data, "alice", datetime(2023, 12, 13, 16, tzinfo=paris)
        )
        assert stored.id == "given"
        assert stored.created == T0 and stored.created.utcoffset() == timedelta(0)
        data["text"] = "changed after the call"
        assert stored.data["text"].startswith("Séance")
        generated, _ = await store.append_override({"n": 1}, "alice", T0)
        assert len(generated.id) == 32 and int(generated.id, 16) >= 0
        assert await store.override("given") == stored
        assert await store.override("nope") is None
        with pytest.raises(ValueError, match="naive"):
            await store.append_override({"n": 2}, "alice", datetime(2023, 12, 13, 15))
        with pytest.raises(ValueError, match="JSON"):
            await store.append_override({"n": float("nan")}, "alice", T0)
        with pytest.raises(ValueError, match="id"):
            await store.append_override({"id": 7}, "alice", T0)
        assert len(await store.overrides()) == 2
    con = Raw(db)
    (created,) = con.execute("SELECT created FROM overrides WHERE seq = 1").fetchone()
    con.close()
    assert created == "2023-12-13T15:00:00.000000+00:00"


async def test_reopen_keeps_everything(db: Path) -> None:
    stored = await fill(db, 3)
    async with open_store(db) as store:
        assert await store.overrides() == stored
        more, _ = await store.append_override({"n": 4}, "bob", T0)
        assert more.seq == 4 and more.prev_hash == stored[-1].hash
    async with open_store(db) as store:
        assert await store.overrides() == [*stored, more]
        assert (await store.verify()).ok


async def test_concurrent_appends_keep_the_chain(db: Path) -> None:
    """Six tasks share one store, each appending and reading the whole log in turn: every
    await is a point where another task's transaction can start (the store's lock keeps a
    read from seeing another task's open transaction, and appends from forking the chain).
    Independent connections at once: tests/store/test_async_pool.py."""
    async with open_store(db) as store:

        async def worker(name: str) -> None:
            for i in range(15):
                await store.append_override({"i": i}, name, T0, f"{name}-{i}")
                seqs = [o.seq for o in await store.overrides()]
                assert seqs == list(range(1, len(seqs) + 1)), f"{name} read a gap: {seqs}"

        results = await asyncio.gather(*(worker(f"t{n}") for n in range(6)), return_exceptions=True)
        assert [r for r in results if r is not None] == []
        assert [o.seq for o in await store.overrides()] == list(range(1, 91))
        assert (await store.verify()).ok
