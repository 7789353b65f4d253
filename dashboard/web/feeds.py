"""Feeds for the tools delegates and venues already use: calendars (``/programme.ics``,
``/rooms/{room}.ics``) and schedule apps (``/schedule.xml``, ``/schedule.json``: frab).

Each is the site's meetings as the overrides in force have made them now (``domain/meetings``),
built once per set of room versions (any change of what a screen shows bumps one) and language,
and served from that cache with an ETag, as the phone pages are.  The words a feed adds
("Cancelled: ", "Closed meeting") are in the language its address names (``?lang=``, which the
phone page's links carry for a reader not in the server's language), else the server's: a
calendar app fetches a feed without the reader's cookie or Accept-Language.  The number of
times each meeting has changed (a calendar's SEQUENCE) is replayed from the whole override log:
the live memory forgets undone overrides, and a count must never go down.
"""

from __future__ import annotations

import functools
import gettext
import json
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..domain.frab import Conference, schedule, to_xml, version_of
from ..domain.ical import FeedInfo, Labels, calendar, stamp_of
from ..domain.meetings import Meeting, Revision, in_room, meetings, revisions
from ..i18n import load_translations
from ..live.service import LiveService
from ..live.startup import load_log
from .language import asked_language, default_language
from .views import cached_response, live, room_view

ICS = "text/calendar; charset=utf-8"
XML = "application/xml; charset=utf-8"
JSON = "application/json"


def labels(translations: gettext.NullTranslations) -> Labels:
    _ = translations.gettext
    return Labels(
        cancelled=_("Cancelled: %(title)s"),
        closed=_("Closed meeting"),
        agenda_items=_("Agenda items: %(items)s"),
        moved_from=_("Moved from %(room)s"),
    )


def feed_links(public_url: str, path: str, language: str, default: str) -> dict[str, str]:
    """The page's "Add to calendar" (the feed itself) and "Subscribe" links: webcal:// needs
    the server's public address; without one, the feed's own URL, to paste into a calendar.
    A reader not in the server's language gets feeds in theirs (``?lang=``)."""
    if language != default:
        path += f"?lang={language}"
    parts = urlsplit(public_url)
    subscribe = f"webcal://{parts.netloc}{parts.path}{path}" if parts.netloc else path
    return {"add": path, "subscribe": subscribe}


@dataclass(frozen=True)
class SiteMeetings:
    """The site's meetings and their revisions at one set of room versions."""

    key: tuple[int, ...]  # the room versions, then the site's identity
    found: list[Meeting]
    revised: dict[str, Revision]


async def _site_meetings(request: Request) -> SiteMeetings:
    """Computed once per set of room versions for every feed, in a worker thread: replaying the
    log plans the rooms again at each override (tens of milliseconds for a busy week), and the
    event loop serves the screens meanwhile.  The data is immutable (the site, a list of
    overrides read first)."""
    service = live(request)
    site = service.site
    key = (*_versions(service), id(site))
    cached: SiteMeetings | None = getattr(request.app.state, "feed_meetings", None)
    if cached is not None and cached.key == key:
        return cached
    now = service.clock.now()
    rooms = [r.id for r in site.rooms]
    # The whole log: undone and expired overrides count.
    overrides, _ = await load_log(request.app.state.store)

    def compute() -> SiteMeetings:
        found = meetings(rooms, site.programmes, overrides, now)
        return SiteMeetings(key, found, revisions(rooms, site.programmes, overrides, now))

    result = await run_in_threadpool(compute)
    request.app.state.feed_meetings = result
    return result


def _versions(service: LiveService) -> tuple[int, ...]:
    return tuple(service.version(r.id) for r in service.site.rooms)


def _info(request: Request, service: LiveService, name: str) -> FeedInfo:
    public = request.app.state.settings.public_url
    return FeedInfo(
        name=name,
        namespace=public or "urn:dashboard",
        room_names={r.id: r.name for r in service.site.rooms},
        page_url={r.id: f"{public}/rooms/{r.id}" for r in service.site.rooms} if public else {},
        published=request.app.state.published,
    )


def _cached(
    request: Request,
    site_meetings: SiteMeetings,
    key: str,
    media_type: str,
    build: Callable[[], str],
) -> Response:
    """The feed, built once per set of room versions: those ``site_meetings`` was computed at
    (a change while it was computed makes the next request compute again, never a stale feed
    kept under the new versions).  A revised site (rooms renamed, added) is in the key."""
    page = live(request).page(key, site_meetings.key, build, feed_language(request))
    return cached_response(request, page, media_type)


def feed_language(request: Request) -> str:
    """``?lang=`` (400 for one not offered), else the server's language."""
    return asked_language(request) or default_language(request)


def _translations(request: Request) -> gettext.NullTranslations:
    return _catalogue(feed_language(request))


@functools.cache  # one per language offered (six at most): a .po is parsed once, not per build
def _catalogue(language: str) -> gettext.NullTranslations:
    return load_translations(language)


async def programme_ics(request: Request) -> Response:
    """Every meeting of every room."""
    site_meetings = await _site_meetings(request)
    service = live(request)

    def build() -> str:
        title = service.site.programmes[service.site.rooms[0].id].title
        info = _info(request, service, title)
        return calendar(
            site_meetings.found, site_meetings.revised, labels(_translations(request)), info
        ).decode()

    return _cached(request, site_meetings, "feed:programme.ics", ICS, build)


async def room_ics(request: Request) -> Response:
    """The meetings printed for the room (held there, cancelled, or moved away) and those
    moved into it."""
    view = room_view(request)  # 404 for an unknown room
    room = view.room
    site_meetings = await _site_meetings(request)
    service = live(request)

    def build() -> str:
        info = _info(request, service, f"{room.name} · {view.programme.title}")
        mine = in_room(site_meetings.found, room.id)
        translations = _translations(request)
        return calendar(mine, site_meetings.revised, labels(translations), info).decode()

    return _cached(request, site_meetings, f"feed:{room.id}.ics", ICS, build)


def _schedule(request: Request, site_meetings: SiteMeetings) -> dict[str, object]:
    service = live(request)
    found, revised = site_meetings.found, site_meetings.revised
    site = service.site
    first = site.programmes[site.rooms[0].id]
    public = request.app.state.settings.public_url
    info = _info(request, service, first.title)
    conference = Conference(
        acronym=_acronym(site.rooms[0].programme),
        title=first.title + (f", {first.session}" if first.session else ""),
        timezone=first.timezone,
        start=min(p.start_date for p in site.programmes.values()),
        end=max(p.end_date for p in site.programmes.values()),
        base_url=public,
        language=feed_language(request),
        room_names=info.room_names,
        page_url=info.page_url,
        namespace=info.namespace,
        version=version_of(stamp_of(revised, found), info.published),
    )
    return schedule(found, conference, labels(_translations(request)))


async def schedule_xml(request: Request) -> Response:
    site_meetings = await _site_meetings(request)
    return _cached(
        request,
        site_meetings,
        "feed:schedule.xml",
        XML,
        lambda: to_xml(_schedule(request, site_meetings)).decode(),
    )


async def schedule_json(request: Request) -> Response:
    site_meetings = await _site_meetings(request)
    return _cached(
        request,
        site_meetings,
        "feed:schedule.json",
        JSON,
        lambda: json.dumps(_schedule(request, site_meetings), ensure_ascii=False, indent=1),
    )


def _acronym(programme_file: str) -> str:
    """The conference's short name: its programme's file name without the extension
    ("oewg-ict-sixth-session-2023")."""
    stem = programme_file.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in stem.lower()) or "dashboard"
