"""``/metrics`` against a real server, read with Prometheus' own text parser
(``prometheus_client.parser``), and the attacks on it.

One server for the module: its settings.toml lets 127.0.0.2 scrape (loopback answers on all of
127.0.0.0/8, so a client bound to 127.0.0.1 is an unlisted address); its clock starts before the
3 p.m. boundary of Wednesday 13 December 2023, ten times as fast, so a boundary is published
a few seconds in.  Each test reads the metrics before and after doing something, and checks that
what it did moved them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests._staff import accounts, bearer
from tests.conftest import Server, make_config, spawn_server, stop_server
from tests.web.test_websockets import NEW_SLOT, is_state, parse

ALLOWED = "127.0.0.2"
Sample = tuple[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class Scraped:
    server: Server
    token: str  # a secretariat token

    def client(self, address: str = ALLOWED) -> httpx.Client:
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=self.server.url, transport=transport, timeout=10)

    def metrics(self) -> dict[Sample, float]:
        with self.client() as client:
            response = client.get("/metrics")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/plain")
        samples: dict[Sample, float] = {}
        for family in text_string_to_metric_families(response.text):
            for s in family.samples:
                samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
        return samples


def value(samples: dict[Sample, float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def scraped(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scraped]:
    folder = tmp_path_factory.mktemp("metrics")
    config = make_config(
        folder / "config", files={"settings.toml": f'metrics_allow = ["{ALLOWED}"]\n'}
    )
    data = folder / "data"
    tokens = accounts(
        data, users=(("alice", "secretariat", None),), tokens=(("ops", "secretariat", None),)
    )
    server = spawn_server(config, data, folder / "server.log", at="2023-12-13T14:59:30", speed=10)
    try:
        yield Scraped(server, tokens["ops"])
    finally:
        stop_server(server)


def test_the_metrics_parse_and_name_every_room(scraped: Scraped) -> None:
    samples = scraped.metrics()
    names = {name for name, _ in samples}
    for expected in (
        "dashboard_connections",
        "dashboard_frames_sent_total",
        "dashboard_frames_dropped_total",
        "dashboard_boundary_lag_seconds_count",
        "dashboard_override_publish_seconds_count",
        "dashboard_jobs_booked",
    ):
        assert expected in names, sorted(names)
    assert value(samples, "dashboard_jobs_booked", room="cr4") == 1


async def test_connections_frames_and_reconnects_move(scraped: Scraped) -> None:
    before = scraped.metrics()
    url = f"{scraped.server.ws_url}/ws/display/cr4?screen=lobby-left"
    async with connect(url) as first, connect(f"{scraped.server.ws_url}/ws/rooms/cr4") as phone:
        await asyncio.wait_for(first.recv(), 10)
        await asyncio.wait_for(phone.recv(), 10)
        during = scraped.metrics()
    async with connect(url) as again:  # the same screen, back
        await asyncio.wait_for(again.recv(), 10)
        back = scraped.metrics()
    assert value(during, "dashboard_connections", room="cr4", kind="display") == 1
    assert value(during, "dashboard_connections", room="cr4", kind="phone") == 1
    for kind in ("display", "phone"):
        sent = "dashboard_frames_sent_total"
        assert value(during, sent, kind=kind) >= value(before, sent, kind=kind) + 1
    assert value(back, "dashboard_reconnects_total", room="cr4") == (
        value(before, "dashboard_reconnects_total", room="cr4") + 1
    )


async def test_a_boundary_is_timed_from_its_booked_instant(scraped: Scraped) -> None:
    """The 3 p.m. change is published a few seconds after start: its lag is observed."""
    async with connect(f"{scraped.server.ws_url}/ws/display/cr4") as ws:
        while True:
            text = str(await asyncio.wait_for(ws.recv(), 30))
            if is_state(text) and parse(text).current == NEW_SLOT:
                break
    samples = scraped.metrics()
    assert value(samples, "dashboard_boundary_lag_seconds_count", room="cr4") >= 1
    assert value(samples, "dashboard_boundary_lag_seconds_bucket", room="cr4", le="+Inf") >= 1


def test_an_override_is_timed_to_its_publication(scraped: Scraped) -> None:
    before = scraped.metrics()
    with scraped.client() as client:
        response = client.post(
            "/api/overrides",
            content=json.dumps({"room": "cr4", "kind": "pointer", "text": "Item 5"}),
            headers={"content-type": "application/json", **bearer(scraped.token)},
        )
    assert response.status_code == 201, response.text
    after = scraped.metrics()
    count = "dashboard_override_publish_seconds_count"
    assert value(after, count) == value(before, count) + 1
    assert value(after, "dashboard_override_publish_seconds_sum") > 0


def test_login_failures_and_throttles_are_counted(scraped: Scraped) -> None:
    before = scraped.metrics()
    with scraped.client("127.0.0.3") as client:
        codes = [
            client.post("/chair/login", data={"name": "alice", "password": "wrong"}).status_code
            for _ in range(6)
        ]
    assert codes == [401] * 5 + [429]
    after = scraped.metrics()
    assert value(after, "dashboard_login_failures_total") == (
        value(before, "dashboard_login_failures_total") + 5
    )
    assert value(after, "dashboard_throttled_total", reason="login") == (
        value(before, "dashboard_throttled_total", reason="login") + 1
    )


async def test_a_flooding_socket_is_counted(scraped: Scraped) -> None:
    before = scraped.metrics()
    async with connect(f"{scraped.server.ws_url}/ws/rooms/cr4") as ws:
        with pytest.raises(ConnectionClosed):
            for _ in range(200):
                await ws.send("ping")
            while True:
                await asyncio.wait_for(ws.recv(), 10)
    after = scraped.metrics()
    assert value(after, "dashboard_throttled_total", reason="websocket") == (
        value(before, "dashboard_throttled_total", reason="websocket") + 1
    )


# The attacks: an address not listed, a token that is wrong, no token; nothing leaks.


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 403),
        ({"authorization": "Bearer dsh_not-a-token"}, 401),
        ({"authorization": "Basic YWxpY2U6eA=="}, 403),
        ({"x-forwarded-for": ALLOWED}, 403),  # no trusted proxy: not believed
        ({"forwarded": f"for={ALLOWED}"}, 403),
    ],
)
def test_others_are_refused_and_see_nothing(
    scraped: Scraped, headers: dict[str, str], status: int
) -> None:
    with scraped.client("127.0.0.1") as client:
        response = client.get("/metrics", headers=headers)
    assert response.status_code == status
    assert "dashboard_" not in response.text
    assert "# TYPE" not in response.text


def test_a_token_opens_them_from_anywhere(scraped: Scraped) -> None:
    with scraped.client("127.0.0.1") as client:
        response = client.get("/metrics", headers=bearer(scraped.token))
    assert response.status_code == 200
    families = {f.name for f in text_string_to_metric_families(response.text)}
    assert "dashboard_connections" in families


def test_a_bad_metrics_allow_is_refused_at_start(tmp_path: Path) -> None:
    from dashboard.domain.programme import ProgrammeError
    from dashboard.settings import Settings

    config = make_config(tmp_path, files={"settings.toml": 'metrics_allow = ["10.0.0.300"]\n'})
    with pytest.raises(ProgrammeError, match="metrics_allow"):
        Settings.load(config)


def test_each_app_has_its_own_registry(tmp_path: Path) -> None:
    """Two apps in one process (as in the tests) count apart, and both can be scraped."""
    from prometheus_client import generate_latest

    from dashboard.settings import Settings
    from dashboard.web.app import create_app

    config = make_config(tmp_path / "config")
    apps = [create_app(Settings.load(config, data_dir=tmp_path / f"data{i}")) for i in (1, 2)]
    try:
        apps[0].state.metrics.login_failures.inc(3)
        texts = [generate_latest(app.state.metrics.registry).decode() for app in apps]
        assert "dashboard_login_failures_total 3.0" in texts[0]
        assert "dashboard_login_failures_total 0.0" in texts[1]
    finally:
        for app in apps:
            asyncio.run(app.state.store.close())


def test_frames_replaced_unsent_are_counted_as_dropped_by_kind() -> None:
    """Latest wins: a frame replaced before a slow client took it is a drop, of its kind."""
    from dashboard.live.hub import Hub
    from dashboard.web.metrics import channel_audience

    hub = Hub()
    slow = hub.subscribe("display:cr4@fr")
    hub.subscribe("room:cr4")
    for version in (1, 2, 3):  # nobody reads: two replaced on each channel
        hub.publish("display:cr4@fr", version, f"v{version}")
        hub.publish("room:cr4", version, f"v{version}")
    assert hub.dropped == {"display:cr4@fr": 2, "room:cr4": 2}
    assert slow.dropped == 2
    assert channel_audience("display:cr4@fr") == ("cr4", "display")
    assert channel_audience("room:cr4") == ("cr4", "phone")
    assert channel_audience("overview@ar") == ("*", "phone")
    assert channel_audience("console:cr4:bound") == ("cr4", "console")
