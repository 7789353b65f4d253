"""Idempotency keys and who they belong to (issue 12), against a real server and real clients.

- An ``Idempotency-Key`` names one request: sent again with another request it is refused (the
  API's 422 is in test_overrides_api.py); the console's form key likewise, and the console says
  "already sent" and gives the form a new key.
- Users and tokens keep their keys apart: a user named ``token:tsec`` (which the command line
  no longer lets anyone make, but a database from before may hold) does not share the keys of
  token ``tsec``.
- Account names are checked when made: the command line says what is wrong and exits 1.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher

from tests._staff import (
    PASSWORD,
    accounts,
    bearer,
    cli,
    database,
    log_length,
    login,
    rooms,
    serving,
)
from tests.conftest import Server, make_config

AT = "2023-12-13T10:30:00"
SENT = re.compile(r'data-sent="([0-9a-f]{32})"')
ALREADY = re.compile(r'data-already-sent="([0-9a-f]{32})"')
NEW_KEY = re.compile(r'id="f-form-key" name="form_key" value="([0-9a-f]{32})" hx-swap-oob="true"')


@dataclass(frozen=True)
class Site:
    server: Server
    data: Path
    tsec: str  # token "tsec", secretariat

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=10)


def add_legacy_user(data: Path, name: str) -> None:
    """A user added straight into the database, as one made before names were checked."""
    hashed = PasswordHasher().hash(PASSWORD)
    with contextlib.closing(sqlite3.connect(database(data))) as conn, conn:
        conn.execute(
            "INSERT INTO users (name, role, rooms, password_hash) VALUES (?, ?, '[]', ?)",
            (name, "secretariat", hashed),
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("idempotency")
    config = make_config(folder / "config", rooms=rooms("cr5", "cr6"))
    data = folder / "data"
    tokens = accounts(
        data, users=(("sam", "secretariat", None),), tokens=(("tsec", "secretariat", None),)
    )
    add_legacy_user(data, "token:tsec")
    with serving(config, data, at=AT) as server:
        yield Site(server, data, tokens["tsec"])


def send_form(client: httpx.Client, csrf: str, key: str, **fields: str) -> str:
    response = client.post(
        "/chair/overrides", data={"form_key": key, **fields}, headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 200, response.text
    return response.text


def test_the_console_says_already_sent_for_a_changed_form(site: Site) -> None:
    with site.client() as client:
        csrf = login(client, "sam")
        first = send_form(client, csrf, "f" * 32, room="cr4", kind="announce", text="Lunch at 1")
        sent = SENT.search(first)
        assert sent, first
        length = log_length(site.data)
        # The same form again (a retry): the first answer.
        again = send_form(client, csrf, "f" * 32, room="cr4", kind="announce", text="Lunch at 1")
        assert SENT.search(again) and SENT.search(again).group(1) == sent.group(1)  # type: ignore[union-attr]
        # Changed, with the same key (its answer lost, say): not sent; the console says so.
        changed = send_form(client, csrf, "f" * 32, room="cr4", kind="announce", text="Lunch at 2")
        assert log_length(site.data) == length
        already = ALREADY.search(changed)
        assert already and already.group(1) == sent.group(1), changed
        assert "Already sent: Announcement." in changed
        assert "Sent:" not in changed
        # With the new key the answer gives the form, sending again sends it as it is now.
        key = NEW_KEY.search(changed)
        assert key, changed
        third = send_form(
            client, csrf, key.group(1), room="cr4", kind="announce", text="Lunch at 2"
        )
        assert SENT.search(third) and SENT.search(third).group(1) != sent.group(1)  # type: ignore[union-attr]
        assert log_length(site.data) == length + 1


def test_a_user_named_like_a_token_does_not_share_its_keys(site: Site) -> None:
    """Issue 12: a user named "token:tsec" collided with token tsec's idempotency records."""
    with site.client() as client:
        token_sent = client.post(
            "/api/overrides",
            json={"room": "cr5", "kind": "announce", "text": "From the token"},
            headers={**bearer(site.tsec), "idempotency-key": "k" * 32},
        )
        assert token_sent.status_code == 201, token_sent.text
        length = log_length(site.data)
        csrf = login(client, "token:tsec")
        answer = send_form(client, csrf, "k" * 32, room="cr5", kind="announce", text="From a user")
        sent = SENT.search(answer)
        assert sent, answer
        assert sent.group(1) != token_sent.json()["id"]
        assert log_length(site.data) == length + 1
        # And the other way round: the user's key is not the token's.
        csrf_key = client.post(
            "/api/overrides",
            json={"room": "cr6", "kind": "announce", "text": "User, by the API"},
            headers={"x-csrf-token": csrf, "idempotency-key": "u" * 32},
        )
        assert csrf_key.status_code == 201, csrf_key.text
        token_again = client.post(
            "/api/overrides",
            json={"room": "cr6", "kind": "announce", "text": "Token, by the API"},
            headers={**bearer(site.tsec), "idempotency-key": "u" * 32},
        )
        assert token_again.status_code == 201, token_again.text
        assert token_again.json()["id"] != csrf_key.json()["id"]


@pytest.mark.parametrize(
    ("command", "name"),
    [
        (("user", "add"), "token:tsec"),
        (("user", "add"), "Alice"),
        (("user", "add"), "a b"),
        (("user", "add"), "аlice"),  # a Cyrillic "а"
        (("user", "add"), "_alice"),
        (("user", "add"), "x" * 65),
        (("user", "add"), "bob\x1b[31m"),
        (("token", "create"), "panel:cr4"),
        (("token", "create"), "Panel"),
    ],
)
def test_a_bad_account_name_is_refused_with_exit_status_1(
    tmp_path: Path, command: tuple[str, str], name: str
) -> None:
    data = tmp_path / "data"
    result = cli(*command, name, "--role", "secretariat", data=data, stdin=PASSWORD + "\n")
    assert result.returncode == 1, (result.returncode, result.stderr)
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith("dashboard: "), line
    assert "lower-case letters" in line or "at most 64" in line, line
    assert "Traceback" not in result.stderr


def test_good_names_are_taken(tmp_path: Path) -> None:
    data = tmp_path / "data"
    for name in ("alice", "m.garcia@un.org", "panel-cr4", "desk_2", "7th-floor"):
        result = cli(
            "user",
            "add",
            name,
            "--role",
            "chair",
            "--rooms",
            "cr4",
            data=data,
            stdin=PASSWORD + "\n",
        )
        assert result.returncode == 0, result.stderr
    again = cli(
        "user",
        "add",
        "alice",
        "--role",
        "chair",
        "--rooms",
        "cr4",
        data=data,
        stdin=PASSWORD + "\n",
    )
    assert (again.returncode, "already exists" in again.stderr) == (1, True)
