"""The PostgreSQL store from the command line and a real server: ``dashboard db migrate``,
``db copy`` from an SQLite installation (verified on arrival), accounts made with --database,
``dashboard serve`` on it, and two servers sharing one database (one override per idempotency
key, whichever process a retry reaches).  On the session's throw-away cluster."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg

from dashboard.live.startup import run_apart
from dashboard.store import Store
from dashboard.store.pg import MIGRATIONS, migrate
from tests.conftest import ROOT, Server, make_config, spawn_server, stop_server
from tests.store.conftest import CHEAP, tamper

T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)


def dashboard(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_migrate_creates_then_finds_the_schema_up_to_date(
    postgres_url: str, tmp_path: Path
) -> None:
    first = dashboard("db", "migrate", "--database", postgres_url)
    assert first.returncode == 0, first.stderr
    assert f"schema version 0 -> {len(MIGRATIONS)}" in first.stdout
    again = dashboard("db", "migrate", "--database", postgres_url)
    assert again.returncode == 0 and "up to date" in again.stdout, again


def test_commands_refuse_a_database_not_migrated(postgres_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = dashboard("user", "list", "--data", str(data), "--database", postgres_url)
    assert result.returncode == 1, result
    assert "dashboard db migrate" in result.stderr and "Traceback" not in result.stderr
    config = make_config(tmp_path / "config")
    served = dashboard(
        "serve", "--config", str(config), "--data", str(data), "--database", postgres_url
    )
    assert served.returncode == 4, served
    assert "dashboard db migrate" in served.stderr and "Traceback" not in served.stderr


def test_a_newer_schema_is_refused(postgres_url: str, tmp_path: Path) -> None:
    migrate(postgres_url)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_version VALUES (%s)", (len(MIGRATIONS) + 1,))
    result = dashboard("user", "list", "--data", str(tmp_path), "--database", postgres_url)
    assert result.returncode == 1 and "newer than this program" in result.stderr, result


def test_a_database_option_that_is_not_a_url_is_refused(tmp_path: Path) -> None:
    result = dashboard("user", "list", "--data", str(tmp_path), "--database", "mysql://x/y")
    assert result.returncode == 2 and "postgresql://" in result.stderr, result


def sqlite_installation(data: Path) -> list[str]:
    """An SQLite installation with a user, a token, a session and three overrides (one with an
    idempotency key); the overrides' hashes."""

    async def make() -> list[str]:
        async with Store(data / "dashboard.sqlite3", password_hasher=CHEAP) as store:
            await store.add_user("alice", "chair", "correct horse", ("cr4",))
            await store.create_token("panel", "chair", ("cr4",))
            await store.create_session("alice", T0, timedelta(hours=12))
            await store.audit("alice", "login", "127.0.0.1", T0)
            return [
                (await store.append_override({"room": "cr4", "n": n}, "alice", T0, f"k{n}"))[0].hash
                for n in range(3)
            ]

    return run_apart(make())


def test_copy_moves_an_installation_and_verifies_it(postgres_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    hashes = sqlite_installation(data)
    assert dashboard("db", "migrate", "--database", postgres_url).returncode == 0
    copied = dashboard(
        "db", "copy", "--from", f"sqlite:{data / 'dashboard.sqlite3'}", "--to", postgres_url
    )
    assert copied.returncode == 0, copied.stderr
    assert "3 overrides verified" in copied.stdout

    async def check() -> None:
        store = Store(postgres_url, key_path=data / "audit.key", password_hasher=CHEAP)
        async with store:
            assert [o.hash for o in await store.overrides()] == hashes
            assert (await store.verify()).ok
            assert await store.check_password("alice", "correct horse") is not None
            assert [t.name for t in await store.tokens()] == ["panel"]
            assert await store.find_idempotent("alice", "k1") is not None
            # The chain goes on where the copy ended, and new rows get new row ids.
            more, _ = await store.append_override({"room": "cr4", "n": 3}, "alice", T0)
            assert more.seq == 4 and more.prev_hash == hashes[-1]
            await store.create_token("office", "secretariat")
            await store.audit("alice", "logout", "127.0.0.1", T0)
            assert len(await store.audit_events()) == 2

    run_apart(check())
    # A second copy into the same database is refused: it is not empty.
    again = dashboard(
        "db", "copy", "--from", f"sqlite:{data / 'dashboard.sqlite3'}", "--to", postgres_url
    )
    assert again.returncode == 1 and "not empty" in again.stderr, again


def test_copy_refuses_a_log_that_does_not_verify(postgres_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    sqlite_installation(data)
    tamper(data / "dashboard.sqlite3", "UPDATE overrides SET actor = 'mallory' WHERE seq = 2")
    migrate(postgres_url)
    copied = dashboard(
        "db", "copy", "--from", f"sqlite:{data / 'dashboard.sqlite3'}", "--to", postgres_url
    )
    assert copied.returncode == 3, copied
    assert "entry 2" in copied.stderr and "nothing was copied" in copied.stderr
    with psycopg.connect(postgres_url) as conn:
        for table in ("overrides", "users", "tokens", "chain_head"):
            assert conn.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table


def serve(tmp_path: Path, name: str, url: str, data: Path) -> Server:
    env = {**os.environ, "DASHBOARD_DATABASE_URL": url}
    config = make_config(tmp_path / f"config-{name}")
    return spawn_server(config, data, tmp_path / f"{name}.log", env=env)


def test_two_servers_on_one_database_store_one_override_per_key(
    postgres_url: str, tmp_path: Path
) -> None:
    """Accounts made with --database; two `dashboard serve` on the same database (the URL from
    $DASHBOARD_DATABASE_URL); a retry of one request reaching the other process is answered
    with the first override, and the log holds it once."""
    data = tmp_path / "data"
    assert dashboard("db", "migrate", "--database", postgres_url).returncode == 0
    made = dashboard(
        "token", "create", "office", "--role", "secretariat", "--data", str(data),
        "--database", postgres_url,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    a = serve(tmp_path, "a", postgres_url, data)
    b = serve(tmp_path, "b", postgres_url, data)
    try:
        body = json.dumps({"room": "cr4", "kind": "announce", "text": "Once only"})
        headers = {
            "authorization": f"Bearer {token}",
            "content-type": "application/json",
            "idempotency-key": "retry-1",
        }
        answers = [
            httpx.post(f"{server.url}/api/overrides", content=body, headers=headers, timeout=30)
            for server in (a, b)
        ]
        assert [r.status_code for r in answers] == [201, 201], [r.text for r in answers]
        assert answers[0].json()["id"] == answers[1].json()["id"]
        health = httpx.get(f"{b.url}/healthz", timeout=30).json()
        assert health["storage"]["state"] == "ok", health
    finally:
        stop_server(a)
        stop_server(b)

    async def check() -> None:
        store = Store(postgres_url, key_path=data / "audit.key", password_hasher=CHEAP)
        async with store:
            assert [o.data["text"] for o in await store.overrides()] == ["Once only"]
            assert (await store.verify()).ok

    run_apart(check())
