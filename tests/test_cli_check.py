"""`dashboard check FILE`, as a secretariat officer runs it before publishing a note: each
line's reading beside its number, the venue, zone and dates, then the warnings."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import CONFIG, ROOT, SHIPPED_NOTE
from tests.test_cli import run

NOTES = Path(__file__).resolve().parent / "notes"


def listing(stdout: str) -> dict[int, tuple[str, str]]:
    """{line number: (kind, text)} from the two-column listing."""
    found = {}
    for line in stdout.splitlines():
        if (m := re.match(r"^\s*(\d+)  (\w+)\s+(.*)$", line)) is not None:
            found[int(m.group(1))] = (m.group(2), m.group(3))
    return found


def test_check_lists_every_line_then_the_warnings() -> None:
    result = run("check", NOTES / "pdf-no-tabs-new-york.txt")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "  venue:   New York, zone America/New_York\n" in out
    assert "  dates:   Monday 27 March 2017 to Friday 7 April 2017\n" in out
    lines = listing(out)
    assert lines[1] == ("ignored", "Skip to main content")
    assert lines[4] == ("furniture", "United Nations A/AC.999/2017/PC.3/L.1")
    assert lines[17] == ("day", "Monday 27 March 2017")
    assert lines[18] == ("slot", "10:00–13:00 Opening of the session (item 1)")
    assert lines[22] == ("detail", "and organization of work (items 3 and 4)")
    assert lines[34] == ("slot", "15:00–~18:00")  # a time alone; the end is the default
    assert lines[35] == ("slot", "Briefing by the Secretariat on invented matters")
    text = NOTES.joinpath("pdf-no-tabs-new-york.txt").read_text(encoding="utf-8").split("\n")
    assert sorted(lines) == [i + 1 for i, raw in enumerate(text) if raw.strip()]
    warnings = out[out.index("5 warning(s):") :].splitlines()[1:4]
    assert warnings == [
        f"{NOTES / 'pdf-no-tabs-new-york.txt'}:1: warning: ignored above the title: "
        "'Skip to main content'",
        f"{NOTES / 'pdf-no-tabs-new-york.txt'}:2: warning: ignored above the title: "
        "'Search the documents'",
        f"{NOTES / 'pdf-no-tabs-new-york.txt'}:34: warning: no end printed for the meeting at "
        "15:00 on 28 March: read as until about 18:00 (the end of the half-day)",
    ]


def test_check_the_shipped_note() -> None:
    result = run("check", SHIPPED_NOTE)
    assert result.returncode == 0
    assert "slots:   10 on 5 day(s)\n" in result.stdout
    assert result.stdout.rstrip().endswith("read as 10:00–13:00")  # the lost dash, guessed
    assert "1 warning(s):" in result.stdout


def test_check_a_toml_file_lists_its_slots() -> None:
    result = run("check", CONFIG / "oewg-ict-sixth-session-2023.toml")
    assert result.returncode == 0
    assert "  slots[0]  Mon 11 Dec 10:00–13:00  Opening of the session\n" in result.stdout
    assert result.stdout.endswith("No warnings.\n")


def test_a_refused_note_names_the_line(tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(
        "X First session New York, 1–2 May 2024\n\nWednesday, 1 May\nReception\n",
        encoding="utf-8",
    )
    result = run("check", note)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == f"dashboard: {note}:4: text outside any time slot: 'Reception'\n"
    missing = run("check", tmp_path / "absent.txt")
    assert missing.returncode == 1
    assert "cannot read the file" in missing.stderr


def test_the_default_end_comes_from_settings(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('note_default_ends = ["12:30", "17:00"]\n')
    result = run("check", NOTES / "ecosoc-1997.txt", "--config", tmp_path)
    assert result.returncode == 0, result.stderr
    assert listing(result.stdout)[5] == ("slot", "10:00–~12:00 Opening of the substantive session")
    assert listing(result.stdout)[6] == ("slot", "12:00–~12:30 Briefing on invented coordination")
    (tmp_path / "settings.toml").write_text('note_default_ends = ["1 p.m."]\n')
    bad = run("check", NOTES / "ecosoc-1997.txt", "--config", tmp_path)
    assert bad.returncode == 1
    assert "note_default_ends: '1 p.m.' is not a time of day" in bad.stderr


def test_check_names_the_rooms_a_note_gives() -> None:
    result = run("check", NOTES / "several-rooms-geneva.txt")
    assert result.returncode == 0
    assert "  rooms:   Room XX, Conference Room 2, ECOSOC Chamber\n" in result.stdout
    assert listing(result.stdout)[8] == ("detail", "room: Conference Room 2")
    assert "  rooms:" not in run("check", SHIPPED_NOTE).stdout


def test_the_example_in_the_docs_is_what_check_prints() -> None:
    doc = (ROOT / "docs" / "programme-format.md").read_text(encoding="utf-8")
    start = doc.index("```\ntests/notes/rome-fao.txt") + len("```\n")
    example = doc[start : doc.index("```", start)]
    assert run("check", "tests/notes/rome-fao.txt").stdout == example
