"""The command line, as a user runs it: `dashboard export | now | import`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dashboard.domain.note_parser import parse_note
from dashboard.domain.toml_format import from_toml
from tests.conftest import CONFIG, ROOT, SHIPPED_NOTE

SHIPPED_TOML = CONFIG / "oewg-ict-sixth-session-2023.toml"
PROGRAMME_KEYS = ["title", "session", "venue", "timezone", "start_date", "end_date", "slots"]
SLOT_KEYS = [
    *("id", "start", "end", "end_estimated", "room", "agenda_items", "title", "details"),
    *("footnotes", "kind"),
]


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *map(str, args)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in result.stderr
    return result


def problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": warning: " not in line]


def check_slot(slot: dict[str, Any]) -> None:
    assert list(slot) == SLOT_KEYS
    assert all(isinstance(slot[k], str) for k in ("id", "start", "end", "title", "kind"))
    assert all(isinstance(d, str) for d in slot["details"])
    assert all(isinstance(a, str) for a in slot["agenda_items"])
    for footnote in slot["footnotes"]:
        assert list(footnote) == ["marker", "text"]


@pytest.fixture(scope="module")
def exported() -> dict[str, Any]:
    result = run("export", SHIPPED_NOTE)
    assert result.returncode == 0
    assert problems(result.stderr) == []
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_export_shape(exported: dict[str, Any]) -> None:
    assert list(exported) == PROGRAMME_KEYS
    assert exported["title"].endswith("technologies 2021–2025")
    assert exported["session"] == "Sixth substantive session"
    assert exported["venue"] == "New York"
    assert exported["timezone"] == "America/New_York"
    assert (exported["start_date"], exported["end_date"]) == ("2023-12-11", "2023-12-15")
    slots = exported["slots"]
    assert len(slots) == 10
    for slot in slots:
        check_slot(slot)
    assert slots[0] == {
        "id": "2023-12-11-1000",
        "start": "2023-12-11T10:00:00-05:00",
        "end": "2023-12-11T13:00:00-05:00",
        "end_estimated": False,
        "room": "",
        "agenda_items": ["3"],
        "title": "Opening of the session",
        "details": slots[0]["details"],
        "footnotes": [],
        "kind": "opening",
    }
    assert len(slots[0]["details"]) == 4
    assert [s["agenda_items"] for s in slots] == [
        ["3"], ["5"], ["5"], ["5"], ["5"], [], ["5"], ["5"], ["6"], [],
    ]  # fmt: skip
    assert [f["marker"] for s in slots for f in s["footnotes"]] == ["1", "2"]
    assert slots[5]["footnotes"][0]["text"].startswith("See https://documents.unoda.org/")
    assert slots[5]["kind"] == "stakeholder"
    assert slots[9]["end"] == "2023-12-15T18:00:00-05:00"


def test_export_warns_about_the_missing_dash() -> None:
    result = run("export", SHIPPED_NOTE)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        f"{SHIPPED_NOTE}:57: warning: no dash between the times in '10 a.m1 p.m.'; "
        "read as 10:00–13:00"
    ]


def test_export_of_the_toml_is_the_same(exported: dict[str, Any]) -> None:
    result = run("export", SHIPPED_TOML)
    assert (result.returncode, result.stderr) == (0, "")
    assert json.loads(result.stdout) == exported


def test_import_prints_the_shipped_toml() -> None:
    result = run("import", SHIPPED_NOTE)
    assert result.returncode == 0
    assert result.stdout == SHIPPED_TOML.read_text(encoding="utf-8")
    note = parse_note(SHIPPED_NOTE.read_text(encoding="utf-8"), "n").programme
    assert from_toml(result.stdout) == note


def now(*extra: str) -> dict[str, Any]:
    result = run("now", SHIPPED_NOTE, *extra)
    assert result.returncode == 0, result.stderr
    assert problems(result.stderr) == []
    value = json.loads(result.stdout)
    assert list(value) == ["current", "next"]
    for slot in value.values():
        if slot is not None:
            check_slot(slot)
    return value  # type: ignore[no-any-return]


def test_now_just_before_the_stakeholder_session() -> None:
    value = now("--at", "2023-12-13T14:59:30")
    assert value["current"] is None
    assert value["next"]["id"] == "2023-12-13-1500"
    assert value["next"]["start"] == "2023-12-13T15:00:00-05:00"
    assert value["next"]["kind"] == "stakeholder"


def test_now_at_the_start_instant() -> None:
    value = now("--at", "2023-12-13T15:00")
    assert value["current"]["id"] == "2023-12-13-1500"
    assert value["current"]["kind"] == "stakeholder"
    assert value["next"]["id"] == "2023-12-14-1000"


@pytest.mark.parametrize(
    ("at", "current", "upcoming"),
    [
        ("2023-12-13T20:00:00+00:00", "2023-12-13-1500", "2023-12-14-1000"),  # 15:00 New York
        ("2023-12-13T19:59:59Z", None, "2023-12-13-1500"),
        ("2023-12-13T21:00:00+01:00", "2023-12-13-1500", "2023-12-14-1000"),
        ("2023-12-11T13:00", None, "2023-12-11-1500"),  # an end belongs to no slot
        ("2023-12-15T18:00", None, None),  # over
        ("2023-12-01T09:00", None, "2023-12-11-1000"),  # before
    ],
)
def test_now_with_offsets(at: str, current: str | None, upcoming: str | None) -> None:
    value = now("--at", at)
    assert (value["current"] or {}).get("id") == current
    assert (value["next"] or {}).get("id") == upcoming


def test_now_without_at_runs() -> None:
    value = now()
    assert value["current"] is None or value["current"]["id"]


def test_timezone_option() -> None:
    value = now("--at", "2023-12-13T15:00", "--timezone", "Europe/Vienna")
    assert value["current"]["start"] == "2023-12-13T15:00:00+01:00"


def test_nonexistent_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    for args in (["export", missing], ["now", missing], ["import", missing]):
        result = run(*args)
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr.splitlines() == [
            f"dashboard: {missing}: cannot read the file: No such file or directory"
        ]


@pytest.mark.parametrize(
    "at",
    ["yesterday", "2023-13-01T10:00", "2023-12-13T25:00", "2024-03-10T02:30", "9999-12-31T23:00"],
)
def test_bad_at_is_usage(at: str) -> None:
    result = run("now", SHIPPED_NOTE, "--at", at)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = problems(result.stderr)
    assert len(lines) == 1
    assert lines[0].startswith("dashboard: --at: ")


def test_bad_usage() -> None:
    assert run().returncode == 2
    assert run("export").returncode == 2
    assert run("frobnicate", SHIPPED_NOTE).returncode == 2


def test_bad_note_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    text = SHIPPED_NOTE.read_text(encoding="utf-8")
    bad.write_text(text.replace("Tuesday, 12 December", "Tuesday, 13 December"), "utf-8")
    for command in ("export", "now", "import"):
        result = run(command, bad)
        assert result.returncode == 1
        assert result.stdout == ""
        assert problems(result.stderr) == [
            f"dashboard: {bad}:37: 13 December 2023 is a Wednesday, not a Tuesday"
        ]


def test_bad_toml_names_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    text = SHIPPED_TOML.read_text(encoding="utf-8")
    bad.write_text(text.replace('kind = "stakeholder"', 'kind = "party"'), "utf-8")
    result = run("export", bad)
    assert result.returncode == 1
    line = text.splitlines().index("[[slots]]", 80) + 1  # the sixth [[slots]]
    assert result.stderr.startswith(f"dashboard: {bad}:{line}: slots[5].kind: 'party' is not")
    assert len(result.stderr.splitlines()) == 1


def test_unknown_venue_needs_timezone(tmp_path: Path) -> None:
    note = tmp_path / "kl.txt"
    note.write_text(
        "Committee X First session Kuala Lumpur, 4–8 March 2024\n\nMonday, 4 March\n"
        "10 a.m.–1 p.m.\tOpening of the session\n",
        "utf-8",
    )
    result = run("export", note)
    assert result.returncode == 1
    assert result.stderr.startswith(f"dashboard: {note}:1: unknown venue 'Kuala Lumpur'")
    result = run("export", note, "--timezone", "Asia/Kuala_Lumpur")
    assert result.returncode == 0
    assert json.loads(result.stdout)["slots"][0]["start"] == "2024-03-04T10:00:00+08:00"


def test_binary_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    result = run("export", junk)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"dashboard: {junk}:1: not UTF-8 text (byte 0x89); save the file as UTF-8"
    ]
