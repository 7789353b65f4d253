"""Undo is offered only where the one looking may act (issue 11): a chair of one room sees no
Undo by the secretariat's announcement to every room (the server would refuse it: "that
override concerns rooms you may not act on"), neither on the console's page, nor in the live
frames of its socket, nor in the history; the secretariat sees Undo by both; the chair sees
Undo by what acts on its room alone."""

from __future__ import annotations

import re

import httpx

from tests._staff import login
from tests.web._staff_site import Site, session_cookie, site

__all__ = ["site"]  # the shared server, a fixture


def undo_ids(html: str) -> set[str]:
    return set(re.findall(r'hx-post="/chair/overrides/([^/"]+)/undo"', html))


def send(client: httpx.Client, csrf: str, **form: str) -> str:
    response = client.post("/chair/overrides", data=form, headers={"x-csrf-token": csrf})
    assert response.status_code == 200, response.text
    found = re.search(r'data-sent="([^"]+)"', response.text)
    assert found, response.text
    return found.group(1)


def test_undo_only_where_the_user_may_act(site: Site) -> None:
    with site.client() as sam, site.client() as alice:
        sam_csrf = login(sam, "sam")
        alice_csrf = login(alice, "alice")
        everywhere = send(sam, sam_csrf, room="all", kind="announce", text="Lunch for all")
        own = send(alice, alice_csrf, room="cr4", kind="pointer", text="Item 5")

        # The pages, rendered for each.
        assert undo_ids(sam.get("/chair").text) >= {everywhere, own}
        alice_page = alice.get("/chair").text
        assert f'data-override="{everywhere}"' in alice_page  # listed: the screens show it
        assert everywhere not in undo_ids(alice_page)
        assert own in undo_ids(alice_page)

        # The live frames: the chair's socket gets the frame without that Undo.
        with site.ws("/ws/chair", session_cookie(alice)) as ws:
            frame = str(ws.recv(timeout=5))
        assert f'data-override="{everywhere}"' in frame
        assert everywhere not in undo_ids(frame) and own in undo_ids(frame)
        with site.ws("/ws/chair", session_cookie(sam)) as ws:
            frames = [str(ws.recv(timeout=5)) for _ in range(2)]  # cr4 and cr5
        assert {everywhere, own} <= undo_ids("".join(frames))

        # The history, the same.
        history = alice.get("/chair/history", params={"room": "cr4"}).text
        assert f'data-override="{everywhere}"' in history or everywhere in history
        assert everywhere not in undo_ids(history) and own in undo_ids(history)
        assert everywhere in undo_ids(sam.get("/chair/history", params={"room": "cr4"}).text)

        # What the page no longer offers, the server still refuses.
        refused = alice.post(
            f"/chair/overrides/{everywhere}/undo", headers={"x-csrf-token": alice_csrf}
        )
        assert "may not act on" in refused.text
        # Clean up for the other tests of the shared server.
        for target in (everywhere, own):
            undone = sam.post(f"/chair/overrides/{target}/undo", headers={"x-csrf-token": sam_csrf})
            assert undone.status_code == 200 and "data-sent" in undone.text, undone.text
