"""The files under static/, read once at start-up and kept in memory, each with its gzip form
(compressed once, here) and a hash of its content.

Templates name a file by its path, ``asset("css/site.css")``, and get a URL carrying the hash,
``/static/css/site.3f2a9c1b0e4d.css``: a deploy that changes a file changes its URL, so a kiosk
never keeps an old script or style sheet, and a versioned URL may be cached for a year.

Only the files found here are ever served: a request names a key of this map or gets 404.  No
path from a request is ever joined to the folder, so there is nothing to traverse.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DIGEST_LENGTH = 12  # hex digits of sha256 in a URL: 48 bits, plenty for one folder's history
# "css/site.3f2a9c1b0e4d.css" or "LICENSE.3f2a9c1b0e4d": the stem, the hash, the extension.
VERSIONED = re.compile(rf"(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<ext>\.[^./]+)?")
MEDIA_TYPES = {  # the ones the site uses; Python's table differs between versions for .js
    ".css": "text/css",
    ".js": "text/javascript",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".txt": "text/plain",
}
COMPRESSIBLE = ("text/", "application/json", "image/svg+xml")


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:DIGEST_LENGTH]


@dataclass(frozen=True, slots=True)
class Asset:
    path: str  # relative to static/, with "/": "css/site.css"
    body: bytes
    gzipped: bytes | None  # None when gzip would not make it smaller
    digest: str
    media_type: str

    @classmethod
    def of(cls, path: str, body: bytes) -> Asset:
        suffix = Path(path).suffix.lower()
        media_type = MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path)[0] or "text/plain"
        gzipped = None
        if media_type.startswith(COMPRESSIBLE):
            # mtime=0: the same bytes at every start, so the gzip form is as stable as the file.
            packed = gzip.compress(body, compresslevel=9, mtime=0)
            gzipped = packed if len(packed) < len(body) else None
        return cls(path, body, gzipped, digest(body), media_type)

    @property
    def versioned(self) -> str:
        """The name with the hash before the extension: ``css/site.3f2a9c1b0e4d.css``."""
        folder, _, name = self.path.rpartition("/")
        stem, dot, ext = name.rpartition(".")
        name = f"{stem}.{self.digest}.{ext}" if dot and stem else f"{name}.{self.digest}"
        return f"{folder}/{name}" if folder else name


class Assets:
    """The static files by path and by versioned name."""

    def __init__(self, files: Iterable[Asset]) -> None:
        self.files = {asset.path: asset for asset in files}
        self.by_version = {asset.versioned: asset for asset in self.files.values()}

    @classmethod
    def load(cls, folder: Path) -> Assets:
        """Every regular file under ``folder``, except hidden ones and links leading out of it."""
        root = folder.resolve()
        found: list[Asset] = []
        for file in sorted(root.rglob("*")):
            relative = file.relative_to(root)
            if any(part.startswith(".") for part in relative.parts) or not file.is_file():
                continue
            if not file.resolve().is_relative_to(root):
                continue
            found.append(Asset.of(relative.as_posix(), file.read_bytes()))
        return cls(found)

    def url(self, path: str) -> str:
        """The URL templates use for ``path``; KeyError for a file that is not there (so a
        template naming a missing file fails its test, not a screen)."""
        asset = self.files.get(path)
        if asset is None:
            raise KeyError(f"no file static/{path}")
        return f"/static/{asset.versioned}"

    def lookup(self, name: str) -> tuple[Asset, bool] | None:
        """The file a request's path (after ``/static/``) names, and whether the name carries
        the file's current hash.  A name with another hash (a page from before a deploy asks
        for its old script) gets the current file, but not as the immutable version."""
        if (asset := self.by_version.get(name)) is not None:
            return asset, True
        if (asset := self.files.get(name)) is not None:
            return asset, False
        if (match := VERSIONED.fullmatch(name)) is not None:
            asset = self.files.get(match["stem"] + (match["ext"] or ""))
            if asset is not None:
                return asset, False
        return None

    def fingerprint(self) -> bytes:
        """Every file's path and hash: part of the server's build id."""
        return "".join(f"{a.path}\0{a.digest}\n" for a in self.files.values()).encode()
