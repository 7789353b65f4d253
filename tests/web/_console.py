"""The secretariat's console, driven as a browser would: send a revised programme to compare,
then publish it.  Shared by the tests of revisions published from the console."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from tests.conftest import ROOT, SHIPPED_NOTE

MORNING = "2023-12-13T11:00:00"  # the 10 a.m. slot; 3 p.m. is next
# When Wednesday's afternoon meeting starts ("YYYY-MM-DD-HHMM" at the venue), before and after
# the revision moves it; the meeting keeps its id (2023-12-13-1500) either way.
AFTERNOON = "2023-12-13-1500"
MOVED = "2023-12-13-1600"
NOTE = SHIPPED_NOTE.read_text(encoding="utf-8")
MOVED_NOTE = NOTE.replace("3–6 p.m.\tDedicated", "4–6 p.m.\tDedicated")


@dataclass
class Console:
    """A logged-in secretariat's session (a real server's, or the app's in-process) and the
    server's config folder."""

    config: Path
    data: Path
    client: httpx.Client
    csrf: str

    def compare(self, name: str, text: str | bytes, target: str = SHIPPED_NOTE.name) -> str:
        data = text.encode() if isinstance(text, str) else text
        response = self.client.post(
            "/chair/programme/compare",
            data={"target": target},
            files={"file": (name, data, "text/plain")},
            headers={"x-csrf-token": self.csrf},
        )
        assert response.status_code == 200, response.text
        return response.text

    def publish(self, answer: str) -> str:
        staged = re.search(r'name="staged" value="([^"]+)"', answer)
        assert staged, answer
        response = self.client.post(
            "/chair/programme/publish",
            data={"staged": staged.group(1)},
            headers={"x-csrf-token": self.csrf},
        )
        assert response.status_code == 200, response.text
        return response.text

    def next_start(self) -> str:
        """When the next meeting starts at the venue, as "YYYY-MM-DD-HHMM"."""
        now = self.client.get("/api/rooms/cr4/now").json()
        assert now["next"]["id"] == AFTERNOON, now  # the same meeting, moved or not
        return datetime.fromisoformat(now["next"]["start"]).strftime("%Y-%m-%d-%H%M")


def as_toml(note: str, folder: Path) -> str:
    """The TOML form of ``note``, as ``dashboard import`` prints it."""
    path = folder / "to-import.txt"
    path.write_text(note, encoding="utf-8")
    try:
        return subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "import", str(path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        ).stdout
    finally:
        path.unlink()


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (hidden ones too: temporary files), by relative path."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
