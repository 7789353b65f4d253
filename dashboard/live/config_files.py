"""Files of ``config/`` replaced as one step: all of them, or none.

Every new file is first written in full beside its target (a temporary file, flushed and
fsynced), then each is renamed into place in the order given: the caller orders them so that
the configuration on disk is valid after every rename (a new programme file before the
``rooms.toml`` that names it).  If a write or a rename fails, the renames already done are
undone in reverse order, and nothing is left behind.  ``undo()`` does the same later, on
request: when the server refuses what was written, the previous files go back.

Blocking I/O: call from a worker thread.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass
class _Change:
    path: Path
    data: bytes
    previous: bytes | None  # None: the file does not exist yet


def _rename(source: Path, target: Path) -> None:
    """``os.replace``: atomic on POSIX; the one place a rename happens (tests inject a failure
    here, since a disk that fails on demand is not at hand)."""
    os.replace(source, target)


def _fsync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (a crash after this keeps them)."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_temporary(path: Path, data: bytes) -> Path:
    """``data`` in a new file beside ``path``, flushed to disk; its name."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of it, even after a crash."""
    temporary = _write_temporary(path, data)
    try:
        _rename(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


class FileSwap:
    """Files to replace together.  ``put`` them in the order they may be renamed into place
    (reading what each replaces now, before anything is written), then ``commit()``."""

    def __init__(self) -> None:
        self._changes: list[_Change] = []
        self._made: list[Path] = []  # folders commit() created, removed again by undo()
        self._done: list[_Change] = []

    def put(self, path: Path, data: bytes) -> None:
        """Plan ``path`` to hold ``data``.  OSError if what it holds now cannot be read."""
        previous = path.read_bytes() if path.exists() else None
        self._changes.append(_Change(path, data, previous))

    @property
    def paths(self) -> list[Path]:
        return [c.path for c in self._changes]

    def commit(self) -> None:
        """Write every file in full, then rename each into place, in order.  On an OSError
        (or any failure) what was done is undone before it is raised."""
        temporaries: dict[Path, Path] = {}
        try:
            for change in self._changes:
                if not change.path.parent.exists():
                    change.path.parent.mkdir(parents=True)
                    self._made.append(change.path.parent)
                temporaries[change.path] = _write_temporary(change.path, change.data)
            for change in self._changes:
                _rename(temporaries[change.path], change.path)
                del temporaries[change.path]  # renamed: no longer a temporary to remove
                self._done.append(change)
            for folder in dict.fromkeys(c.path.parent for c in self._changes):
                _fsync_dir(folder)
        except BaseException:
            for temporary in temporaries.values():
                temporary.unlink(missing_ok=True)
            self.undo()
            raise

    def undo(self) -> None:
        """Put back what the renames replaced, in reverse order (a file that did not exist is
        removed).  Every change is tried; the first OSError is raised after."""
        failure: OSError | None = None
        for change in reversed(self._done):
            try:
                if change.previous is None:
                    change.path.unlink(missing_ok=True)
                    _fsync_dir(change.path.parent)
                else:
                    write_atomically(change.path, change.previous)
            except OSError as exc:
                log.error("could not put back %s: %s", change.path, exc)
                failure = failure or exc
        self._done.clear()
        for folder in reversed(self._made):
            with contextlib.suppress(OSError):  # not empty: someone else uses it now
                folder.rmdir()
        self._made.clear()
        if failure is not None:
            raise failure
