"""The kiosk display outside a conference room: ``/display/{room}``; the list of them:
``/display/``."""

from __future__ import annotations

import secrets

import segno
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..live.render import epoch_ms
from .views import live, room_view


def phone_url(request: Request, room_id: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/rooms/{room_id}"


async def display_page(request: Request) -> HTMLResponse:
    view = room_view(request)
    url = phone_url(request, view.room.id)
    qr = segno.make(url, error="m").svg_inline(
        scale=6, dark="#000000", light="#ffffff", omitsize=True
    )
    service = live(request)
    coming = service.coming(view.room.id)
    # ?screen=lobby-left names this screen in the console's list of displays.
    screen = request.query_params.get("screen", "")[:40]
    # Without one, an id for the page to keep (static/js/live.js): staff can label it.
    screen_id = "" if screen.strip() else f"display-{secrets.token_hex(4)}"
    # The server's clock as the page is rendered: the page's clock starts from it, so it never
    # waits on /api/time before it can show the time or flip (static/js/clock.js).
    clock = {"now": epoch_ms(service.clock.now()), "speed": service.clock.speed}
    html = service.renderer.render(
        "display.html",
        v=view,
        coming=coming,
        qr_svg=qr,
        phone_url=url,
        screen=screen,
        screen_id=screen_id,
        clock=clock,
    )
    return HTMLResponse(html, headers={"cache-control": "no-store"})


async def display_list(request: Request) -> HTMLResponse:
    """Every room's display, to open on the screen outside its door."""
    service = live(request)
    html = service.renderer.render("displays.html", rooms=service.site.rooms)
    return HTMLResponse(html)
