"""Helpers for the tests of the staff side (console, override API, auth, crash safety).

Accounts and tokens are made the way an operator makes them: through the ``dashboard`` command
line, against the same data folder as the server.  Servers are real ``dashboard serve``
processes; ``serving`` is for fixtures that outlive one test and for restarts on one data folder.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT, SHIPPED_NOTE, Server, free_port, spawn_server, stop_server

PASSWORD = "correct horse battery"


def cli(
    *args: str, data: Path, stdin: str | None = None, config: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``dashboard ARGS --data DATA [--config CONFIG]``; the result, whatever its exit status.
    Rooms are checked against the config's rooms.toml (the shipped one: cr4)."""
    extra = ["--config", str(config)] if config else []
    return subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args, "--data", str(data), *extra],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def add_user(
    data: Path,
    name: str,
    role: str,
    password: str = PASSWORD,
    rooms: str | None = None,
    config: Path | None = None,
) -> None:
    args = ["user", "add", name, "--role", role, *(["--rooms", rooms] if rooms else [])]
    result = cli(*args, data=data, stdin=password + "\n", config=config)
    assert result.returncode == 0, result.stderr


def create_token(
    data: Path, name: str, role: str, rooms: str | None = None, config: Path | None = None
) -> str:
    args = ["token", "create", name, "--role", role, *(["--rooms", rooms] if rooms else [])]
    result = cli(*args, data=data, config=config)
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("dsh_"), result.stdout
    return secret


def accounts(
    data: Path,
    users: tuple[tuple[str, str, str | None], ...] = (),
    tokens: tuple[tuple[str, str, str | None], ...] = (),
    config: Path | None = None,
) -> dict[str, str]:
    """Add ``users`` and create ``tokens`` (each (name, role, rooms)) with the command line, the
    commands running side by side; the tokens' secrets by name.  Rooms are checked against
    ``config``'s rooms.toml (default: the shipped config, cr4)."""
    extra = ["--config", str(config)] if config else []
    runs: list[tuple[str, subprocess.Popen[str], str]] = []
    for kind, entries in (("user", users), ("token", tokens)):
        for name, role, rooms in entries:
            action = "add" if kind == "user" else "create"
            args = [kind, action, name, "--role", role, *(["--rooms", rooms] if rooms else [])]
            process = subprocess.Popen(
                [sys.executable, "-m", "dashboard.cli", *args, "--data", str(data), *extra],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=ROOT,
            )
            runs.append((kind, process, name))
    secrets: dict[str, str] = {}
    for kind, process, name in runs:
        out, err = process.communicate(PASSWORD + "\n" if kind == "user" else "", timeout=60)
        assert process.returncode == 0, f"{kind} {name}: {err}"
        if kind == "token":
            assert out.strip().startswith("dsh_"), out
            secrets[name] = out.strip()
    return secrets


def revoke_token(data: Path, name: str) -> None:
    result = cli("token", "revoke", name, data=data)
    assert result.returncode == 0, result.stderr


def audit_verify(data: Path) -> subprocess.CompletedProcess[str]:
    return cli("audit", "verify", data=data)


def database(data: Path) -> Path:
    return data / "dashboard.sqlite3"


def audit_actions(data: Path, actor: str) -> list[str]:
    """The audit trail's actions for ``actor``, read straight from the database file."""
    with contextlib.closing(sqlite3.connect(database(data))) as conn:
        rows = conn.execute(
            "SELECT action FROM audit WHERE actor = ? ORDER BY rowid", (actor,)
        ).fetchall()
    return [str(row[0]) for row in rows]


def log_length(data: Path) -> int:
    """Entries in the override log, read straight from the database file."""
    with contextlib.closing(sqlite3.connect(database(data))) as conn:
        return int(conn.execute("SELECT count(*) FROM overrides").fetchone()[0])


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def rooms(*extra: str) -> list[tuple[str, str, str]]:
    """rooms.toml entries for ``make_config``: cr4, then ``extra`` rooms (named "Room
    EXTRA"), all running the shipped programme."""
    rooms = [("cr4", "Conference Room 4", SHIPPED_NOTE.name)]
    rooms += [(r, f"Room {r.upper()}", SHIPPED_NOTE.name) for r in extra]
    return rooms


@contextlib.contextmanager
def serving(
    config: Path, data: Path, at: str | None = None, port: int | None = None
) -> Iterator[Server]:
    """A ``dashboard serve`` on ``data`` for the duration of the block (SIGTERM, then SIGKILL
    at the end unless the test killed it already)."""
    server = launch(config, data, at, port)
    try:
        yield server
    finally:
        stop(server)


def launch(config: Path, data: Path, at: str | None = None, port: int | None = None) -> Server:
    port = port or free_port()
    log = data.parent / f"server-{data.name}-{port}.log"
    return spawn_server(config, data, log, port=port, at=at)


def stop(server: Server) -> None:
    stop_server(server)


CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')


def login(client: httpx.Client, name: str, password: str = PASSWORD) -> str:
    """Log ``client`` in through the console's form; its CSRF token (read from /chair)."""
    response = client.post("/chair/login", data={"name": name, "password": password})
    assert response.status_code == 303, (response.status_code, response.text[:300])
    return csrf_of(client)


def csrf_of(client: httpx.Client) -> str:
    page = client.get("/chair")
    found = CSRF_FIELD.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def overrides(client: httpx.Client, room: str, **headers: str) -> list[dict[str, Any]]:
    """Every override of ``room`` (``GET /api/overrides?room=R&all=1``)."""
    response = client.get("/api/overrides", params={"room": room, "all": "1"}, headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["overrides"]
    return found
