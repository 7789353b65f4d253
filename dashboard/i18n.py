"""Translations and the formatting of dates and times on screens.

Catalogues are ``dashboard/locale/<lang>/LC_MESSAGES/messages.po``, compiled in memory at start-up
(no build step, no binary files in the repository).  English is the source language and needs
none; any other language without its catalogue is an error at start-up, never screens silently
in English (as a wheel built without its catalogues once showed).  English times follow the UN's
own style, as the notes print them: "10 a.m.", "3.30 p.m.", "3–6 p.m."; other languages use
their locale's short time ("15:30", "3:30 م"), as the pages' scripts do (``timeStyle: "short"``
in static/js/clock.js), so a time reads the same whether the server or the page wrote it.
Dates, the joining of a date and a time, and lists follow each locale's own patterns (CLDR), so
Chinese reads "12月13日周三 15:00" and Arabic uses its own comma.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from markupsafe import Markup, escape

from .resources import LOCALE_DIR

RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
UN_LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")


class MissingCatalogue(LookupError):
    """A language other than English whose catalogue is not there."""


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def is_source_language(language: str) -> bool:
    """English ("en", "en-GB", "en_US"): the templates' own text, no catalogue needed."""
    return language.replace("_", "-").split("-")[0].lower() == "en"


def available_languages() -> list[str]:
    return sorted(
        {"en"} | {p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po")}
    )


def page_languages() -> tuple[str, ...]:
    """The languages a reader may choose (``?lang=``, the menu, Accept-Language): the UN's six
    that have a catalogue (English needs none), in the UN's order."""
    available = set(available_languages())
    return tuple(lang for lang in UN_LANGUAGES if lang in available)


# Each language's name in itself, for the language menu (a reader looks for their own).
LANGUAGE_NAMES = {
    "ar": "العربية",
    "zh": "中文",
    "en": "English",
    "fr": "Français",
    "ru": "Русский",
    "es": "Español",
}


def negotiate(accept_language: str, offered: tuple[str, ...]) -> str | None:
    """The language of ``offered`` a browser's ``Accept-Language`` prefers (RFC 9110: quality
    values, a region matching its language: "fr-CH" is "fr", "zh-Hans-CN" is "zh"); None when
    it names none of them.  A malformed part is passed over, never an error."""
    best: tuple[float, int, str] | None = None
    for index, part in enumerate(accept_language.split(",")[:50]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, raw = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(raw)
                except ValueError:
                    quality = 0.0
        language = tag.strip().lower().replace("_", "-").split("-")[0]
        if language in offered and 0 < quality <= 1:
            candidate = (-quality, index, language)
            if best is None or candidate < best:
                best = candidate
    return best[2] if best is not None else None


def check_language(language: str) -> None:
    """Raise MissingCatalogue, naming the file, for a language the screens cannot be shown in."""
    po = catalogue_path(language)
    if not po.is_file() and not is_source_language(language):
        raise MissingCatalogue(f"no catalogue {po} (languages: {', '.join(available_languages())})")


def load_translations(language: str) -> gettext.NullTranslations:
    check_language(language)
    po = catalogue_path(language)
    if not po.is_file():  # English
        return gettext.NullTranslations()
    with po.open("rb") as f:
        catalog = read_po(f, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def text_direction(language: str) -> str:
    return "rtl" if language.split("-")[0] in RTL_LANGUAGES else "ltr"


class Formatter:
    """Dates and times for one language, always in the venue's zone of the instant given."""

    def __init__(self, language: str) -> None:
        self.language = language
        try:
            self.locale = Locale.parse(language.replace("-", "_"))
        except (ValueError, UnknownLocaleError):
            self.locale = Locale.parse("en")
        self.english = self.locale.language == "en"

    def time(self, instant: datetime) -> str:
        if not self.english:
            return format_time(instant, "short", tzinfo=instant.tzinfo, locale=self.locale)
        return _un_clock(instant.hour, instant.minute) + " " + _meridiem(instant.hour)

    def time_range(self, start: datetime, end: datetime) -> str:
        if not self.english:
            return f"{self.time(start)}\u2013{self.time(end)}"
        if _meridiem(start.hour) == _meridiem(end.hour):  # "3–6 p.m.", as the notes print it
            return f"{_un_clock(start.hour, start.minute)}\u2013{self.time(end)}"
        return f"{self.time(start)}\u2013{self.time(end)}"

    def day(self, day: date) -> str:
        return format_date(day, "EEEE d MMMM" if self.english else "full", locale=self.locale)

    def day_short(self, day: date) -> str:
        """ "Wed 13 Dec"; in other languages the locale's own order ("12月13日周三")."""
        if self.english:
            return format_date(day, "EEE d MMM", locale=self.locale)
        return format_skeleton("MMMEd", day, locale=self.locale)

    def date_time(self, instant: datetime) -> str:
        """A short date and a time: "Wed 13 Dec, 3.15 p.m.", "12月13日周三 15:15"."""
        return self.join_date_time(self.day_short(instant.date()), self.time(instant))

    def join_date_time(self, day: str, time: str) -> str:
        """A date and a time (or a range of times) already written, joined as the locale joins
        them (its medium date-time pattern: ", " in English, a space in Chinese, "، " in
        Arabic).  Markup in (a template's ``<span>``s), markup out, the rest escaped."""
        pattern = str(self.locale.datetime_formats.get("medium", "{1} {0}")).replace("'", "")
        if isinstance(day, Markup) or isinstance(time, Markup):
            return escape(pattern).format(time, day)  # escape: Markup, which formats safely
        return pattern.format(time, day)

    def list_of(self, items: Iterable[str]) -> str:
        """ "A, B and C" with the locale's own words and separators ("A、B和C", "A وB وC");
        English as the UN writes it, without a comma before "and".  Markup in (names each in
        a template's ``<bdi>``), markup out: the locale's words escaped, the items as given."""
        values = list(items)
        locale = "en_GB" if self.english else self.locale
        if not any(isinstance(value, Markup) for value in values):
            return format_list(values, locale=locale)
        # The list is made of placeholders that neither escaping nor any locale's pattern
        # contains, then each is replaced by its item, escaped unless it is Markup already.
        marks = [f"\x00{i}\x00" for i in range(len(values))]
        joined = str(escape(format_list(marks, locale=locale)))
        for mark, value in zip(marks, values, strict=True):
            joined = joined.replace(mark, str(escape(value)))
        return Markup(joined)  # noqa: S704  (every piece escaped above)


def _meridiem(hour: int) -> str:
    return "a.m." if hour < 12 else "p.m."


def _un_clock(hour: int, minute: int) -> str:
    h = hour % 12 or 12
    return f"{h}" if minute == 0 else f"{h}.{minute:02d}"
