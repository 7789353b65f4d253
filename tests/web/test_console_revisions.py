"""Revised programmes published from the console: a file is read and compared first and
nothing changes; publishing writes it into config/ (keeping the previous file) and every screen
gets it; a note may replace a TOML programme and the other way round; only the secretariat
publishes, with its CSRF token; a bad file is refused with its line named.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests._staff import accounts, audit_actions, login
from tests.conftest import ROOT, SHIPPED_NOTE, Server, make_config

StartServer = Callable[..., Server]
MORNING = "2023-12-13T11:00:00"  # the 10 a.m. slot; 3 p.m. is next
AFTERNOON = "2023-12-13-1500"
MOVED = "2023-12-13-1600"
NOTE = SHIPPED_NOTE.read_text(encoding="utf-8")
MOVED_NOTE = NOTE.replace("3–6 p.m.\tDedicated", "4–6 p.m.\tDedicated")


@dataclass
class Console:
    server: Server
    config: Path
    data: Path
    client: httpx.Client
    csrf: str

    def compare(self, name: str, text: str | bytes, target: str = SHIPPED_NOTE.name) -> str:
        data = text.encode() if isinstance(text, str) else text
        response = self.client.post(
            "/chair/programme/compare",
            data={"target": target},
            files={"file": (name, data, "text/plain")},
            headers={"x-csrf-token": self.csrf},
        )
        assert response.status_code == 200, response.text
        return response.text

    def publish(self, answer: str) -> str:
        staged = re.search(r'name="staged" value="([^"]+)"', answer)
        assert staged, answer
        response = self.client.post(
            "/chair/programme/publish",
            data={"staged": staged.group(1)},
            headers={"x-csrf-token": self.csrf},
        )
        assert response.status_code == 200, response.text
        return response.text

    def next_slot(self) -> str:
        now = httpx.get(f"{self.server.url}/api/rooms/cr4/now", timeout=5).json()
        return str(now["next"]["id"])


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
        yield Console(server, config, data, client, login(client, "sec"))


def test_comparing_changes_nothing_and_publishing_reaches_the_screens(console: Console) -> None:
    answer = console.compare("revised.txt", MOVED_NOTE)
    assert f'data-moved="{AFTERNOON}"' in answer
    assert "Publish to the screens" in answer
    assert (console.config / SHIPPED_NOTE.name).read_text(encoding="utf-8") == NOTE
    assert console.next_slot() == AFTERNOON

    published = console.publish(answer)
    assert f'data-published="{SHIPPED_NOTE.name}"' in published
    assert console.next_slot() == MOVED
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
    assert console.next_slot() == AFTERNOON
    assert (console.config / SHIPPED_NOTE.name).read_text(encoding="utf-8") == NOTE


def test_a_toml_replaces_the_note_and_rooms_toml_follows(console: Console) -> None:
    revised = console.config / "revised.txt"
    revised.write_text(MOVED_NOTE, encoding="utf-8")
    toml = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "import", str(revised)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    published = console.publish(console.compare("revised.toml", toml))
    saved = SHIPPED_NOTE.with_suffix(".toml").name
    assert f'data-published="{saved}"' in published
    rooms = (console.config / "rooms.toml").read_text(encoding="utf-8")
    assert rooms.startswith("# Rooms of the session\n"), "the secretariat's comments stay"
    assert f'programme = "{saved}"' in rooms
    assert console.next_slot() == MOVED


def test_orphaned_overrides_are_shown_before_publishing(console: Console) -> None:
    sent = console.client.post(
        "/chair/overrides",
        data={"room": "cr4", "kind": "cancel", "slot": AFTERNOON, "form_key": "k1"},
        headers={"x-csrf-token": console.csrf},
    )
    assert "data-sent=" in sent.text, sent.text
    answer = console.compare("revised.txt", MOVED_NOTE)
    assert "data-orphans" in answer and AFTERNOON in answer


def test_only_the_secretariat_publishes_with_its_token(console: Console) -> None:
    files = {"file": ("revised.txt", MOVED_NOTE.encode(), "text/plain")}
    form = {"target": SHIPPED_NOTE.name}
    no_token = console.client.post("/chair/programme/compare", data=form, files=files)
    assert no_token.status_code == 403
    with httpx.Client(base_url=console.server.url, timeout=10) as chair:
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
    assert console.next_slot() == AFTERNOON
