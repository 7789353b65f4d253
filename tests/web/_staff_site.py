"""The server the staff security tests share: cr4 and cr5, a chair, the secretariat, a token;
clients for it; and what a state change would touch in its database."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import ClientConnection, connect

from tests._staff import (
    accounts,
    database,
    rooms,
    serving,
)
from tests.conftest import Server, make_config

StartServer = Callable[..., Server]
AT = "2023-12-13T10:30:00"  # the morning meeting is under way
COOKIE = "dsh_session"
EVIL = "http://evil.example"


@dataclass(frozen=True)
class Site:
    server: Server
    data: Path
    office: str  # a secretariat token

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=10, headers=headers)

    def ws(self, path: str, cookie: str | None = None, **options: object) -> ClientConnection:
        headers = {"cookie": f"{COOKIE}={cookie}"} if cookie else None
        return connect(
            self.server.ws_url + path,
            additional_headers=headers,
            open_timeout=5,
            **options,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """cr4 and cr5; alice chairs cr4, sam is in the secretariat."""
    folder = tmp_path_factory.mktemp("auth")
    config = make_config(folder / "config", rooms=rooms("cr5"))
    data = folder / "data"
    tokens = accounts(
        data,
        users=(("alice", "chair", "cr4"), ("sam", "secretariat", None)),
        tokens=(("office", "secretariat", None),),
    )
    with serving(config, data, at=AT) as server:
        yield Site(server, data, tokens["office"])


def session_cookie(client: httpx.Client) -> str:
    secret = client.cookies.get(COOKIE)
    assert secret, client.cookies
    return secret


def chain_state(data: Path) -> tuple[object, ...]:
    """Everything a state change would touch: the log, its head, sessions, users, tokens."""
    with contextlib.closing(sqlite3.connect(database(data))) as conn:
        return tuple(
            conn.execute(query).fetchall()
            for query in (
                "SELECT seq, id, hash FROM overrides ORDER BY seq",
                "SELECT seq, hash FROM chain_head",
                "SELECT id_hash, revoked FROM sessions ORDER BY id_hash",
                "SELECT name, password_hash FROM users ORDER BY name",
                "SELECT name, revoked FROM tokens ORDER BY rowid",
            )
        )


def is_login_form(html: str) -> bool:
    return 'action="/chair/login"' in html and 'name="password"' in html
