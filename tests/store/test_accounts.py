"""Users, tokens, sessions, the audit trail, login throttling, and the database settings."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest
from argon2 import PasswordHasher

from dashboard.store import Session, Store, Token, User
from dashboard.store.db import MIGRATIONS, open_db

from .conftest import Db, Raw, open_store, stored_bytes

T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
CHEAP = PasswordHasher(time_cost=1, memory_cost=8192)


class CountingHasher(PasswordHasher):
    """Cheap, and counts verify() calls: the cost of a login attempt."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8192)
        self.verifies = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verifies += 1
        return super().verify(hash, password)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "dashboard.db"


@pytest.fixture
async def store(db: Db) -> AsyncIterator[Store]:
    """On each engine (tests/store/conftest.py), open in the test's event loop."""
    async with open_store(db) as store:
        yield store


# --- users ---------------------------------------------------------------------------------


async def test_check_password(store: Store) -> None:
    alice = await store.add_user("alice", "chair", "correct horse", ("cr4", "cr1"))
    assert alice == User("alice", "chair", ("cr4", "cr1"))
    assert await store.check_password("alice", "correct horse") == alice
    assert await store.check_password("alice", "wrong horse!") is None
    assert await store.check_password("alice", "") is None
    assert await store.check_password("bob", "correct horse") is None
    assert await store.user("alice") == alice
    assert await store.user("bob") is None


async def test_unknown_name_costs_a_hash_check(path: Path) -> None:
    hasher = CountingHasher()
    async with Store(path, password_hasher=hasher) as store:
        await store.add_user("alice", "chair", "correct horse")
        hasher.verifies = 0
        assert await store.check_password("alice", "wrong horse!") is None
        assert hasher.verifies == 1
        assert await store.check_password("nobody", "wrong horse!") is None
        assert hasher.verifies == 2


async def test_passwords_are_argon2id(db: Db) -> None:
    async with open_store(db) as store:
        await store.add_user("alice", "secretariat", "correct horse")
    con = Raw(db)
    (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
    con.close()
    assert stored.startswith("$argon2id$")
    assert b"correct horse" not in stored_bytes(db)


async def test_default_hasher_is_argon2id_owasp(path: Path) -> None:
    async with Store(path) as store:  # the production parameters (one slow hash, once)
        await store.add_user("alice", "chair", "correct horse")
    con = sqlite3.connect(path)
    (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
    con.close()
    # OWASP's recommendation (19 MiB, 2 passes, 1 lane), not argon2-cffi's 64 MiB default.
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.parametrize(
    ("name", "role", "password", "rooms", "words"),
    [
        ("bob", "admin", "correct horse", (), "role"),
        ("", "chair", "correct horse", (), "empty"),
        ("   ", "chair", "correct horse", (), "empty"),
        (" bob", "chair", "correct horse", (), "spaces"),
        ("bob", "chair", "short", (), "short"),
        ("bob", "chair", "1234567", (), "short"),
        ("bob", "chair", "correct horse", "cr4", "tuple"),
        ("bob", "chair", "correct horse", ("",), "room"),
        ("alice", "chair", "correct horse", (), "exists"),
    ],
)
async def test_add_user_refuses(
    store: Store, name: str, role: str, password: str, rooms: tuple[str, ...], words: str
) -> None:
    await store.add_user("alice", "chair", "correct horse")
    with pytest.raises(ValueError, match=words):
        await store.add_user(name, role, password, rooms)
    assert [u.name for u in await store.users()] == ["alice"]


async def test_eight_characters_suffice(store: Store) -> None:
    assert (await store.add_user("bob", "chair", "12345678")).name == "bob"


async def test_users_and_set_password(store: Store) -> None:
    await store.add_user("zoe", "secretariat", "password-z")
    await store.add_user("alice", "chair", "password-a", ("cr4",))
    assert await store.users() == [User("alice", "chair", ("cr4",)), User("zoe", "secretariat", ())]
    await store.set_password("alice", "new password")
    assert await store.check_password("alice", "password-a") is None
    assert await store.check_password("alice", "new password") is not None
    with pytest.raises(ValueError, match="no user"):
        await store.set_password("nobody", "new password")
    with pytest.raises(ValueError, match="short"):
        await store.set_password("alice", "short")
    assert await store.check_password("alice", "new password") is not None


async def test_outdated_hash_is_upgraded_on_login(path: Path) -> None:
    async with Store(path, password_hasher=CHEAP) as store:
        await store.add_user("alice", "chair", "correct horse")
    stronger = PasswordHasher(time_cost=2, memory_cost=8192)
    async with Store(path, password_hasher=stronger) as store:
        assert await store.check_password("alice", "correct horse") is not None
    con = sqlite3.connect(path)
    (stored,) = con.execute("SELECT password_hash FROM users").fetchone()
    con.close()
    assert "t=2" in stored
    async with Store(path, password_hasher=stronger) as store:
        assert await store.check_password("alice", "correct horse") is not None


# --- tokens --------------------------------------------------------------------------------


async def test_token_secret_is_not_stored(db: Db) -> None:
    async with open_store(db) as store:
        secret = await store.create_token("panel-cr4", "chair", ("cr4",))
        assert secret.startswith("dsh_") and len(secret) > 40
        assert await store.token(secret) == Token("panel-cr4", "chair", ("cr4",), False)
    on_disk = stored_bytes(db)
    assert secret.encode() not in on_disk
    assert hashlib.sha256(secret.encode()).hexdigest().encode() in on_disk  # what is kept


async def test_revoke_token(store: Store) -> None:
    secret = await store.create_token("panel", "secretariat")
    other = await store.create_token("other", "chair")
    with pytest.raises(ValueError, match="active"):
        await store.create_token("panel", "chair")
    assert await store.revoke_token("panel")
    assert await store.token(secret) is None
    assert not await store.revoke_token("panel")
    assert not await store.revoke_token("nothing")
    assert await store.token(other) is not None
    # The name is free again, and the new secret is a different one.
    renewed = await store.create_token("panel", "chair")
    assert await store.token(renewed) == Token("panel", "chair", (), False)
    assert await store.token(secret) is None
    assert await store.tokens() == [
        Token("panel", "secretariat", (), True),
        Token("other", "chair", (), False),
        Token("panel", "chair", (), False),
    ]
    assert await store.token("dsh_made-up") is None
    with pytest.raises(ValueError, match="role"):
        await store.create_token("x", "root")
    with pytest.raises(ValueError, match="empty"):
        await store.create_token("", "chair")


# --- sessions ------------------------------------------------------------------------------


async def test_session_lifecycle(db: Db) -> None:
    async with open_store(db) as store:
        await store.add_user("alice", "chair", "correct horse")
        secret, session = await store.create_session("alice", T0, 12 * HOUR)
        assert session.user == "alice"
        assert (session.created, session.expires) == (T0, T0 + 12 * HOUR)
        assert session.id_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert len(session.csrf) >= 40 and session.csrf != secret
        assert await store.session(secret, T0) == session
        assert await store.session(secret, T0 + 12 * HOUR - timedelta(microseconds=1)) == session
        assert await store.session(secret, T0 + 12 * HOUR) is None  # expired
        assert await store.session("made-up", T0) is None
    assert secret.encode() not in stored_bytes(db)


async def test_revoke_session(store: Store) -> None:
    await store.add_user("alice", "chair", "correct horse")
    secret, session = await store.create_session("alice", T0, HOUR)
    other, _ = await store.create_session("alice", T0, HOUR)
    assert await store.revoke_session(secret) == session
    assert await store.session(secret, T0) is None
    assert await store.revoke_session(secret) is None
    assert await store.session(other, T0) is not None


async def alice_twice_bob_once(store: Store) -> tuple[str, str, str]:
    """Two users, alice with two sessions and bob with one: their cookie secrets."""
    await store.add_user("alice", "chair", "correct horse")
    await store.add_user("bob", "chair", "correct horse")
    a1, _ = await store.create_session("alice", T0, HOUR)
    a2, _ = await store.create_session("alice", T0, HOUR)
    b1, _ = await store.create_session("bob", T0, HOUR)
    return a1, a2, b1


async def test_revoke_sessions_of(store: Store) -> None:
    a1, a2, b1 = await alice_twice_bob_once(store)
    assert await store.revoke_sessions_of("alice") == 2
    assert await store.session(a1, T0) is None and await store.session(a2, T0) is None
    assert await store.session(b1, T0) is not None
    assert await store.revoke_sessions_of("alice") == 0


async def test_set_password_ends_the_sessions(store: Store) -> None:
    a1, a2, b1 = await alice_twice_bob_once(store)
    assert await store.set_password("alice", "new password") == 2
    assert await store.session(a1, T0) is None and await store.session(a2, T0) is None
    assert await store.session(b1, T0) is not None
    # A refused password changes nothing: the password, and the sessions, stay.
    a3, _ = await store.create_session("alice", T0, HOUR)
    with pytest.raises(ValueError, match="short"):
        await store.set_password("alice", "short")
    assert await store.session(a3, T0) is not None
    assert await store.check_password("alice", "new password") is not None


async def test_remove_user_ends_the_sessions(store: Store) -> None:
    await store.add_user("alice", "chair", "correct horse", ("cr4",))
    await store.add_user("bob", "chair", "correct horse")
    a1, _ = await store.create_session("alice", T0, HOUR)
    a2, _ = await store.create_session("alice", T0, HOUR)
    await store.revoke_session(a2)  # already ended: not counted
    b1, _ = await store.create_session("bob", T0, HOUR)
    assert await store.remove_user("alice") == 1
    assert await store.user("alice") is None
    assert await store.check_password("alice", "correct horse") is None
    assert await store.session(a1, T0) is None
    assert await store.session(b1, T0) is not None
    with pytest.raises(ValueError, match="no user 'alice'"):
        await store.remove_user("alice")
    # The name can be taken again, by a new account with nothing of the old one's.
    await store.add_user("alice", "secretariat", "other horse")
    assert await store.session(a1, T0) is None


async def test_session_refusals(store: Store) -> None:
    with pytest.raises(ValueError, match="no user"):
        await store.create_session("ghost", T0, HOUR)
    await store.add_user("alice", "chair", "correct horse")
    with pytest.raises(ValueError, match="positive"):
        await store.create_session("alice", T0, timedelta(0))
    with pytest.raises(ValueError, match="naive"):
        await store.create_session("alice", datetime(2023, 12, 13, 15), HOUR)
    secret, _ = await store.create_session("alice", T0, HOUR)
    with pytest.raises(ValueError, match="naive"):
        await store.session(secret, datetime(2023, 12, 13, 15))


# --- audit and throttling ------------------------------------------------------------------


async def test_audit_events(store: Store) -> None:
    await store.audit("alice", "login", "127.0.0.1", T0)
    await store.audit("token:panel", "POST", "/api/overrides", T0 + HOUR)
    await store.audit("alice", "logout", "", T0 + 2 * HOUR)
    events = await store.audit_events()
    assert [e[1:] for e in events] == [
        ("alice", "login", "127.0.0.1"),
        ("token:panel", "POST", "/api/overrides"),
        ("alice", "logout", ""),
    ]
    assert events[1][0] == T0 + HOUR and events[1][0].tzinfo is not None
    assert [e[2] for e in await store.audit_events("alice")] == ["login", "logout"]
    assert await store.audit_events("nobody") == []


async def test_login_failures(store: Store) -> None:
    for minutes in (0, 5, 10):
        await store.record_login_failure("ip:10.0.0.1", T0 + timedelta(minutes=minutes))
    await store.record_login_failure("name:alice", T0)
    assert await store.login_failures("ip:10.0.0.1", T0) == 3
    assert await store.login_failures("ip:10.0.0.1", T0 + timedelta(minutes=5)) == 2
    assert await store.login_failures("ip:10.0.0.1", T0 + timedelta(minutes=11)) == 0
    await store.clear_login_failures("ip:10.0.0.1")
    assert await store.login_failures("ip:10.0.0.1", T0 - HOUR) == 0
    assert await store.login_failures("name:alice", T0 - HOUR) == 1


async def test_old_login_failures_are_pruned(store: Store) -> None:
    await store.record_login_failure("k", T0)
    await store.record_login_failure("k", T0 + timedelta(days=2))
    assert await store.login_failures("k", T0 - HOUR) == 1


async def test_reopen_keeps_accounts(path: Path) -> None:
    async with Store(path, password_hasher=CHEAP) as store:
        await store.add_user("alice", "chair", "correct horse", ("cr4",))
        secret = await store.create_token("panel", "chair")
        cookie, session = await store.create_session("alice", T0, HOUR)
        await store.audit("alice", "login", "", T0)
        await store.record_login_failure("ip:1", T0)
    async with Store(path, password_hasher=CHEAP) as store:
        assert await store.check_password("alice", "correct horse") == User(
            "alice", "chair", ("cr4",)
        )
        assert await store.token(secret) is not None
        assert await store.session(cookie, T0) == session
        assert isinstance(await store.session(cookie, T0), Session)
        assert len(await store.audit_events()) == 1
        assert await store.login_failures("ip:1", T0) == 1


# --- database ------------------------------------------------------------------------------


def test_connection_settings_and_migrations(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "dashboard.db"
    con = open_db(path)
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert con.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert con.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert con.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert con.isolation_level is None
    con.close()
    for _ in range(2):  # idempotent
        con = open_db(path)
        versions = [v for (v,) in con.execute("SELECT version FROM schema_version")]
        con.close()
        assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_newer_schema_is_refused(path: Path) -> None:
    open_db(path).close()
    con = sqlite3.connect(path)
    con.execute("INSERT INTO schema_version VALUES (?)", (len(MIGRATIONS) + 1,))
    con.commit()
    con.close()
    with pytest.raises(RuntimeError, match="newer"):
        open_db(path)
