"""Staff authentication and the console's defences, against a real server and real clients.

Sessions (cookie, logout, CSRF, Fetch-Metadata), login throttling, what GET may not do, the
console's WebSocket, and that texts from staff reach every page and frame escaped.  Accounts
and tokens are made with the ``dashboard`` command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests._staff import (
    PASSWORD,
    accounts,
    audit_actions,
    bearer,
    create_token,
    csrf_of,
    database,
    log_length,
    login,
    overrides,
    revoke_token,
    rooms,
    serving,
)
from tests.conftest import Server, make_config

StartServer = Callable[..., Server]
AT = "2023-12-13T10:30:00"  # the morning meeting is under way
COOKIE = "dsh_session"
EVIL = "http://evil.example"


@dataclass(frozen=True)
class Site:
    server: Server
    data: Path
    office: str  # a secretariat token

    def client(self, **headers: str) -> httpx.Client:
        return httpx.Client(base_url=self.server.url, timeout=10, headers=headers)

    def ws(self, path: str, cookie: str | None = None, **options: object) -> ClientConnection:
        headers = {"cookie": f"{COOKIE}={cookie}"} if cookie else None
        return connect(
            self.server.ws_url + path,
            additional_headers=headers,
            open_timeout=5,
            **options,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """cr4 and cr5; alice chairs cr4, sam is in the secretariat."""
    folder = tmp_path_factory.mktemp("auth")
    config = make_config(folder / "config", rooms=rooms("cr5"))
    data = folder / "data"
    tokens = accounts(
        data,
        users=(("alice", "chair", "cr4"), ("sam", "secretariat", None)),
        tokens=(("office", "secretariat", None),),
    )
    with serving(config, data, at=AT) as server:
        yield Site(server, data, tokens["office"])


def session_cookie(client: httpx.Client) -> str:
    secret = client.cookies.get(COOKIE)
    assert secret, client.cookies
    return secret


def chain_state(data: Path) -> tuple[object, ...]:
    """Everything a state change would touch: the log, its head, sessions, users, tokens."""
    with contextlib.closing(sqlite3.connect(database(data))) as conn:
        return tuple(
            conn.execute(query).fetchall()
            for query in (
                "SELECT seq, id, hash FROM overrides ORDER BY seq",
                "SELECT seq, hash FROM chain_head",
                "SELECT id_hash, revoked FROM sessions ORDER BY id_hash",
                "SELECT name, password_hash FROM users ORDER BY name",
                "SELECT name, revoked FROM tokens ORDER BY rowid",
            )
        )


def is_login_form(html: str) -> bool:
    return 'action="/chair/login"' in html and 'name="password"' in html


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


def test_behind_a_tls_proxy_the_cookie_is_secure(site: Site) -> None:
    with site.client(**{"x-forwarded-proto": "https"}) as client:
        response = client.post("/chair/login", data={"name": "sam", "password": PASSWORD})
        assert response.status_code == 303
        parts = [p.strip().lower() for p in response.headers["set-cookie"].split(";")]
        assert "secure" in parts and "httponly" in parts and "samesite=strict" in parts


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


# --- no script but ours -----------------------------------------------------------------------


class MarkupCheck(HTMLParser):
    """Inline script, event-handler attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script":
            self.in_script = True
            if not names.get("src"):
                self.problems.append("<script> without src")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>")
        if tag == "img" and "src" in names and names["src"] == "x":
            self.problems.append("the injected <img>")
        if names.get("hx-get") == "/x":
            self.problems.append("the injected hx-get")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data.strip()[:40]!r}")


def markup_problems(html: str) -> list[str]:
    check = MarkupCheck()
    check.feed(html)
    # The inert <template>s of a display's timeline are markup too: check them as such.
    return check.problems


IMG = "<img src=x onerror=alert(1)>"
IMG_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"
DIV = '<div hx-get="/x" hx-trigger="load">'
DIV_ESCAPED = "&lt;div hx-get=&#34;/x&#34; hx-trigger=&#34;load&#34;&gt;"
# The injected markup, raw; the pages' own hx-get/hx-trigger attributes are not it.
RAW = ("<img src=x", "<img", 'hx-get="/x"')


def assert_escaped(where: str, html: str, pointer_shown: bool = True) -> None:
    assert IMG_ESCAPED in html, f"{where}: the announcement is missing"
    if pointer_shown:
        assert DIV_ESCAPED in html, f"{where}: the pointer is missing"
    for raw in RAW:
        assert raw not in html, f"{where}: {raw!r} unescaped"
    assert markup_problems(html) == [], where


def frames_until(socket: ClientConnection, marker: str) -> str:
    """Frames from ``socket`` until one contains ``marker``; that one."""
    while True:
        frame = str(socket.recv(timeout=5))
        if marker in frame:
            return frame


def test_staff_texts_are_escaped_on_every_page_and_frame(site: Site) -> None:
    with site.client() as client:
        posts = [
            {"room": "cr4", "kind": "announce", "text": IMG},
            {"room": "cr4", "kind": "pointer", "text": DIV},
        ]
        for body in posts:
            response = client.post("/api/overrides", json=body, headers=bearer(site.office))
            assert response.status_code == 201, response.text
        csrf = login(client, "alice")
        secret = session_cookie(client)
        pages = {
            "/display/cr4": True,
            "/rooms/cr4": True,
            "/": False,  # the overview's cards show banners, not what is under discussion
            "/chair": True,
            "/chair/history?room=cr4": True,
        }
        for path, pointer_shown in pages.items():
            response = client.get(path)
            assert response.status_code == 200, path
            assert_escaped(path, response.text, pointer_shown)
        # The console's own fragments: the preview, and the answer to a send.
        form = {"room": "cr4", "kind": "announce", "text": IMG, "csrf": csrf}
        preview = client.post("/chair/preview", data=form, headers={"x-csrf-token": csrf})
        assert preview.status_code == 200
        assert_escaped("preview", preview.text)
        sent = client.post("/chair/overrides", data={**form, "kind": "pointer", "text": DIV})
        assert sent.status_code == 200 and "Sent:" in sent.text, sent.text
        assert markup_problems(sent.text) == []
    with site.ws("/ws/display/cr4") as display:
        assert_escaped("/ws/display/cr4", frames_until(display, 'id="display-now"'))
    with site.ws("/ws/rooms/cr4") as phone:
        assert_escaped("/ws/rooms/cr4", frames_until(phone, "banner"))
    with site.ws("/ws/chair", cookie=secret) as console:
        assert_escaped("/ws/chair", frames_until(console, 'id="console-cr4"'))


def test_console_pages_have_a_strict_csp_and_no_inline_script(site: Site) -> None:
    with site.client() as client:
        responses = {"login form": client.get("/chair")}
        responses["wrong password"] = client.post(
            "/chair/login", data={"name": "alice", "password": "nope-nope"}
        )
        csrf = login(client, "alice")
        responses["console"] = client.get("/chair")
        responses["history"] = client.get("/chair/history")
        form = {"room": "cr4", "kind": "late", "minutes": "5", "csrf": csrf}
        responses["preview"] = client.post("/chair/preview", data=form)
        responses["refusal"] = client.post("/chair/overrides", data={**form, "minutes": "999"})
        responses["forbidden"] = client.get("/chair/history?room=cr5")
        responses["api error"] = client.post("/api/overrides", json={})
    for name, response in responses.items():
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp, name
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, name
        assert response.headers.get("x-frame-options") == "DENY", name
        assert markup_problems(response.text) == [], name
    assert responses["forbidden"].status_code == 403
    assert "Not sent:" in responses["refusal"].text
    assert '<script src="/static/' in responses["console"].text


# --- screens and revoked tokens cannot post ---------------------------------------------------


def test_screens_cannot_post(site: Site) -> None:
    body = {"room": "cr4", "kind": "announce", "text": "From a screen"}
    length = log_length(site.data)
    with site.client() as screen:
        assert screen.post("/api/overrides", json=body).status_code == 401
        assert screen.post("/chair/overrides", data=body).status_code == 401
        assert screen.post("/chair/preview", data=body).status_code == 401
        assert screen.post("/chair/logout").status_code == 401
        assert screen.post("/chair/overrides/abc/undo").status_code == 401
        assert screen.get("/api/overrides?room=cr4").status_code == 401
        assert screen.get("/chair/history").status_code == 401
        assert is_login_form(screen.get("/chair").text)
    # What a display's socket sends is never acted on, whatever it looks like.
    with site.ws("/ws/display/cr4") as socket:
        socket.recv(timeout=5)
        socket.send(json.dumps(body))
        socket.send(json.dumps({"HEADERS": {"HX-Request": "true"}, **body}))
        socket.send(json.dumps({"kind": "clear", "target": "x", "rooms": ["cr4"]}))
        socket.ping().wait(5)  # still open: the messages were read and dropped
    with site.client() as client:
        assert "From a screen" not in client.get("/display/cr4").text
    assert log_length(site.data) == length


def test_a_revoked_token_can_never_post(site: Site) -> None:
    token = create_token(site.data, "panel", "chair", rooms="cr4")
    body = {"room": "cr4", "kind": "announce", "text": "Panel"}
    with site.client() as client:
        assert client.post("/api/overrides", json=body, headers=bearer(token)).status_code == 201
        revoke_token(site.data, "panel")
        length = log_length(site.data)
        response = client.post("/api/overrides", json=body, headers=bearer(token))
        assert response.status_code == 401
        assert response.json() == {"error": "unknown or revoked token"}
        # Not with a session's help either: a bad token is not silently skipped.
        csrf = login(client, "alice")
        both = client.post(
            "/api/overrides", json=body, headers={**bearer(token), "x-csrf-token": csrf}
        )
        assert both.status_code == 401
        assert log_length(site.data) == length


def test_a_chair_session_acts_only_on_its_rooms(site: Site) -> None:
    with site.client() as client:
        csrf = login(client, "alice")
        length = log_length(site.data)
        body = {"room": "cr5", "kind": "announce", "text": "Not mine"}
        response = client.post("/api/overrides", json=body, headers={"x-csrf-token": csrf})
        assert response.status_code == 403
        sent = client.post("/chair/overrides", data={**body, "csrf": csrf})
        assert "Not sent:" in sent.text
        assert client.get("/chair/history?room=cr5").status_code == 403
        assert log_length(site.data) == length
        # An override of cr5 (by the secretariat) cannot be undone by cr4's chair.
        theirs = client.post("/api/overrides", json=body, headers=bearer(site.office)).json()["id"]
        undo = client.post(f"/chair/overrides/{theirs}/undo", headers={"x-csrf-token": csrf})
        assert "Not sent:" in undo.text
        assert theirs in [
            o["id"] for o in overrides(client, "cr5", **bearer(site.office)) if o["in_force"]
        ]
        assert csrf_of(client) == csrf  # still the same session
