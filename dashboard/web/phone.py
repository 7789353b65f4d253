"""The delegates' view: what's on now in every room (``/``) and in one room (``/rooms/{room}``).

Both pages are rendered once per state version and language and served from that cache with an
ETag; the language is the reader's (web/language.py: ``?lang=``, the cookie, Accept-Language).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .feeds import feed_links
from .language import default_language, phone_language, phone_response
from .views import cached_response, live, room_view


async def overview(request: Request) -> Response:
    service = live(request)
    language = phone_language(request)
    renderer = service.use_language(language)
    views = [service.view(room.id) for room in service.site.rooms]
    public_url = request.app.state.settings.public_url
    page = service.page(
        "overview",
        tuple(v.version for v in views),
        lambda: renderer.render(
            "overview.html",
            views=views,
            feeds=feed_links(public_url, "/programme.ics", language, default_language(request)),
        ),
        language,
    )
    return phone_response(request, cached_response(request, page))


async def room_page(request: Request) -> Response:
    view = room_view(request)
    service = live(request)
    language = phone_language(request)
    renderer = service.use_language(language)
    public_url = request.app.state.settings.public_url
    page = service.page(
        f"room:{view.room.id}",
        (view.version,),
        lambda: renderer.render(
            "room.html",
            v=view,
            feeds=feed_links(
                public_url, f"/rooms/{view.room.id}.ics", language, default_language(request)
            ),
        ),
        language,
    )
    return phone_response(request, cached_response(request, page))
