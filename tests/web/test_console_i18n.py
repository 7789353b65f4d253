"""Every string of the console is marked for translation, as on the public pages
(tests/test_i18n.py): the real app, in-process, renders through a pseudo-translation that wraps
each translated string in ⟦…⟧; any other visible text must be data (names, programme text, what
staff typed, times)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests._staff import PASSWORD, accounts
from tests.conftest import SHIPPED_NOTE, make_config
from tests.test_i18n import _FORMATTED, Pseudo, TextNodes

ORIGIN = {"origin": "http://testserver"}
TEXT = "Coffee in the lounge"
REASON = "asked by the chair"
# A time, a short date, or both ("Wed 13 Dec, 3.15 p.m.": dashboard/i18n.py).
SHORT_TIME = re.compile(
    r"^(?:\w{3} \d{1,2} \w{3}|(?:\w{3} \d{1,2} \w{3}, )?[\d:.]+(?: [ap]\.m\.)?)$"
)


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    config = make_config(tmp_path / "config")
    data = tmp_path / "data"
    accounts(data, users=(("sec", "secretariat", None),))
    wednesday = datetime(2023, 12, 13, 11, 0, tzinfo=ZoneInfo("America/New_York"))
    settings = Settings.load(config, data_dir=data, start_at=wednesday)
    app = create_app(settings)
    app.state.live.renderer.env.install_gettext_translations(Pseudo(), newstyle=True)
    with TestClient(app, headers=ORIGIN) as client:
        yield client


def _csrf(client: TestClient) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/chair").text)
    assert found
    return found.group(1)


def _unmarked(html: str, data: set[str]) -> set[str]:
    parser = TextNodes()
    parser.feed(html)
    left = set()
    # Long data (programme titles and sub-topics) may hold the separators themselves ("para. 1,
    # resolution 75/240"): take it out whole first.  Short data ("sec", footnote markers) is
    # left to the pieces, so it cannot hide an unmarked word that contains it.
    long_data = sorted((d for d in data if len(d) >= 12), key=len, reverse=True)
    for text in parser.texts + parser.attrs:
        rest = text
        for d in long_data:
            rest = rest.replace(d, "\x00")
        pieces = [p for p in re.split(r" · |, | \(|\)|^\(", rest) if p and p != "\x00"]
        if (
            "⟦" in text
            or "⟧" in text  # the end of a translated sentence that holds an element (<bdi>)
            or text in data
            or text == "—"
            or SHORT_TIME.match(text)
            or all(p in data or _FORMATTED.match(p) or SHORT_TIME.match(p) for p in pieces)
        ):
            continue
        left.add(text)
    return left


def test_console_strings_are_marked(client: TestClient) -> None:
    pages = [client.get("/chair").text]  # the login form
    wrong = client.post("/chair/login", data={"name": "sec", "password": "wrong password"})
    pages.append(wrong.text)
    client.post("/chair/login", data={"name": "sec", "password": PASSWORD})
    csrf = _csrf(client)
    headers = {"x-csrf-token": csrf}
    for kind, extra in [
        ("announce", {"text": TEXT, "reason": REASON}),
        ("late", {"minutes": "15"}),
        ("pointer", {"text": TEXT}),
        ("closed", {}),
        ("suspend", {}),
    ]:
        answer = client.post(
            "/chair/overrides", data={"room": "cr4", "kind": kind, **extra}, headers=headers
        )
        assert "data-sent" in answer.text, answer.text
        pages.append(answer.text)
    refused = client.post("/chair/overrides", data={"room": "cr4", "kind": "late"}, headers=headers)
    pages.append(refused.text)
    pages.append(
        client.post("/chair/preview", data={"room": "cr4", "kind": "end"}, headers=headers).text
    )
    for extra in ({}, {"keep": "1"}, {"expires": "2023-12-14T12:00"}):
        body = {"room": "cr4", "kind": "announce", "text": TEXT, **extra}
        pages.append(client.post("/chair/preview", data=body, headers=headers).text)
    for room in ("cr4", "all"):
        pages.append(client.get(f"/chair/expiry?room={room}").text)
    # Undo: the answer and the history name what was undone.
    late = re.search(r'data-override="(\w+)" data-kind="late"', client.get("/chair").text)
    assert late
    undone = client.post(f"/chair/overrides/{late.group(1)}/undo", headers=headers)
    assert "data-sent" in undone.text, undone.text
    pages.append(undone.text)
    pages += [client.get("/chair").text, client.get("/chair/history?room=cr4").text]
    pages.append(client.get("/chair/screens").text)
    screens = client.app.state.screens  # type: ignore[attr-defined]
    screens.connect("cr4", "lobby-left", "10.0.0.7", client.app.state.clock.now())  # type: ignore[attr-defined]
    pages.append(client.get("/chair/screens").text)
    pages.append(client.get("/chair/screens/cr4").text)
    note = SHIPPED_NOTE.read_text(encoding="utf-8")
    for text in (note.replace("3–6 p.m.\tDedicated", "4–6 p.m.\tDedicated"), note + "\nnonsense"):
        pages.append(
            client.post(
                "/chair/programme/compare",
                data={"target": SHIPPED_NOTE.name},
                files={"file": ("revised.txt", text.encode(), "text/plain")},
                headers=headers,
            ).text
        )
    app = client.app
    site = app.state.live.site  # type: ignore[attr-defined]
    data = {
        "sec",
        TEXT,
        REASON,
        SHIPPED_NOTE.name,
        "Conference Room 4",
        "lobby-left",
    }  # roles are words
    for programme in site.programmes.values():
        data |= {programme.title, programme.session or "", programme.venue}
        for slot in programme.slots:
            data |= {slot.title, *slot.details, *(f.text for f in slot.footnotes)}
            data |= {f.marker for f in slot.footnotes}
    unmarked = set().union(*(_unmarked(html, data) for html in pages))
    # Errors about the sent file quote it (name, line, text): data too.
    unmarked = {t for t in unmarked if "revised.txt" not in t}
    assert not unmarked, f"console text not marked for translation: {sorted(unmarked)}"
    assert any("⟦Publish to the screens⟧" in html for html in pages), "the diff was not shown"
