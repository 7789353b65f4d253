"""No request to the override endpoints may produce a 5xx (issue 12): hypothesis sends JSON of
arbitrary shapes, deep nesting, huge numbers, odd strings, raw bytes, odd content types and
keys to ``POST /api/overrides``, and arbitrary forms to the console's send and preview.

The real app, in-process (Starlette's TestClient): an unhandled exception anywhere fails the
example with its traceback, and the log the examples leave must verify.
"""

from __future__ import annotations

import asyncio
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from dashboard.domain.overrides import OverrideKind
from dashboard.domain.requests import FIELDS
from dashboard.settings import Settings
from dashboard.store import Store
from dashboard.web.app import create_app
from tests._staff import PASSWORD, accounts, database, rooms
from tests.conftest import make_config

ORIGIN = {"origin": "http://testserver"}
WEDNESDAY = datetime(2023, 12, 13, 10, 30, tzinfo=ZoneInfo("America/New_York"))
FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Fuzzed:
    client: TestClient
    token: str
    csrf: str


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    folder = tmp_path_factory.mktemp("fuzz")
    config = make_config(folder / "config", rooms=rooms("cr5"))
    data = folder / "data"
    tokens = accounts(
        data, users=(("sec", "secretariat", None),), tokens=(("fuzz", "secretariat", None),)
    )
    app = create_app(Settings.load(config, data_dir=data, start_at=WEDNESDAY))
    with TestClient(app, headers=ORIGIN) as client:
        response = client.post("/chair/login", data={"name": "sec", "password": PASSWORD})
        assert response.status_code in (200, 303), response.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/chair").text)
        assert csrf
        yield Fuzzed(client, tokens["fuzz"], csrf.group(1))
    assert asyncio.run(verified(database(data)))


async def verified(path: Path) -> bool:
    async with Store(path) as store:
        return (await store.verify()).ok


ODD_STRINGS = st.sampled_from(
    [
        "",
        " ",
        "a\ud800b",
        "\udfff",
        "\x00",
        "\x1b[31m",
        "\u202e",
        "𝕏" * 50,
        "x" * 600,
        "all",
        "cr4",
        "cr5",
        "cr99",
        "late",
        "announce",
        "clear",
        "urgent",
        "2023-12-13T10:00",
        "2023-12-13T13:30",
        "2023-12-13T15:00-05:00",
        "2023-12-14",
        "9999-12-31T23:59:59-12:00",
        "0001-01-01T00:00+23:59",
        "2024-03-10T02:30",
        "2023-12-13-1500",
        "2023-12-15-1000",
        "NaN",
    ]
)
# (Past 4,300 digits, json.dumps itself refuses: raw_bodies sends longer ones.)
HUGE = st.sampled_from([10**4000, -(10**4000), 2**63, 2**64, -(2**63) - 1, 10**20])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | HUGE
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | ODD_STRINGS
)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
KINDS = st.sampled_from([kind.value for kind in OverrideKind])
# Bodies close to real ones (a kind, a room, a few fields), and anything at all.
BODIES = st.fixed_dictionaries(
    {"kind": KINDS | JSON_VALUES, "room": st.sampled_from(["cr4", "cr5", "all"]) | JSON_VALUES},
    optional={field: JSON_VALUES for field in sorted(FIELDS - {"kind", "room"})},
) | st.dictionaries(st.sampled_from([*sorted(FIELDS), "colour"]) | st.text(max_size=5), JSON_VALUES)
DEPTHS = st.integers(min_value=1, max_value=40_000)


@st.composite
def raw_bodies(draw: st.DrawFn) -> bytes:
    """JSON text json.dumps would not write: deep nesting, numbers out of range, NaN, bad UTF-8,
    escaped surrogates, bytes at random."""
    depth = draw(DEPTHS)
    return draw(
        st.sampled_from(
            [
                b'{"room": "cr4", "kind": "closed", "reason": '
                + b"[" * depth
                + b"]" * depth
                + b"}",
                b"[" * depth + b"]" * depth,
                b'{"a":' * depth + b"1" + b"}" * depth,
                b'{"room": "cr4", "kind": "late", "minutes": 1' + b"0" * depth + b"}",
                b'{"room": "cr4", "kind": "late", "minutes": 1e' + str(depth).encode() + b"}",
                b'{"room": "cr4", "kind": "late", "minutes": NaN}',
                b'{"room": "cr4", "kind": "late", "minutes": -Infinity}',
                b'{"room": "cr4", "kind": "announce", "text": "a\\ud800"}',
                b'{"room": "cr4", "kind": "announce", "text": "\xff\xfe"}',
                b'{"room": "cr4", "kind": "announce", "text": "x", "text": "y"}',
                b'\xef\xbb\xbf{"room": "cr4", "kind": "closed"}',
                b"",
                b"null",
            ]
        )
        | st.binary(max_size=300)
    )


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json; charset=latin-1",
        "application/vnd.api+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
    ]
)
KEYS = st.none() | st.text(alphabet=string.ascii_letters + string.digits + "-_:/ .", max_size=250)


def check(response: Any) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("application/json"), response.headers
    answer = response.json()
    if response.status_code >= 400:
        assert set(answer) == {"error"} and answer["error"], answer
    else:
        assert response.status_code == 201 and set(answer) == {"id", "version", "slots"}


def post(fuzzed: Fuzzed, content: bytes, content_type: str, key: str | None) -> Any:
    headers = {"authorization": f"Bearer {fuzzed.token}"}
    if content_type:
        headers["content-type"] = content_type
    if key is not None:
        headers["idempotency-key"] = key
    return fuzzed.client.post("/api/overrides", content=content, headers=headers)


@FUZZ
@given(body=BODIES | JSON_VALUES, key=KEYS)
def test_any_json_gets_an_answer_not_a_5xx(fuzzed: Fuzzed, body: Any, key: str | None) -> None:
    check(post(fuzzed, json.dumps(body).encode(), "application/json", key))


@FUZZ
@given(raw=raw_bodies(), content_type=CONTENT_TYPES, key=KEYS)
def test_any_bytes_get_an_answer_not_a_5xx(
    fuzzed: Fuzzed, raw: bytes, content_type: str, key: str | None
) -> None:
    check(post(fuzzed, raw, content_type, key))


FORM_VALUES = st.text(max_size=30) | ODD_STRINGS | st.sampled_from(["15", "²", "1" * 5000, "-3"])
FORMS = st.fixed_dictionaries(
    {"kind": KINDS | FORM_VALUES, "room": st.sampled_from(["cr4", "cr5", "all"]) | FORM_VALUES},
    optional={
        **{field: FORM_VALUES for field in sorted(FIELDS - {"kind", "room", "rooms"})},
        "form_key": st.text(max_size=40),
    },
)


@FUZZ
@given(form=FORMS, path=st.sampled_from(["/chair/overrides", "/chair/preview"]))
def test_any_console_form_gets_an_answer_not_a_5xx(
    fuzzed: Fuzzed, form: dict[str, str], path: str
) -> None:
    # Encoded by hand: a lone surrogate goes out as the bytes UTF-8 would give it, which no
    # decoder accepts (as a browser never sends, but anyone may).
    content = urlencode(form, encoding="utf-8", errors="surrogatepass")
    response = fuzzed.client.post(
        path,
        content=content,
        headers={
            "x-csrf-token": fuzzed.csrf,
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    assert response.status_code == 200, (response.status_code, response.text[:500])
    assert (
        'role="alert"' in response.text or "data-sent" in response.text or path.endswith("preview")
    )
