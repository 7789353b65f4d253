"""Login under attack, against a real server: parallel log-ins bounded in memory, old password
hashes upgraded, and nobody else's failures locking the owner out.  Clients connect from several
loopback addresses (127.0.0.x), so the server sees real, distinct peers."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from tests._staff import PASSWORD, accounts, audit_actions, database
from tests.conftest import Server
from tests.web._staff_site import AT, StartServer


def from_address(server: Server, address: str) -> httpx.AsyncClient:
    """A client whose connections come from ``address`` (a loopback address)."""
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(base_url=server.url, timeout=60, transport=transport)


async def log_in(server: Server, address: str, name: str, password: str) -> httpx.Response:
    async with from_address(server, address) as client:
        return await client.post("/chair/login", data={"name": name, "password": password})


def peak_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


async def test_parallel_logins_are_bounded_in_memory(
    start_server: StartServer, tmp_path: Path
) -> None:
    """40 log-ins at once for unknown names, from 40 addresses: each costs a hash, but at most
    one per core runs at once (argon2id at 19 MiB), so the server's peak memory stays small
    (at argon2-cffi's defaults, 64 MiB each, unbounded: about 2 GB)."""
    server = start_server(at=AT, data=tmp_path / "data")
    before = peak_rss_kib(server.process.pid)
    answers = await asyncio.gather(
        *(log_in(server, f"127.0.0.{10 + i}", f"nobody{i}", "guess-guess") for i in range(40))
    )
    grown_mib = (peak_rss_kib(server.process.pid) - before) / 1024
    statuses = {a.status_code for a in answers}
    assert statuses <= {401, 429}, statuses
    assert grown_mib < 200, f"peak memory grew by {grown_mib:.0f} MiB"
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:
        assert (await client.get("/healthz")).status_code == 200


async def test_excess_logins_queue_briefly_then_get_429(
    start_server: StartServer, tmp_path: Path
) -> None:
    """More log-ins than the queue holds (16 per core): the excess is refused at once with 429,
    and the login page says the server is busy (not that the password was wrong)."""
    server = start_server(at=AT, data=tmp_path / "data")
    answers = await asyncio.gather(
        *(log_in(server, f"127.0.1.{10 + i}", f"nobody{i}", "guess-guess") for i in range(120))
    )
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {401, 429}, statuses
    busy = [a for a in answers if a.status_code == 429]
    assert busy, "nothing was refused"
    assert all("The server is busy" in a.text for a in busy)


async def test_an_old_password_hash_still_verifies_and_is_upgraded(
    start_server: StartServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    accounts(data, users=(("alice", "chair", "cr4"),))
    old = PasswordHasher().hash(PASSWORD)  # argon2-cffi's defaults: m=65536, t=3, p=4
    with contextlib.closing(sqlite3.connect(database(data))) as conn, conn:
        conn.execute("UPDATE users SET password_hash = ? WHERE name = 'alice'", (old,))
    server = start_server(at=AT, data=data)
    assert (await log_in(server, "127.0.0.1", "alice", PASSWORD)).status_code == 303
    with contextlib.closing(sqlite3.connect(database(data))) as conn:
        (stored,) = conn.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$"), stored
    assert (await log_in(server, "127.0.0.1", "alice", PASSWORD)).status_code == 303


async def test_someone_elses_failures_never_lock_the_owner_out(
    start_server: StartServer, tmp_path: Path
) -> None:
    """Five wrong passwords from another address lock that address out of alice's account,
    not alice on her own machine; after a restart too."""
    data = tmp_path / "data"
    accounts(data, users=(("alice", "chair", "cr4"),))
    server = start_server(at=AT, data=data)
    for i in range(5):
        assert (await log_in(server, "127.0.0.2", "alice", f"guess-{i:04}")).status_code == 401
    assert (await log_in(server, "127.0.0.2", "alice", PASSWORD)).status_code == 429
    assert (await log_in(server, "127.0.0.1", "alice", PASSWORD)).status_code == 303
    server.process.terminate()
    server.process.wait(10)
    server = start_server(at=AT, data=data)
    assert (await log_in(server, "127.0.0.2", "alice", PASSWORD)).status_code == 429
    assert (await log_in(server, "127.0.0.1", "alice", PASSWORD)).status_code == 303
    assert audit_actions(data, "alice") == ["login-failed"] * 5 + ["login"] * 2


async def test_an_account_under_attack_is_slowed_for_strangers_only(
    start_server: StartServer, tmp_path: Path
) -> None:
    """Twenty failures from four addresses: a new address still gets in with the password,
    after a delay; the owner's own address (a log-in from it before) is not delayed."""
    data = tmp_path / "data"
    accounts(data, users=(("alice", "chair", "cr4"),))
    server = start_server(at=AT, data=data)
    assert (await log_in(server, "127.0.0.1", "alice", PASSWORD)).status_code == 303
    for n in range(4):
        wrong = await asyncio.gather(
            *(log_in(server, f"127.0.2.{n + 1}", "alice", f"guess-{i}") for i in range(5))
        )
        assert [a.status_code for a in wrong] == [401] * 5
    t0 = time.monotonic()
    stranger = await log_in(server, "127.0.2.9", "alice", PASSWORD)
    slowed = time.monotonic() - t0
    assert stranger.status_code == 303  # slowed, never refused
    assert slowed >= 1.9, slowed  # 20 failures: 2 s
    t0 = time.monotonic()
    owner = await log_in(server, "127.0.0.1", "alice", PASSWORD)
    assert owner.status_code == 303
    assert time.monotonic() - t0 < slowed
