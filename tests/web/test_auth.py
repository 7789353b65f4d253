"""Staff authentication and the console's defences, against a real server and real clients.

Sessions (cookie, logout, CSRF, Fetch-Metadata), login throttling, what GET may not do and the
console's WebSocket.  Accounts and tokens are made with the ``dashboard`` command line.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests._staff import (
    PASSWORD,
    accounts,
    audit_actions,
    bearer,
    log_length,
    login,
)
from tests.web._staff_site import (
    AT,
    COOKIE,
    EVIL,
    Site,
    StartServer,
    chain_state,
    is_login_form,
    session_cookie,
    site,
)

__all__ = ["site"]  # the fixture, imported

# --- login and the session cookie -------------------------------------------------------------


def test_login_sets_a_strict_http_only_cookie(site: Site) -> None:
    with site.client() as client:
        response = client.post("/chair/login", data={"name": "alice", "password": PASSWORD})
        assert response.status_code == 303
        assert response.headers["location"] == "/chair"
        cookie = response.headers["set-cookie"]
        parts = [p.strip().lower() for p in cookie.split(";")]
        assert parts[0].startswith(f"{COOKIE}=")
        assert len(parts[0]) > len(COOKIE) + 40  # a long random secret
        assert "httponly" in parts
        assert "samesite=strict" in parts
        assert "path=/" in parts
        assert "secure" not in parts  # plain http: a Secure cookie would never come back
        page = client.get("/chair")
        assert page.status_code == 200
        assert "Logged in as alice (chair)" in page.text
        assert page.headers["cache-control"] == "no-store"


def test_a_forged_forwarded_proto_is_not_believed(site: Site) -> None:
    """Only a configured proxy's X-Forwarded-Proto counts (tests/web/test_proxies_hosts.py has
    the server behind one, with its __Host- Secure cookie)."""
    with site.client(**{"x-forwarded-proto": "https"}) as client:
        response = client.post("/chair/login", data={"name": "sam", "password": PASSWORD})
        assert response.status_code == 303
        parts = [p.strip().lower() for p in response.headers["set-cookie"].split(";")]
        assert parts[0].startswith(f"{COOKIE}=")
        assert "secure" not in parts and "httponly" in parts and "samesite=strict" in parts


def test_an_unknown_name_gets_the_same_answer_as_a_wrong_password(site: Site) -> None:
    with site.client() as client:
        wrong = client.post("/chair/login", data={"name": "alice", "password": "not-her-password"})
        unknown = client.post("/chair/login", data={"name": "mallory", "password": "whatever-1"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.text == unknown.text
    assert "Wrong name or password." in wrong.text
    assert "set-cookie" not in wrong.headers and "set-cookie" not in unknown.headers


def test_a_cross_site_login_is_refused(site: Site) -> None:
    """Login CSRF: a foreign page must not log a visitor into our console."""
    for headers in ({"sec-fetch-site": "cross-site"}, {"origin": EVIL}):
        with site.client(**headers) as client:
            response = client.post("/chair/login", data={"name": "alice", "password": PASSWORD})
            assert response.status_code == 403, headers
            assert "set-cookie" not in response.headers


async def test_login_is_throttled_per_account_and_per_address(
    start_server: StartServer, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    accounts(data, users=(("alice", "chair", "cr4"), ("bob", "chair", "cr4")))
    server = start_server(at=AT, data=data)
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

        async def attempt(name: str, password: str) -> httpx.Response:
            return await client.post("/chair/login", data={"name": name, "password": password})

        # Twelve guesses at alice's password at once: only five may have it checked.
        answers = await asyncio.gather(*(attempt("alice", f"guess-{i:04}") for i in range(12)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [401] * 5 + [429] * 7, statuses
        assert audit_actions(data, "alice") == ["login-failed"] * 5
        # The sixth attempt is refused even with the right password, before the password is
        # looked at: no 'login' in the audit trail, nor a sixth failure.
        right = await attempt("alice", PASSWORD)
        assert right.status_code == 429, right.text
        assert "Too many failed attempts" in right.text
        assert "set-cookie" not in right.headers
        assert (await attempt("ALICE", PASSWORD)).status_code == 429  # whatever the spelling
        assert audit_actions(data, "alice") == ["login-failed"] * 5
        # Another account is not throttled by alice's failures...
        assert (await attempt("bob", PASSWORD)).status_code == 303
        # ... until this address has failed 20 times, whatever the names.
        others = await asyncio.gather(*(attempt(f"user{i}", "guess-guess") for i in range(16)))
        assert sorted(a.status_code for a in others) == [401] * 15 + [429]
        throttled = await attempt("bob", PASSWORD)
        assert throttled.status_code == 429
        assert "set-cookie" not in throttled.headers
    assert audit_actions(data, "bob") == ["login"]


# --- logout -----------------------------------------------------------------------------------


def test_logout_revokes_the_session_and_closes_its_sockets(site: Site) -> None:
    with site.client() as client:
        csrf = login(client, "alice")
        secret = session_cookie(client)
        with site.ws("/ws/chair", cookie=secret) as socket:
            first = str(socket.recv(timeout=5))
            assert 'id="console-cr4"' in first
            assert 'id="console-cr5"' not in first  # alice chairs cr4 only
            response = client.post("/chair/logout", headers={"x-csrf-token": csrf})
            assert response.status_code == 303
            assert COOKIE in response.headers["set-cookie"]  # told to forget the cookie
            with pytest.raises(ConnectionClosed) as closed:
                while True:  # anything already sent, then the close
                    socket.recv(timeout=5)
            assert closed.value.rcvd is not None, "the server did not close the socket"
            assert closed.value.rcvd.code == 1008
    # The old cookie, replayed, is worth nothing.
    with site.client(cookie=f"{COOKIE}={secret}") as replay:
        assert is_login_form(replay.get("/chair").text)
        assert replay.get("/api/overrides", params={"room": "cr4"}).status_code == 401
        assert replay.get("/chair/history").status_code == 401
        length = log_length(site.data)
        body = {"room": "cr4", "kind": "announce", "text": "after logout"}
        posted = replay.post("/api/overrides", json=body, headers={"x-csrf-token": csrf})
        assert posted.status_code == 401
        assert log_length(site.data) == length
    with pytest.raises(InvalidStatus) as refused, site.ws("/ws/chair", cookie=secret):
        pass
    assert refused.value.response.status_code == 403


def test_the_console_socket_needs_a_session_and_our_origin(site: Site) -> None:
    with pytest.raises(InvalidStatus) as anonymous, site.ws("/ws/chair"):
        pass
    assert anonymous.value.response.status_code == 403
    with site.client() as client:
        login(client, "alice")
        secret = session_cookie(client)
    # Cross-site WebSocket hijacking: a foreign page's socket carries the cookie but not our
    # Origin.
    with pytest.raises(InvalidStatus) as hijack, site.ws("/ws/chair", cookie=secret, origin=EVIL):
        pass
    assert hijack.value.response.status_code == 403
    with site.ws("/ws/chair", cookie=secret, origin=site.server.url) as socket:
        assert 'id="console-cr4"' in str(socket.recv(timeout=5))


def test_an_oversized_message_closes_the_console_socket(site: Site) -> None:
    with site.client() as client:
        login(client, "sam")
        secret = session_cookie(client)
    with site.ws("/ws/chair", cookie=secret, max_size=None) as socket:
        socket.recv(timeout=5)
        socket.send("x" * (65 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                socket.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


# --- CSRF and Fetch-Metadata ------------------------------------------------------------------


def test_a_cookie_session_needs_the_csrf_token(site: Site) -> None:
    body = {"room": "cr4", "kind": "announce", "text": "CSRF check"}
    with site.client() as client:
        csrf = login(client, "alice")
        length = log_length(site.data)
        for headers in ({}, {"x-csrf-token": "wrong"}, {"x-csrf-token": ""}):
            response = client.post("/api/overrides", json=body, headers=headers)
            assert response.status_code == 403, headers
            assert response.json() == {"error": "missing or wrong CSRF token"}
        # Another session's token is a wrong one too.
        with site.client() as other:
            foreign = login(other, "sam")
        assert (
            client.post("/api/overrides", json=body, headers={"x-csrf-token": foreign}).status_code
            == 403
        )
        # The console's form, without the token in a header or a field.
        form = {"room": "cr4", "kind": "announce", "text": "CSRF form"}
        assert client.post("/chair/overrides", data=form).status_code == 403
        assert client.post("/chair/overrides", data={**form, "csrf": "nope"}).status_code == 403
        assert client.post("/chair/preview", data=form).status_code == 403
        assert client.post("/chair/logout").status_code == 403
        assert log_length(site.data) == length
        # With it: stored.
        ok = client.post("/api/overrides", json=body, headers={"x-csrf-token": csrf})
        assert ok.status_code == 201, ok.text
        sent = client.post("/chair/overrides", data={**form, "csrf": csrf})  # no-JS fallback
        assert sent.status_code == 200 and "Sent: Announcement" in sent.text, sent.text
        assert log_length(site.data) == length + 2
        # The session survived the failed attempts.
        assert "Logged in as alice" in client.get("/chair").text


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": EVIL},
        {"origin": "null"},
        {"sec-fetch-site": "same-origin", "origin": "http://127.0.0.1"},  # another port
    ],
    ids=["cross-site", "same-site", "foreign-origin", "null-origin", "other-port"],
)
def test_a_cross_site_request_is_refused_even_with_the_token(
    site: Site, headers: dict[str, str]
) -> None:
    with site.client() as client:
        csrf = login(client, "alice")
        length = log_length(site.data)
        body = {"room": "cr4", "kind": "announce", "text": "cross"}
        response = client.post(
            "/api/overrides", json=body, headers={"x-csrf-token": csrf, **headers}
        )
        assert response.status_code == 403, response.text
        form = client.post("/chair/overrides", data={**body, "csrf": csrf}, headers=headers)
        assert form.status_code == 403
        assert log_length(site.data) == length
        same = {"sec-fetch-site": "same-origin", "origin": site.server.url, "x-csrf-token": csrf}
        assert client.post("/api/overrides", json=body, headers=same).status_code == 201


def test_get_never_changes_state(site: Site) -> None:
    with site.client() as client:
        csrf = login(client, "sam")
        banner = client.post(
            "/api/overrides",
            json={"room": "cr5", "kind": "announce", "text": "Stays"},
            headers={"x-csrf-token": csrf},
        ).json()["id"]
        before = chain_state(site.data)
        for path in (
            "/api/overrides?room=cr5",
            "/api/overrides?room=cr5&all=1",
            "/chair/history?room=cr5",
            "/chair",
            "/display/cr5",
        ):
            assert client.get(path).status_code == 200, path
        for path in (
            "/chair/logout",
            f"/chair/overrides/{banner}/undo",
            "/chair/overrides?room=cr5&kind=announce&text=GET",
            "/chair/login?name=sam&password=x",
            "/chair/preview",
        ):
            assert client.get(path).status_code == 405, path
        with site.client() as anonymous:
            assert (
                anonymous.get("/api/overrides?room=cr5", headers=bearer(site.office)).status_code
                == 200
            )
        assert chain_state(site.data) == before
        assert "Logged in as sam" in client.get("/chair").text  # not logged out by a GET
        assert "Stays" in client.get("/display/cr5").text  # not undone by a GET
