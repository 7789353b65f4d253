"""Rendering: one Jinja2 environment per language (a ``Renderer``; live/languages.py keeps one per
language in use) for pages and for the live partials pushed to screens.

Partials are rendered once per state change and language, never per client, and without a
request: they use ``asset()`` and plain paths, never ``url_for``.  Autoescaping is on for every
template, whatever its name, since programme and override texts come from outside.

Every page carries the server's *build* (``data-build`` on ``<body>``): a hash over the static
files, the templates and the catalogues of the languages served, computed at start-up.  The
heartbeat frame carries it too, so an open display notices a deploy and reloads itself
(static/js/display.js).
"""

from __future__ import annotations

import gettext
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel import Locale, UnknownLocaleError
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from ..assets import Assets
from ..domain.overrides import Override
from ..domain.plan import Banner
from ..domain.programme import Programme
from ..domain.requests import may_clear
from ..domain.rooms import Room
from ..domain.timeline import Say, ScreenState, Status
from ..i18n import (
    LANGUAGE_NAMES,
    Formatter,
    load_translations,
    page_languages,
    text_direction,
)
from ..resources import LOCALE_DIR, TEMPLATES_DIR
from ..timings import LiveTimings

HTMX = "vendor/htmx-2.0.11.min.js"


@dataclass(frozen=True, slots=True)
class BannerWindow:
    """An announcement and when a screen shows it: sent once with the state now, not once per
    state to come; the page's clock shows and hides it (static/js/screen.js), offline too."""

    banner: Banner
    start: datetime | None  # None: in force when the state took effect
    until: datetime | None  # when it stops showing (expiry, undo); None: not known to end

    def shown_at(self, instant: datetime | None) -> bool:
        if instant is None:
            return self.start is None
        started = self.start is None or self.start <= instant
        return started and (self.until is None or instant < self.until)


def banner_windows(
    states: Sequence[tuple[datetime | None, ScreenState]],
) -> tuple[BannerWindow, ...]:
    """Each announcement of ``states`` (the state now, at None, then the states to come, each
    from its instant) once, from the first state that has it until the first after that does
    not (or its expiry, if it outlasts them): urgent ones first, then in the order made."""
    first: dict[str, tuple[Banner, datetime | None]] = {}
    ended: dict[str, datetime] = {}
    for at, state in states:
        present = {b.id for b in state.banners}
        for banner in state.banners:
            first.setdefault(banner.id, (banner, at))
        for gone in first.keys() - present - ended.keys():
            if at is not None:
                ended[gone] = at
    windows = [
        BannerWindow(banner, start, ended.get(id, banner.expires))
        for id, (banner, start) in first.items()
    ]
    return tuple(sorted(windows, key=lambda w: w.banner.priority != "urgent"))


@dataclass(frozen=True, slots=True)
class RoomView:
    """Everything a room's templates need, for one state version."""

    room: Room
    programme: Programme
    state: ScreenState
    version: int
    overrides: tuple[Override, ...] = ()  # standing overrides of the room, for the console
    since: datetime | None = None  # the instant this state took effect
    # The announcements of this state and of those to come (``banner_windows``); None: this
    # state's only.
    windows: tuple[BannerWindow, ...] | None = None

    @property
    def banners(self) -> tuple[BannerWindow, ...]:
        if self.windows is not None:
            return self.windows
        return banner_windows([(None, self.state)])


def epoch_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


# A countdown ("Starts in 12 min") counts the last hour; before it, the screen says the time.
COUNTDOWN_MINUTES = 60


def minutes_left(to: datetime, at: datetime | None) -> int | None:
    """Whole minutes (rounded up, at least 1) from ``at`` to ``to`` within the countdown's
    hour; None before it (or with no instant: the screen says the time)."""
    if at is None:
        return None
    seconds = (to - at).total_seconds()
    if seconds > COUNTDOWN_MINUTES * 60:
        return None
    return max(1, math.ceil(seconds / 60))


def plural_samples(language: str) -> list[tuple[str, int]]:
    """One number for each plural category (CLDR: one, few, many, other...) of the language's
    whole numbers: a countdown's page picks its words by ``Intl.PluralRules``, from forms the
    catalogue translated for these numbers."""
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        locale = Locale.parse("en")
    samples: dict[str, int] = {}
    for n in range(0, 200):
        samples.setdefault(str(locale.plural_form(n)), n)
    return sorted(samples.items())


URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)\]]")


def links(text: str) -> Markup:
    """``text`` escaped, its web addresses as links (footnotes on the phone)."""
    parts: list[str] = []
    last = 0
    for found in URL.finditer(text):
        url = found.group(0)
        parts.append(str(escape(text[last : found.start()])))
        parts.append(f'<a href="{escape(url)}" dir="ltr">{escape(url)}</a>')
        last = found.end()
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704  (every piece escaped above)


def unbroken(text: str) -> str:
    """A time or a date that a line never cuts ("10 a.m.", not "10" then "a.m.")."""
    return text.replace(" ", "\u00a0")


def build_id(assets: Assets | None, templates_dir: Path, *languages: str) -> str:
    """What a page is made of, as one short hash: the static files, every template, the
    languages and their catalogues.  Pages built from other files reload themselves.  A server
    rendering several languages gives all its renderers one build over every catalogue, so the
    one heartbeat frame (which carries it) serves pages in any language."""
    h = hashlib.sha256(assets.fingerprint() if assets is not None else b"")
    for file in sorted(p for p in templates_dir.rglob("*") if p.is_file()):
        h.update(f"\0{file.relative_to(templates_dir).as_posix()}\0".encode())
        h.update(file.read_bytes())
    for language in languages:
        h.update(f"\0{language}\0".encode())
        catalogue = LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"
        if catalogue.is_file():
            h.update(catalogue.read_bytes())
    return h.hexdigest()[:12]


def room_may_undo(override: Override, room_id: str) -> bool:
    """Whether the console of a room-bound staff member shows Undo by ``override`` in the room
    ``room_id``: one frame serves every console of the room, so only if whoever may act on
    that room may undo it (an override on other rooms too, such as the secretariat's
    announcement to all rooms, is refused to a chair of one room)."""
    return may_clear(override, frozenset({room_id}))


class Renderer:
    def __init__(
        self,
        language: str,
        templates_dir: Path = TEMPLATES_DIR,
        translations: gettext.NullTranslations | None = None,
        room_names: dict[str, str] | None = None,
        assets: Assets | None = None,
        timings: LiveTimings | None = None,
        build: str | None = None,
        default_language: str | None = None,
    ) -> None:
        """``assets``: the static files, for versioned URLs (None: plain ``/static/`` paths, for
        tests that render without serving).  ``build``: the server's build, when it renders
        several languages (``build_id`` over them all); default: this language's."""
        self.language = language
        self.build = build or build_id(assets, templates_dir, language)
        self.env = Environment(
            loader=FileSystemLoader(templates_dir),
            autoescape=True,
            undefined=StrictUndefined,
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.install_gettext_translations(  # type: ignore[attr-defined]
            translations or load_translations(language), newstyle=True
        )
        self.env.globals.update(
            fmt=Formatter(language),
            lang=language,
            dir=text_direction(language),
            languages=[(code, LANGUAGE_NAMES.get(code, code)) for code in page_languages()],
            Status=Status,
            Say=Say,
            minutes_left=minutes_left,
            plural_samples=plural_samples(language),
            asset=assets.url if assets is not None else (lambda path: f"/static/{path}"),
            HTMX=HTMX,
            build=self.build,
            live_timings=(timings or LiveTimings()).page_attributes(),
            epoch_ms=epoch_ms,
            room_names=room_names or {},
            room_may_undo=room_may_undo,
        )
        default = default_language or language

        def live_url(path: str, **params: str) -> str:
            """A socket's address on this page: the page's language (unless the server's
            default) and ``params``, those given."""
            query = {"lang": language} if language != default else {}
            query.update({k: v for k, v in params.items() if v})
            return path + ("?" + urlencode(query) if query else "")

        self.env.globals["live_url"] = live_url
        self.env.filters["links"] = links
        self.env.filters["unbroken"] = unbroken
        # Swapped into the page's own #heartbeat: "this link is alive, and this is my build".
        self.heartbeat_frame = self.render("partials/_heartbeat.html").strip()

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    # One method a channel: what a message on that channel holds (top-level elements with ids;
    # static/js/live.js swaps each into the element with the same id).
    def display_frame(self, view: RoomView, coming: Sequence[RoomView] = ()) -> str:
        """The display's state, and the states still to come, each with its instant, so the
        page flips by itself at each boundary, connected or not; and the server's build, so a
        display that reconnects after a deploy knows at once that it should reload."""
        return self.display_now(view) + self.display_timeline(coming) + self.heartbeat_frame

    def display_now(self, view: RoomView) -> str:
        return self.render("partials/_display_now.html", v=view)

    def display_timeline(self, coming: Sequence[RoomView]) -> str:
        return self.render("partials/_display_timeline.html", coming=coming)

    def use_rooms(self, room_names: dict[str, str]) -> None:
        """A revised rooms.toml may rename rooms: "Moved to …" reads the new names."""
        self.env.globals["room_names"] = room_names

    def room_frame(self, view: RoomView) -> str:
        return self.render("partials/_room_now.html", v=view) + self.render(
            "partials/_room_day.html", v=view
        )

    def console_frame(self, view: RoomView, undo_all: bool) -> str:
        """The console's view of a room: for those who may act on every room (``undo_all``:
        Undo by every override), or for those bound to rooms (Undo only by the overrides that
        act on this room alone: see ``room_may_undo``)."""
        return self.render("partials/_console_room.html", v=view, undo_all=undo_all)

    def card(self, view: RoomView) -> str:
        return self.render("partials/_room_card.html", v=view)
