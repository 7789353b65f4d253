"""The screens' live timings: one set, from settings.toml's ``[live]``, rendered onto every page
(``data-*-ms`` on ``<body>``) and used by the server's heartbeat."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.domain.programme import ProgrammeError
from dashboard.live.render import Renderer
from dashboard.settings import Settings
from dashboard.timings import LiveTimings
from tests.conftest import make_config


def test_the_defaults_and_what_the_pages_get() -> None:
    assert LiveTimings().page_attributes() == {
        "heartbeat-ms": 15_000,
        "dead-after-ms": 35_000,
        "connect-timeout-ms": 10_000,
        "backoff-min-ms": 1_000,
        "backoff-max-ms": 30_000,
        "unconfirmed-after-ms": 600_000,
        "reload-margin-ms": 60_000,
    }


def test_settings_toml_sets_them(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        files={"settings.toml": "[live]\nheartbeat_seconds = 1\ndead_after_seconds = 2.5\n"},
    )
    live = Settings.load(config).live
    assert (live.heartbeat, live.dead_after) == (1, 2.5)
    assert live.backoff_max == LiveTimings().backoff_max  # the others keep their defaults
    page = Renderer("en", timings=live).render("partials/_heartbeat.html")
    assert "data-build=" in page
    body = Renderer("en", timings=live).env.globals["live_timings"]
    assert body["heartbeat-ms"] == 1000 and body["dead-after-ms"] == 2500


@pytest.mark.parametrize(
    ("toml", "problem"),
    [
        ("heartbeat_seconds = 0", "heartbeat_seconds: must be a positive"),
        ("heartbeat_seconds = -1", "heartbeat_seconds: must be a positive"),
        ("heartbeat_seconds = inf", "heartbeat_seconds: must be a positive"),
        ('heartbeat_seconds = "15"', "heartbeat_seconds: expected a number"),
        ("heartbeat_seconds = true", "heartbeat_seconds: expected a number"),
        ("hearbeat_seconds = 15", "unknown setting 'hearbeat_seconds'"),
        ("heartbeat_seconds = 40", "dead_after_seconds must be longer than heartbeat_seconds"),
        ("backoff_min_seconds = 31", "backoff_min_seconds must not exceed backoff_max_seconds"),
    ],
)
def test_bad_timings_stop_the_start_with_the_file_named(
    tmp_path: Path, toml: str, problem: str
) -> None:
    config = make_config(tmp_path, files={"settings.toml": f"[live]\n{toml}\n"})
    with pytest.raises(ProgrammeError) as caught:
        Settings.load(config)
    assert str(config / "settings.toml") in str(caught.value)
    assert problem in str(caught.value)


def test_live_must_be_a_table(tmp_path: Path) -> None:
    config = make_config(tmp_path, files={"settings.toml": "live = 15\n"})
    with pytest.raises(ProgrammeError, match="live: expected dict"):
        Settings.load(config)
