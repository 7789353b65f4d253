"""No script but ours: texts from staff reach every page and frame escaped, the console has a
strict CSP; and screens or revoked tokens can never post an override.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

from websockets.sync.client import ClientConnection

from tests._staff import (
    bearer,
    create_token,
    csrf_of,
    log_length,
    login,
    overrides,
    revoke_token,
)
from tests.web._staff_site import (
    Site,
    is_login_form,
    session_cookie,
    site,
)

__all__ = ["site"]  # the fixture, imported

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
    # HTMLParser reads the inert <template>s of a display's timeline as markup: checked too.
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
