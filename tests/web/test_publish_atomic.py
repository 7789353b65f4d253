"""Publishing a revision from the console is all or nothing: when rooms.toml cannot be pointed at
the new file, nothing is written; when a file cannot be written, what was written is undone;
when the server refuses what was written, the previous files go back.  Each time config/ is
byte for byte what it was, the screens show what they showed, and the console says why.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.testclient import TestClient

from dashboard.live import config_files
from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests._staff import accounts, login
from tests.conftest import SHIPPED_NOTE, Server, make_config
from tests.web._console import (
    AFTERNOON,
    MORNING,
    MOVED,
    MOVED_NOTE,
    NOTE,
    Console,
    as_toml,
    files_of,
)

StartServer = Callable[..., Server]
SAVED_AS_TOML = SHIPPED_NOTE.with_suffix(".toml").name
# rooms.toml as an array of inline tables: valid, but no `programme = "…"` line to rewrite.
INLINE_ROOMS = (
    "rooms = [\n"
    f'  {{ id = "cr4", name = "Conference Room 4", programme = "{SHIPPED_NOTE.name}" }},\n'
    "]\n"
)


def serve_console(start_server: StartServer, config: Path, data: Path) -> Iterator[Console]:
    accounts(data, users=(("sec", "secretariat", None),))
    server = start_server(at=MORNING, config=config, data=data)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield Console(config, data, client, login(client, "sec"))


@pytest.fixture
def inline_rooms(tmp_path: Path, start_server: StartServer) -> Iterator[Console]:
    config = make_config(tmp_path / "config")
    (config / "rooms.toml").write_text(INLINE_ROOMS, encoding="utf-8")
    yield from serve_console(start_server, config, tmp_path / "data")


def test_rooms_toml_that_cannot_be_repointed_writes_nothing(
    inline_rooms: Console, tmp_path: Path
) -> None:
    console = inline_rooms
    toml = as_toml(MOVED_NOTE, tmp_path)
    answer = console.compare("revised.toml", toml)
    assert f'data-moved="{AFTERNOON}"' in answer  # it reads right: only rooms.toml is in the way
    before = files_of(console.config)

    refused = console.publish(answer)
    assert "data-refused" in refused, refused
    assert "rooms.toml: cannot point the rooms that read" in refused, refused
    assert files_of(console.config) == before  # no stray .toml, no backup, no temporary file
    assert console.next_start() == AFTERNOON
    # The same revision as a note needs no change to rooms.toml, and goes through.
    assert "data-published" in console.publish(console.compare("revised.txt", MOVED_NOTE))
    assert console.next_start() == MOVED


@pytest.fixture
def in_process(tmp_path: Path) -> Iterator[Console]:
    """The app in this process (so that a failing disk can be simulated in it)."""
    config = make_config(tmp_path / "config")
    data = tmp_path / "data"
    accounts(data, users=(("sec", "secretariat", None),))
    wednesday = datetime(2023, 12, 13, 11, 0, tzinfo=ZoneInfo("America/New_York"))
    app = create_app(Settings.load(config, data_dir=data, start_at=wednesday))
    origin = {"origin": "http://testserver"}
    with TestClient(app, headers=origin, follow_redirects=False) as client:
        yield Console(config, data, client, login(client, "sec"))


def test_a_failure_renaming_rooms_toml_undoes_the_new_file(
    in_process: Console, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    console = in_process
    answer = console.compare("revised.toml", as_toml(MOVED_NOTE, tmp_path))
    before = files_of(console.config)
    failed: list[Path] = []
    rename = config_files._rename

    def failing_for_rooms_toml(source: Path, target: Path) -> None:
        # A disk that fails on demand is not at hand: the rename of rooms.toml, once, fails
        # as a full disk would, after the new programme file was renamed into place.
        if target.name == "rooms.toml" and not failed:
            assert (console.config / SAVED_AS_TOML).exists(), "the new file was not first"
            failed.append(target)
            raise OSError(28, "No space left on device", str(target))
        rename(source, target)

    monkeypatch.setattr(config_files, "_rename", failing_for_rooms_toml)
    refused = console.publish(answer)
    assert failed, "the rename of rooms.toml was never attempted"
    assert "data-refused" in refused and "No space left on device" in refused, refused
    assert files_of(console.config) == before
    assert not (console.config / SAVED_AS_TOML).exists()
    assert not (console.config / ".previous").exists()
    assert console.next_start() == AFTERNOON

    # The disk works again: the same revision, sent again, is published.
    published = console.publish(console.compare("revised.toml", as_toml(MOVED_NOTE, tmp_path)))
    assert f'data-published="{SAVED_AS_TOML}"' in published, published
    assert console.next_start() == MOVED


@pytest.fixture
def two_programmes(tmp_path: Path, start_server: StartServer) -> Iterator[Console]:
    """cr4 shows the shipped note, cr5 a copy of it, other.txt."""
    config = make_config(
        tmp_path / "config",
        rooms=[
            ("cr4", "Conference Room 4", SHIPPED_NOTE.name),
            ("cr5", "Conference Room 5", "other.txt"),
        ],
        files={"other.txt": NOTE},
    )
    yield from serve_console(start_server, config, tmp_path / "data")


@pytest.mark.parametrize("sent", ["revised.txt", "revised.toml"])
def test_a_refused_reload_puts_the_previous_files_back(
    two_programmes: Console, tmp_path: Path, sent: str
) -> None:
    console = two_programmes
    revised = MOVED_NOTE if sent.endswith(".txt") else as_toml(MOVED_NOTE, tmp_path)
    answer = console.compare(sent, revised)
    # Meanwhile someone breaks cr5's programme on disk (its time kept, so the watcher does not
    # look): the reload that publishing starts reads it, and refuses the whole revision.
    other = console.config / "other.txt"
    stat = other.stat()
    broken = NOTE.replace("Wednesday, 13 December", "Wednesday, 31 June")
    other.write_text(broken, encoding="utf-8")
    os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    line = NOTE[: NOTE.index("Wednesday, 13 December")].count("\n") + 1
    before = files_of(console.config)

    refused = console.publish(answer)
    assert "data-refused" in refused, refused
    assert f"other.txt:{line}" in refused and "31 June" in refused, refused
    assert files_of(console.config) == before
    assert console.next_start() == AFTERNOON


@pytest.fixture
def note_and_toml(tmp_path: Path, start_server: StartServer) -> Iterator[Console]:
    """cr4 shows the shipped note; cr5 its TOML, under the name a TOML sent for cr4 would take."""
    config = make_config(
        tmp_path / "config",
        rooms=[
            ("cr4", "Conference Room 4", SHIPPED_NOTE.name),
            ("cr5", "Conference Room 5", SAVED_AS_TOML),
        ],
        files={SAVED_AS_TOML: as_toml(NOTE, tmp_path)},
    )
    yield from serve_console(start_server, config, tmp_path / "data")


def test_a_file_another_room_reads_is_not_overwritten(
    note_and_toml: Console, tmp_path: Path
) -> None:
    console = note_and_toml
    answer = console.compare("revised.toml", as_toml(MOVED_NOTE, tmp_path))
    before = files_of(console.config)
    refused = console.publish(answer)
    assert "data-refused" in refused, refused
    assert f"{SAVED_AS_TOML} is the programme of cr5" in refused, refused
    assert files_of(console.config) == before
    assert console.next_start() == AFTERNOON
