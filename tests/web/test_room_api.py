"""The JSON API and the phone's week say what the screens say (issue 9, item 4).

``/api/rooms/{room}/now`` and ``/api/rooms/{room}/slots?date=`` give the room as the overrides
in force have made it, from the same function the screens are rendered from; the printed
programme stays at ``/api/programme``.  One real server for the module, its clock at Wednesday
13 December 2023, 10.30 a.m. in New York; each test acts on a room of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests._staff import accounts, bearer, rooms, serving
from tests.conftest import Server, make_config

AT = "2023-12-13T10:30:00"
WED_AM, WED_PM, THU_AM = "2023-12-13-1000", "2023-12-13-1500", "2023-12-14-1000"
SLOT_KEYS = {
    *("id", "status", "start", "end", "scheduled_start", "scheduled_end", "room", "title"),
    *("agenda_items", "details", "footnotes", "kind", "closed", "notices"),
}


@dataclass(frozen=True)
class Api:
    server: Server
    token: str

    def post(self, **body: Any) -> dict[str, Any]:
        response = httpx.post(
            f"{self.server.url}/api/overrides", json=body, headers=bearer(self.token), timeout=10
        )
        assert response.status_code == 201, response.text
        answer: dict[str, Any] = response.json()
        return answer

    def get(self, path: str, **params: str) -> httpx.Response:
        return httpx.get(f"{self.server.url}{path}", params=params, timeout=10)

    def now(self, room: str) -> dict[str, Any]:
        response = self.get(f"/api/rooms/{room}/now")
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        data: dict[str, Any] = response.json()
        return data

    def day(self, room: str, date: str = "2023-12-13") -> dict[str, dict[str, Any]]:
        response = self.get(f"/api/rooms/{room}/slots", date=date)
        assert response.status_code == 200, response.text
        return {s["id"]: s for s in response.json()["slots"]}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("room-api")
    config = make_config(folder / "config", rooms=rooms("shape", "cancel", "late", "move", "to"))
    data = folder / "data"
    tokens = accounts(data, tokens=(("office", "secretariat", None),))
    with serving(config, data, at=AT) as server:
        yield Api(server, tokens["office"])


def test_now_has_the_documented_shape(api: Api) -> None:
    now = api.now("shape")
    assert set(now) == {"room", "at", "status", "current", "next"}
    assert (now["room"], now["status"]) == ("shape", "in_session")
    assert now["at"].startswith("2023-12-13T10:3") and now["at"].endswith("-05:00")
    current, upcoming = now["current"], now["next"]
    assert set(current) == set(upcoming) == SLOT_KEYS
    assert current["id"] == WED_AM
    assert (current["status"], current["room"], current["agenda_items"]) == (
        "in_session",
        "shape",
        ["5"],
    )
    assert (current["start"], current["scheduled_start"]) == (
        "2023-12-13T10:00:00-05:00",
        "2023-12-13T10:00:00-05:00",
    )
    assert (upcoming["id"], upcoming["status"]) == (WED_PM, "scheduled")
    day = api.day("shape")
    assert list(day) == [WED_AM, WED_PM]
    assert api.day("shape", "2023-12-16") == {}


def test_a_cancelled_meeting_is_not_reported_as_current(api: Api) -> None:
    answer = api.post(room="cancel", kind="cancel", text="Postponed to Friday")
    assert answer["slots"]["cancel"]["id"] == WED_AM  # the 201 names the meeting it chose
    assert answer["slots"]["cancel"]["status"] == "cancelled"
    now = api.now("cancel")
    assert now["current"] is None
    assert now["status"] == "next_today"
    assert now["next"]["id"] == WED_PM
    day = api.day("cancel")
    assert day[WED_AM]["status"] == "cancelled"
    assert day[WED_AM]["notices"] == ["Postponed to Friday"]
    assert day[WED_PM]["status"] == "scheduled"
    # The phone's week list says it too.
    page = api.get("/rooms/cancel").text
    week = page[page.index('id="week-heading"') :]
    item = week[week.index(f'data-slot="{WED_AM}"') - 40 : week.index(f'data-slot="{WED_PM}"')]
    assert 'class="slot off"' in item and "Cancelled" in item and "Postponed to Friday" in item
    # The printed programme is still the printed programme.
    printed = api.get("/api/programme", room="cancel").json()
    assert WED_AM in [s["id"] for s in printed["slots"]]


def test_a_delay_shows_the_expected_and_the_scheduled_times(api: Api) -> None:
    api.post(room="late", kind="late", minutes=20, slot=WED_PM)
    pm = api.day("late")[WED_PM]
    assert (pm["status"], pm["start"], pm["scheduled_start"]) == (
        "late",
        "2023-12-13T15:20:00-05:00",
        "2023-12-13T15:00:00-05:00",
    )
    assert api.now("late")["next"]["start"] == "2023-12-13T15:20:00-05:00"
    page = api.get("/rooms/late").text
    week = page[page.index('id="week-heading"') :]
    assert "Expected to start at 3.20 p.m." in week and "scheduled 3 p.m." in week


def test_a_moved_meeting_is_where_it_is_held(api: Api) -> None:
    api.post(room="to", kind="cancel", slot=WED_PM)  # every room runs the same programme
    api.post(room="move", kind="move", to_room="to", slot=WED_PM)
    assert api.day("move")[WED_PM]["status"] == "moved"
    assert api.day("move")[WED_PM]["room"] == "to"
    assert api.now("move")["next"]["id"] == THU_AM
    page = api.get("/rooms/move").text
    assert "Moved to Room TO" in page[page.index('id="week-heading"') :]
    here = api.day("to")
    assert [s["status"] for s in here.values()] == ["in_session", "cancelled", "scheduled"]
    page = api.get("/rooms/to").text
    assert "Moved here from Room MOVE" in page[page.index('id="week-heading"') :]


def test_a_bad_date_is_a_400_naming_the_field(api: Api) -> None:
    response = api.get("/api/rooms/shape/slots", date="13/12/2023")
    assert response.status_code == 400
    assert response.json()["error"].startswith("date:")
    assert api.get("/api/rooms/nowhere/slots").status_code == 404
