"""Programmes published through a PostgreSQL store (store/programmes.py), as files: the texts
a revision is made of, read from config/; and a revision written out into the data folder, to
be loaded like a config folder.  Blocking: called in a worker thread."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from ..domain.programme import ProgrammeError
from ..domain.rooms import Room
from ..store.programmes import Published

ROOMS_TOML = "rooms.toml"
FOLDER = "published"  # in the data folder: one sub-folder per revision, the last one kept


def revision_texts(config_dir: Path, rooms: Iterable[Room]) -> dict[str, str]:
    """rooms.toml and every programme file it names, as text."""
    names = [ROOMS_TOML, *sorted({room.programme for room in rooms})]
    return {name: (config_dir / name).read_text(encoding="utf-8") for name in names}


def materialise(published: Published, data_dir: Path) -> Path:
    """Write ``published`` into data_dir/published/VERSION/ (removing revisions older than the
    one before it); that folder.  A name that would leave the folder is refused
    (ProgrammeError).

    The workers of ``serve --workers`` start together and each materialises the revision it
    reads: each writes into a staging folder of its own and renames it into place, which is
    atomic; if another got there first, its folder (the same revision, the same texts) is
    used and this one's staging dropped.  A folder in place is never removed or rewritten
    while it is the newest, so no worker reads a half-written or vanishing one."""
    root = data_dir / FOLDER
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder = root / str(published.version)
    if not folder.is_dir():
        staging = Path(tempfile.mkdtemp(prefix=f".{published.version}.", dir=root))
        try:
            for name, text in published.files.items():
                relative = PurePosixPath(name)
                if relative.is_absolute() or ".." in relative.parts or not relative.parts:
                    raise ProgrammeError(
                        name, None, "a published file name outside the config folder"
                    )
                target = staging.joinpath(*relative.parts)
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                target.write_text(text, encoding="utf-8")
            try:
                staging.rename(folder)
            except OSError:  # another process renamed its copy into place first
                if not folder.is_dir():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    # Older revisions go, but the one before this one stays a while: a process may be loading
    # it still.  Staging folders (".N.xxxx") are their writers' to remove.
    for old in root.iterdir():
        if old.name.isdigit() and int(old.name) < published.version - 1:
            shutil.rmtree(old, ignore_errors=True)
    return folder
