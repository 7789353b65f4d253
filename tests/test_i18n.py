"""Every string a person reads is marked for translation, and every catalogue is complete."""

from __future__ import annotations

import gettext
import re
import subprocess
import sys
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.messages.pofile import read_po

from dashboard.domain.programme import ProgrammeError
from dashboard.domain.timeline import screen_state
from dashboard.i18n import (
    LANGUAGE_NAMES,
    LOCALE_DIR,
    UN_LANGUAGES,
    Formatter,
    MissingCatalogue,
    load_translations,
    text_direction,
)
from dashboard.live.render import URL, Renderer, RoomView
from dashboard.settings import Settings
from dashboard.site import load_site
from tests.conftest import free_port, make_config

ROOT = Path(__file__).resolve().parent.parent
NY = ZoneInfo("America/New_York")


class Pseudo(gettext.NullTranslations):
    """Wraps every translated string in ⟦…⟧ so untranslated text stands out."""

    def gettext(self, message: str) -> str:
        return f"⟦{message}⟧"

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return f"⟦{singular if n == 1 else plural}⟧"


class TextNodes(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []
        self.attrs: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "svg"):
            self._skip += 1
        self.attrs += [v or "" for k, v in attrs if k in ("aria-label", "title", "alt")]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "svg"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip and data.strip():
            self.texts.append(data.strip())


def _rendered_pages() -> tuple[list[str], set[str]]:
    site = load_site(Settings.load(ROOT / "config"))
    room = site.rooms[0]
    programme = site.programmes[room.id]
    renderer = Renderer("en", translations=Pseudo())
    pages = []
    for at in ("2023-12-11T09:00", "2023-12-13T11:00", "2023-12-13T14:00", "2023-12-16T09:00"):
        instant = datetime.fromisoformat(at).replace(tzinfo=NY)
        view = RoomView(room, programme, screen_state(programme, instant), 1)
        pages.append(
            renderer.render(
                "display.html", v=view, coming=[], qr_svg="", phone_url="http://x/", screen=""
            )
        )
        pages.append(renderer.render("room.html", v=view))
        pages.append(renderer.render("overview.html", views=[view]))
    pages.append(renderer.render("error.html", status=404, room="x", rooms=site.rooms))
    pages.append(renderer.render("error.html", status=500, room=None, rooms=()))
    data = {room.name, programme.title, programme.session, programme.venue, "http://x/"}
    data |= set(LANGUAGE_NAMES.values())  # the language menu: each name in itself, untranslated
    for slot in programme.slots:
        data |= {slot.title, *slot.details}
        data |= {f.text for f in slot.footnotes} | {f.marker for f in slot.footnotes}
        for f in slot.footnotes:  # on the phone, a footnote's addresses are links
            data |= {part.strip() for part in URL.split(f.text)} | set(URL.findall(f.text))
    return pages, data


# What the formatter prints (times, dates) and punctuation carry no words to translate.
_FORMATTED = re.compile(
    r"^[\d\s.,:·–\-]*(?:a\.m\.|p\.m\.)?[\d\s.,:·–\-]*(?:a\.m\.|p\.m\.)?$"
    r"|^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday) \d{1,2} \w+,?$"
)


def test_every_visible_string_is_marked_for_translation() -> None:
    pages, data = _rendered_pages()
    unmarked = set()
    for html in pages:
        parser = TextNodes()
        parser.feed(html)
        for text in parser.texts + parser.attrs:
            pieces = re.split(r" · |, ", text)  # "Room · Meeting", "Meeting, Session"
            if (
                "⟦" in text
                or text in data
                or all(p.rstrip(",") in data or _FORMATTED.match(p) for p in pieces)
            ):
                continue
            unmarked.add(text)
    assert not unmarked, f"text not marked for translation: {sorted(unmarked)}"


def test_the_pseudo_translation_is_really_applied() -> None:
    # Guards the test above: if the pseudo catalogue were not installed, nothing would be wrapped.
    pages, _ = _rendered_pages()
    assert "⟦In session⟧" in "".join(pages)


def test_message_catalogue_is_up_to_date(tmp_path: Path) -> None:
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "extract", "-F", "babel.cfg",
         "--no-location", "-o", str(pot), "."],
        cwd=ROOT, check=True,
    )  # fmt: skip
    with pot.open("rb") as f:
        fresh = {m.id for m in read_po(f) if m.id}
    with (LOCALE_DIR / "messages.pot").open("rb") as f:
        committed = {m.id for m in read_po(f) if m.id}
    assert fresh == committed, "run: bash scripts/i18n.sh"


@pytest.mark.parametrize("language", [lang for lang in UN_LANGUAGES if lang != "en"])
def test_un_languages_are_complete(language: str) -> None:
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as f:
        catalog = read_po(f, locale=language)
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{language}: {message.id!r} is not translated"
        placeholders = set(re.findall(r"%\(\w+\)s", str(message.id)))
        for s in strings:
            assert set(re.findall(r"%\(\w+\)s", s)) == placeholders, (language, message.id)


def test_arabic_pages_are_right_to_left() -> None:
    assert text_direction("ar") == "rtl"
    assert text_direction("fr") == "ltr"
    html = Renderer("ar").render("error.html", status=404, room="x", rooms=())
    assert '<html lang="ar" dir="rtl">' in html
    assert "غير موجود" in html  # "Not found" in Arabic


def german_config(folder: Path) -> Path:
    """A config whose screens are in German, a language with no catalogue."""
    return make_config(folder, files={"settings.toml": 'language = "de"\n'})


GERMAN_PO = LOCALE_DIR / "de" / "LC_MESSAGES" / "messages.po"


def test_a_language_without_its_catalogue_is_refused_naming_the_setting(tmp_path: Path) -> None:
    config = german_config(tmp_path / "config")
    with pytest.raises(ProgrammeError) as refused:
        Settings.load(config, data_dir=tmp_path / "data")
    assert str(refused.value) == (
        f'{config / "settings.toml"}: language = "de": no catalogue {GERMAN_PO}'
        " (languages: ar, en, es, fr, ru, zh)"
    )
    # Settings built by hand never reach the screens in English either.
    with pytest.raises(MissingCatalogue, match=re.escape(str(GERMAN_PO))):
        Renderer("de")


def test_serve_refuses_to_start_without_the_catalogue(tmp_path: Path) -> None:
    config = german_config(tmp_path / "config")
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(free_port()),
         "--config", str(config), "--data", str(tmp_path / "data")],
        cwd=ROOT, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines() == [
        f'dashboard: {config / "settings.toml"}: language = "de": no catalogue {GERMAN_PO}'
        " (languages: ar, en, es, fr, ru, zh)"
    ]
    assert not (tmp_path / "data").exists()  # refused before anything was opened


@pytest.mark.parametrize("language", ["en", "en-GB", "en_US"])
def test_english_needs_no_catalogue(language: str) -> None:
    assert type(load_translations(language)) is gettext.NullTranslations
    assert "Not found" in Renderer(language).render("error.html", status=404, room="x", rooms=())


def test_a_catalogue_is_loaded() -> None:
    assert load_translations("fr").gettext("All rooms") == "Toutes les salles"


def test_english_times_follow_un_style() -> None:
    fmt = Formatter("en")
    at = datetime(2023, 12, 13, 15, 0, tzinfo=NY)
    assert fmt.time(at) == "3 p.m."
    assert fmt.time(at.replace(hour=11, minute=30)) == "11.30 a.m."
    assert fmt.time_range(at, at.replace(hour=18)) == "3–6 p.m."
    assert fmt.time_range(at.replace(hour=10), at.replace(hour=13)) == "10 a.m.–1 p.m."
    assert Formatter("fr").time(at) == "15:00"
