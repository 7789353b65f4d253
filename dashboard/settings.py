"""Settings, read once at start-up from ``config/settings.toml`` and the command line.

No side effects at import: ``Settings.load`` is called by the CLI (or a test) and the result is
handed to ``create_app``.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .domain.note_lines import HalfDays
from .domain.programme import ProgrammeError
from .i18n import MissingCatalogue, check_language
from .resources import CONFIG_DIR, default_data_dir
from .timings import LiveTimings

DEFAULT_CONFIG_DIR = CONFIG_DIR  # see dashboard/resources.py: a checkout's, or a wheel's copy
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or networks ("10.0.0.5", "10.0.0.0/24", "::1"); ValueError names a bad one."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(str(value).strip(), strict=False))
        except ValueError:
            raise ValueError(f"{value!r} is not an IP address or network") from None
    return tuple(networks)


def default_allowed_hosts(public_url: str) -> tuple[str, ...]:
    """The public address's host and the loopback names; any host ("*") without one."""
    if not public_url:
        return ("*",)
    host = (urlsplit(public_url).hostname or "").lower()
    return tuple(dict.fromkeys((host, "127.0.0.1", "localhost", "[::1]")))


def check_host_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    """``allowed_hosts`` as TrustedHostMiddleware takes them; ValueError for a bad pattern."""
    checked = []
    for pattern in patterns:
        pattern = str(pattern).strip().lower()
        if (
            not pattern
            or "*" in pattern[1:]
            or (pattern.startswith("*") and pattern != "*" and not pattern.startswith("*."))
        ):
            raise ValueError(f"{pattern!r}: a host name, or a pattern like '*.example.org'")
        checked.append(pattern)
    return tuple(checked)


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


DATABASE_URL_VARIABLE = "DASHBOARD_DATABASE_URL"


def check_database_url(url: str) -> None:
    """ValueError unless ``url`` is empty (SQLite) or a PostgreSQL URL."""
    if url and not url.startswith(("postgresql://", "postgres://")):
        raise ValueError(
            f"database {url.split('@')[-1]!r}: expected a postgresql://USER@HOST:PORT/NAME URL"
            " (or none, for the SQLite file in the data folder)"
        )


@dataclass(frozen=True)
class Settings:
    config_dir: Path = DEFAULT_CONFIG_DIR
    # The SQLite database of overrides, users, sessions.
    data_dir: Path = field(default_factory=default_data_dir)
    host: str = "127.0.0.1"
    port: int = 8000
    language: str = "en"
    public_url: str = ""
    allowed_origins: tuple[str, ...] = ()
    # Addresses or networks of the reverse proxies whose forwarded headers are believed.
    trusted_proxies: tuple[str, ...] = ()
    # Host names this server answers to (empty: public_url's host and the loopback names, or
    # any host when public_url is unset).
    allowed_hosts: tuple[str, ...] = ()
    # Addresses or networks that may read /metrics without a token (default: none).
    metrics_allow: tuple[str, ...] = ()
    timezone: str | None = None
    # Where a meeting a note prints with its start alone ends (docs/programme-format.md).
    half_days: HalfDays = field(default_factory=HalfDays)
    # The demo clock: start at this instant (None: real time), run `speed` times faster.
    start_at: datetime | None = None
    speed: float = 1.0
    # The monotonic() reading at which the demo clock shows start_at (None: at start-up); set
    # by `serve --workers` so that every worker shows the same time.
    clock_origin: float | None = None
    # The screens' heartbeat, reconnects, offline mark and reloads (settings.toml's [live]).
    live: LiveTimings = field(default_factory=LiveTimings)
    # A postgresql:// URL: the store is there, shared by every process and machine (the audit
    # key stays in the data folder).  Empty: the SQLite file in the data folder.  From
    # --database, else $DASHBOARD_DATABASE_URL.
    database_url: str = ""

    @property
    def database(self) -> Path:
        """The SQLite file (used when no database_url is set)."""
        return self.data_dir / "dashboard.sqlite3"

    @property
    def store_database(self) -> Path | str:
        """Where the store is: the PostgreSQL URL if set, else the SQLite file."""
        return self.database_url or self.database

    @property
    def audit_key(self) -> Path:
        """The override log's key: in the data folder, whichever engine holds the log."""
        return self.data_dir / "audit.key"

    @property
    def public_origins(self) -> tuple[str, ...]:
        """The origins a browser's page may come from: public_url's, and allowed_origins."""
        return tuple(o for o in (origin_of(self.public_url), *self.allowed_origins) if o)

    @property
    def hosts(self) -> tuple[str, ...]:
        """The Host header values accepted (TrustedHostMiddleware patterns)."""
        return self.allowed_hosts or default_allowed_hosts(self.public_url)

    @classmethod
    def load(cls, config_dir: Path = DEFAULT_CONFIG_DIR, **overrides: Any) -> Settings:
        path = config_dir / "settings.toml"
        values: dict[str, Any] = {}
        if path.exists():
            try:
                values = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ProgrammeError(str(path), None, str(exc)) from None
        settings = cls(config_dir=config_dir)
        known = {
            "language": str,
            "public_url": str,
            "timezone": str,
            "note_default_ends": list,
            "allowed_origins": list,
            "trusted_proxies": list,
            "allowed_hosts": list,
            "metrics_allow": list,
            "data_dir": str,
            "live": dict,
        }
        for key, value in values.items():
            if key not in known:
                raise ProgrammeError(str(path), None, f"unknown setting {key!r}")
            if not isinstance(value, known[key]):
                raise ProgrammeError(str(path), None, f"{key}: expected {known[key].__name__}")
        try:
            live = LiveTimings.from_table(values.get("live", {}))
        except ValueError as exc:
            raise ProgrammeError(str(path), None, f"[live] {exc}") from None
        try:
            proxies = tuple(str(p) for p in values.get("trusted_proxies", []))
            parse_networks(proxies)
        except ValueError as exc:
            raise ProgrammeError(str(path), None, f"trusted_proxies: {exc}") from None
        try:
            metrics_allow = tuple(str(p) for p in values.get("metrics_allow", []))
            parse_networks(metrics_allow)
        except ValueError as exc:
            raise ProgrammeError(str(path), None, f"metrics_allow: {exc}") from None
        try:
            hosts = check_host_patterns(values.get("allowed_hosts", []))
        except ValueError as exc:
            raise ProgrammeError(str(path), None, f"allowed_hosts: {exc}") from None
        try:
            half_days = _half_days(values.get("note_default_ends"))
        except ValueError as exc:
            raise ProgrammeError(str(path), None, f"note_default_ends: {exc}") from None
        settings = replace(
            settings,
            live=live,
            half_days=half_days,
            language=values.get("language", settings.language) or "en",
            public_url=values.get("public_url", "").rstrip("/"),
            timezone=values.get("timezone") or None,
            allowed_origins=tuple(str(o).rstrip("/") for o in values.get("allowed_origins", [])),
            trusted_proxies=proxies,
            metrics_allow=metrics_allow,
            allowed_hosts=hosts,
            data_dir=(config_dir / values["data_dir"])
            if values.get("data_dir")
            else default_data_dir(),
        )
        try:  # checked here too so that the error names the file the language came from
            check_language(settings.language)
        except MissingCatalogue as exc:
            raise ProgrammeError(
                str(path), None, f'language = "{settings.language}": {exc}'
            ) from None
        settings = replace(
            settings,
            **{
                "database_url": os.environ.get(DATABASE_URL_VARIABLE, ""),
                **{k: v for k, v in overrides.items() if v is not None},
            },
        )
        check_database_url(settings.database_url)
        return settings


def _half_days(value: list[Any] | None) -> HalfDays:
    """``note_default_ends = ["13:00", "18:00", "21:00"]``: the ends of the half-days."""
    if value is None:
        return HalfDays()
    ends: list[time] = []
    for item in value:
        try:
            ends.append(time.fromisoformat(str(item)))
        except ValueError:
            raise ValueError(f"{item!r} is not a time of day (13:00)") from None
    if not ends:
        raise ValueError("give at least one time (13:00)")
    return HalfDays(tuple(sorted(set(ends))))
