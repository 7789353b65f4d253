"""Security against a real server: headers on every response, no inline script, WebSocket
origin checks and message size limits."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.conftest import Server, make_config
from tests.web.test_server import running_server

StartServer = Callable[..., Server]
AT = "2023-12-13T11:00:00"

PATHS = [
    "/",
    "/rooms/cr4",
    "/display/cr4",
    "/api/rooms",
    "/api/rooms/cr4/now",
    "/api/programme",
    "/api/time",
    "/healthz",
    "/static/css/site.css",
    "/rooms/nope",  # 404 page
    "/api/rooms/nope/now",  # 404 JSON
    "/no/such/page",
]
PAGES = ["/", "/rooms/cr4", "/display/cr4", "/rooms/nope"]


def config(folder: Path) -> Path:
    return make_config(
        folder, files={"settings.toml": 'allowed_origins = ["https://screens.example.org/"]\n'}
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the tests that only look; tests that count connections start their own."""
    with running_server(config(tmp_path_factory.mktemp("security")), at=AT) as shared:
        yield shared


@pytest.fixture
def own_server(start_server: StartServer, tmp_path: Path) -> Server:
    return start_server(at=AT, config=config(tmp_path / "cfg"))


def csp_directives(value: str) -> dict[str, list[str]]:
    directives = {}
    for part in value.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


async def test_every_response_has_the_security_headers(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        responses = [await client.get(path) for path in PATHS]
        etag = responses[1].headers["etag"]
        responses.append(await client.get("/rooms/cr4", headers={"if-none-match": etag}))
    assert responses[-1].status_code == 304
    for path, response in zip([*PATHS, "/rooms/cr4 (304)"], responses, strict=True):
        headers = response.headers
        assert "content-security-policy" in headers, path
        csp = headers["content-security-policy"]
        assert "unsafe-inline" not in csp, path
        assert "unsafe-eval" not in csp, path
        directives = csp_directives(csp)
        assert directives["script-src"] == ["'self'"], path
        assert directives["object-src"] == ["'none'"], path
        assert directives["frame-ancestors"] == ["'none'"], path
        assert headers["x-content-type-options"] == "nosniff", path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["referrer-policy"] == "same-origin", path
        assert "server" not in headers, path


class ScriptCheck(HTMLParser):
    """Collects what a CSP without 'unsafe-inline' would block: inline scripts, event-handler
    attributes, javascript: URLs and inline styles."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script":
            self.scripts += 1
            self._in_script = True
            if not values.get("src"):
                self.problems.append("<script> without src")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style=...>")
            if value and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:...>")
        if tag == "style":
            self.problems.append("<style> element")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]!r}")


async def test_pages_have_no_inline_script(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        for path in PAGES:
            html = (await client.get(path)).text
            check = ScriptCheck()
            check.feed(html)
            assert check.scripts > 0, path  # the page does load its scripts, from files
            assert check.problems == [], path


async def test_scripts_are_served_from_this_server(server: Server) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        html = (await client.get("/display/cr4")).text
        sources = [part.split('"', 1)[0] for part in html.split('<script src="')[1:]]
        assert sources
        for src in sources:
            assert src.startswith("/static/"), src
            response = await client.get(src)
            assert response.status_code == 200, src
            assert "javascript" in response.headers["content-type"], src


async def refused(url: str, **kwargs: object) -> int:
    with pytest.raises(InvalidStatus) as caught:
        async with connect(url, open_timeout=5, **kwargs):  # type: ignore[arg-type]
            pass
    status: int = caught.value.response.status_code
    return status


FOREIGN_ORIGINS = [
    "http://evil.example",
    "null",
    "http://127.0.0.1",  # another port is another origin
    "https://screens.example.org.evil.example",
    "http://127.0.0.1:{port}.evil.example",
    "http://localhost:{port}",  # the same machine, but not the host the page was served as
]


@pytest.mark.parametrize("path", ["/ws/display/cr4", "/ws/rooms/cr4", "/ws/overview", "/ws/board"])
async def test_a_foreign_origin_is_refused(server: Server, path: str) -> None:
    for origin in FOREIGN_ORIGINS:
        origin = origin.format(port=server.port)
        assert await refused(server.ws_url + path, origin=origin) == 403, origin


ALLOWED_ORIGINS = [
    None,  # not a browser
    "http://127.0.0.1:{port}",  # this server's own pages
    "https://127.0.0.1:{port}",  # behind a TLS proxy
    "https://screens.example.org",  # listed in settings.toml
]


async def test_an_allowed_origin_is_accepted(server: Server) -> None:
    for origin in ALLOWED_ORIGINS:
        headers = {"origin": origin.format(port=server.port)} if origin else None
        async with connect(f"{server.ws_url}/ws/display/cr4", additional_headers=headers) as ws:
            frame = await asyncio.wait_for(ws.recv(), 5)
        assert 'id="display-now"' in str(frame), origin


async def test_origin_refusal_subscribes_nobody(own_server: Server) -> None:
    server = own_server
    for _ in range(3):
        await refused(f"{server.ws_url}/ws/display/cr4", origin="http://evil.example")
    async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
        health = (await client.get("/healthz")).json()
    assert health["rooms"]["cr4"]["screens"] == 0


async def test_an_oversized_message_closes_the_socket(server: Server) -> None:
    async with connect(f"{server.ws_url}/ws/display/cr4", max_size=None) as ws:
        await asyncio.wait_for(ws.recv(), 5)
        await ws.send("x" * (200 * 1024))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009  # message too big


async def test_small_messages_from_a_client_are_ignored(own_server: Server) -> None:
    server = own_server
    async with connect(f"{server.ws_url}/ws/display/cr4") as ws:
        await asyncio.wait_for(ws.recv(), 5)
        await ws.send('{"HEADERS": {"HX-Trigger": "x"}}')
        await ws.send(b"\x00\x01")
        # Still open, and still subscribed.
        pong = await ws.ping()
        await asyncio.wait_for(pong, 5)
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as client:
            health = (await client.get("/healthz")).json()
        assert health["rooms"]["cr4"]["screens"] == 1
