"""``POST /api/overrides`` with bearer tokens, against a real server and a real client.

One server for the module, its clock at Wednesday 13 December 2023, 10.30 a.m. in New York (the
morning meeting, 10 a.m.-1 p.m., under way).  Every room runs the shipped programme; each test
acts on rooms of its own, so the tests do not see each other's overrides.  Accounts and tokens
are made with the ``dashboard`` command line, as an operator would.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests._staff import (
    accounts,
    audit_verify,
    bearer,
    create_token,
    log_length,
    overrides,
    revoke_token,
    rooms,
    serving,
)
from tests.conftest import Server, make_config

AT = "2023-12-13T10:30:00"
KIND_ROOMS = (
    *("late", "extend", "end", "suspend", "resume", "cancel", "move", "move-to", "closed"),
    *("pointer", "announce", "clear", "idem", "idem-race", "refused", "keys"),
    *("idem-changed", "banners"),
)
ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass(frozen=True)
class Api:
    server: Server
    data: Path
    office: str  # secretariat token: every room
    panel: str  # chair token: cr4 only

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=10)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("api")
    config = make_config(folder / "config", rooms=rooms("cr5", *KIND_ROOMS))
    data = folder / "data"
    tokens = accounts(data, tokens=(("office", "secretariat", None), ("panel-cr4", "chair", "cr4")))
    with serving(config, data, at=AT) as server:
        yield Api(server, data, tokens["office"], tokens["panel-cr4"])
    # Whatever the tests did, the log they leave verifies.
    result = audit_verify(data)
    assert result.returncode == 0, result.stderr


def post(client: httpx.Client, token: str | None, body: Any, **headers: str) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"content-type": "application/json", **headers, **(bearer(token) if token else {})}
    return client.post("/api/overrides", content=content, headers=sent)


def created(response: httpx.Response) -> str:
    """The id of a 201 answer, after checking its shape: exactly {"id", "version", "slots"}
    (the meeting chosen in each room, for the slot kinds)."""
    assert response.status_code == 201, response.text
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    assert set(answer) == {"id", "version", "slots"}, answer
    assert isinstance(answer["slots"], dict), answer
    assert ID.match(answer["id"]), answer
    assert isinstance(answer["version"], int) and answer["version"] >= 1, answer
    return str(answer["id"])


NOW = re.compile(r'<section id="display-now".*?</section>', re.DOTALL)


def display_now(client: httpx.Client, room: str) -> str:
    """The part of the room's display page that shows the state now (not the coming states)."""
    response = client.get(f"/display/{room}")
    assert response.status_code == 200
    found = NOW.search(response.text)
    assert found, response.text[:500]
    return found.group(0)


def in_force(client: httpx.Client, token: str, room: str) -> list[str]:
    response = client.get("/api/overrides", params={"room": room}, headers=bearer(token))
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["overrides"] if o["in_force"]]


# --- each kind, posted and then seen on the room's display -----------------------------------

# (room, body, what the display shows now, what it no longer shows)
KINDS: list[tuple[str, dict[str, Any], list[str], list[str]]] = [
    (
        "late",
        # Half an hour into the morning meeting: the delay is the afternoon's.
        {"kind": "late", "minutes": 15},
        ['class="late"', "Expected to start at 3.15 p.m.", "3.15–6 p.m."],
        [],
    ),
    (
        "extend",
        {"kind": "extend", "until": "2023-12-13T13:30"},
        ["10 a.m.–1.30 p.m."],
        ["10 a.m.–1 p.m."],
    ),
    (
        "end",
        {"kind": "end", "reason": "adjourned"},
        ['data-status="next_today"', 'data-say="ended_early"', "Ended early"],
        ['class="current"'],
    ),
    (
        "suspend",
        {"kind": "suspend", "until": "2023-12-13T11:00"},
        # The time is never cut across two lines (a no-break space).
        ['data-status="suspended"', "Suspended — resumes at 11\u00a0a.m."],
        ['data-status="in_session"'],
    ),
    ("closed", {"kind": "closed"}, ['data-say="closed"', "Closed meeting"], []),
    (
        "pointer",
        {"kind": "pointer", "text": "Statement by the Chair"},
        ['class="pointer"', "Statement by the Chair"],
        [],
    ),
    (
        "announce",
        {"kind": "announce", "text": "Coffee in the lounge", "priority": "urgent"},
        ['class="banner banner-urgent" role="alert"', "Coffee in the lounge"],
        [],
    ),
]


@pytest.mark.parametrize(("room", "body", "shown", "gone"), KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_is_stored_and_shown(
    api: Api, room: str, body: dict[str, Any], shown: list[str], gone: list[str]
) -> None:
    with api.client() as client:
        before = display_now(client, room)
        for text in shown:
            assert text not in before, f"{text!r} shown before the override"
        response = post(client, api.office, {"room": room, **body})
        override = created(response)
        meeting = "2023-12-13-1500" if body["kind"] == "late" else "2023-12-13-1000"
        if body["kind"] != "announce":  # the 201 names the meeting it acted on
            assert response.json()["slots"][room]["id"] == meeting
        now = display_now(client, room)
        for text in shown:
            assert text in now, f"{text!r} not on the display: {now}"
        for text in gone:
            assert text not in now, f"{text!r} still on the display"
        assert in_force(client, api.office, room) == [override]
        stored = overrides(client, room, **bearer(api.office))
        assert [o["id"] for o in stored] == [override]
        assert stored[0]["kind"] == body["kind"]
        assert stored[0]["author"] == "token:office"
        assert stored[0]["slots"] == ({} if body["kind"] == "announce" else {room: meeting})


def test_resume_ends_a_suspension(api: Api) -> None:
    with api.client() as client:
        created(post(client, api.office, {"room": "resume", "kind": "suspend"}))
        assert 'data-status="suspended"' in display_now(client, "resume")
        created(post(client, api.office, {"room": "resume", "kind": "resume"}))
        assert 'data-status="in_session"' in display_now(client, "resume")
        assert len(overrides(client, "resume", **bearer(api.office))) == 2


def test_cancel_and_move(api: Api) -> None:
    """Cancel the morning in one room, then move another room's morning meeting there."""
    with api.client() as client:
        created(post(client, api.office, {"room": "move-to", "kind": "cancel"}))
        assert 'data-say="cancelled"' in display_now(client, "move-to")
        moved = created(
            post(client, api.office, {"room": "move", "kind": "move", "to_room": "move-to"})
        )
        assert "Moved to Room MOVE-TO" in display_now(client, "move")
        assert "Moved here from Room MOVE" in display_now(client, "move-to")
        # The move is listed for both rooms.
        assert moved in in_force(client, api.office, "move")
        assert moved in in_force(client, api.office, "move-to")


def test_clear_undoes_an_override(api: Api) -> None:
    with api.client() as client:
        banner = created(
            post(client, api.office, {"room": "clear", "kind": "announce", "text": "Gone soon"})
        )
        assert "Gone soon" in display_now(client, "clear")
        clear = created(
            post(client, api.office, {"room": "clear", "kind": "clear", "target": banner})
        )
        assert "Gone soon" not in display_now(client, "clear")
        assert in_force(client, api.office, "clear") == []
        # Both stay in the log.
        assert [o["id"] for o in overrides(client, "clear", **bearer(api.office))] == [
            banner,
            clear,
        ]
        # Clearing twice is refused.
        again = post(client, api.office, {"room": "clear", "kind": "clear", "target": banner})
        assert again.status_code == 400, again.text


def test_a_chair_token_acts_on_its_room(api: Api) -> None:
    with api.client() as client:
        override = created(
            post(client, api.panel, {"room": "cr4", "kind": "pointer", "text": "Item 5"})
        )
        assert "Item 5" in display_now(client, "cr4")
        assert override in in_force(client, api.panel, "cr4")


# --- idempotency ------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_is_stored_once(api: Api) -> None:
    body = {"room": "idem", "kind": "announce", "text": "Once only"}
    with api.client() as client:
        first = post(client, api.office, body, **{"idempotency-key": "k-1"})
        second = post(client, api.office, body, **{"idempotency-key": "k-1"})
        assert created(first) == created(second)
        assert first.json() == second.json()  # the first answer, version included
        stored = overrides(client, "idem", **bearer(api.office))
        assert [o["id"] for o in stored] == [first.json()["id"]]
        assert display_now(client, "idem").count("Once only") == 1
        # Another key is another override.
        third = created(post(client, api.office, body, **{"idempotency-key": "k-2"}))
        assert third != first.json()["id"]
        assert len(overrides(client, "idem", **bearer(api.office))) == 2


def test_a_key_belongs_to_its_sender(api: Api) -> None:
    """Two senders may use the same key: it never hands one the other's override."""
    with api.client() as client:
        mine = created(
            post(
                client,
                api.office,
                {"room": "cr4", "kind": "announce", "text": "A"},
                **{"idempotency-key": "shared"},
            )
        )
        theirs = created(
            post(
                client,
                api.panel,
                {"room": "cr4", "kind": "announce", "text": "B"},
                **{"idempotency-key": "shared"},
            )
        )
        assert mine != theirs


def test_simultaneous_retries_are_stored_once(api: Api) -> None:
    body = {"room": "idem-race", "kind": "announce", "text": "Raced"}
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def send() -> None:
        with api.client() as client:
            response = post(client, api.office, body, **{"idempotency-key": "race"})
        with lock:
            answers.append(response)

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == 8
    ids = {created(a) for a in answers}
    assert len(ids) == 1, ids
    with api.client() as client:
        assert [o["id"] for o in overrides(client, "idem-race", **bearer(api.office))] == list(ids)


def test_a_key_sent_again_with_another_request_is_refused(api: Api) -> None:
    """Issue 12: the same key with another body got a 201 with the first override's id, and the
    new body was dropped without a word.  Now a 422 says so, and nothing is stored."""
    first_body = {"room": "idem-changed", "kind": "announce", "text": "Lunch at 1"}
    with api.client() as client:
        first = created(post(client, api.office, first_body, **{"idempotency-key": "k-changed"}))
        length = log_length(api.data)
        changed = {**first_body, "text": "Lunch at 2"}
        response = post(client, api.office, changed, **{"idempotency-key": "k-changed"})
        assert response.status_code == 422, response.text
        error = response.json()
        assert set(error) == {"error"}
        assert error["error"].startswith("Idempotency-Key: already used for another request")
        assert first in error["error"]
        assert log_length(api.data) == length
        assert "Lunch at 2" not in display_now(client, "idem-changed")
        # The same request again, however its JSON is spelt, still gets the first answer.
        spelt = b'{"text":"Lunch at 1",  "kind":"announce","room":"idem-changed"}'
        again = post(client, api.office, spelt, **{"idempotency-key": "k-changed"})
        assert created(again) == first
        assert log_length(api.data) == length


def test_a_bad_idempotency_key_is_refused(api: Api) -> None:
    with api.client() as client:
        before = log_length(api.data)
        response = post(
            client,
            api.office,
            {"room": "keys", "kind": "announce", "text": "x"},
            **{"idempotency-key": "k" * 201},
        )
        assert response.status_code == 400, response.text
        assert log_length(api.data) == before


# --- refusals: the right status, a JSON error, and nothing stored -----------------------------


def late(**more: Any) -> dict[str, Any]:
    return {"room": "refused", "kind": "late", "minutes": 5, **more}


# (id, who sends, the body, extra headers, status)
REFUSED: list[tuple[str, str | None, Any, dict[str, str], int]] = [
    (
        "extend-before-start",
        "office",
        {"room": "refused", "kind": "extend", "until": "2023-12-13T09:00"},
        {},
        400,
    ),
    (
        "extend-into-afternoon",
        "office",
        {"room": "refused", "kind": "extend", "until": "2023-12-13T15:30"},
        {},
        400,
    ),
    ("unknown-room", "office", late(room="cr99"), {}, 404),
    ("unknown-to-room", "office", {"room": "refused", "kind": "move", "to_room": "cr99"}, {}, 404),
    ("resume-not-suspended", "office", {"room": "refused", "kind": "resume"}, {}, 400),
    ("missing-kind", "office", {"room": "refused", "minutes": 5}, {}, 400),
    ("missing-room", "office", {"kind": "late", "minutes": 5}, {}, 400),
    ("missing-minutes", "office", {"room": "refused", "kind": "late"}, {}, 400),
    ("missing-text", "office", {"room": "refused", "kind": "announce"}, {}, 400),
    ("minutes-not-a-number", "office", late(minutes="15"), {}, 400),
    ("unknown-field", "office", late(colour="red"), {}, 400),
    ("bad-time", "office", late(expires="tomorrow"), {}, 400),
    ("expired", "office", late(expires="2023-12-13T10:00"), {}, 400),
    (
        "text-too-long",
        "office",
        {"room": "refused", "kind": "announce", "text": "x" * 501},
        {},
        400,
    ),
    ("bad-json", "office", b'{"room": "refused", "kind": ', {}, 400),
    ("not-an-object", "office", b'["late"]', {}, 400),
    ("not-utf8", "office", b'{"text": "\xff"}', {}, 400),
    ("not-json", "office", json.dumps(late()).encode(), {"content-type": "text/plain"}, 400),
    ("no-auth", None, late(), {}, 401),
    ("unknown-token", "dsh_nope", late(), {}, 401),
    ("basic-auth", None, late(), {"authorization": "Basic b2ZmaWNlOm9mZmljZQ=="}, 401),
    ("chair-other-room", "panel", late(), {}, 403),
    ("chair-all-rooms", "panel", late(room="all"), {}, 403),
    ("chair-rooms-list", "panel", late(room=None, rooms=["cr4", "refused"]), {}, 403),
    ("too-large", "office", {**late(), "reason": "x" * (64 * 1024)}, {}, 413),
]

DEEP = 30_000
# Issue 12: each of these gave a 500 (the first four) or was wrongly accepted with a 201; each
# is now a 400 naming the field (the error begins "FIELD: "), and changes nothing.
BAD_INPUT: list[tuple[str, bytes, str]] = [
    (
        "huge-integer",
        b'{"room": "refused", "kind": "late", "minutes": 1' + b"0" * 5000 + b"}",
        "minutes",
    ),
    (
        "year-10000-in-utc",
        json.dumps(
            {
                "room": "refused",
                "kind": "announce",
                "text": "x",
                "expires": "9999-12-31T23:59:59-12:00",
            }
        ).encode(),
        "expires",
    ),
    (
        "lone-surrogate",
        b'{"room": "refused", "kind": "announce", "text": "a\\ud800b"}',
        "body",
    ),
    (
        "nested-30000-deep",
        b'{"room": "refused", "kind": "closed", "reason": ' + b"[" * DEEP + b"]" * DEEP + b"}",
        "reason",
    ),
    (
        "slot-a-number",
        json.dumps({"room": "refused", "kind": "cancel", "slot": 5}).encode(),
        "slot",
    ),
    (
        "slot-on-an-announcement",
        json.dumps({"room": "refused", "kind": "announce", "text": "x", "slot": 5}).encode(),
        "slot",
    ),
    ("shift-rest-yes", json.dumps(late(shift_rest="yes")).encode(), "shift_rest"),
    (
        "room-and-rooms",
        json.dumps({"room": "refused", "rooms": ["cr5"], "kind": "announce", "text": "x"}).encode(),
        "rooms",
    ),
    (
        "effective-year-1",
        json.dumps({"room": "refused", "kind": "closed", "effective": "0001-01-01T00:00"}).encode(),
        "effective",
    ),
    ("nan", b'{"room": "refused", "kind": "late", "minutes": NaN}', "body"),
    ("float-minutes", json.dumps(late(minutes=5.0)).encode(), "minutes"),
    ("field-of-another-kind", json.dumps(late(text="why")).encode(), "text"),
]


@pytest.mark.parametrize(
    ("raw", "field"), [b[1:] for b in BAD_INPUT], ids=[b[0] for b in BAD_INPUT]
)
def test_bad_input_is_a_400_naming_the_field(api: Api, raw: bytes, field: str) -> None:
    with api.client() as client:
        before = overrides(client, "refused", **bearer(api.office))
        length = log_length(api.data)
        response = post(client, api.office, raw)
        assert response.status_code == 400, response.text
        error = response.json()
        assert set(error) == {"error"}
        assert error["error"].startswith(f"{field}: "), error
        assert len(error["error"]) < 300, "an error does not echo the request at length"
        assert overrides(client, "refused", **bearer(api.office)) == before
        assert log_length(api.data) == length


def test_a_room_holds_at_most_twenty_announcements(api: Api) -> None:
    """Issue 12: 339 announcements in force made every page of the room huge."""
    with api.client() as client:
        ids = [
            created(
                post(client, api.office, {"room": "banners", "kind": "announce", "text": f"N{n}"})
            )
            for n in range(20)
        ]
        length = log_length(api.data)
        response = post(client, api.office, {"room": "banners", "kind": "announce", "text": "N20"})
        assert response.status_code == 400, response.text
        error = response.json()["error"]
        assert error.startswith("room: ") and "20 announcements" in error, error
        assert log_length(api.data) == length
        # Clearing one makes room for one.
        created(post(client, api.office, {"room": "banners", "kind": "clear", "target": ids[0]}))
        created(post(client, api.office, {"room": "banners", "kind": "announce", "text": "N20"}))


@pytest.mark.parametrize(
    ("who", "body", "headers", "status"), [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED]
)
def test_a_refused_request_changes_nothing(
    api: Api, who: str | None, body: Any, headers: dict[str, str], status: int
) -> None:
    token = {"office": api.office, "panel": api.panel}.get(who or "", who)
    with api.client() as client:
        before = overrides(client, "refused", **bearer(api.office))
        length = log_length(api.data)
        page = display_now(client, "refused")
        if isinstance(body, dict):
            body = {k: v for k, v in body.items() if v is not None}
        response = post(client, token, body, **headers)
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/json")
        error = response.json()
        assert set(error) == {"error"} and error["error"], error
        assert overrides(client, "refused", **bearer(api.office)) == before
        assert log_length(api.data) == length
        assert display_now(client, "refused") == page


def test_a_streamed_oversized_body_is_refused(api: Api) -> None:
    """No Content-Length (chunked): the limit holds all the same."""

    def chunks() -> Iterator[bytes]:
        yield b'{"room": "refused", "kind": "announce", "text": "'
        for _ in range(80):
            yield b"x" * 1024
        yield b'"}'

    with api.client() as client:
        length = log_length(api.data)
        response = client.post(
            "/api/overrides",
            content=chunks(),
            headers={"content-type": "application/json", **bearer(api.office)},
        )
        assert response.status_code == 413, response.text
        assert log_length(api.data) == length


def test_a_revoked_token_is_refused_at_once(api: Api) -> None:
    """Revoked with the command line while the server runs: the next request is a 401."""
    token = create_token(api.data, "doomed", "secretariat")
    with api.client() as client:
        created(post(client, token, {"room": "keys", "kind": "announce", "text": "ok"}))
        revoke_token(api.data, "doomed")
        length = log_length(api.data)
        response = post(client, token, {"room": "keys", "kind": "announce", "text": "after"})
        assert response.status_code == 401, response.text
        assert (
            client.get("/api/overrides", params={"room": "keys"}, headers=bearer(token)).status_code
            == 401
        )
        assert log_length(api.data) == length


# --- reading ----------------------------------------------------------------------------------


def test_listing_needs_a_token_and_a_room_it_may_see(api: Api) -> None:
    with api.client() as client:
        assert client.get("/api/overrides", params={"room": "cr4"}).status_code == 401
        assert (
            client.get(
                "/api/overrides", params={"room": "cr99"}, headers=bearer(api.office)
            ).status_code
            == 404
        )
        assert client.get("/api/overrides", headers=bearer(api.office)).status_code == 404
        refused = client.get("/api/overrides", params={"room": "cr5"}, headers=bearer(api.panel))
        assert refused.status_code == 403
        assert set(refused.json()) == {"error"}
        mine = client.get("/api/overrides", params={"room": "cr4"}, headers=bearer(api.panel))
        assert mine.status_code == 200
        assert mine.json()["room"] == "cr4"


def test_the_log_is_unchanged_by_reading(api: Api) -> None:
    with api.client() as client:
        length = log_length(api.data)
        for room in ("cr4", "late", "refused"):
            client.get(
                "/api/overrides", params={"room": room, "all": "1"}, headers=bearer(api.office)
            )
            client.get(f"/display/{room}")
        assert client.get("/api/overrides", headers=bearer(api.office)).status_code == 404
        assert log_length(api.data) == length
