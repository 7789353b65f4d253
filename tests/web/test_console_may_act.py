"""The console says up front which rooms the account may act on (issue 11 item 7): the room
names a chair was given, each isolated in a <bdi>, listed as the language lists things; "every
room" for the secretariat.  The real app, in-process."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests._staff import PASSWORD, accounts
from tests.conftest import SHIPPED_NOTE, make_config

ORIGIN = {"origin": "http://testserver"}
WEDNESDAY = datetime(2023, 12, 13, 11, 0, tzinfo=ZoneInfo("America/New_York"))
ROOMS = [
    ("cr4", "Conference Room 4", SHIPPED_NOTE.name),
    ("cr9", "قاعة <9> & co", SHIPPED_NOTE.name),  # right to left, and to be escaped
    ("cr1", "Conference Room 1", SHIPPED_NOTE.name),
]
NINE = "<bdi>قاعة &lt;9&gt; &amp; co</bdi>"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data folder with the accounts for every test (the console only reads it)."""
    folder = tmp_path_factory.mktemp("may-act")
    accounts(
        folder / "data",
        users=(("sec", "secretariat", None), ("two", "chair", "cr9,cr4"), ("one", "chair", "cr1")),
        config=make_config(folder / "config-en", rooms=ROOMS),
    )
    return folder


def console_line(folder: Path, user: str, language: str = "en") -> str:
    """The "You may act on" line of ``user``'s console, its inner HTML, line breaks and
    indentation collapsed (no-break spaces kept)."""
    config = make_config(
        folder / f"config-{language}",
        rooms=ROOMS,
        files={
            "settings.toml": f'language = "{language}"\nallowed_origins = ["http://testserver"]\n'
        },
    )
    app = create_app(Settings.load(config, data_dir=folder / "data", start_at=WEDNESDAY))
    with TestClient(app, headers=ORIGIN) as client:
        login = client.post("/chair/login", data={"name": user, "password": PASSWORD})
        assert login.status_code in (200, 303), login.text
        page = client.get("/chair").text
    found = re.search(r"<p class=\"meta\" data-may-act>(.*?)</p>", page, re.DOTALL)
    assert found, page
    return re.sub(r"[ \n]+", " ", found.group(1)).strip()


def test_a_chair_is_told_its_rooms(folder: Path) -> None:
    # In the order the rooms run (rooms.toml), whatever the order given to --rooms.
    assert console_line(folder, "two") == (
        f"You may act on: <bdi>Conference Room 4</bdi> and {NINE}."
    )
    assert console_line(folder, "one") == "You may act on: <bdi>Conference Room 1</bdi>."


def test_the_secretariat_acts_on_every_room(folder: Path) -> None:
    assert console_line(folder, "sec") == "You may act on: every room."


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", f"Vous pouvez agir sur\u00a0: <bdi>Conference Room 4</bdi> et {NINE}."),
        ("es", f"Puede actuar sobre: <bdi>Conference Room 4</bdi> y {NINE}."),
        ("ar", f"يمكنك إجراء تعديلات على: <bdi>Conference Room 4</bdi> و{NINE}."),
        ("zh", f"您可以操作的会议室：<bdi>Conference Room 4</bdi>和{NINE}。"),
        ("ru", f"Вы можете вносить изменения для залов: <bdi>Conference Room 4</bdi> и {NINE}."),
    ],
)
def test_the_line_is_translated(folder: Path, language: str, expected: str) -> None:
    assert console_line(folder, "two", language) == expected


def test_every_room_translated(folder: Path) -> None:
    assert console_line(folder, "sec", "fr") == "Vous pouvez agir sur\u00a0: toutes les salles."
