"""Revised programmes published from the console: a file is read and compared first and
nothing changes; publishing writes it into config/ (keeping the previous file) and every screen
gets it; a note may replace a TOML programme and the other way round; only the secretariat
publishes, with its CSRF token; a bad file is refused with its line named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests._staff import accounts, audit_actions, login
from tests.conftest import SHIPPED_NOTE, Server, make_config
from tests.web._console import (
    AFTERNOON,
    MORNING,
    MOVED,
    MOVED_NOTE,
    NOTE,
    Console,
    as_toml,
)

StartServer = Callable[..., Server]


@pytest.fixture
def console(tmp_path: Path, start_server: StartServer) -> Iterator[Console]:
    config = make_config(tmp_path / "config")
    (config / "rooms.toml").write_text(
        "# Rooms of the session\n" + (config / "rooms.toml").read_text(), encoding="utf-8"
    )
    data = tmp_path / "data"
    accounts(data, users=(("sec", "secretariat", None), ("alice", "chair", "cr4")))
    server = start_server(at=MORNING, config=config, data=data)
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield Console(config, data, client, login(client, "sec"))


def test_comparing_changes_nothing_and_publishing_reaches_the_screens(console: Console) -> None:
    answer = console.compare("revised.txt", MOVED_NOTE)
    assert f'data-moved="{AFTERNOON}"' in answer
    assert "Publish to the screens" in answer
    assert (console.config / SHIPPED_NOTE.name).read_text(encoding="utf-8") == NOTE
    assert console.next_start() == AFTERNOON

    published = console.publish(answer)
    assert f'data-published="{SHIPPED_NOTE.name}"' in published
    assert console.next_start() == MOVED
    assert (console.config / SHIPPED_NOTE.name).read_text(encoding="utf-8") == MOVED_NOTE
    kept = list((console.config / ".previous").iterdir())
    assert [p.read_text(encoding="utf-8") for p in kept] == [NOTE]
    assert "programme-published" in audit_actions(console.data, "sec")
    # Publishing twice is not possible: the staged revision is spent.
    assert "already published" in console.publish(answer)


def test_a_bad_file_is_refused_with_its_line_and_nothing_changes(console: Console) -> None:
    bad = NOTE.replace("Wednesday, 13 December", "Wednesday, 31 June")
    line = NOTE[: NOTE.index("Wednesday, 13 December")].count("\n") + 1
    answer = console.compare("revised.txt", bad)
    assert "data-refused" in answer and f"revised.txt:{line}" in answer, answer
    assert "Publish to the screens" not in answer
    assert "send a programme note (.txt)" in console.compare("photo.png", b"\x89PNG")
    assert console.next_start() == AFTERNOON
    assert (console.config / SHIPPED_NOTE.name).read_text(encoding="utf-8") == NOTE


def test_a_toml_replaces_the_note_and_rooms_toml_follows(console: Console) -> None:
    toml = as_toml(MOVED_NOTE, console.data)
    published = console.publish(console.compare("revised.toml", toml))
    saved = SHIPPED_NOTE.with_suffix(".toml").name
    assert f'data-published="{saved}"' in published
    rooms = (console.config / "rooms.toml").read_text(encoding="utf-8")
    assert rooms.startswith("# Rooms of the session\n"), "the secretariat's comments stay"
    assert f'programme = "{saved}"' in rooms
    assert console.next_start() == MOVED


def test_orphaned_overrides_are_shown_before_publishing(console: Console) -> None:
    def cancel(slot: str, key: str) -> None:
        sent = console.client.post(
            "/chair/overrides",
            data={"room": "cr4", "kind": "cancel", "slot": slot, "form_key": key},
            headers={"x-csrf-token": console.csrf},
        )
        assert "data-sent=" in sent.text, sent.text

    cancel(AFTERNOON, "k1")  # the revision moves it: the override follows, not an orphan
    cancel("2023-12-15-1000", "k2")  # the revision removes it: kept, and flagged
    friday = "10 a.m1 p.m.\tAgenda item 6: other matters\n"
    answer = console.compare("revised.txt", MOVED_NOTE.replace(friday, ""))
    orphans = answer[answer.index("data-orphans") :]
    assert "2023-12-15-1000" in orphans and AFTERNOON not in orphans


def test_only_the_secretariat_publishes_with_its_token(console: Console) -> None:
    files = {"file": ("revised.txt", MOVED_NOTE.encode(), "text/plain")}
    form = {"target": SHIPPED_NOTE.name}
    no_token = console.client.post("/chair/programme/compare", data=form, files=files)
    assert no_token.status_code == 403
    with httpx.Client(base_url=console.client.base_url, timeout=10) as chair:
        csrf = login(chair, "alice")
        refused = chair.post(
            "/chair/programme/compare", data=form, files=files, headers={"x-csrf-token": csrf}
        )
        assert refused.status_code == 403
        assert "Publish a revised programme" not in chair.get("/chair").text
    assert "Publish a revised programme" in console.client.get("/chair").text
    huge = {"file": ("huge.txt", b"x" * (2 * 1024 * 1024), "text/plain")}
    too_big = console.client.post(
        "/chair/programme/compare", data=form, files=huge, headers={"x-csrf-token": console.csrf}
    )
    assert too_big.status_code == 413
    assert console.next_start() == AFTERNOON


def test_the_compare_shows_what_the_reading_ignored_or_guessed(console: Console) -> None:
    """The warnings of `dashboard check` (issue 13), before anything is published."""
    revised = "Skip to main content\n" + NOTE.replace("3–6 p.m.\t", "3 p.m.\t", 1)
    line = revised[: revised.index("3 p.m.\t")].count("\n") + 1
    answer = console.compare("revised.txt", revised)
    assert "Publish to the screens" in answer
    assert '<p class="warning">revised.txt:1: warning: ignored above the title' in answer
    assert (
        f'<p class="warning">revised.txt:{line}: warning: no end printed for the meeting at '
        "15:00 on 11 December: read as until about 18:00 (the end of the half-day)</p>"
    ) in answer
    assert console.next_start() == AFTERNOON  # nothing changed
