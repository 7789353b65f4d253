"""Languages over HTTP and WebSockets, against a real server: the phone pages' negotiation,
cookie and caching; the displays' ``?lang=``; bad input refused, naming the parameter."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import Server, make_config, spawn_server, stop_server

HTML = re.compile(r'<html lang="([a-z]+)" dir="(ltr|rtl)">')
MENU = re.compile(r'<nav class="languages" aria-label="([^"]+)">(.*?)</nav>', re.DOTALL)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("languages")
    running = spawn_server(
        make_config(folder / "config"),
        folder / "data",
        folder / "server.log",
        at="2023-12-13T11:00",
    )
    try:
        yield running
    finally:
        stop_server(running)


def page_language(response: httpx.Response) -> tuple[str, str]:
    found = HTML.search(response.text)
    assert found, response.text[:200]
    return found.group(1), found.group(2)


def test_a_phone_follows_accept_language_and_varies_with_it(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        arabic = client.get("/rooms/cr4", headers={"accept-language": "ar-EG,ar;q=0.9,en;q=0.5"})
        french = client.get("/rooms/cr4", headers={"accept-language": "fr-CH"})
        other = client.get("/", headers={"accept-language": "de-DE"})
        assert page_language(arabic) == ("ar", "rtl")
        assert page_language(french) == ("fr", "ltr")
        assert page_language(other) == ("en", "ltr")  # the server's default
        for response in (arabic, french, other):
            vary = {v.strip().lower() for v in response.headers["vary"].split(",")}
            assert {"accept-language", "cookie"} <= vary
            assert "set-cookie" not in response.headers  # negotiated, not chosen
        assert arabic.headers["etag"] != french.headers["etag"]
        # A cached Arabic copy is not "still good" for a French reader.
        again = client.get(
            "/rooms/cr4",
            headers={"accept-language": "fr", "if-none-match": arabic.headers["etag"]},
        )
        assert again.status_code == 200 and page_language(again)[0] == "fr"
        same = client.get(
            "/rooms/cr4",
            headers={"accept-language": "ar", "if-none-match": arabic.headers["etag"]},
        )
        assert same.status_code == 304
        assert 'data-live="/ws/rooms/cr4?lang=ar"' in arabic.text


def test_a_chosen_language_is_remembered_over_the_browsers(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        chosen = client.get("/rooms/cr4?lang=fr", headers={"accept-language": "ar"})
        assert page_language(chosen)[0] == "fr"
        assert "lang=fr" in chosen.headers["set-cookie"]
        assert "samesite=lax" in chosen.headers["set-cookie"].lower()
        later = client.get("/", headers={"accept-language": "ar"})  # the cookie, sent back
        assert page_language(later)[0] == "fr"
        menu = re.search(
            r'<nav class="languages" aria-label="([^"]+)">(.*?)</nav>', later.text, re.S
        )
        assert menu and menu.group(1) == "Langue"
        assert (
            'href="?lang=fr" lang="fr" hreflang="fr" dir="ltr" aria-current="true"' in menu.group(2)
        )
        assert 'lang="ar" hreflang="ar" dir="rtl"' in menu.group(2)
    with httpx.Client(base_url=server.url, timeout=10, cookies={"lang": "klingon"}) as client:
        assert page_language(client.get("/", headers={"accept-language": "es"}))[0] == "es"


@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/rooms/cr4?lang=de", "lang: 'de'"),
        ("/?lang=", "lang: ''"),
        ("/display/cr4?lang=xx", "lang: 'xx'"),
        ("/display/cr4?lang=en,fr,es", "one language, or two"),
        ("/display/cr4?lang=fr,fr", "the same language twice"),
        ("/display/cr4?lang=en,fr&every=1s", "every: '1s'"),
        ("/display/cr4?lang=en,fr&every=soon", "every: 'soon'"),
    ],
)
def test_a_language_not_offered_is_refused_naming_it(server: Server, path: str, named: str) -> None:
    response = httpx.get(server.url + path, timeout=10)
    assert response.status_code == 400
    assert named.replace("'", "&#39;") in response.text or named in response.text
    assert "set-cookie" not in response.headers
    assert 'hreflang="fr"' in response.text  # the languages there are, to choose from


def test_a_display_takes_its_language_or_two_alternating(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        french = client.get("/display/cr4?lang=fr", headers={"accept-language": "ar"})
        assert page_language(french) == ("fr", "ltr")
        assert 'data-live="/ws/display/cr4?lang=fr"' in french.text
        assert french.headers["x-frame-options"] == "DENY"  # not framed, but by its own page
        plain = client.get("/display/cr4", headers={"accept-language": "ar"})
        assert page_language(plain)[0] == "en"  # a display does not follow a browser's
        both = client.get("/display/cr4?lang=ar,fr&every=15s&screen=lobby")
        frames = re.findall(r'<iframe src="([^"]+)" lang="([a-z]+)"', both.text)
        assert frames == [
            ("/display/cr4?lang=ar&amp;embedded=1&amp;screen=lobby", "ar"),
            ("/display/cr4?lang=fr&amp;embedded=1&amp;screen=lobby", "fr"),
        ]
        assert 'data-every="15000"' in both.text
        framed = client.get("/display/cr4?lang=fr&embedded=1&screen=lobby")
        assert framed.headers["x-frame-options"] == "SAMEORIGIN"
        assert "frame-ancestors 'self'" in framed.headers["content-security-policy"]


async def test_sockets_carry_their_language(server: Server) -> None:
    async with connect(f"{server.ws_url}/ws/display/cr4?lang=ru") as russian:
        text = str(await asyncio.wait_for(russian.recv(), 10))
    async with connect(f"{server.ws_url}/ws/display/cr4") as default:
        plain = str(await asyncio.wait_for(default.recv(), 10))
    assert "Заседание" in text or "заседание" in text, text[:400]
    assert "In session" in plain
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{server.ws_url}/ws/rooms/cr4?lang=tlh"):
            pass
    assert refused.value.response.status_code == 403


def test_error_pages_are_in_the_readers_language(server: Server) -> None:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        missing = client.get("/rooms/nowhere", headers={"accept-language": "ar"})
        assert missing.status_code == 404
        assert page_language(missing) == ("ar", "rtl")
        refused = client.get("/rooms/cr4?lang=de", headers={"accept-language": "es"})
        assert refused.status_code == 400
        assert page_language(refused)[0] == "es"
        assert "Esta página se muestra en estos idiomas:" in refused.text
