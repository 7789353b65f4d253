"""Every reader in their language: one renderer per language, made once, the first time a page
or a socket asks for that language.

Live partials are rendered once per change *per language in use*, never per client: the service
renders each change in every language some page has asked for since start-up (at most the six
with a catalogue) and publishes each to that language's channel (``localized_channel``).  The
server's default language (settings.toml) uses the channels' plain names, as before.

A new live view (the lobby board, say) plugs in with three calls of ``LiveService``:
``use_language(lang)`` before serving a page or a socket in ``lang`` (renders and publishes that
language's frames of every view, if it was not in use); ``render_each(render)``, which returns
``{language: text}`` for every language in use from ``render(renderer)``; and
``publish_each(channel, version, texts)``, which puts each text on its language's channel
(``localized_channel(channel, lang)``).  Its pages are cached per language by
``page(key, versions, build, language)``.
"""

from __future__ import annotations

from collections.abc import Callable

from ..i18n import page_languages
from .render import Renderer


def localized_channel(channel: str, language: str | None) -> str:
    """``channel`` in ``language`` (None: the server's default language, the plain name)."""
    return channel if language is None else f"{channel}@{language}"


class Renderers:
    """A keyed cache of renderers, by language: the default one given, others made by
    ``make`` when first asked for.  The languages in use only grow (six at most)."""

    def __init__(self, default: Renderer, make: Callable[[str], Renderer]) -> None:
        self.default = default
        self._make = make
        self._made: dict[str, Renderer] = {}

    @property
    def offered(self) -> tuple[str, ...]:
        return page_languages()

    def get(self, language: str | None) -> Renderer:
        """The renderer of ``language`` (None or the default: the default renderer).  Raises
        KeyError for a language not offered."""
        if language is None or language == self.default.language:
            return self.default
        if language not in self.offered:
            raise KeyError(language)
        if language not in self._made:
            self._made[language] = self._make(language)
        return self._made[language]

    def key(self, language: str | None) -> str | None:
        """The channel suffix of ``language``: None for the default language."""
        return None if language in (None, self.default.language) else language

    def in_use(self) -> list[Renderer]:
        """The default renderer, then every other language asked for so far."""
        return [self.default, *self._made.values()]

    def use_rooms(self, room_names: dict[str, str]) -> None:
        for renderer in self.in_use():
            renderer.use_rooms(room_names)
