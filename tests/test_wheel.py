"""The package as an operator installs it: a wheel built from this checkout, installed into a
fresh virtual environment, run from another folder, with nothing of the checkout within reach.

It serves the shipped programme, its pages, the stylesheet and scripts they link to, and a
translated page; its data goes to ./data, never into site-packages.  Building and installing
takes a minute or two (pip may fetch the dependencies from the package index).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import httpx
import pytest
from babel.messages.pofile import read_po

from dashboard.i18n import catalogue_path
from dashboard.resources import DATA_DIR_VARIABLE
from tests.conftest import ROOT, Server, spawn_server, stop_server


@dataclass(frozen=True)
class Installed:
    venv: Path
    elsewhere: Path  # the working directory: not the checkout
    env: dict[str, str]

    @property
    def dashboard(self) -> str:
        return str(self.venv / "bin" / "dashboard")

    def python(self, code: str) -> str:
        result = subprocess.run(
            [str(self.venv / "bin" / "python"), "-c", code],
            cwd=self.elsewhere, env=self.env, capture_output=True, text=True, timeout=60,
            check=True,
        )  # fmt: skip
        return result.stdout.strip()


def run(args: list[str]) -> None:
    """Run a build or install step; its output in the failure message."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"{' '.join(args)}\n{result.stdout}\n{result.stderr}"


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(ROOT)])
    (wheel,) = (work / "dist").glob("dashboard-*.whl")
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check"]
    run([*pip, "install", "--quiet", str(wheel)])
    elsewhere = work / "elsewhere"
    elsewhere.mkdir()
    # Nothing of this checkout or of the test run leaks in: no path, no default data folder.
    leaks = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", DATA_DIR_VARIABLE}
    env = {k: v for k, v in os.environ.items() if k not in leaks}
    return Installed(venv, elsewhere, env)


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    """Servers to stop at the end of the test, passed or failed."""
    started: list[Server] = []
    yield started
    for server in started:
        stop_server(server)


class Assets(HTMLParser):
    """The stylesheets and scripts a page links to, as written in it."""

    def __init__(self) -> None:
        super().__init__()
        self.stylesheets: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.stylesheets.append(a["href"] or "")
        if tag == "script" and a.get("src"):
            self.scripts.append(a["src"] or "")


def get(server: Server, path: str) -> httpx.Response:
    response = httpx.get(urljoin(server.url, path), timeout=10)
    assert response.status_code == 200, f"{path}: {response.status_code}\n{server.output()}"
    return response


def french(message: str) -> str:
    with catalogue_path("fr").open("rb") as f:
        translated = read_po(f, locale="fr").get(message)
    assert translated is not None and translated.string, message
    return str(translated.string)


def test_the_wheel_ships_its_own_files(installed: Installed) -> None:
    where = installed.python(
        "import dashboard.resources as r; print(r.INSTALLED, r.TEMPLATES_DIR, r.CONFIG_DIR)"
    )
    layout, templates, config = where.split(" ")
    assert layout == "True"
    assert Path(templates).is_relative_to(installed.venv)
    assert Path(config).is_relative_to(installed.venv)


def test_the_wheel_serves_pages_assets_and_translations(
    installed: Installed, tmp_path: Path, servers: list[Server]
) -> None:
    def serve(config: Path | None, name: str) -> Server:
        server = spawn_server(
            config,
            tmp_path / f"data-{name}",
            tmp_path / f"{name}.log",
            command=[installed.dashboard],
            cwd=installed.elsewhere,
            env=installed.env,
        )
        servers.append(server)
        return server

    english = serve(None, "en")  # the packaged config: the shipped programme in cr4
    for path in ("/display/cr4", "/rooms/cr4"):
        page = get(english, path)
        assert '<html lang="en"' in page.text
        assets = Assets()
        assets.feed(page.text)
        assert assets.stylesheets and assets.scripts, page.text
        for href in assets.stylesheets:
            response = get(english, urljoin(path, href))
            assert response.headers["content-type"].startswith("text/css"), href
            assert response.content, href
        for src in assets.scripts:
            response = get(english, urljoin(path, src))
            assert "javascript" in response.headers["content-type"], src
            assert response.content, src

    # French, from a copy of the packaged config (as an operator starts their own).
    packaged = Path(installed.python("import dashboard.resources as r; print(r.CONFIG_DIR)"))
    config = shutil.copytree(packaged, tmp_path / "config-fr")
    settings = config / "settings.toml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(re.sub(r'(?m)^language = "en"$', 'language = "fr"', text), "utf-8")
    assert 'language = "fr"' in settings.read_text(encoding="utf-8")
    french_server = serve(config, "fr")
    for path in ("/display/cr4", "/rooms/cr4"):
        assert '<html lang="fr"' in get(french_server, path).text
    assert french("All rooms") in get(french_server, "/rooms/cr4").text


def test_the_wheel_keeps_its_data_out_of_the_installation(installed: Installed) -> None:
    result = subprocess.run(
        [installed.dashboard, "audit", "verify"],
        cwd=installed.elsewhere, env=installed.env, capture_output=True, text=True, timeout=60,
        check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (installed.elsewhere / "data" / "dashboard.sqlite3").is_file()
    assert not list(installed.venv.rglob("dashboard.sqlite3"))
