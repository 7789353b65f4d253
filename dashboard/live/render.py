"""Rendering: one Jinja2 environment for pages and for the live partials pushed to screens.

Partials are rendered once per state change, never per client, and without a request: they use
``asset()`` and plain paths, never ``url_for``.  Autoescaping is on for every template, whatever
its name, since programme and override texts come from outside.
"""

from __future__ import annotations

import gettext
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ..assets import Assets
from ..domain.overrides import Override
from ..domain.programme import Programme
from ..domain.rooms import Room
from ..domain.timeline import ScreenState, Status
from ..i18n import Formatter, load_translations, text_direction
from ..settings import PROJECT_ROOT

TEMPLATES_DIR = PROJECT_ROOT / "templates"
HTMX = "vendor/htmx-2.0.11.min.js"
HTMX_WS = "vendor/htmx-ext-ws-2.0.4.min.js"


@dataclass(frozen=True, slots=True)
class RoomView:
    """Everything a room's templates need, for one state version."""

    room: Room
    programme: Programme
    state: ScreenState
    version: int
    overrides: tuple[Override, ...] = ()  # standing overrides of the room, for the console
    since: datetime | None = None  # the instant this state took effect


def epoch_ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


class Renderer:
    def __init__(
        self,
        language: str,
        templates_dir: Path = TEMPLATES_DIR,
        translations: gettext.NullTranslations | None = None,
        room_names: dict[str, str] | None = None,
        assets: Assets | None = None,
    ) -> None:
        """``assets``: the static files, for versioned URLs (None: plain ``/static/`` paths, for
        tests that render without serving)."""
        self.language = language
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
            Status=Status,
            asset=assets.url if assets is not None else (lambda path: f"/static/{path}"),
            HTMX=HTMX,
            HTMX_WS=HTMX_WS,
            epoch_ms=epoch_ms,
            room_names=room_names or {},
        )

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context)

    # One method a channel: what a message on that channel holds (top-level elements with ids,
    # which htmx's ws extension swaps out of band).
    def display_frame(self, view: RoomView, coming: Sequence[RoomView] = ()) -> str:
        """The display's state, and the states still to come today, each with its instant, so
        the page flips by itself at the boundary, connected or not."""
        return self.render("partials/_display_now.html", v=view) + self.render(
            "partials/_display_timeline.html", coming=coming
        )

    def room_frame(self, view: RoomView) -> str:
        return self.render("partials/_room_now.html", v=view) + self.render(
            "partials/_room_day.html", v=view
        )

    def console_frame(self, view: RoomView) -> str:
        return self.render("partials/_console_room.html", v=view)

    def card(self, view: RoomView) -> str:
        return self.render("partials/_room_card.html", v=view)
