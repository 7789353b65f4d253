"""Who may do what: users (argon2id passwords), bearer tokens, server-side sessions, the audit
trail of authenticated use, and login-throttling state (kept here so it survives restarts).

Tokens and session ids are stored only as SHA-256: they are 256-bit random, so there is nothing
to brute-force and a plain hash suffices; what matters is that a copy of the database grants
nothing.  Passwords are low-entropy, hence argon2id.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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

    def add_user(self, name: str, role: str, password: str, rooms: tuple[str, ...] = ()) -> User:
        check_name(name, "user")
        check_role(role)
        _check_password(password)
        rooms_json = rooms_text(rooms)
        hashed = self._hasher.hash(password)
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO users (name, role, rooms, password_hash) VALUES (?, ?, ?, ?)",
                    (name, role, rooms_json, hashed),
                )
        except INTEGRITY_ERRORS:
            raise ValueError(f"user {name!r} already exists") from None
        return User(name, role, tuple(rooms))

    def set_password(self, name: str, password: str) -> int:
        """A new password; every session of the user ends with the old one (whoever knew it may
        be logged in).  The number of sessions ended."""
        _check_password(password)
        hashed = self._hasher.hash(password)
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE users SET password_hash = ? WHERE name = ?", (hashed, name)
            )
            if cursor.rowcount == 0:
                raise ValueError(f"no user {name!r}")
            ended = conn.execute(
                'UPDATE sessions SET revoked = 1 WHERE "user" = ? AND revoked = 0', (name,)
            )
            return ended.rowcount

    def remove_user(self, name: str) -> int:
        """Remove the account and end its sessions, in one transaction; the number of live
        sessions ended.  What it did stays in the override log and the audit trail, under its
        name."""
        with self._write() as conn:
            live = conn.execute(
                'SELECT count(*) FROM sessions WHERE "user" = ? AND revoked = 0', (name,)
            ).fetchone()
            # The sessions go with the user (ON DELETE CASCADE); deleted explicitly all the
            # same, so that removal never depends on the foreign-key pragma being on.
            conn.execute('DELETE FROM sessions WHERE "user" = ?', (name,))
            cursor = conn.execute("DELETE FROM users WHERE name = ?", (name,))
            if cursor.rowcount == 0:
                raise ValueError(f"no user {name!r}")
        return int(live[0])

    def user(self, name: str) -> User | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT name, role, rooms FROM users WHERE name = ?", (name,)
            ).fetchone()
        return User(row[0], row[1], parse_rooms(row[2])) if row else None

    def users(self) -> list[User]:
        with self._read() as conn:
            rows = conn.execute("SELECT name, role, rooms FROM users ORDER BY name").fetchall()
        return [User(name, role, parse_rooms(rooms)) for name, role, rooms in rows]

    def check_password(self, name: str, password: str) -> User | None:
        """The user, if ``password`` is theirs; None otherwise (unknown name included)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT role, rooms, password_hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        if row is None:
            with contextlib.suppress(VerificationError, InvalidHashError):
                self._hasher.verify(self._dummy_hash, password)
            return None
        role, rooms, stored = row
        try:
            self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return None
        if self._hasher.check_needs_rehash(stored):
            # Parameters were raised since this hash was made: upgrade it now that we hold the
            # password.  Only if unchanged meanwhile, so a concurrent set_password wins.
            upgraded = self._hasher.hash(password)  # slow: outside the lock
            with self._write() as conn:
                conn.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
                    (upgraded, name, stored),
                )
        return User(name, role, parse_rooms(rooms))

    # --- bearer tokens -----------------------------------------------------------------------

    def create_token(self, name: str, role: str, rooms: tuple[str, ...] = ()) -> str:
        """A new token; the secret is returned once and only its hash is kept."""
        check_name(name, "token")
        check_role(role)
        rooms_json = rooms_text(rooms)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO tokens (name, role, rooms, secret_hash) VALUES (?, ?, ?, ?)",
                    (name, role, rooms_json, _sha256(secret)),
                )
        except INTEGRITY_ERRORS:
            raise ValueError(f"an active token named {name!r} exists: revoke it first") from None
        return secret

    def revoke_token(self, name: str) -> bool:
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE tokens SET revoked = 1 WHERE name = ? AND revoked = 0", (name,)
            )
            return cursor.rowcount > 0

    def token(self, secret: str) -> Token | None:
        with self._read() as conn:
            row = conn.execute(
                "SELECT name, role, rooms FROM tokens WHERE secret_hash = ? AND revoked = 0",
                (_sha256(secret),),
            ).fetchone()
        return Token(row[0], row[1], parse_rooms(row[2]), False) if row else None

    def tokens(self) -> list[Token]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT name, role, rooms, revoked FROM tokens ORDER BY rowid"
            ).fetchall()
        return [Token(n, role, parse_rooms(rooms), bool(rev)) for n, role, rooms, rev in rows]

    # --- sessions ----------------------------------------------------------------------------

    def create_session(self, user: str, now: datetime, lifetime: timedelta) -> tuple[str, Session]:
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
        try:
            with self._write() as conn:
                # Housekeeping: ended sessions can never be used again.
                conn.execute("DELETE FROM sessions WHERE revoked = 1 OR expires <= ?", (now_text,))
                conn.execute(
                    'INSERT INTO sessions (id_hash, "user", csrf, created, expires) '
                    "VALUES (?, ?, ?, ?, ?)",
                    (
                        session.id_hash,
                        user,
                        session.csrf,
                        now_text,
                        instant_text(session.expires),
                    ),
                )
        except INTEGRITY_ERRORS:  # foreign key: no such user
            raise ValueError(f"no user {user!r}") from None
        return secret, session

    def session(self, secret: str, now: datetime) -> Session | None:
        """The live session the cookie ``secret`` belongs to; None if unknown, expired or
        revoked."""
        now_text = instant_text(now)
        with self._read() as conn:
            row = conn.execute(
                'SELECT id_hash, "user", csrf, created, expires FROM sessions '
                "WHERE id_hash = ? AND revoked = 0 AND expires > ?",
                (_sha256(secret), now_text),
            ).fetchone()
        return _session(row) if row else None

    def session_live(self, id_hash: str, now: datetime) -> bool:
        """Whether the session stored as ``id_hash`` is still on (not ended, not expired, its
        user not removed): for what a session opened and keeps open (console sockets)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT 1 FROM sessions WHERE id_hash = ? AND revoked = 0 AND expires > ?",
                (id_hash, instant_text(now)),
            ).fetchone()
        return row is not None

    def revoke_session(self, secret: str) -> Session | None:
        """End a session (logout).  Returns it, or None if unknown or already revoked."""
        id_hash = _sha256(secret)
        with self._write() as conn:
            row = conn.execute(
                'SELECT id_hash, "user", csrf, created, expires FROM sessions '
                "WHERE id_hash = ? AND revoked = 0",
                (id_hash,),
            ).fetchone()
            if row is None:
                return None
            conn.execute("UPDATE sessions SET revoked = 1 WHERE id_hash = ?", (id_hash,))
        return _session(row)

    def revoke_sessions_of(self, user: str) -> int:
        """End every session of ``user``; the number ended."""
        with self._write() as conn:
            cursor = conn.execute(
                'UPDATE sessions SET revoked = 1 WHERE "user" = ? AND revoked = 0', (user,)
            )
            return cursor.rowcount

    # --- audit trail -------------------------------------------------------------------------

    def audit(self, actor: str, action: str, detail: str, at: datetime) -> None:
        at_text = instant_text(at)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                (at_text, actor, action, detail),
            )

    def audit_events(self, actor: str | None = None) -> list[tuple[datetime, str, str, str]]:
        """(at, actor, action, detail), oldest first; only ``actor``'s if given."""
        query = "SELECT at, actor, action, detail FROM audit"
        params: tuple[str, ...] = ()
        if actor is not None:
            query, params = query + " WHERE actor = ?", (actor,)
        with self._read() as conn:
            rows = conn.execute(query + " ORDER BY rowid", params).fetchall()
        return [(parse_instant(at), who, action, detail) for at, who, action, detail in rows]

    def known_login_address(self, user: str, address: str, since: datetime) -> bool:
        """Whether ``user`` logged in successfully from ``address`` at or after ``since``."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT 1 FROM audit WHERE actor = ? AND action = 'login' AND detail = ? "
                "AND at >= ? LIMIT 1",
                (user, address, instant_text(since)),
            ).fetchone()
        return row is not None

    # --- login throttling --------------------------------------------------------------------

    def record_login_failure(self, key: str, at: datetime) -> None:
        at_text = instant_text(at)
        with self._write() as conn:
            conn.execute(
                "DELETE FROM login_failures WHERE at < ?",
                (instant_text(at - FAILURE_RETENTION),),
            )
            conn.execute("INSERT INTO login_failures (key, at) VALUES (?, ?)", (key, at_text))

    def login_failures(self, key: str, since: datetime) -> int:
        """Failures recorded for ``key`` at or after ``since``."""
        since_text = instant_text(since)
        with self._read() as conn:
            row = conn.execute(
                "SELECT count(*) FROM login_failures WHERE key = ? AND at >= ?",
                (key, since_text),
            ).fetchone()
        return int(row[0])

    def clear_login_failures(self, key: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM login_failures WHERE key = ?", (key,))
