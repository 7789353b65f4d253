"""Revised programmes on a running server: a bad revision is refused with its line named and
changes nothing; ``?dry_run=1`` only compares; publishing moves the slot everywhere (the JSON
API and an open display), the moved meeting keeping its id and its overrides; overrides whose
slot disappeared are kept and flagged; the file watcher publishes a replaced file by itself;
only the secretariat may publish.

Each test runs a real ``dashboard serve`` on a copy of the shipped config in a temporary
folder, and edits that copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import connect

from tests._staff import create_token
from tests.conftest import SHIPPED_NOTE, Server, make_config

StartServer = Callable[..., Server]
WEDNESDAY_MORNING = "2023-12-13T11:00:00"  # in the 10 a.m. slot; 3 p.m. is next
AFTERNOON = "2023-12-13-1500"  # the meeting's id, before and after it moves to 4 p.m.
AT_THREE, AT_FOUR = "2023-12-13T15:00:00-05:00", "2023-12-13T16:00:00-05:00"
# Wednesday's afternoon is the only "3–6 p.m." slot whose title starts "Dedicated".
BEFORE = "3–6 p.m.\tDedicated"
AFTER = "4–6 p.m.\tDedicated"
FRIDAY_MORNING = "2023-12-15-1000"
FRIDAY_MORNING_LINE = "10 a.m1 p.m.\tAgenda item 6: other matters\n"
BAD_DAY = "Tuesday, 31 June"


@dataclass
class Revisable:
    """A server, its config folder (the programme there may be revised) and tokens."""

    server: Server
    note: Path
    data: Path
    secretariat: str

    def revise(self, old: str, new: str, *, touch: bool = True) -> None:
        """Replace ``old`` with ``new`` in the programme, atomically (write, then rename).
        ``touch=False`` keeps the file's modification time, so the watcher does not notice
        and only an explicit reload reads the revision."""
        text = self.note.read_text(encoding="utf-8")
        assert old in text, f"{old!r} is not in {self.note}"
        stat = self.note.stat()
        temporary = self.note.with_suffix(".tmp")
        temporary.write_text(text.replace(old, new), encoding="utf-8")
        if not touch:
            os.utime(temporary, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        os.replace(temporary, self.note)

    def append(self, line: str) -> None:
        """A line at the end (the shipped file has no final newline)."""
        text = self.note.read_text(encoding="utf-8")
        self.note.write_text(text + "\n" + line + "\n", encoding="utf-8")

    def headers(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def reload(self, token: str | None = None, *, dry_run: bool = False) -> httpx.Response:
        path = "/api/programme/reload" + ("?dry_run=1" if dry_run else "")
        return httpx.post(
            self.server.url + path, headers=self.headers(token or self.secretariat), timeout=10
        )

    def now(self) -> dict[str, Any]:
        response = httpx.get(f"{self.server.url}/api/rooms/cr4/now", timeout=5)
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        del data["at"]  # the instant asked; the rest is what must not change
        return data


@pytest.fixture
def revisable(tmp_path: Path, start_server: StartServer) -> Revisable:
    config = make_config(tmp_path / "config")
    data = tmp_path / "data"
    secretariat = create_token(data, "secretariat-tools", "secretariat")
    server = start_server(at=WEDNESDAY_MORNING, config=config, data=data)
    return Revisable(server, config / SHIPPED_NOTE.name, data, secretariat)


def next_id(now: dict[str, Any]) -> str:
    upcoming = now["next"]
    assert upcoming is not None, now
    slot_id: str = upcoming["id"]
    return slot_id


def next_start(now: dict[str, Any]) -> str:
    """When the next meeting starts: 3 p.m. as printed, 4 p.m. once the revision is out."""
    assert next_id(now) == AFTERNOON, now  # the same meeting, before and after
    start: str = now["next"]["start"]
    return start


def now_part(frame: str) -> str:
    """A display frame's state now (not its timeline of states to come)."""
    return frame.split('id="display-timeline"')[0]


def test_a_bad_revision_is_refused_with_its_line_named_and_changes_nothing(
    revisable: Revisable,
) -> None:
    before = revisable.now()
    assert next_id(before) == AFTERNOON
    # The revision moves a slot too: were the bad line skipped instead of refused, it would show.
    revisable.revise(BEFORE, AFTER)
    revisable.append(BAD_DAY)
    line = len(revisable.note.read_text(encoding="utf-8").splitlines())

    for dry_run in (True, False):
        response = revisable.reload(dry_run=dry_run)
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert f"{SHIPPED_NOTE.name}:{line}" in error, error
        assert "31 June" in error, error

    assert revisable.now() == before
    # The log says why, for the operator.
    assert f"{SHIPPED_NOTE.name}:{line}" in revisable.server.output()


def test_dry_run_only_compares_then_publishing_moves_the_slot_and_keeps_orphans(
    revisable: Revisable,
) -> None:
    def post(body: dict[str, Any]) -> str:
        posted = httpx.post(
            f"{revisable.server.url}/api/overrides",
            headers=revisable.headers(revisable.secretariat),
            json={"room": "cr4", **body},
            timeout=5,
        )
        assert posted.status_code == 201, posted.text
        return str(posted.json()["id"])

    # A closed meeting announced for Wednesday's 3 p.m. slot, which the revision moves to 4 (it
    # follows the meeting), and a cancellation of Friday morning, which the revision removes.
    closed = post({"kind": "closed", "slot": AFTERNOON})
    cancelled = post({"kind": "cancel", "slot": FRIDAY_MORNING, "text": "Postponed"})
    before = revisable.now()
    assert next_start(before) == AT_THREE and before["next"]["closed"] is True

    revisable.revise(BEFORE, AFTER, touch=False)  # unseen by the watcher
    revisable.revise(FRIDAY_MORNING_LINE, "", touch=False)
    dry = revisable.reload(dry_run=True)
    assert dry.status_code == 200, dry.text
    expected_change = {
        "added": [],
        "removed": [FRIDAY_MORNING],
        "moved": [[AFTERNOON, AFTERNOON]],
        "changed": [],
    }
    assert dry.json() == {
        "published": False,
        "rooms": {"cr4": expected_change},
        "orphaned_overrides": [cancelled],
    }
    assert revisable.now() == before, "a dry run published the revision"

    published = revisable.reload()
    assert published.status_code == 200, published.text
    assert published.json() == {
        "published": True,
        "rooms": {"cr4": expected_change},
        "orphaned_overrides": [cancelled],
    }
    after = revisable.now()
    assert next_start(after) == AT_FOUR
    assert after["next"]["closed"] is True, "the moved meeting lost its override"
    assert after["current"] == before["current"]

    # The orphaned override is kept, not dropped; the moved meeting's is in force.
    listed = httpx.get(
        f"{revisable.server.url}/api/overrides",
        params={"room": "cr4", "all": "1"},
        headers=revisable.headers(revisable.secretariat),
        timeout=5,
    )
    assert listed.status_code == 200, listed.text
    assert {o["id"]: o["in_force"] for o in listed.json()["overrides"]} == {
        closed: True,
        cancelled: True,
    }

    # Published once: reading the same files again changes nothing more.
    again = revisable.reload(dry_run=True).json()
    assert again["rooms"]["cr4"] == {"added": [], "removed": [], "moved": [], "changed": []}


def test_the_watcher_publishes_a_replaced_file_by_itself(revisable: Revisable) -> None:
    assert next_start(revisable.now()) == AT_THREE
    revisable.revise(BEFORE, AFTER)  # a new file, a new modification time; no API call
    deadline = time.monotonic() + 6  # the watcher looks every 2 s
    seen = AT_THREE
    while seen != AT_FOUR and time.monotonic() < deadline:
        time.sleep(0.1)  # the polling interval
        seen = next_start(revisable.now())
    assert seen == AT_FOUR, "the watcher did not publish the replaced file within 6 s"


def test_only_the_secretariat_publishes(revisable: Revisable) -> None:
    before = revisable.now()
    revisable.revise(BEFORE, AFTER, touch=False)  # a good revision, unseen by the watcher
    chair = create_token(revisable.data, "chair-panel", "chair", rooms="cr4")
    # A secretariat token bound to one room acts for that room only, not for the programme.
    secretariat_cr4 = create_token(revisable.data, "cr4-tools", "secretariat", rooms="cr4")
    for token in (chair, secretariat_cr4):
        for dry_run in (True, False):
            response = revisable.reload(token, dry_run=dry_run)
            assert response.status_code == 403, response.text
    anonymous = httpx.post(f"{revisable.server.url}/api/programme/reload", timeout=5)
    assert anonymous.status_code == 401, anonymous.text
    assert revisable.now() == before, "a refused request published the revision"
    # The revision was publishable: the secretariat's token does it.
    assert revisable.reload().status_code == 200
    assert next_start(revisable.now()) == AT_FOUR


async def test_a_published_revision_reaches_an_open_display(revisable: Revisable) -> None:
    async with connect(f"{revisable.server.ws_url}/ws/display/cr4", open_timeout=5) as socket:
        first = str(await socket.recv(decode=True))
        assert 'id="display-now"' in first
        assert f'data-slot="{AFTERNOON}"' in first and "3–6 p.m." in now_part(first)

        revisable.revise(BEFORE, AFTER, touch=False)
        async with httpx.AsyncClient(base_url=revisable.server.url, timeout=10) as client:
            response = await client.post(
                "/api/programme/reload", headers=revisable.headers(revisable.secretariat)
            )
        assert response.status_code == 200, response.text

        frame = ""
        deadline = time.monotonic() + 5
        while "4–6 p.m." not in now_part(frame):
            remaining = deadline - time.monotonic()
            assert remaining > 0, "no frame with the moved slot reached the display"
            with contextlib.suppress(TimeoutError):
                frame = str(await asyncio.wait_for(socket.recv(decode=True), remaining))
        assert f'data-slot="{AFTERNOON}"' in now_part(frame)  # the same meeting, at 4
        assert "3–6 p.m." not in now_part(frame), "the display still shows 3 p.m."


def test_sighup_publishes_a_revision(revisable: Revisable) -> None:
    assert next_start(revisable.now()) == AT_THREE
    revisable.revise(BEFORE, AFTER, touch=False)  # unseen by the watcher: only the signal
    revisable.server.process.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 6
    seen = AT_THREE
    while seen != AT_FOUR and time.monotonic() < deadline:
        time.sleep(0.1)  # the polling interval
        seen = next_start(revisable.now())
    assert seen == AT_FOUR, "SIGHUP did not publish the revision within 6 s"
    assert revisable.server.process.poll() is None, "SIGHUP stopped the server"
