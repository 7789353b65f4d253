"""``/metrics``: the server's Prometheus metrics, for the addresses configured or a token.

The counters and histograms live in ``dashboard/metrics.py`` (one registry per app); this module
adds what is read at scrape time (connections per room and kind, frames dropped, jobs booked)
and guards the endpoint.  Who may scrape: a peer whose address is in settings.toml's
``metrics_allow`` (addresses or networks; the peer as ``trusted_proxies`` let us see it), or any
request with a valid bearer token (``dashboard token create``).  Anyone else gets 403 (401 for
a token that is wrong) and not a byte of the metrics.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from ..live.board import BOARD, BOARD_ROOM
from ..live.hub import Hub
from ..live.scheduler import RoomScheduler
from ..metrics import KINDS
from ..settings import Network
from .auth import client_address, metrics_of, token_actor


def channel_audience(channel: str) -> tuple[str, str]:
    """(room, kind) of a hub channel, in any language: kind is display, phone or console; the
    phones' overview of every room is room "*"."""
    channel = channel.split("@")[0]  # in any language
    kind, _, rest = channel.partition(":")
    if channel == "overview":
        return "*", "phone"
    if channel == BOARD:  # the hall boards: displays, listed under their own name
        return BOARD_ROOM, "display"
    if kind == "display":
        return rest, "display"
    if kind == "room":
        return rest, "phone"
    return rest.split(":")[0], "console"


class LiveCollector(Collector):
    """What is a state, read when scraped: nothing to keep in step."""

    def __init__(self, hub: Hub, scheduler: RoomScheduler) -> None:
        self.hub = hub
        self.scheduler = scheduler

    def collect(self) -> Iterator[Metric]:
        connections = GaugeMetricFamily(
            "dashboard_connections",
            "Open WebSocket subscriptions, by room and kind (a console counts once per room)",
            labels=["room", "kind"],
        )
        rooms = [r.id for r in self.scheduler.service.site.rooms]
        counts = {(room, kind): 0 for room in rooms for kind in KINDS}
        counts["*", "phone"] = 0
        for channel, count in self.hub.counts().items():
            key = channel_audience(channel)
            counts[key] = counts.get(key, 0) + count
        for (room, kind), count in sorted(counts.items()):
            connections.add_metric([room, kind], count)
        yield connections
        # Counted by the hub per channel (no counter call per frame and screen), read here.
        for name, help_text, per_channel in (
            (
                "dashboard_frames_sent",
                "Frames written to WebSocket clients, by kind of client (heartbeats included)",
                self.hub.sent,
            ),
            (
                "dashboard_frames_dropped",
                "Frames replaced before they were sent (latest wins: the client was slow)",
                self.hub.dropped,
            ),
        ):
            family = CounterMetricFamily(name, help_text, labels=["kind"])
            by_kind = dict.fromkeys(KINDS, 0)
            for channel, count in per_channel.items():
                audience = channel_audience(channel)[1]
                by_kind[audience] = by_kind.get(audience, 0) + count
            for audience, count in sorted(by_kind.items()):
                family.add_metric([audience], count)
            yield family
        booked = GaugeMetricFamily(
            "dashboard_jobs_booked",
            "Scheduler jobs booked per room (1: its next change or a retry is booked; 0: none)",
            labels=["room"],
        )
        jobs = self.scheduler.booked()
        for booked_room in self.scheduler.service.site.rooms:
            booked.add_metric([booked_room.id], 1 if booked_room.id in jobs else 0)
        yield booked


def address_allowed(address: str, allowed: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:  # "unknown", a Unix socket
        return False
    return any(ip in network for network in allowed)


async def metrics(request: Request) -> Response:
    allowed: tuple[Network, ...] = request.app.state.metrics_allow
    # A token is the other way in: a wrong one is 401 (token_actor raises), none 403.
    if not address_allowed(client_address(request), allowed) and await token_actor(request) is None:
        raise HTTPException(403, "metrics are open to the configured addresses or a token")
    body = generate_latest(metrics_of(request).registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})
