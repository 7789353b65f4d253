"""Where a checkout's server finds its files, and where its data goes.

The installed layout (the copies inside the package, ./data) is tested on a real wheel in
tests/test_wheel.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard import resources, settings
from dashboard.live import render
from dashboard.resources import DATA_DIR_VARIABLE, default_data_dir
from dashboard.settings import Settings
from dashboard.web import app
from tests.conftest import CONFIG, ROOT, make_config


def test_a_checkout_serves_its_top_level_folders() -> None:
    # So an editable install, too, serves the templates as they are edited.
    assert not resources.INSTALLED
    assert render.TEMPLATES_DIR == ROOT / "templates"
    assert app.STATIC_DIR == ROOT / "static"
    assert settings.DEFAULT_CONFIG_DIR == CONFIG
    assert resources.LOCALE_DIR == ROOT / "dashboard" / "locale"
    assert (render.TEMPLATES_DIR / "base.html").is_file()
    assert (app.STATIC_DIR / "css" / "site.css").is_file()


def test_the_default_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_config(tmp_path / "config")
    monkeypatch.setenv(DATA_DIR_VARIABLE, str(tmp_path / "elsewhere"))
    assert Settings().data_dir == tmp_path / "elsewhere"
    assert Settings.load(config).data_dir == tmp_path / "elsewhere"
    assert Settings.load(config, data_dir=tmp_path / "given").data_dir == tmp_path / "given"
    (config / "settings.toml").write_text('data_dir = "db"\n', encoding="utf-8")
    assert Settings.load(config).data_dir == config / "db"
    monkeypatch.delenv(DATA_DIR_VARIABLE)
    assert default_data_dir() == ROOT / "data"  # only named here: nothing is created
