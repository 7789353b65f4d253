"""The console's displays (issue 11 item 6), against a real server with real WebSocket clients:
a line a room (connected, down, off), each room's displays a page at a time on demand; a
display closed normally is off, one lost without a close is down; staff dismiss a display that
is not connected and name one (kept by the store, across a restart); a chair only for their
rooms (the attack performed: a chair of cr1 dismissing and naming cr4's displays)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from tests._staff import accounts, audit_actions, launch, login, rooms, stop
from tests.conftest import Server, make_config

StartServer = Callable[..., Server]
AT = "2023-12-13T11:00:00"
ROW = re.compile(r'<tr data-screen="([^"]*)" data-state="(connected|down|off)">')
SUMMARY = re.compile(r'<tr data-room="([^"]*)" data-up="(\d+)" data-down="(\d+)" data-off="(\d+)">')


async def first_frame(ws: ClientConnection) -> None:
    await asyncio.wait_for(ws.recv(), 10)


async def unplug(ws: ClientConnection) -> None:
    """Drop the connection without a close frame, as a pulled cable does."""
    ws.transport.abort()
    await asyncio.wait_for(ws.wait_closed(), 5)


def rows(client: httpx.Client, room: str = "cr4", page: int = 1) -> list[tuple[str, str]]:
    answer = client.get(f"/chair/screens/{room}", params={"page": page})
    assert answer.status_code == 200, answer.text
    return ROW.findall(answer.text)


def summary(client: httpx.Client) -> dict[str, tuple[int, int, int]]:
    answer = client.get("/chair/screens")
    assert answer.status_code == 200, answer.text
    return {r: (int(u), int(d), int(o)) for r, u, d, o in SUMMARY.findall(answer.text)}


def until(predicate: Callable[[], bool], what: str, timeout: float = 10) -> None:
    """Wait for the server to have handled a close (not a time to let pass)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@contextmanager
def staff(server: Server, name: str) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        csrf = login(client, name)
        yield client, csrf


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    config = make_config(tmp_path / "config", rooms=rooms("cr1"))
    data = tmp_path / "data"
    accounts(
        data,
        users=(("sam", "secretariat", None), ("one", "chair", "cr1"), ("four", "chair", "cr4")),
        config=config,
    )
    return config, data


async def test_closed_normally_is_off_lost_is_down(
    start_server: StartServer, site: tuple[Path, Path]
) -> None:
    config, data = site
    server = start_server(at=AT, config=config, data=data)
    url = f"{server.ws_url}/ws/display/cr4?screen="
    async with connect(url + "page-unloaded") as ws:  # closes with 1000
        await first_frame(ws)
    async with connect(url + "turned-off") as ws:
        await first_frame(ws)
        await ws.close(1001)  # going away: the page unloaded
    lost = await connect(url + "unplugged")
    await first_frame(lost)
    await unplug(lost)
    async with connect(url + "steady") as steady:
        await first_frame(steady)
        with staff(server, "sam") as (client, _):
            until(lambda: summary(client).get("cr4") == (1, 1, 2), str(summary(client)))
            assert rows(client) == [
                ("unplugged", "down"),
                ("page-unloaded", "off"),
                ("turned-off", "off"),
                ("steady", "connected"),
            ]
            assert "cr1" not in summary(client)  # no display there: no line
            # It comes back: connected again, whatever it was.
            async with connect(url + "unplugged") as back:
                await first_frame(back)
                until(lambda: ("unplugged", "connected") in rows(client), "reconnected")


async def test_staff_dismiss_a_display_that_is_not_connected(
    start_server: StartServer, site: tuple[Path, Path]
) -> None:
    config, data = site
    server = start_server(at=AT, config=config, data=data)
    url = f"{server.ws_url}/ws/display/cr4?screen="
    lost = await connect(url + "unplugged")
    await first_frame(lost)
    await unplug(lost)
    async with connect(url + "steady") as steady:
        await first_frame(steady)
        with staff(server, "four") as (client, csrf):
            until(lambda: ("unplugged", "down") in rows(client), "down")
            # Without the CSRF header: refused, nothing changes.
            refused = client.post("/chair/screens/cr4/dismiss", data={"name": "unplugged"})
            assert refused.status_code == 403
            headers = {"x-csrf-token": csrf, "hx-request": "true"}
            answer = client.post(
                "/chair/screens/cr4/dismiss", data={"name": "unplugged"}, headers=headers
            )
            assert answer.status_code == 200, answer.text
            assert ROW.findall(answer.text) == [("steady", "connected")]
            assert "Display dismissed" in answer.text
            assert summary(client)["cr4"] == (1, 0, 0)
            # A connected display is not dismissed.
            answer = client.post(
                "/chair/screens/cr4/dismiss", data={"name": "steady"}, headers=headers
            )
            assert answer.status_code == 409
            assert ROW.findall(answer.text) == [("steady", "connected")]
            missing = client.post(
                "/chair/screens/cr4/dismiss", data={"name": "nobody"}, headers=headers
            )
            assert missing.status_code == 404
            # Listed again once it connects again.
            async with connect(url + "unplugged") as back:
                await first_frame(back)
                until(lambda: ("unplugged", "connected") in rows(client), "listed again")
    assert audit_actions(data, "four").count("screen-dismissed") == 1


async def test_a_chair_acts_only_on_the_displays_of_their_rooms(
    start_server: StartServer, site: tuple[Path, Path]
) -> None:
    config, data = site
    server = start_server(at=AT, config=config, data=data)
    lost = await connect(f"{server.ws_url}/ws/display/cr4?screen=unplugged")
    await first_frame(lost)
    await unplug(lost)
    with staff(server, "sam") as (sam, _):
        until(lambda: ("unplugged", "down") in rows(sam), "down")
    with staff(server, "one") as (client, csrf):
        headers = {"x-csrf-token": csrf, "hx-request": "true"}
        assert summary(client) == {}  # cr4's displays are not counted for cr1's chair
        assert client.get("/chair/screens/cr4").status_code == 403
        attack = client.post(
            "/chair/screens/cr4/dismiss", data={"name": "unplugged"}, headers=headers
        )
        assert attack.status_code == 403
        attack = client.post(
            "/chair/screens/cr4/label",
            data={"name": "unplugged", "label": "pwned"},
            headers=headers,
        )
        assert attack.status_code == 403
    with staff(server, "sam") as (sam, _):
        assert rows(sam) == [("unplugged", "down")]
        assert "pwned" not in sam.get("/chair/screens/cr4").text
    assert "screen-dismissed" not in audit_actions(data, "one")


async def test_staff_name_a_display_opened_without_a_name(
    start_server: StartServer, site: tuple[Path, Path], tmp_path: Path
) -> None:
    config, data = site
    server = start_server(at=AT, config=config, data=data)
    page = httpx.get(f"{server.url}/display/cr4").text
    found = re.search(r'data-screen-id="(display-[0-9a-f]{8})"', page)
    assert found, "the page gets an id to keep"
    screen_id = found.group(1)
    assert 'data-screen-id="' not in httpx.get(f"{server.url}/display/cr4?screen=x").text
    label = "Hall ‏قاعة‏ – left"  # right-to-left marks are refused
    arabic = "قاعة الاجتماعات ٤ – يسار"
    async with connect(f"{server.ws_url}/ws/display/cr4?screen={screen_id}") as ws:
        await first_frame(ws)
        with staff(server, "four") as (client, csrf):
            headers = {"x-csrf-token": csrf, "hx-request": "true"}
            until(lambda: (screen_id, "connected") in rows(client), "listed by its id")

            def name_it(text: str) -> httpx.Response:
                return client.post(
                    "/chair/screens/cr4/label",
                    data={"name": screen_id, "label": text},
                    headers=headers,
                )

            for bad in (label, "x" * 61, "a\x00b", "a\u202eb"):
                answer = name_it(bad)
                assert answer.status_code == 422, bad
                assert "at most 60 characters" in answer.text
            answer = name_it(f"  {arabic}  ")
            assert answer.status_code == 200, answer.text
            assert f"<bdi data-label>{arabic}</bdi>" in answer.text
            assert name_it("<script>").status_code == 200
            text = client.get("/chair/screens/cr4").text
            assert "&lt;script&gt;" in text and "<script>" not in text
            assert name_it(arabic).status_code == 200
            # Only a display listed can be named.
            missing = client.post(
                "/chair/screens/cr4/label",
                data={"name": "nobody", "label": "x"},
                headers=headers,
            )
            assert missing.status_code == 404
    assert audit_actions(data, "four").count("screen-labelled") == 3
    stop(server)
    # Kept by the store: after a restart, the display is listed under its name again.
    again = launch(config, data, at=AT)
    try:
        async with connect(f"{again.ws_url}/ws/display/cr4?screen={screen_id}") as ws:
            await first_frame(ws)
            with staff(again, "four") as (client, _):
                until(lambda: (screen_id, "connected") in rows(client), "listed")
                assert f"<bdi data-label>{arabic}</bdi>" in client.get("/chair/screens/cr4").text
    finally:
        stop(again)


async def test_a_room_s_displays_come_a_page_at_a_time(
    start_server: StartServer, site: tuple[Path, Path]
) -> None:
    config, data = site
    server = start_server(at=AT, config=config, data=data)
    # 45 displays, each from its own address (as a venue's are), closed normally.
    for n in range(45):
        async with connect(
            f"{server.ws_url}/ws/display/cr4?screen=s-{n:02d}", local_addr=(f"127.0.0.{n + 10}", 0)
        ) as ws:
            await first_frame(ws)
    with staff(server, "sam") as (client, _):
        until(lambda: summary(client).get("cr4") == (0, 0, 45), str(summary(client)))
        first = client.get("/chair/screens/cr4").text
        assert len(ROW.findall(first)) == 20
        assert "data-next" in first and "data-previous" not in first
        assert "Page 1 of 3" in first
        names = [name for p in (1, 2, 3) for name, _ in rows(client, page=p)]
        assert names == [f"s-{n:02d}" for n in range(45)]
        last = client.get("/chair/screens/cr4", params={"page": 3}).text
        assert "data-previous" in last and "data-next" not in last
        assert (
            client.get("/chair/screens/cr4", params={"page": 99}).text.count("<tr data-screen") == 5
        )
        assert rows(client, page=0) == rows(client, page=1)
        assert len(client.get("/chair/screens/cr4?page=zz").text) < 30_000
        assert client.get("/chair/screens/nowhere").status_code == 404
