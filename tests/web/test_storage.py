"""Storage under pressure, on a real (tiny) file system: a full disk answers 507 with a clear
error and /healthz says so; nothing is acknowledged that was not stored; space freed, the server
goes on.  Reads by bearer tokens write nothing.  The disk is a tmpfs of 16 MiB mounted for the
test (root only; skipped, saying so, where it cannot be mounted)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests._staff import audit_actions, audit_verify, bearer, create_token, log_length
from tests.web._staff_site import AT, StartServer


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    disk = tmp_path / "disk"
    disk.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a full disk is simulated with a tmpfs, which needs root and mount")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m,mode=0755", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def fill_up(disk: Path) -> Path:
    """Write zeros into a file until the file system is full; the file."""
    filler = disk / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb") as out:
        for _ in range(16 * 16 + 16):  # at most the disk's size, and a little more
            try:
                out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
                break
    return filler


def test_a_full_disk_is_answered_507_and_reported(
    start_server: StartServer, tiny_disk: Path
) -> None:
    data = tiny_disk / "data"
    token = create_token(data, "office", "secretariat")
    server = start_server(at=AT, data=data)
    stored: list[str] = []
    with httpx.Client(base_url=server.url, timeout=10, headers=bearer(token)) as client:

        def post(i: int) -> httpx.Response:
            body = {"room": "cr4", "kind": "pointer", "text": f"item {i}"}
            return client.post(
                "/api/overrides", json=body, headers={"idempotency-key": uuid.uuid4().hex}
            )

        first = post(0)
        assert first.status_code == 201
        stored.append(first.json()["id"])
        health = client.get("/healthz").json()
        assert health["storage"]["state"] == "ok" and health["storage"]["free_bytes"] > 0
        filler = fill_up(tiny_disk)
        answers = [post(i) for i in range(1, 8)]
        statuses = [a.status_code for a in answers]
        assert set(statuses) <= {201, 507}, [a.text for a in answers]
        assert 507 in statuses, statuses
        for answer in answers:
            if answer.status_code == 201:
                stored.append(answer.json()["id"])
            else:
                assert answer.json() == {
                    "error": "the server's storage is full: nothing was stored; free some"
                    " space and send again",
                    "storage": "full",
                }
        # Prometheus counts each refused write (the token opens /metrics).
        families = text_string_to_metric_families(client.get("/metrics").text)
        refused = {
            s.labels["state"]: s.value
            for f in families
            for s in f.samples
            if s.name == "dashboard_database_errors_total"
        }
        assert refused == {"full": statuses.count(507)}, refused
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["storage"]["state"] == "full"
        assert client.get("/healthz", params={"strict": "1"}).status_code == 503
        # Reads go on: screens, phones, the API.
        assert client.get("/display/cr4").status_code == 200
        assert client.get("/api/overrides", params={"room": "cr4"}).status_code == 200
        filler.unlink()
        again = post(99)
        assert again.status_code == 201, again.text
        stored.append(again.json()["id"])
        assert client.get("/healthz").json()["storage"]["state"] == "ok"
        listed = client.get("/api/overrides", params={"room": "cr4", "all": "1"}).json()
    assert {o["id"] for o in listed["overrides"]} == set(stored)
    assert log_length(data) == len(stored)  # nothing acknowledged that was not stored
    assert audit_verify(data).returncode == 0
    assert "Traceback" not in server.output()


def test_bearer_reads_write_nothing(start_server: StartServer, tmp_path: Path) -> None:
    """Each bearer request used to write an fsync'd audit row, reads included: only what may
    change things is audited now."""
    data = tmp_path / "data"
    token = create_token(data, "office", "secretariat")
    server = start_server(at=AT, data=data)
    with httpx.Client(base_url=server.url, timeout=10, headers=bearer(token)) as client:
        for _ in range(5):
            assert client.get("/api/overrides", params={"room": "cr4"}).status_code == 200
        assert audit_actions(data, "token:office") == []
        body = {"room": "cr4", "kind": "pointer", "text": "item"}
        assert client.post("/api/overrides", json=body).status_code == 201
    assert audit_actions(data, "token:office") == ["POST"]
