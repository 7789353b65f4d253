"""``/static/...``: the files of ``dashboard.assets.Assets``, answered from memory.

* A versioned name (``css/site.3f2a9c1b0e4d.css``, what templates link to) is cached for a year
  as immutable: a new file has a new name.
* A plain name (``css/site.css``), or a versioned name with an old hash, is the current file,
  revalidated on every use (``no-cache``) against its ETag: 304 when unchanged.
* gzip when the client accepts it (``gzip;q=0`` refuses it), compressed once at start-up.
* Anything else is 404: only names in the map are served.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.middleware.gzip import GZipMiddleware, IdentityResponder
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from ..assets import Assets
from .views import accepts_gzip

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
PREFIX = "/static/"


async def asset_file(request: Request) -> Response:
    assets: Assets = request.app.state.assets
    found = assets.lookup(request.path_params["name"])
    if found is None:
        raise HTTPException(404)
    asset, current = found
    gz = asset.gzipped is not None and accepts_gzip(request.headers.get("accept-encoding", ""))
    # One ETag per representation: the gzip form and the plain one are different bytes.
    etag = f'"{asset.digest}-gzip"' if gz else f'"{asset.digest}"'
    headers = {"etag": etag, "cache-control": IMMUTABLE if current else REVALIDATE}
    if asset.gzipped is not None:
        headers["vary"] = "Accept-Encoding"
    if etag_matches(request.headers.get("if-none-match", ""), etag):
        return Response(status_code=304, headers=headers)
    if gz:
        headers["content-encoding"] = "gzip"
    body = asset.gzipped if gz and asset.gzipped is not None else asset.body
    return Response(body, media_type=asset.media_type, headers=headers)


def etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110's weak comparison, as If-None-Match asks: ``W/"x"`` matches ``"x"``."""
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


class GZipExceptAssets(GZipMiddleware):
    """Starlette's GZipMiddleware for what is rendered per request, except that assets pass
    untouched (they come compressed once, from memory: the middleware would compress them on
    every request), and that ``gzip;q=0`` is honoured (the middleware only looks for the
    word)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        if not accepts_gzip(Headers(scope=scope).get("accept-encoding", "")):
            identity = IdentityResponder(
                self.app, self.minimum_size, exclude_content_types=self.exclude_content_types
            )
            await identity(scope, receive, send)
            return
        await super().__call__(scope, receive, send)
