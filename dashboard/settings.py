"""Settings, read once at start-up from ``config/settings.toml`` and the command line.

No side effects at import: ``Settings.load`` is called by the CLI (or a test) and the result is
handed to ``create_app``.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from .domain.programme import ProgrammeError
from .i18n import MissingCatalogue, check_language
from .resources import CONFIG_DIR, default_data_dir
from .timings import LiveTimings

DEFAULT_CONFIG_DIR = CONFIG_DIR  # see dashboard/resources.py: a checkout's, or a wheel's copy


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
    timezone: str | None = None
    # The demo clock: start at this instant (None: real time), run `speed` times faster.
    start_at: datetime | None = None
    speed: float = 1.0
    # The screens' heartbeat, reconnects, offline mark and reloads (settings.toml's [live]).
    live: LiveTimings = field(default_factory=LiveTimings)

    @property
    def database(self) -> Path:
        return self.data_dir / "dashboard.sqlite3"

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
            "allowed_origins": list,
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
        settings = replace(
            settings,
            live=live,
            language=values.get("language", settings.language) or "en",
            public_url=values.get("public_url", "").rstrip("/"),
            timezone=values.get("timezone") or None,
            allowed_origins=tuple(str(o).rstrip("/") for o in values.get("allowed_origins", [])),
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
        return replace(settings, **{k: v for k, v in overrides.items() if v is not None})
