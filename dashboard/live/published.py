"""Programmes published through a PostgreSQL store (store/programmes.py), as files: the texts
a revision is made of, read from config/; and a revision written out into the data folder, to
be loaded like a config folder.  Blocking: called in a worker thread."""

from __future__ import annotations

import shutil
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
    """Write ``published`` into data_dir/published/VERSION/ (removing older revisions); that
    folder.  A name that would leave the folder is refused (ProgrammeError)."""
    root = data_dir / FOLDER
    folder = root / str(published.version)
    staging = root / f".{published.version}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    for name, text in published.files.items():
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise ProgrammeError(name, None, "a published file name outside the config folder")
        target = staging.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.write_text(text, encoding="utf-8")
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    for old in root.iterdir():
        if old != folder and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return folder
