"""The kiosk display outside a conference room: ``/display/{room}``; the list of them:
``/display/``."""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

import segno
from starlette.requests import Request
from starlette.responses import HTMLResponse

from ..live.render import epoch_ms
from .language import alternation_seconds, display_languages
from .security import CSP
from .views import live, room_view


def phone_url(request: Request, room_id: str) -> str:
    base = request.app.state.settings.public_url or str(request.base_url).rstrip("/")
    return f"{base}/rooms/{room_id}"


async def display_page(request: Request) -> HTMLResponse:
    """``?lang=fr``: in French; ``?lang=en,fr&every=10s``: alternating (``alternating``)."""
    view = room_view(request)
    languages = display_languages(request)
    if len(languages) == 2:
        return alternating(request, view.room.id, languages, alternation_seconds(request))
    renderer = live(request).use_language(languages[0])
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
    html = renderer.render(
        "display.html",
        v=view,
        coming=coming,
        qr_svg=qr,
        phone_url=url,
        screen=screen,
        screen_id=screen_id,
        clock=clock,
    )
    headers = {"cache-control": "no-store"}
    if request.query_params.get("embedded") == "1":
        headers.update(FRAMED)  # one language of an alternating display, in its frame
    return HTMLResponse(html, headers=headers)


# An alternating display's frames are this server's own display pages: only this origin may
# frame them (every other page refuses any frame: web/security.py).
FRAMED = {
    "content-security-policy": CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'"),
    "x-frame-options": "SAMEORIGIN",
}


def alternating(
    request: Request, room_id: str, languages: tuple[str, ...], every: float
) -> HTMLResponse:
    """A display in two languages, each shown ``every`` seconds in turn (static/js/alternate.js).
    Each language is a whole display page in a frame of its own, with its own socket and its
    states to come, so both keep turning at boundaries offline, as a one-language display
    does; the page only shows one frame, then the other."""
    screen = request.query_params.get("screen", "")[:40]
    frames = [
        f"/display/{room_id}?"
        + urlencode({"lang": lang, "embedded": "1", **({"screen": screen} if screen else {})})
        for lang in languages
    ]
    renderer = live(request).use_language(languages[0])
    html = renderer.render(
        "display_alternating.html",
        v=live(request).view(room_id),
        frames=list(zip(languages, frames, strict=True)),
        every_ms=int(every * 1000),
    )
    return HTMLResponse(html, headers={"cache-control": "no-store"})


async def display_list(request: Request) -> HTMLResponse:
    """Every room's display, to open on the screen outside its door."""
    service = live(request)
    html = service.renderer.render("displays.html", rooms=service.site.rooms)
    return HTMLResponse(html)
