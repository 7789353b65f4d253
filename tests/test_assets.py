"""The static files' map (versioned names, gzip once, nothing outside static/) and the server's
build id, on copies of the real folders."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from dashboard.assets import Assets
from dashboard.live.render import TEMPLATES_DIR, build_id
from tests.conftest import ROOT

STATIC = ROOT / "static"


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """Copies of static/ and templates/ to change."""
    static, templates = tmp_path / "static", tmp_path / "templates"
    shutil.copytree(STATIC, static)
    shutil.copytree(TEMPLATES_DIR, templates)
    return static, templates


def test_every_file_under_static_and_nothing_else(tmp_path: Path) -> None:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: black; }\n" * 50)
    (static / ".hidden").write_text("secret")
    (static / "css" / ".swap.css").write_text("editor's swap file")
    (tmp_path / "outside.txt").write_text("outside")
    (static / "link.txt").symlink_to(tmp_path / "outside.txt")
    assets = Assets.load(static)
    assert sorted(assets.files) == ["css/site.css"]
    site = assets.files["css/site.css"]
    assert site.media_type == "text/css"
    assert site.gzipped is not None and gzip.decompress(site.gzipped) == site.body


def test_urls_carry_the_content_hash_and_name_the_same_file(
    folders: tuple[Path, Path],
) -> None:
    static, _ = folders
    assets = Assets.load(static)
    url = assets.url("css/site.css")
    assert url.startswith("/static/css/site.") and url.endswith(".css")
    name = url.removeprefix("/static/")
    assert assets.lookup(name) == (assets.files["css/site.css"], True)
    assert assets.lookup("css/site.css") == (assets.files["css/site.css"], False)
    # A page from before a deploy asks for its old version: the current file, not immutable.
    assert assets.lookup("css/site.000000000000.css") == (assets.files["css/site.css"], False)
    vendor = assets.url("vendor/htmx-2.0.11.min.js")
    assert assets.lookup(vendor.removeprefix("/static/")) is not None
    for missing in ["css/nope.css", "css", "", "../pyproject.toml", "css/../css/site.css"]:
        assert assets.lookup(missing) is None, missing
    with pytest.raises(KeyError):
        assets.url("css/nope.css")

    # A changed file has a new URL; the others keep theirs.
    script = assets.url("js/live.js")
    (static / "css" / "site.css").write_text("body { color: red; }\n")
    changed = Assets.load(static)
    assert changed.url("css/site.css") != url
    assert changed.url("js/live.js") == script


def test_the_build_changes_with_static_files_templates_and_language(
    folders: tuple[Path, Path],
) -> None:
    static, templates = folders
    first = build_id(Assets.load(static), templates, "en")
    assert build_id(Assets.load(static), templates, "en") == first, "not stable"
    assert build_id(Assets.load(static), templates, "fr") != first

    (static / "js" / "live.js").write_text("// changed\n", encoding="utf-8")
    after_script = build_id(Assets.load(static), templates, "en")
    assert after_script != first

    (templates / "display.html").write_text("{# changed #}", encoding="utf-8")
    assert build_id(Assets.load(static), templates, "en") != after_script
