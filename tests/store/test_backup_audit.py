"""The override log against a deliberate rewrite, and backups of a running installation:
`dashboard audit head` / `audit verify --head`, a server refusing a tampered log, and
`dashboard backup` / `restore` with overrides streaming in.  Real servers, the real command."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests._staff import bearer, cli, create_token, database
from tests.conftest import make_config, spawn_server, stop_server
from tests.store.conftest import tamper
from tests.store.test_log import fill, rewrite_from
from tests.web._staff_site import AT, StartServer


async def test_audit_head_and_verify_against_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await fill(database(data), 4)
    head = cli("audit", "head", data=data)
    assert head.returncode == 0, head.stderr
    digest = head.stdout.strip()
    assert digest.startswith("4-") and len(digest) == 22
    ok = cli("audit", "verify", "--head", digest, data=data)
    assert ok.returncode == 0 and "4 overrides verified" in ok.stdout, ok
    # Truncated by one entry, with the head rewritten: caught with or without the digest.
    tamper(
        database(data),
        "DELETE FROM overrides WHERE seq = 4",
        "UPDATE chain_head SET seq = 3, hash = (SELECT hash FROM overrides WHERE seq = 3)",
    )
    for args in ((), ("--head", digest)):
        bad = cli("audit", "verify", *args, data=data)
        assert bad.returncode == 3, bad
        assert "Traceback" not in bad.stderr
    malformed = cli("audit", "verify", "--head", "nonsense", data=data)
    assert malformed.returncode == 2 and "--head" in malformed.stderr


async def test_the_server_refuses_a_rewritten_log(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await fill(database(data), 3)
    rewrite_from(database(data), 2, {"n": 99, "text": "forged"})  # hashes recomputed, no key
    config = make_config(tmp_path / "config")
    with pytest.raises(RuntimeError, match="server exited") as refused:
        server = spawn_server(config, data, tmp_path / "server.log")
        stop_server(server)
    output = str(refused.value)
    assert "does not verify" in output and "entry 2" in output, output
    assert "Traceback" not in output
    verify = cli("audit", "verify", data=data)
    assert verify.returncode == 3 and "entry 2" in verify.stderr


def test_files_of_a_new_installation_are_owner_only(
    start_server: StartServer, tmp_path: Path
) -> None:
    import stat

    data = tmp_path / "new" / "data"
    server = start_server(at=AT, data=data)
    token = create_token(data, "office", "secretariat")
    body = {"room": "cr4", "kind": "pointer", "text": "item 1"}
    with httpx.Client(base_url=server.url, timeout=10, headers=bearer(token)) as client:
        assert client.post("/api/overrides", json=body).status_code == 201
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    names = {p.name for p in data.iterdir()}
    assert {"dashboard.sqlite3", "dashboard.sqlite3-wal", "audit.key"} <= names, names
    for path in data.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_a_backup_taken_while_overrides_stream_in_restores_and_verifies(
    start_server: StartServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    token = create_token(data, "office", "secretariat")
    server = start_server(at=AT, data=data)
    acknowledged: list[tuple[float, str]] = []  # (when the 201 arrived, the override's id)
    stop = threading.Event()
    failures: list[str] = []

    def stream() -> None:
        with httpx.Client(base_url=server.url, timeout=30, headers=bearer(token)) as client:
            for i in range(10_000):  # bounded; stopped by the event long before
                if stop.is_set():
                    return
                body = {"room": "cr4", "kind": "pointer", "text": f"item {i}"}
                headers = {"idempotency-key": uuid.uuid4().hex}
                response = client.post("/api/overrides", json=body, headers=headers)
                if response.status_code != 201:
                    failures.append(f"{response.status_code} {response.text}")
                    return
                acknowledged.append((time.monotonic(), response.json()["id"]))

    writer = threading.Thread(target=stream)
    writer.start()
    try:
        deadline = time.monotonic() + 30
        while len(acknowledged) < 20 and time.monotonic() < deadline and not failures:
            time.sleep(0.05)
        began = time.monotonic()
        dest = tmp_path / "backups" / "monday.sqlite3"
        made = cli("backup", str(dest), data=data)
        during = [a for a in acknowledged if a[0] > began]
        time.sleep(0.5)  # and a few more after it
    finally:
        stop.set()
        writer.join(60)
    assert failures == [], failures
    assert made.returncode == 0, made.stderr
    assert "audit.key" in made.stderr  # the key to keep apart from the backups
    digest = made.stdout.strip().rsplit(" ", 1)[-1]
    before = [i for t, i in acknowledged if t <= began]
    assert len(before) >= 20 and len(acknowledged) > len(before)
    assert dest.stat().st_mode & 0o077 == 0
    assert not (dest.parent / "audit.key").exists()  # the key does not travel with backups
    # Into a fresh data folder, with the installation's key.
    fresh = tmp_path / "restored"
    key = str(data / "audit.key")
    restored = cli("restore", str(dest), "--key", key, "--head", digest, data=fresh)
    assert restored.returncode == 0, restored.stderr
    with contextlib.closing(sqlite3.connect(database(fresh))) as conn:
        ids = {row[0] for row in conn.execute("SELECT id FROM overrides")}
    missing = [i for i in before if i not in ids]
    assert missing == [], f"{len(missing)} acknowledged before the backup are missing"
    assert during or len(ids) >= len(before)
    verify = cli("audit", "verify", "--head", digest, data=fresh)
    assert verify.returncode == 0, verify.stderr
    # The restored folder serves, with every override of the backup in force.
    restarted = start_server(at=AT, data=fresh)
    with httpx.Client(base_url=restarted.url, timeout=10, headers=bearer(token)) as client:
        listed = client.get("/api/overrides", params={"room": "cr4", "all": "1"})
        assert listed.status_code == 200
        assert {o["id"] for o in listed.json()["overrides"]} == ids


async def test_restore_refuses_a_backup_that_does_not_verify(tmp_path: Path) -> None:
    data = tmp_path / "data"
    await fill(database(data), 3)
    dest = tmp_path / "backup.sqlite3"
    assert cli("backup", str(dest), data=data).returncode == 0
    key = str(data / "audit.key")
    # No key at all: refused before anything is written.
    nokey = cli("restore", str(dest), data=tmp_path / "nokey")
    assert nokey.returncode == 2 and "--key" in nokey.stderr
    assert not (tmp_path / "nokey" / "dashboard.sqlite3").exists()
    # Edited after it was taken (hashes recomputed without the key): refused.
    rewrite_from(dest, 2, {"n": 99})
    fresh = tmp_path / "fresh"
    refused = cli("restore", str(dest), "--key", key, data=fresh)
    assert refused.returncode == 3, refused
    assert "does not verify" in refused.stderr and "Traceback" not in refused.stderr
    assert not (fresh / "dashboard.sqlite3").exists()
    assert not (fresh / "audit.key").exists()
    # Never over an existing database.
    again = cli("restore", str(dest), "--key", key, data=data)
    assert again.returncode == 2 and "already" in again.stderr
