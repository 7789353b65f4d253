"""Revisions published through PostgreSQL, written out as files (live/published.py): the
workers of ``serve --workers`` start together, and each writes out the revision it reads."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from dashboard.domain.programme import ProgrammeError
from dashboard.live.published import materialise
from dashboard.store.programmes import Published
from tests.conftest import SHIPPED_NOTE

FILES = {
    "rooms.toml": '[[rooms]]\nid = "cr1"\nname = "Conference Room 1"\nprogramme = "p.txt"\n',
    "p.txt": SHIPPED_NOTE.read_text(encoding="utf-8"),
}


def write_and_read(data: str, version: int, rounds: int) -> str:
    """In a process of its own: write the revision out, then read every file back, again and
    again; "" when each read found every file whole, else what went wrong."""
    for _ in range(rounds):
        try:
            folder = materialise(Published(version, FILES), Path(data))
            for name, text in FILES.items():
                if (folder / name).read_text(encoding="utf-8") != text:
                    return f"{name} not whole"
        except OSError as exc:
            return f"{type(exc).__name__}: {exc}"
    return ""


def test_workers_writing_one_revision_at_once_each_read_it_whole(tmp_path: Path) -> None:
    """Four processes, as four workers starting together, write out revision 1 (then 2) at
    once: none finds a file missing or half-written (a shared staging folder, removed and
    renamed under the others' feet, made a worker fail to start with "cannot read the
    file")."""
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        for version in (1, 2):
            args = [(str(tmp_path), version, 25)] * 4
            assert pool.starmap(write_and_read, args) == [""] * 4
    published = tmp_path / "published"
    assert sorted(p.name for p in published.iterdir()) == ["1", "2"], "staging left behind"


def test_older_revisions_go_but_the_one_before_stays(tmp_path: Path) -> None:
    for version in (1, 2, 3):
        materialise(Published(version, FILES), tmp_path)
    assert sorted(p.name for p in (tmp_path / "published").iterdir()) == ["2", "3"]


@pytest.mark.parametrize("name", ["../escape.txt", "/etc/passwd"])
def test_a_name_outside_the_folder_is_refused_and_leaves_nothing(tmp_path: Path, name: str) -> None:
    with pytest.raises(ProgrammeError):
        materialise(Published(1, {**FILES, name: "x"}), tmp_path)
    assert list((tmp_path / "published").iterdir()) == []
    assert not (tmp_path / "escape.txt").exists()
