"""Who may do what: users (argon2id passwords), bearer tokens, server-side sessions, the audit
trail of authenticated use, and login-throttling state (kept here so it survives restarts).

Tokens and session ids are stored only as SHA-256: they are 256-bit random, so there is nothing
to brute-force and a plain hash suffices; what matters is that a copy of the database grants
nothing.  Passwords are low-entropy, hence argon2id.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from anyio.to_thread import run_sync
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from .base import INTEGRITY_ERRORS, Database
from .records import (
    Session,
    Token,
    User,
    check_name,
    check_role,
    instant_text,
    parse_instant,
    parse_rooms,
    rooms_text,
)
from .result import Connection

MIN_PASSWORD = 8
TOKEN_PREFIX = "dsh_"  # noqa: S105 - not a secret: makes tokens recognisable to secret scanners
# argon2id with OWASP's Password Storage Cheat Sheet recommendation (m=19 MiB, t=2, p=1) rather
# than argon2-cffi's default (RFC 9106's low-memory profile: 64 MiB, t=3, p=4): 40 log-ins at
# once took 2 GB with those.  The web layer also runs at most one hash per core at once.  A hash
# made with other parameters still verifies (they are in the hash) and is rehashed with these at
# the next successful log-in.
PASSWORD_TIME_COST, PASSWORD_MEMORY_KIB, PASSWORD_PARALLELISM = 2, 19 * 1024, 1
# Login failures older than this are forgotten when a new one is recorded, so an attack with
# ever-new names cannot grow the table without bound.  Far longer than any throttling window.
FAILURE_RETENTION = timedelta(days=1)


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"password too short: at least {MIN_PASSWORD} characters")


def _session(row: tuple[Any, ...]) -> Session:
    id_hash, user, csrf, created, expires = row
    return Session(id_hash, user, csrf, parse_instant(created), parse_instant(expires))


class Accounts(Database):
    def __init__(
        self,
        database: Path | str,
        *,
        key_path: Path | None = None,
        password_hasher: PasswordHasher | None = None,
    ) -> None:
        # Tests pass cheaper parameters.
        self._hasher = password_hasher or PasswordHasher(
            time_cost=PASSWORD_TIME_COST,
            memory_cost=PASSWORD_MEMORY_KIB,
            parallelism=PASSWORD_PARALLELISM,
        )
        # Verified against when the name is unknown, so that answer costs as much as a wrong
        # password and timing does not tell which names exist.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        super().__init__(database, key_path=key_path)

    # --- users -------------------------------------------------------------------------------

    async def add_user(
        self, name: str, role: str, password: str, rooms: tuple[str, ...] = ()
    ) -> User:
        check_name(name, "user")
        check_role(role)
        _check_password(password)
        rooms_json = rooms_text(rooms)
        hashed = await run_sync(self._hasher.hash, password)  # slow: on a worker thread
        try:
            await self._change(
                "INSERT INTO users (name, role, rooms, password_hash) VALUES (?, ?, ?, ?)",
                (name, role, rooms_json, hashed),
            )
        except INTEGRITY_ERRORS:
            raise ValueError(f"user {name!r} already exists") from None
        return User(name, role, tuple(rooms))

    async def set_password(self, name: str, password: str) -> int:
        """A new password; every session of the user ends with the old one (whoever knew it may
        be logged in).  The number of sessions ended."""
        _check_password(password)
        hashed = await run_sync(self._hasher.hash, password)  # slow: on a worker thread

        async def change(conn: Connection) -> int:
            cursor = await conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (hashed, name)
            )
            if cursor.rowcount == 0:
                raise ValueError(f"no user {name!r}")
            ended = await conn.execute(
                'UPDATE sessions SET revoked = 1 WHERE "user" = ? AND revoked = 0', (name,)
            )
            return ended.rowcount

        return await self._write(change)

    async def remove_user(self, name: str) -> int:
        """Remove the account and end its sessions, in one transaction; the number of live
        sessions ended.  What it did stays in the override log and the audit trail, under its
        name."""

        async def remove(conn: Connection) -> int:
            live = await conn.one(
                'SELECT count(*) FROM sessions WHERE "user" = ? AND revoked = 0', (name,)
            )
            # The sessions go with the user (ON DELETE CASCADE); deleted explicitly all the
            # same, so that removal never depends on the foreign-key pragma being on.
            await conn.execute('DELETE FROM sessions WHERE "user" = ?', (name,))
            cursor = await conn.execute("DELETE FROM users WHERE name = ?", (name,))
            if cursor.rowcount == 0:
                raise ValueError(f"no user {name!r}")
            return int(live[0])

        return await self._write(remove)

    async def user(self, name: str) -> User | None:
        row = await self._one("SELECT name, role, rooms FROM users WHERE name = ?", (name,))
        return User(row[0], row[1], parse_rooms(row[2])) if row else None

    async def users(self) -> list[User]:
        rows = await self._all("SELECT name, role, rooms FROM users ORDER BY name")
        return [User(name, role, parse_rooms(rooms)) for name, role, rooms in rows]

    async def check_password(self, name: str, password: str) -> User | None:
        """The user, if ``password`` is theirs; None otherwise (unknown name included)."""
        row = await self._one(
            "SELECT role, rooms, password_hash FROM users WHERE name = ?", (name,)
        )
        if row is None:
            await run_sync(self._verifies, self._dummy_hash, password)
            return None
        role, rooms, stored = row
        if not await run_sync(self._verifies, stored, password):
            return None
        if self._hasher.check_needs_rehash(stored):
            # Parameters were raised since this hash was made: upgrade it now that we hold the
            # password.  Only if unchanged meanwhile, so a concurrent set_password wins.
            upgraded = await run_sync(self._hasher.hash, password)  # slow: outside any transaction
            await self._change(
                "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
                (upgraded, name, stored),
            )
        return User(name, role, parse_rooms(rooms))

    def _verifies(self, stored: str, password: str) -> bool:
        """Whether ``password`` matches the hash ``stored`` (slow: called on a worker thread)."""
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    # --- bearer tokens -----------------------------------------------------------------------

    async def create_token(self, name: str, role: str, rooms: tuple[str, ...] = ()) -> str:
        """A new token; the secret is returned once and only its hash is kept."""
        check_name(name, "token")
        check_role(role)
        rooms_json = rooms_text(rooms)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            await self._change(
                "INSERT INTO tokens (name, role, rooms, secret_hash) VALUES (?, ?, ?, ?)",
                (name, role, rooms_json, _sha256(secret)),
            )
        except INTEGRITY_ERRORS:
            raise ValueError(f"an active token named {name!r} exists: revoke it first") from None
        return secret

    async def revoke_token(self, name: str) -> bool:
        cursor = await self._change(
            "UPDATE tokens SET revoked = 1 WHERE name = ? AND revoked = 0", (name,)
        )
        return cursor.rowcount > 0

    async def token(self, secret: str) -> Token | None:
        row = await self._one(
            "SELECT name, role, rooms FROM tokens WHERE secret_hash = ? AND revoked = 0",
            (_sha256(secret),),
        )
        return Token(row[0], row[1], parse_rooms(row[2]), False) if row else None

    async def tokens(self) -> list[Token]:
        rows = await self._all("SELECT name, role, rooms, revoked FROM tokens ORDER BY rowid")
        return [Token(n, role, parse_rooms(rooms), bool(rev)) for n, role, rooms, rev in rows]

    # --- sessions ----------------------------------------------------------------------------

    async def create_session(
        self, user: str, now: datetime, lifetime: timedelta
    ) -> tuple[str, Session]:
        """A session for ``user``: the cookie secret (returned, never stored) and its record."""
        if lifetime <= timedelta(0):
            raise ValueError("session lifetime must be positive")
        now_text = instant_text(now)
        secret = secrets.token_urlsafe(32)
        session = Session(
            _sha256(secret),
            user,
            secrets.token_urlsafe(32),
            parse_instant(now_text),
            parse_instant(instant_text(now + lifetime)),
        )

        async def create(conn: Connection) -> None:
            # Housekeeping: ended sessions can never be used again.
            await conn.execute(
                "DELETE FROM sessions WHERE revoked = 1 OR expires <= ?", (now_text,)
            )
            await conn.execute(
                'INSERT INTO sessions (id_hash, "user", csrf, created, expires) '
                "VALUES (?, ?, ?, ?, ?)",
                (session.id_hash, user, session.csrf, now_text, instant_text(session.expires)),
            )

        try:
            await self._write(create)
        except INTEGRITY_ERRORS:  # foreign key: no such user
            raise ValueError(f"no user {user!r}") from None
        return secret, session

    async def session(self, secret: str, now: datetime) -> Session | None:
        """The live session the cookie ``secret`` belongs to; None if unknown, expired or
        revoked."""
        now_text = instant_text(now)
        row = await self._one(
            'SELECT id_hash, "user", csrf, created, expires FROM sessions '
            "WHERE id_hash = ? AND revoked = 0 AND expires > ?",
            (_sha256(secret), now_text),
        )
        return _session(row) if row else None

    async def session_live(self, id_hash: str, now: datetime) -> bool:
        """Whether the session stored as ``id_hash`` is still on (not ended, not expired, its
        user not removed): for what a session opened and keeps open (console sockets)."""
        row = await self._one(
            "SELECT 1 FROM sessions WHERE id_hash = ? AND revoked = 0 AND expires > ?",
            (id_hash, instant_text(now)),
        )
        return row is not None

    async def revoke_session(self, secret: str) -> Session | None:
        """End a session (logout).  Returns it, or None if unknown or already revoked."""
        id_hash = _sha256(secret)

        async def revoke(conn: Connection) -> Session | None:
            row = await conn.one(
                'SELECT id_hash, "user", csrf, created, expires FROM sessions '
                "WHERE id_hash = ? AND revoked = 0",
                (id_hash,),
            )
            if row is None:
                return None
            await conn.execute("UPDATE sessions SET revoked = 1 WHERE id_hash = ?", (id_hash,))
            return _session(row)

        return await self._write(revoke)

    async def revoke_sessions_of(self, user: str) -> int:
        """End every session of ``user``; the number ended."""
        cursor = await self._change(
            'UPDATE sessions SET revoked = 1 WHERE "user" = ? AND revoked = 0', (user,)
        )
        return cursor.rowcount

    # --- audit trail -------------------------------------------------------------------------

    async def audit(self, actor: str, action: str, detail: str, at: datetime) -> None:
        at_text = instant_text(at)
        await self._change(
            "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
            (at_text, actor, action, detail),
        )

    async def audit_events(self, actor: str | None = None) -> list[tuple[datetime, str, str, str]]:
        """(at, actor, action, detail), oldest first; only ``actor``'s if given."""
        query = "SELECT at, actor, action, detail FROM audit"
        params: tuple[str, ...] = ()
        if actor is not None:
            query, params = query + " WHERE actor = ?", (actor,)
        rows = await self._all(query + " ORDER BY rowid", params)
        return [(parse_instant(at), who, action, detail) for at, who, action, detail in rows]

    async def known_login_address(self, user: str, address: str, since: datetime) -> bool:
        """Whether ``user`` logged in successfully from ``address`` at or after ``since``."""
        row = await self._one(
            "SELECT 1 FROM audit WHERE actor = ? AND action = 'login' AND detail = ? "
            "AND at >= ? LIMIT 1",
            (user, address, instant_text(since)),
        )
        return row is not None

    # --- login throttling --------------------------------------------------------------------

    async def record_login_failure(self, key: str, at: datetime) -> None:
        at_text = instant_text(at)

        async def record(conn: Connection) -> None:
            await conn.execute(
                "DELETE FROM login_failures WHERE at < ?",
                (instant_text(at - FAILURE_RETENTION),),
            )
            await conn.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", (key, at_text))

        await self._write(record)

    async def login_failures(self, key: str, since: datetime) -> int:
        """Failures recorded for ``key`` at or after ``since``."""
        since_text = instant_text(since)
        row = await self._one(
            "SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?",
            (key, since_text),
        )
        return int(row[0])

    async def clear_login_failures(self, key: str) -> None:
        await self._change("DELETE FROM login_failures WHERE key = ?", (key,))
