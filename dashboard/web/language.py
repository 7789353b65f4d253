"""Which language a page or a socket is in.

- Phone pages: ``?lang=`` (which is then remembered in a cookie), else the cookie, else the
  browser's ``Accept-Language`` among the languages offered, else the server's default
  (settings.toml).  Their answers vary with those headers (``Vary``).
- Displays: ``?lang=`` only (a screen is set up once, by staff): one language, or two that the
  screen alternates (``?lang=en,fr&every=10s``); else the server's default.
- Sockets: the ``?lang=`` the page put in its ``data-live`` address.

A ``?lang=`` that names no language offered is a 400 naming the parameter and the choices.
"""

from __future__ import annotations

import re

from starlette.requests import HTTPConnection, Request
from starlette.responses import Response

from ..i18n import negotiate, page_languages
from .errors import LANGUAGE_COOKIE, BadLanguage
from .views import live

COOKIE = LANGUAGE_COOKIE
COOKIE_AGE = 365 * 24 * 3600
VARY = "Accept-Encoding, Accept-Language, Cookie"
# Alternating displays: each language shown this long (seconds), within these bounds.
EVERY_DEFAULT = 10.0
EVERY_MIN, EVERY_MAX = 3.0, 3600.0
EVERY = re.compile(r"^(\d{1,4}(?:\.\d{1,3})?)\s*s?$")


def default_language(conn: HTTPConnection) -> str:
    language: str = conn.app.state.settings.language
    return language


def _offered_or_400(raw: str) -> str:
    offered = page_languages()
    language = raw.strip().lower()
    if language not in offered:
        raise BadLanguage(f"lang: {raw[:20]!r} is not one of {', '.join(offered)}")
    return language


def asked_language(conn: HTTPConnection) -> str | None:
    """The single language ``?lang=`` names (400 for one not offered); None without one."""
    raw = conn.query_params.get("lang")
    return _offered_or_400(raw) if raw is not None else None


def phone_language(request: Request) -> str:
    asked = asked_language(request)
    if asked is not None:
        return asked
    kept = request.cookies.get(COOKIE, "")
    if kept in page_languages():
        return kept
    negotiated = negotiate(request.headers.get("accept-language", ""), page_languages())
    return negotiated or default_language(request)


def phone_response(request: Request, response: Response) -> Response:
    """The phone page's answer: varying with what chose its language, and remembering a
    ``?lang=`` choice (the menu's links) for the reader's next visit."""
    response.headers["vary"] = VARY
    asked = asked_language(request)
    if asked is not None and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=COOKIE_AGE, path="/", samesite="lax")
    return response


def display_languages(request: Request) -> tuple[str, ...]:
    """One language, or two to alternate (400 for more, for one not offered, or twice)."""
    raw = request.query_params.get("lang")
    if raw is None:
        return (default_language(request),)
    parts = raw.split(",")
    if not 1 <= len(parts) <= 2:
        raise BadLanguage(f"lang: {raw[:40]!r}: one language, or two separated by a comma")
    languages = tuple(_offered_or_400(p) for p in parts)
    if len(set(languages)) != len(languages):
        raise BadLanguage(f"lang: {raw[:40]!r} names the same language twice")
    return languages


def alternation_seconds(request: Request) -> float:
    """``?every=10s`` (or ``10``): how long an alternating display shows each language."""
    raw = request.query_params.get("every")
    if raw is None:
        return EVERY_DEFAULT
    found = EVERY.match(raw.strip())
    seconds = float(found.group(1)) if found else -1.0
    if not EVERY_MIN <= seconds <= EVERY_MAX:
        raise BadLanguage(
            f"every: {raw[:20]!r} is not a duration from {EVERY_MIN:g}s to {EVERY_MAX:g}s"
        )
    return seconds


def socket_language(conn: HTTPConnection) -> str | None:
    """The channel key of a socket's ``?lang=`` (None: the default language); raises
    BadLanguage for one not offered."""
    asked = asked_language(conn)
    if asked is None:
        return None
    live(conn).use_language(asked)
    return live(conn).renderers.key(asked)
