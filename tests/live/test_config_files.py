"""Files replaced together, in a real folder: renamed into place in the order given, after all
of them were written; a failure at any step (injected: a disk that fails on demand is not at
hand) leaves the folder byte for byte as it was, temporary files and new folders included; and
``undo()`` after a commit does the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.live import config_files
from dashboard.live.config_files import FileSwap
from tests.web._console import files_of


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "config"
    folder.mkdir()
    (folder / "rooms.toml").write_bytes(b'programme = "a.txt"\n')
    (folder / "a.txt").write_bytes(b"old programme\n")
    return folder


def planned(folder: Path) -> FileSwap:
    swap = FileSwap()
    swap.put(folder / ".previous" / "a.txt.1", b"old programme\n")  # a new folder, a new file
    swap.put(folder / "a.toml", b"new programme\n")  # a new file
    swap.put(folder / "rooms.toml", b'programme = "a.toml"\n')  # replaced
    return swap


def renames(monkeypatch: pytest.MonkeyPatch, fail_at: int | None = None) -> list[str]:
    """Record each rename's target; the ``fail_at``-th (from 0) fails as a full disk would."""
    done: list[str] = []
    rename = config_files._rename

    def recorded(source: Path, target: Path) -> None:
        if len(done) == fail_at:
            done.append(f"failed: {target.name}")
            raise OSError(28, "No space left on device", str(target))
        done.append(target.name)
        rename(source, target)

    monkeypatch.setattr(config_files, "_rename", recorded)
    return done


def test_commit_renames_in_order_and_undo_puts_everything_back(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = files_of(folder)
    done = renames(monkeypatch)
    swap = planned(folder)
    swap.commit()
    assert done == ["a.txt.1", "a.toml", "rooms.toml"]
    assert files_of(folder) == {
        ".previous/a.txt.1": b"old programme\n",
        "a.toml": b"new programme\n",
        "a.txt": b"old programme\n",
        "rooms.toml": b'programme = "a.toml"\n',
    }
    swap.undo()
    assert files_of(folder) == before
    assert not (folder / ".previous").exists()


@pytest.mark.parametrize("fail_at", [0, 1, 2])
def test_a_failed_rename_undoes_the_ones_before(
    folder: Path, monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    before = files_of(folder)
    done = renames(monkeypatch, fail_at)
    with pytest.raises(OSError, match="No space left"):
        planned(folder).commit()
    assert done[-1].startswith("failed: ")
    assert files_of(folder) == before
    assert not (folder / ".previous").exists()


def test_a_failed_write_renames_nothing(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = files_of(folder)
    done = renames(monkeypatch)
    written: list[Path] = []
    write = config_files._write_temporary

    def failing_third(path: Path, data: bytes) -> Path:
        if len(written) == 2:
            raise OSError(28, "No space left on device", str(path))
        written.append(write(path, data))
        return written[-1]

    monkeypatch.setattr(config_files, "_write_temporary", failing_third)
    with pytest.raises(OSError, match="No space left"):
        planned(folder).commit()
    assert len(written) == 2 and done == []
    assert files_of(folder) == before
    assert not (folder / ".previous").exists()
