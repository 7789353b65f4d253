"""What the server measures for Prometheus (served at ``/metrics``: dashboard/web/metrics.py).

One ``Metrics`` per application, each with its own registry (never prometheus_client's global
default), so that several apps in one process (the tests) count apart.  Events are counted
where they happen (a login refused, a boundary published); what is a state rather than an event
(connections, jobs booked) is read from the hub and the scheduler when scraped, by a collector
registered with ``add_collector``, so nothing has to be kept in step by hand.

Below ``live/``: the scheduler and the desk observe into it; nothing here imports the web.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.registry import Collector

# Boundary lag: from the instant a change was booked for to its publication.  A healthy server
# publishes within milliseconds; a stalled loop or a suspended machine shows up in the tail.
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Override latency: a commit (fsync) plus a re-render of the rooms it touches.
KINDS = ("display", "phone", "console")  # the kinds of WebSocket client
OVERRIDE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.reconnects = Counter(
            "dashboard_reconnects",
            "Connections of a display already known under its name (it had been connected)",
            ["room"],
            registry=r,
        )
        self.login_failures = Counter(
            "dashboard_login_failures",
            "Console log-ins refused for a wrong name or password",
            registry=r,
        )
        self.throttled = Counter(
            "dashboard_throttled",
            "Requests refused or closed for their rate: login (too many failures), hashing"
            " (too many log-ins at once), websocket (a client flooding its socket)",
            ["reason"],
            registry=r,
        )
        self.database_errors = Counter(
            "dashboard_database_errors",
            "Writes refused by the storage (full, read-only, failing), by state",
            ["state"],
            registry=r,
        )
        self.boundary_lag = Histogram(
            "dashboard_boundary_lag_seconds",
            "From the instant a room's change was booked for to its state being published",
            ["room"],
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.override_latency = Histogram(
            "dashboard_override_publish_seconds",
            "From an override's request (API or console) to its rooms' new state published",
            buckets=OVERRIDE_BUCKETS,
            registry=r,
        )

        # Series present from the start (at 0), so that a rate or an alert has them at once.
        for reason in ("login", "hashing", "websocket"):
            self.throttled.labels(reason)

    def add_rooms(self, rooms: list[str]) -> None:
        """The per-room series of these rooms, present at 0 from the start."""
        for room in rooms:
            self.reconnects.labels(room)
            self.boundary_lag.labels(room)

    def add_collector(self, collector: Collector) -> None:
        self.registry.register(collector)
