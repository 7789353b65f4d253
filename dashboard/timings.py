"""How screens keep their link to the server: one set of timings for the server's heartbeat and
the pages' watchdog, reconnects, offline mark and reloads.

The server renders them into every page (``data-*-ms`` on ``<body>``, see
``LiveTimings.page_attributes``), so the scripts in static/js hold no timing of their own.  The
defaults suit a building of kiosks; a ``[live]`` table in config/settings.toml changes them
(``heartbeat_seconds = 15`` ...), which is how the browser tests shorten them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class LiveTimings:
    """Seconds.  ``reload_margin`` is on the venue's clock (a demo clock may run faster); the
    others are real time."""

    # The server offers a tiny frame to every idle link this often; pages send "hb" as often.
    heartbeat: float = 15.0
    # A page that has heard nothing this long gives its link up (two heartbeats missed, and
    # some slack) and reconnects: a silent drop, where TCP itself notices nothing for minutes.
    dead_after: float = 35.0
    # A connection attempt not open after this long is abandoned and retried.
    connect_timeout: float = 10.0
    # Before each new attempt a page waits a random time up to the time it has been offline so
    # far, at least ``backoff_min`` and at most ``backoff_max`` (full jitter).
    backoff_min: float = 1.0
    backoff_max: float = 30.0
    # Offline this long, a display says that what it shows is the printed programme.
    unconfirmed_after: float = 600.0
    # A display reloads itself for a new build of the server only this far from any change of
    # what it shows, before or after.
    reload_margin: float = 60.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{field.name}_seconds: expected a number")
            if not 0 < value < math.inf:
                raise ValueError(f"{field.name}_seconds: must be a positive number of seconds")
        if self.dead_after <= self.heartbeat:
            raise ValueError("dead_after_seconds must be longer than heartbeat_seconds")
        if self.backoff_min > self.backoff_max:
            raise ValueError("backoff_min_seconds must not exceed backoff_max_seconds")

    @classmethod
    def from_table(cls, table: Mapping[str, object]) -> LiveTimings:
        """From settings.toml's ``[live]`` table: ``<name>_seconds = number``; anything missing
        keeps its default.  ValueError names the first bad key."""
        names = {f"{field.name}_seconds": field.name for field in fields(cls)}
        values: dict[str, object] = {}
        for key, value in table.items():
            if key not in names:
                raise ValueError(f"unknown setting {key!r}")
            values[names[key]] = value
        return cls(**values)  # type: ignore[arg-type]  # checked in __post_init__

    def page_attributes(self) -> dict[str, int]:
        """``{"heartbeat-ms": 15000, ...}``: the ``data-*`` attributes of every page's body."""
        return {
            f"{field.name.replace('_', '-')}-ms": round(getattr(self, field.name) * 1000)
            for field in fields(self)
        }
