"""Revised programmes sent from the secretariat's console: staged, compared, then published.

Sending a file only reads and compares it: the console shows what would change (slots added,
moved, removed, changed; overrides left without their slot) and nothing is written.  Publishing
the staged revision writes it into ``config/`` atomically (the file it replaces is kept under
``config/.previous/``) and hands over to the Reloader, which publishes it to every screen as if
the file had been replaced by hand.  A note may replace a TOML programme and the other way
round: the file keeps its stem, takes the sent file's extension, and ``rooms.toml`` is pointed
at it.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import tempfile
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path, PurePath

from starlette.concurrency import run_in_threadpool

from ..domain.loader import is_toml, load_programme
from ..domain.programme import ProgrammeError
from ..site import Site
from .reload import Reloader, ReloadResult

MAX_PROGRAMME_BYTES = 1024 * 1024
MAX_STAGED = 20  # revisions awaiting a decision; the oldest is forgotten first
PREVIOUS = ".previous"


@dataclass(frozen=True)
class Staged:
    id: str
    target: str  # the programme file (in config/) it replaces
    saved_as: str  # the name it will have there
    data: bytes
    sha256: str
    rooms: tuple[str, ...]  # the rooms that read the target
    warnings: tuple[str, ...]
    compared: ReloadResult


class RevisionDesk:
    def __init__(self, reloader: Reloader) -> None:
        self.reloader = reloader
        self._staged: OrderedDict[str, Staged] = OrderedDict()

    @property
    def site(self) -> Site:
        return self.reloader.service.site

    def targets(self) -> dict[str, tuple[str, ...]]:
        """Each programme file in use, with the rooms that read it."""
        files: dict[str, tuple[str, ...]] = {}
        for room in self.site.rooms:
            files[room.programme] = (*files.get(room.programme, ()), room.id)
        return files

    async def stage(self, target: str, sent_name: str, data: bytes) -> Staged:
        """Read and compare a sent file (in a worker thread); nothing changes.  ProgrammeError
        names the sent file and its line when it does not read right."""
        rooms = self.targets().get(target)
        if rooms is None:
            raise ProgrammeError(target, None, "no room reads this programme file")
        name = PurePath(sent_name.replace("\\", "/")).name or "programme.txt"
        if not name.lower().endswith((".txt", ".toml")):
            raise ProgrammeError(name, None, "send a programme note (.txt) or its TOML (.toml)")
        if len(data) > MAX_PROGRAMME_BYTES:
            raise ProgrammeError(name, None, "larger than 1 MiB: is this a programme?")
        settings = self.reloader.settings
        result = await run_in_threadpool(load_programme, data, name, settings.timezone)
        programmes = dict(self.site.programmes)
        for room in rooms:
            programmes[room] = result.programme
        compared = await self.reloader.check(Site(self.site.rooms, programmes))
        saved_as = PurePath(target).stem + (".toml" if is_toml(name) else ".txt")
        staged = Staged(
            secrets.token_urlsafe(16),
            target,
            saved_as,
            data,
            hashlib.sha256(data).hexdigest(),
            rooms,
            tuple(str(w) for w in result.warnings),
            compared,
        )
        self._staged[staged.id] = staged
        while len(self._staged) > MAX_STAGED:
            self._staged.popitem(last=False)
        return staged

    def staged(self, staged_id: str) -> Staged | None:
        return self._staged.get(staged_id)

    async def publish(self, staged_id: str, now: datetime) -> tuple[Staged, ReloadResult]:
        """Write the staged file into config/ and publish it.  KeyError when it is unknown
        (already published, or forgotten)."""
        staged = self._staged.pop(staged_id)
        folder = self.reloader.settings.config_dir
        stamp = now.strftime("%Y%m%dT%H%M%S%z")
        _keep_previous(folder / staged.target, folder / PREVIOUS / f"{staged.target}.{stamp}")
        _write_atomically(folder / staged.saved_as, staged.data)
        if staged.saved_as != staged.target:
            rooms_toml = folder / "rooms.toml"
            text = rooms_toml.read_text(encoding="utf-8")
            _write_atomically(rooms_toml, repoint(text, staged.target, staged.saved_as).encode())
        result = await self.reloader.reload()
        return replace(staged, compared=result), result


def repoint(rooms_toml: str, old: str, new: str) -> str:
    """rooms.toml with every ``programme = "old"`` line naming ``new``; comments and layout
    stay as the secretariat wrote them."""
    pattern = re.compile(rf'^(\s*programme\s*=\s*)(["\']){re.escape(old)}\2(\s*(#.*)?)$', re.M)
    text, count = pattern.subn(lambda m: f'{m[1]}"{new}"{m[3]}', rooms_toml)
    if count == 0:
        raise ProgrammeError("rooms.toml", None, f"cannot find programme = {old!r} to change it")
    return text


def _keep_previous(path: Path, backup: Path) -> None:
    if path.exists():
        backup.parent.mkdir(exist_ok=True)
        _write_atomically(backup, path.read_bytes())


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of it, even after a crash."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
