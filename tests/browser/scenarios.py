"""Every state a door display must make unmissable (issue 10), as real servers show them: the
scenarios of the Chromium matrix (tests/browser/test_screens.py) and of the gallery
(``bash scripts/screens.sh`` → docs/screens.md), defined once here.

A *group* is one ``dashboard serve --at`` instant; each of its scenarios is a room of its own
(all running the shipped programme, but the receiving room of a move) whose overrides are
posted through the real API (``POST /api/overrides``, a token made with the command line) once
the server is up.  So one server per language and group serves every state of the group, and
pages are only pointed at another room.
"""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, ViewportSize

from tests._staff import accounts, bearer
from tests.conftest import SHIPPED_NOTE, Server, make_config, spawn_server, stop_server

LANDSCAPE: ViewportSize = {"width": 1920, "height": 1080}
PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
PHONE: ViewportSize = {"width": 390, "height": 844}
VIEWPORTS: dict[str, ViewportSize] = {"landscape": LANDSCAPE, "portrait": PORTRAIT, "phone": PHONE}
LANGUAGES = ("en", "ar", "zh")

# The receiving room of a move runs a programme of its own, free on Wednesday afternoon.
SIDE_NOTE = """Open-ended working group on security of and in the use of information and communications technologies 2021–2025
Sixth substantive session
New York, 11–15 December 2023

Wednesday, 13 December
10 a.m.–1 p.m.\tInformal consultations on the annual progress report
Thursday, 14 December
10 a.m.–1 p.m.\tInformal consultations on the annual progress report (continued)
"""  # noqa: E501 (a heading line as the secretariat prints it)

LONG = (
    "Delegations are reminded that the list of speakers for agenda item 5 closes today at 6 p.m. "
    "Requests to be inscribed should be sent to the secretariat by e-mail, giving the name and "
    "title of the speaker and the sub-items concerned. Statements should not exceed five minutes "
    "for a single delegation and seven minutes for a group. Delegations are encouraged to send "
    "their statements in advance for the e-Statements portal; interpretation is provided in "
    "the six official languages of the United Nations."
)
assert len(LONG) == 500, len(LONG)
COFFEE = "Coffee is served in the Vienna Café until 11.30 a.m."
URGENT = "Fire alarm test at 11.30 a.m.: please remain in the room."


@dataclass(frozen=True)
class Scenario:
    name: str  # also the gallery's file names
    caption: str
    room: str  # a room of its own on the group's server
    room_name: str
    say: str  # the headline expected (Say, domain/timeline.py)
    overrides: tuple[dict[str, Any], ...] = ()
    programme: str = SHIPPED_NOTE.name
    focus: str | None = None  # the kind of the meeting shown large (current, next, gone, ended)
    banners: int = 0  # announcements shown (-1: not checked)


@dataclass(frozen=True)
class Group:
    name: str
    at: str  # the server's --at
    scenarios: tuple[Scenario, ...]
    offline: bool = False  # the server is stopped once the pages are open


def _s(
    name: str, caption: str, room_name: str, say: str, *overrides: dict[str, Any], **kw: Any
) -> Scenario:
    return Scenario(name, caption, name.replace("_", "-"), room_name, say, overrides, **kw)


WED_PM = "2023-12-13-1500"
GROUPS: tuple[Group, ...] = (
    Group(
        "before",
        "2023-12-10T12:00:00",
        (_s("before", "The day before the session", "Conference Room 4", "opens", focus="next"),),
    ),
    Group(
        "morning",
        "2023-12-13T11:00:00",
        (
            _s("in_session", "In session", "Conference Room 4", "in_session", focus="current"),
            _s(
                "extended",
                "Extended",
                "Conference Room 1",
                "extended",
                {"kind": "extend", "until": "2023-12-13T13:30"},
                focus="current",
            ),
            _s(
                "ended_early",
                "Ended early",
                "Conference Room 2",
                "ended_early",
                {"kind": "end"},
                focus="ended",
            ),
            _s(
                "suspended_until",
                "Suspended, with a resume time",
                "Conference Room 3",
                "suspended",
                {"kind": "suspend", "until": "2023-12-13T11:30"},
                focus="current",
            ),
            _s(
                "suspended",
                "Suspended, no resume time",
                "Conference Room 5",
                "suspended",
                {"kind": "suspend"},
                focus="current",
            ),
            _s(
                "resumed",
                "Resumed",
                "Conference Room 6",
                "in_session",
                {"kind": "suspend"},
                {"kind": "resume"},
                focus="current",
            ),
            _s(
                "closed",
                "Closed meeting",
                "Conference Room 7",
                "closed",
                {"kind": "closed"},
                focus="current",
            ),
            _s(
                "pointer",
                "What is under discussion",
                "Conference Room 8",
                "in_session",
                {
                    "kind": "pointer",
                    "text": "Sub-item (c): confidence-building measures, statements",
                },
                focus="current",
            ),
            _s(
                "announce",
                "An announcement",
                "Conference Room 9",
                "in_session",
                {"kind": "announce", "text": COFFEE},
                focus="current",
                banners=1,
            ),
            _s(
                "announce_urgent",
                "An urgent announcement",
                "Conference Room 10",
                "in_session",
                {"kind": "announce", "text": URGENT, "priority": "urgent"},
                focus="current",
                banners=1,
            ),
            _s(
                "announce_long",
                "A 500-character announcement",
                "Conference Room 11",
                "in_session",
                {"kind": "announce", "text": LONG},
                focus="current",
                banners=1,
            ),
            _s(
                "announce_two",
                "Two announcements, a long room name",
                "Economic and Social Council Chamber",
                "in_session",
                {"kind": "announce", "text": LONG},
                {"kind": "announce", "text": URGENT, "priority": "urgent"},
                focus="current",
                banners=2,
            ),
        ),
    ),
    Group(
        "afternoon",
        "2023-12-13T14:40:00",
        (
            _s("between", "Between meetings", "Conference Room 4", "starts", focus="next"),
            _s(
                "late",
                "Running late",
                "Conference Room 1",
                "late",
                {"kind": "late", "minutes": 15},
                focus="next",
            ),
            _s(
                "late_shift",
                "Running late, the rest of the half-day with it",
                "Conference Room 2",
                "late",
                {"kind": "late", "minutes": 20, "shift_rest": True},
                focus="next",
            ),
            _s(
                "cancelled",
                "Cancelled",
                "Conference Room 3",
                "cancelled",
                {"kind": "cancel", "text": "Postponed to Friday 15 December"},
                focus="gone",
            ),
            _s(
                "moved",
                "Moved (the room it left)",
                "Conference Room 5",
                "moved",
                {"kind": "move", "to_room": "trusteeship"},
                focus="gone",
            ),
            Scenario(
                "moved_here",
                "Moved (the room it went to)",
                "trusteeship",
                "Trusteeship Council Chamber",
                "moved_here",
                programme="side.txt",
                focus="next",
            ),
        ),
    ),
    Group(
        "over",
        "2023-12-16T10:00:00",
        (_s("week_over", "After the session", "Conference Room 4", "session_ended"),),
    ),
    Group(
        "offline",
        "2023-12-13T11:00:00",
        (
            _s(
                "offline",
                "Offline, then the printed programme",
                "Conference Room 4",
                "in_session",
                {"kind": "announce", "text": COFFEE, "expires": "2023-12-13T11:00:30"},
                focus="current",
                banners=1,
            ),
        ),
        offline=True,
    ),
)
SCENARIOS = {s.name: s for g in GROUPS for s in g.scenarios}
# Offline this long, the display says it shows the printed programme (settings.toml [live]).
UNCONFIRMED_AFTER = 6


def config_for(group: Group, language: str, folder: Path) -> Path:
    rooms = [(s.room, s.room_name, s.programme) for s in group.scenarios]
    # The room that moves a meeting away needs the receiving room in its site.
    moves = any(o.get("to_room") == "trusteeship" for s in group.scenarios for o in s.overrides)
    if moves and "trusteeship" not in {r[0] for r in rooms}:
        rooms.append(("trusteeship", "Trusteeship Council Chamber", "side.txt"))
    settings = f'language = "{language}"\n'
    if group.offline:
        settings += f"[live]\nunconfirmed_after_seconds = {UNCONFIRMED_AFTER}\n"
    files = {"side.txt": SIDE_NOTE, "settings.toml": settings}
    return make_config(folder, rooms=rooms, files=files)


@dataclass
class Running:
    group: Group
    language: str
    server: Server
    token: str
    made: dict[str, list[str]] = field(default_factory=dict)  # room → override ids


def post(server: Server, token: str, room: str, body: dict[str, Any]) -> str:
    response = httpx.post(
        f"{server.url}/api/overrides",
        headers=bearer(token),
        json={"room": room, **body},
        timeout=30,
    )
    assert response.status_code == 201, (room, body, response.text)
    return str(response.json()["id"])


@contextlib.contextmanager
def serve(group: Group, language: str, folder: Path) -> Iterator[Running]:
    """The group's server in ``language``, every scenario's overrides made."""
    folder.mkdir(parents=True, exist_ok=True)
    config = config_for(group, language, folder / "config")
    data = folder / "data"
    token = accounts(data, tokens=(("screens", "secretariat", None),))["screens"]
    server = spawn_server(config, data, folder / "server.log", at=group.at)
    running = Running(group, language, server, token)
    try:
        for scenario in group.scenarios:
            running.made[scenario.room] = [
                post(server, token, scenario.room, body) for body in scenario.overrides
            ]
        yield running
    finally:
        stop_server(server)


def kill(running: Running) -> None:
    """The server goes away at once (a crash, a pulled cable): its pages go offline."""
    running.server.process.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        running.server.process.wait(5)


def show(page: Page, running: Running, scenario: Scenario, view: str) -> None:
    """``page`` showing ``scenario``: the display in either orientation, or the phone's room
    page; live, on the server's clock, laid out."""
    # The phone in the group's language (a phone otherwise follows its browser's).
    path = (
        f"/rooms/{scenario.room}?lang={running.language}"
        if view == "phone"
        else f"/display/{scenario.room}"
    )
    page.goto(running.server.url + path)
    page.wait_for_function(
        "() => document.documentElement.dataset.connection === 'online'"
        " && document.documentElement.dataset.clockSynced === 'true'",
        timeout=45_000,
    )
    settle(page)


def settle(page: Page) -> None:
    """Fonts loaded and two frames painted: what the page does by itself (never prodded, so
    that a layout the page forgets to redo shows)."""
    page.evaluate(
        "async () => { await document.fonts.ready;"
        " await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))); }"
    )


def wait_until(page: Page, script: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"not within {timeout} s: {script}"
        page.wait_for_timeout(100)
