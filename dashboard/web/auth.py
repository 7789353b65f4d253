"""Who is asking: staff sessions (the console) and bearer tokens (other systems).

- Sessions are server-side: the cookie holds a random secret whose hash the store keeps, so a
  logout really ends the session (a copied cookie is refused) and closes its WebSockets.
- State-changing requests made with a session cookie need the session's CSRF token (htmx sends
  it as a header) and pass a Fetch-Metadata check; bearer tokens carry no ambient authority and
  need neither.
- Login is throttled *before* the password hash is computed, and an unknown name gets the same
  answer as a wrong password.  Hard limits apply per (account, address) and per address, so
  someone else's failures never lock the owner out; an account under attack from many addresses
  is slowed (a delay, never a refusal) for addresses that have not logged into it before.
- At most one password hash per core runs at once (argon2id allocates its memory for each);
  attempts beyond that wait briefly in a bounded queue, then get 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import HTTPConnection, Request

from ..metrics import Metrics
from ..store import Session, Store

SESSION_COOKIE = "dsh_session"
# Behind TLS the cookie is Secure and named with the __Host- prefix: browsers then accept it only
# from this exact host over https, with Path=/ and no Domain, so a sibling subdomain or a plain
# http page cannot plant or overwrite it.
SECURE_SESSION_COOKIE = "__Host-" + SESSION_COOKIE
SESSION_LIFETIME = timedelta(hours=12)
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_MAX_FAILURES_PAIR = 5  # one account from one address: then 429 for that pair only
LOGIN_MAX_FAILURES_ADDRESS = 20  # one address, whatever the names: then 429 for that address
# An account that failed this often in the window, from all addresses together, is under attack:
# attempts from addresses that never logged into it are delayed (1 s, doubling every 10 more
# failures, at most LOGIN_DELAY_MAX).  A delay, never a refusal: the owner always gets in.
LOGIN_SLOW_AFTER = 10
LOGIN_DELAY_MAX = 8.0
KNOWN_ADDRESS = timedelta(days=30)  # a successful log-in from an address makes it known so long
# Password hashes running at once: one per core (each argon2id hash allocates its memory_cost);
# attempts beyond that queue, at most HASH_QUEUE of them for at most HASH_WAIT seconds, then 429.
HASH_SLOTS = max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)
HASH_QUEUE = 16 * HASH_SLOTS
HASH_WAIT = 10.0
BUSY = "the server is busy with other log-ins; try again in a moment"
ROLES = ("chair", "secretariat")


@dataclass(frozen=True)
class Actor:
    """An authenticated sender: a staff member through the console, or a token."""

    name: str  # "alice", or "token:panel-cr4"
    role: str
    rooms: tuple[str, ...]  # for chairs and room-bound tokens; ignored for the secretariat
    session: Session | None = None

    @property
    def allowed_rooms(self) -> frozenset[str] | None:
        """None: every room."""
        if self.role == "secretariat" and not self.rooms:
            return None
        return frozenset(self.rooms)


def metrics_of(conn: HTTPConnection) -> Metrics:
    metrics: Metrics = conn.app.state.metrics
    return metrics


def store_of(conn: HTTPConnection) -> Store:
    store: Store = conn.app.state.store
    return store


def is_secure(conn: HTTPConnection) -> bool:
    """Reached over TLS (directly, or through a trusted proxy that says so)."""
    return conn.url.scheme in ("https", "wss")


def session_cookie_name(conn: HTTPConnection) -> str:
    return SECURE_SESSION_COOKIE if is_secure(conn) else SESSION_COOKIE


def session_cookie_options(conn: HTTPConnection) -> dict[str, Any]:
    """How the session cookie is set, and so how it must be deleted (same name, path,
    SameSite, Secure)."""
    return {"path": "/", "httponly": True, "samesite": "strict", "secure": is_secure(conn)}


async def session_actor(conn: HTTPConnection) -> Actor | None:
    secret = conn.cookies.get(session_cookie_name(conn))
    if not secret:
        return None
    store = store_of(conn)
    session = await store.session(secret, _real_now())
    if session is None:
        return None
    user = await store.user(session.user)
    if user is None:
        return None
    return Actor(user.name, user.role, user.rooms, session)


async def session_still_live(conn: HTTPConnection, session: Session) -> bool:
    """Whether ``session`` is still on: it may have been ended since by another process
    (``dashboard user remove`` or ``user passwd``), which cannot reach this one's sockets."""
    return await store_of(conn).session_live(session.id_hash, _real_now())


async def token_actor(conn: HTTPConnection) -> Actor | None:
    header = conn.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        return None
    store = store_of(conn)
    token = await store.token(secret.strip())
    if token is None:
        raise HTTPException(401, "unknown or revoked token")
    actor = Actor(f"token:{token.name}", token.role, token.rooms)
    method = conn.scope.get("method", "WS")
    if method not in ("GET", "HEAD", "OPTIONS", "WS"):
        # Only what may change things is audited: a read costs no fsync'd write.
        await store.audit(actor.name, method, conn.url.path, _real_now())
    return actor


async def require_actor(request: Request, *, changes_state: bool) -> Actor:
    """The sender of an API or console request, or 401/403.  ``changes_state`` adds the CSRF
    and Fetch-Metadata checks for cookie sessions."""
    actor = await token_actor(request)
    if actor is not None:
        return actor
    actor = await session_actor(request)
    if actor is None:
        raise HTTPException(401, "log in, or send a bearer token")
    if changes_state:
        check_fetch_metadata(request)
        assert actor.session is not None
        sent = request.headers.get("x-csrf-token", "")
        if not sent and "form" in request.headers.get("content-type", ""):
            sent = str((await request.form()).get("csrf", ""))  # the no-JavaScript fallback
        if not hmac.compare_digest(sent.encode(), actor.session.csrf.encode()):
            raise HTTPException(403, "missing or wrong CSRF token")
    return actor


def check_fetch_metadata(request: Request) -> None:
    """Browsers say where a request comes from; refuse cross-site state changes outright."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise HTTPException(403, "cross-site request refused")
    # The page's own origin (the Host was checked against allowed_hosts; the session cookie is
    # bound to that host, so a DNS-rebinding page has none to send), or a configured one.
    origin = request.headers.get("origin")
    host = request.headers.get("host", "")
    if origin is not None and origin.rstrip("/") not in {
        f"http://{host}",
        f"https://{host}",
        *request.app.state.settings.public_origins,
    }:
        raise HTTPException(403, "cross-origin request refused")


def client_address(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else "unknown"


class LoginGate:
    """Login attempts under way, per throttling key, and the password hashes running.  An
    attempt counts against its keys from the moment it passes the check until its failure is
    recorded, so a burst of parallel attempts cannot all pass the check before any of them has
    failed."""

    def __init__(
        self, slots: int = HASH_SLOTS, queue: int = HASH_QUEUE, wait: float = HASH_WAIT
    ) -> None:
        self.lock = asyncio.Lock()  # held only to count and record, never while hashing
        self.pending: dict[str, int] = {}
        self._hashing = asyncio.Semaphore(slots)
        self._queue, self._wait, self.waiting = queue, wait, 0

    def begin(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            self.pending[key] = self.pending.get(key, 0) + 1

    def end(self, keys: tuple[str, ...]) -> None:
        for key in keys:
            left = self.pending.get(key, 0) - 1
            if left > 0:
                self.pending[key] = left
            else:
                self.pending.pop(key, None)

    @contextlib.asynccontextmanager
    async def hashing(self) -> AsyncIterator[None]:
        """A slot to compute one password hash in; 429 when the queue is full or the wait long."""
        if self.waiting >= self._queue:
            raise HTTPException(429, BUSY)
        self.waiting += 1
        try:
            await asyncio.wait_for(self._hashing.acquire(), self._wait)
        except TimeoutError:
            raise HTTPException(429, BUSY) from None
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._hashing.release()


def login_delay(account_failures: int) -> float:
    """Seconds an attempt on an account under attack waits (from an address not known to it)."""
    if account_failures < LOGIN_SLOW_AFTER:
        return 0.0
    return min(LOGIN_DELAY_MAX, 2.0 ** ((account_failures - LOGIN_SLOW_AFTER) // 10))


async def login(request: Request, name: str, password: str) -> tuple[str, Session] | None:
    """A new session for right credentials; None for wrong ones.  Raises 429 when throttled
    (this account from this address, or this address) or when too many hashes wait."""
    store = store_of(request)
    gate: LoginGate = request.app.state.login_gate
    now = _real_now()
    address = client_address(request)
    account = f"user:{name.lower()}"
    keys = (f"pair:{name.lower()}@{address}", f"addr:{address}", account)
    limits = (LOGIN_MAX_FAILURES_PAIR, LOGIN_MAX_FAILURES_ADDRESS)
    async with gate.lock:
        for key, limit in zip(keys, limits, strict=False):
            failures = await store.login_failures(key, now - LOGIN_WINDOW)
            if failures + gate.pending.get(key, 0) >= limit:
                metrics_of(request).throttled.labels("login").inc()
                raise HTTPException(429, "too many failed attempts; try again in 15 minutes")
        on_account = await store.login_failures(account, now - LOGIN_WINDOW)
        gate.begin(keys)
    try:
        delay = login_delay(on_account + gate.pending.get(account, 1) - 1)
        if delay and not await store.known_login_address(name, address, now - KNOWN_ADDRESS):
            await asyncio.sleep(delay)
        async with gate.hashing():
            user = await store.check_password(name, password)
    except HTTPException as exc:
        gate.end(keys)
        if exc.status_code == 429:
            metrics_of(request).throttled.labels("hashing").inc()
        raise
    except BaseException:
        gate.end(keys)
        raise
    if user is None:
        metrics_of(request).login_failures.inc()
        async with gate.lock:
            try:
                for key in keys:
                    await store.record_login_failure(key, now)
            finally:
                gate.end(keys)
        await store.audit(name, "login-failed", address, now)
        return None
    gate.end(keys)
    await store.clear_login_failures(keys[0])
    await store.audit(user.name, "login", address, now)
    return await store.create_session(user.name, now, SESSION_LIFETIME)


def _real_now() -> datetime:
    # Sessions and throttling run on real time, not the demo clock of --at/--speed.
    return datetime.now(UTC)
