"""Revised programmes sent from the secretariat's console: staged, compared, then published.

Sending a file only reads and compares it: the console shows what would change (slots added,
moved, removed, changed; overrides left without their slot) and nothing is written.  Publishing
the staged revision writes it into ``config/`` (the file it replaces is kept under
``config/.previous/``) and hands over to the Reloader, which publishes it to every screen as if
the file had been replaced by hand.  A note may replace a TOML programme and the other way
round: the file keeps its stem, takes the sent file's extension, and ``rooms.toml`` is pointed
at it.

Publishing is all or nothing: everything that can be refused (rooms.toml that cannot be
pointed at the new file) is worked out before anything is written; the files are written in
full, then renamed into place so that config/ is valid at every step (the new programme file
before the rooms.toml that names it); and if a write fails, or the server refuses what was
written, the previous files are put back, so that config/ and the screens agree.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePath

from starlette.concurrency import run_in_threadpool

from ..domain.loader import is_toml, load_programme
from ..domain.programme import ProgrammeError
from ..domain.rooms import Room, parse_rooms, programme_for
from ..site import Site
from .config_files import FileSwap
from .reload import Reloader, ReloadResult

MAX_PROGRAMME_BYTES = 1024 * 1024
MAX_STAGED = 20  # revisions awaiting a decision; the oldest is forgotten first
PREVIOUS = ".previous"
ROOMS_TOML = "rooms.toml"


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
        return _readers(self.site.rooms)

    async def stage(self, target: str, sent_name: str, data: bytes) -> Staged:
        """Read and compare a sent file (in a worker thread); nothing changes.  ProgrammeError
        names the sent file and its line when it does not read right."""
        site = self.site
        rooms = _readers(site.rooms).get(target)
        if rooms is None:
            raise ProgrammeError(target, None, "no room reads this programme file")
        name = PurePath(sent_name.replace("\\", "/")).name or "programme.txt"
        if not name.lower().endswith((".txt", ".toml")):
            raise ProgrammeError(name, None, "send a programme note (.txt) or its TOML (.toml)")
        if len(data) > MAX_PROGRAMME_BYTES:
            raise ProgrammeError(name, None, "larger than 1 MiB: is this a programme?")
        result = await run_in_threadpool(
            load_programme,
            data,
            name,
            self.reloader.settings.timezone,
            self.reloader.settings.half_days,
        )
        programmes = dict(site.programmes)
        for room in rooms:
            reader = site.room(room)
            assert reader is not None  # _readers lists the site's own rooms
            programmes[room] = programme_for(reader, result.programme, name)
        compared = await self.reloader.check(Site(site.rooms, programmes))
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
        """Write the staged file into config/ and publish it, or change nothing.

        KeyError when it is unknown (already published, or forgotten); ProgrammeError, with
        nothing written, when rooms.toml cannot be pointed at it; OSError when a file cannot
        be written (what was written is undone).  When the server refuses what was written,
        the previous files are put back and the result says why (``ok`` false)."""
        staged = self._staged.pop(staged_id)
        # Held from the first read of rooms.toml to the end: the watcher or another reload
        # must not read config/ half written, or publish what is about to be undone.
        async with self.reloader.lock:
            swap = await run_in_threadpool(self._plan, staged, now)
            await run_in_threadpool(swap.commit)
            result = await self.reloader.reload_locked()
            if not result.ok:
                try:
                    await run_in_threadpool(swap.undo)
                except OSError as exc:  # the screens still show the previous programme
                    result = ReloadResult(
                        False,
                        f"{result.error}; and config/ could not be put back as it was ({exc}): "
                        f"check {', '.join(str(p) for p in swap.paths)}",
                    )
        return replace(staged, compared=result), result

    def _plan(self, staged: Staged, now: datetime) -> FileSwap:
        """The files to write, in the order they may be renamed into place, worked out in full
        before anything is written.  Blocking I/O: runs in a worker thread."""
        folder = self.reloader.settings.config_dir
        rooms_toml = folder / ROOMS_TOML
        try:
            rooms_text = rooms_toml.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ProgrammeError(str(rooms_toml), None, f"cannot read the file: {exc}") from None
        readers = _readers(parse_rooms(rooms_text, str(rooms_toml)))
        if readers.get(staged.target) != staged.rooms:
            raise ProgrammeError(
                str(rooms_toml),
                None,
                f"the rooms that read {staged.target} changed since the revision was "
                "compared: send the file again",
            )
        swap = FileSwap()
        target = folder / staged.target
        if target.exists():  # a copy first: a crash later still leaves the previous file
            stamp = now.strftime("%Y%m%dT%H%M%S%z")
            swap.put(folder / PREVIOUS / f"{staged.target}.{stamp}", target.read_bytes())
        if staged.saved_as == staged.target:
            swap.put(target, staged.data)
            return swap
        if staged.saved_as in readers:
            raise ProgrammeError(
                str(rooms_toml),
                None,
                f"{staged.saved_as} is the programme of {', '.join(readers[staged.saved_as])}: "
                f"rename one of the files in rooms.toml first",
            )
        text = repoint(rooms_text, staged.target, staged.saved_as, str(rooms_toml))
        # The new file, unused until rooms.toml names it; then rooms.toml.
        swap.put(folder / staged.saved_as, staged.data)
        swap.put(rooms_toml, text.encode("utf-8"))
        return swap


def _readers(rooms: tuple[Room, ...]) -> dict[str, tuple[str, ...]]:
    """Each programme file, with the rooms that read it."""
    files: dict[str, tuple[str, ...]] = {}
    for room in rooms:
        files[room.programme] = (*files.get(room.programme, ()), room.id)
    return files


def repoint(rooms_toml: str, old: str, new: str, source: str = ROOMS_TOML) -> str:
    """rooms.toml with every ``programme = "old"`` line naming ``new``; comments and layout
    stay as the secretariat wrote them.  ProgrammeError (naming ``source``) unless the result
    reads as the same rooms, those of ``old`` now reading ``new``."""
    pattern = re.compile(rf'^(\s*programme\s*=\s*)(["\']){re.escape(old)}\2(\s*(#.*)?)$', re.M)
    text, count = pattern.subn(lambda m: f'{m[1]}"{new}"{m[3]}', rooms_toml)
    before = parse_rooms(rooms_toml, source)
    expected = [replace(r, programme=new) if r.programme == old else r for r in before]
    if count == 0 or list(parse_rooms(text, source)) != expected:
        raise ProgrammeError(
            source,
            None,
            f'cannot point the rooms that read {old} at {new}: write programme = "{new}" '
            "in rooms.toml by hand, or send the file in the same format as before",
        )
    return text
