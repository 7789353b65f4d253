"""The delegates' view: what's on now in every room (``/``) and in one room (``/rooms/{room}``).

Both pages are rendered once per state version and served from that cache with an ETag.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from .feeds import feed_links
from .views import cached_response, live, room_view


async def overview(request: Request) -> Response:
    service = live(request)
    views = [service.view(room.id) for room in service.site.rooms]
    public_url = request.app.state.settings.public_url
    page = service.page(
        "overview",
        tuple(v.version for v in views),
        lambda: service.renderer.render(
            "overview.html", views=views, feeds=feed_links(public_url, "/programme.ics")
        ),
    )
    return cached_response(request, page)


async def room_page(request: Request) -> Response:
    view = room_view(request)
    service = live(request)
    public_url = request.app.state.settings.public_url
    page = service.page(
        f"room:{view.room.id}",
        (view.version,),
        lambda: service.renderer.render(
            "room.html", v=view, feeds=feed_links(public_url, f"/rooms/{view.room.id}.ics")
        ),
    )
    return cached_response(request, page)
