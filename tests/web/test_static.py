"""``/static/``: versioned URLs cached as immutable, plain ones revalidated (ETag, 304), gzip
once and only when accepted, nothing outside the files of static/ (raw requests, so no client
normalises the path first), and the pages' build and timings."""

from __future__ import annotations

import asyncio
import gzip
import http.client
import re
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from httpx import ASGITransport
from websockets.asyncio.client import connect

from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests.conftest import ROOT, Server, make_config
from tests.web.test_server import get, get_raw, running_server

StartServer = Callable[..., Server]
AT = "2023-12-13T11:00:00"
IMMUTABLE = "public, max-age=31536000, immutable"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(make_config(tmp_path_factory.mktemp("static")), at=AT) as shared:
        yield shared


def linked(html: str) -> list[str]:
    """The stylesheet and script URLs a page links to."""
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


async def test_pages_link_versioned_files_served_as_immutable(server: Server) -> None:
    html = (await get(server, "/display/cr4")).text
    urls = linked(html)
    assert len(urls) == 6, urls  # site.css, htmx, clock.js, live.js, display.js, screen.js
    for url in urls:
        plain = re.sub(r"\.[0-9a-f]{12}(?=\.\w+$)", "", url)
        assert plain != url, f"no hash in {url}"
        on_disk = (ROOT / plain.removeprefix("/")).read_bytes()
        response, body = await get_raw(server, url, **{"accept-encoding": "identity"})
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == IMMUTABLE, url
        assert "content-encoding" not in response.headers
        assert body == on_disk, url
        kind = "text/css" if url.endswith(".css") else "text/javascript"
        assert response.headers["content-type"] == f"{kind}; charset=utf-8"


async def test_gzip_only_when_accepted(server: Server) -> None:
    url = linked((await get(server, "/rooms/cr4")).text)[0]
    on_disk = (ROOT / "static/css/site.css").read_bytes()
    zipped, body = await get_raw(server, url, **{"accept-encoding": "gzip, br"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert "accept-encoding" in zipped.headers["vary"].lower()
    assert gzip.decompress(body) == on_disk
    assert len(body) < len(on_disk) / 2
    for refusing in ("gzip;q=0", "identity", "br", "gzip;q=0, identity;q=1", ""):
        plain, body = await get_raw(server, url, **{"accept-encoding": refusing})
        assert "content-encoding" not in plain.headers, refusing
        assert body == on_disk, refusing
        assert plain.headers["etag"] != zipped.headers["etag"], "one ETag per representation"


@pytest.mark.parametrize("path", ["/display/cr4", "/rooms/cr4", "/api/programme"])
async def test_pages_honour_gzip_q0_too(server: Server, path: str) -> None:
    """What is compressed per request (the gzip middleware) or per version (the phone pages)."""
    zipped, _ = await get_raw(server, path, **{"accept-encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip", path
    refused, body = await get_raw(server, path, **{"accept-encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers, path
    assert body.lstrip()[:1] in (b"<", b"{"), path


async def test_plain_names_are_revalidated_with_an_etag(server: Server) -> None:
    response = await get(server, "/static/js/live.js")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-cache"
    etag = response.headers["etag"]
    for sent in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        again, body = await get_raw(server, "/static/js/live.js", **{"if-none-match": sent})
        assert again.status_code == 304, sent
        assert body == b""
        assert again.headers["etag"] == etag
    changed = await get(server, "/static/js/live.js", **{"if-none-match": '"other"'})
    assert changed.status_code == 200
    # An old version's name (a page from before a deploy): the current file, revalidated.
    old = await get(server, "/static/js/live.000000000000.js")
    assert old.status_code == 200
    assert old.headers["cache-control"] == "no-cache"
    assert old.content == (ROOT / "static/js/live.js").read_bytes()


RAW_PATHS = [
    "/static/../pyproject.toml",
    "/static/%2e%2e/pyproject.toml",
    "/static/..%2fpyproject.toml",
    "/static/css/../../pyproject.toml",
    "/static/css/..%2f..%2fpyproject.toml",
    "/static//etc/passwd",
    "/static/%2fetc%2fpasswd",
    "/static/",
    "/static/css",
    "/static/css/",
    "/static/js/nope.js",
    "/static/vendor/htmx-ext-ws-2.0.4.min.js",  # gone: the pages have their own client
]


def raw_get(server: Server, path: str) -> tuple[int, bytes]:
    """GET with the path exactly as written (no client-side normalisation of dot segments)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path", RAW_PATHS)
def test_nothing_outside_static_files_is_served(server: Server, path: str) -> None:
    status, body = raw_get(server, path)
    assert status == 404, (path, body[:200])
    assert b"[project]" not in body and b"root:" not in body


async def test_assets_are_never_compressed_per_request(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In process: once the app is built (its files read and compressed), compression is taken
    away (gzip's and zlib's, which Starlette's middleware uses); assets are still answered
    gzipped, from memory."""
    config = make_config(tmp_path / "config")
    app = create_app(Settings.load(config, data_dir=tmp_path / "data"))

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("compressed during a request")

    for module, name in [(gzip, "compress"), (gzip, "GzipFile"), (zlib, "compress")]:
        monkeypatch.setattr(module, name, refuse)
    monkeypatch.setattr(zlib, "compressobj", refuse)
    transport = ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for url in (app.state.assets.url("css/site.css"), "/static/js/clock.js"):
            response = await client.get(url, headers={"accept-encoding": "gzip"})
            assert response.status_code == 200
            assert response.headers["content-encoding"] == "gzip"
    await app.state.store.close()


async def test_the_build_is_on_the_page_the_heartbeat_and_the_display_frame(
    start_server: StartServer, tmp_path: Path
) -> None:
    config = make_config(
        tmp_path / "cfg",
        files={"settings.toml": "[live]\nheartbeat_seconds = 0.5\ndead_after_seconds = 2\n"},
    )
    server = start_server(at=AT, config=config)
    html = (await get(server, "/display/cr4")).text
    body = re.search(r"<body [^>]*>", html)
    assert body is not None
    build = re.search(r'data-build="([0-9a-f]{12})"', body.group(0))
    assert build is not None
    assert 'data-heartbeat-ms="500"' in body.group(0)
    assert 'data-dead-after-ms="2000"' in body.group(0)
    heartbeat = f'<div id="heartbeat" hidden data-build="{build.group(1)}"></div>'
    assert heartbeat in html
    async with connect(f"{server.ws_url}/ws/display/cr4") as ws:
        first = await asyncio.wait_for(ws.recv(), 5)
        assert isinstance(first, str) and first.endswith(heartbeat)
        # Nothing changes at 11 a.m.: the next frame is the heartbeat, every half second here.
        assert await asyncio.wait_for(ws.recv(), 5) == heartbeat
    async with connect(f"{server.ws_url}/ws/rooms/cr4") as ws:
        await asyncio.wait_for(ws.recv(), 5)
        assert await asyncio.wait_for(ws.recv(), 5) == heartbeat
