"""Any bytes at all, given as a programme, give a programme or a ProgrammeError naming the file:
never another exception, never a traceback from the command line."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard import cli
from dashboard.domain.loader import load_programme
from dashboard.domain.note_parser import ParseResult
from dashboard.domain.programme import ProgrammeError
from tests.conftest import CONFIG, SHIPPED_NOTE

NOTE = SHIPPED_NOTE.read_bytes()
TOML = (CONFIG / "oewg-ict-sixth-session-2023.toml").read_bytes()
# Characters that notes and parsers care about: dashes, superscripts, digits, tabs, letters
# that match others case-insensitively, and anything else.
INTERESTING = "\t\n\r\f –—-‒−.:,¹²³⁴¹0123456789apmAPM noon to ſıİK\u00a0\u2028[]=\"'#"
inserted = st.text(
    alphabet=st.one_of(st.sampled_from(INTERESTING), st.characters(codec="utf-8")),
    min_size=1,
    max_size=8,
)


@st.composite
def edited(draw: st.DrawFn, original: bytes) -> bytes:
    """The original with a few lines deleted, duplicated or swapped, characters inserted, and
    bytes flipped."""
    lines = original.split(b"\n")
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "flip"]))
        i = draw(st.integers(0, len(lines) - 1))
        if op == "delete" and len(lines) > 1:
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "insert":
            at = draw(st.integers(0, len(lines[i])))
            text = draw(inserted).encode("utf-8")
            lines[i] = lines[i][:at] + text + lines[i][at:]
        elif op == "flip" and lines[i]:
            at = draw(st.integers(0, len(lines[i]) - 1))
            byte = lines[i][at] ^ draw(st.integers(1, 255))
            lines[i] = lines[i][:at] + bytes([byte]) + lines[i][at + 1 :]
    return b"\n".join(lines)


def load_or_refuse(data: bytes, source: str, timezone: str | None = None) -> None:
    try:
        result = load_programme(data, source, timezone)
    except ProgrammeError as exc:
        assert exc.source == source
        assert str(exc).startswith(source)
        assert "\n" not in exc.message.strip()
        return
    assert isinstance(result, ParseResult)
    for warning in result.warnings:
        assert warning.source == source


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    load_or_refuse(data, "random.txt")
    load_or_refuse(data, "random.toml")


@FUZZ
@given(data=edited(NOTE), timezone=st.sampled_from([None, None, "Europe/Vienna", "Nowhere/X"]))
def test_edited_notes(data: bytes, timezone: str | None) -> None:
    load_or_refuse(data, "edited.txt", timezone)


# The layouts of issue 13 (tests/notes/): PDF text, capitals, periods, rooms, start times alone.
STYLES = [p.read_bytes() for p in sorted((Path(__file__).parent.parent / "notes").glob("*.txt"))]


@FUZZ
@given(data=st.sampled_from(STYLES).flatmap(edited))
def test_edited_notes_of_other_layouts(data: bytes) -> None:
    load_or_refuse(data, "edited.txt")


@FUZZ
@given(data=edited(TOML))
def test_edited_toml(data: bytes) -> None:
    load_or_refuse(data, "edited.toml")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


@FUZZ
@given(
    data=st.one_of(edited(NOTE), st.sampled_from(STYLES).flatmap(edited), st.binary(max_size=500)),
    command=st.sampled_from(
        [["export"], ["import"], ["now", "--at", "2023-12-13T15:00"], ["check"]]
    ),
)
def test_edited_notes_through_the_cli(folder: Path, data: bytes, command: list[str]) -> None:
    path = folder / "fuzzed.txt"
    path.write_bytes(data)
    code, out, err = run_cli([command[0], str(path), *command[1:]])
    problems = [line for line in err.splitlines() if ": warning: " not in line]
    assert code in (0, 1)
    if code == 0:
        assert problems == []
        assert out
    else:
        assert len(problems) == 1
        assert problems[0].startswith(f"dashboard: {path}")
        assert out == ""
    assert "Traceback" not in err


def test_loader_dispatch_and_decoding() -> None:
    note = load_programme(NOTE, "a.txt")
    toml = load_programme(TOML, "a.TOML")
    assert toml.programme == note.programme
    assert toml.warnings == ()
    assert [w.line for w in note.warnings] == [57]
    assert load_programme(b"\xef\xbb\xbf" + NOTE, "bom.txt").programme == note.programme
    vienna = load_programme(NOTE, "a.txt", "Europe/Vienna").programme
    assert vienna.slots[0].start.isoformat() == "2023-12-11T10:00:00+01:00"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b"line one\nline two \xff\n",
            "x.txt:2: not UTF-8 text (byte 0xff); save the file as UTF-8",
        ),
        (b"a\nb\nc\x00", "x.txt:3: not a text file"),
        (NOTE.replace(b"Annex", b"Annex\x00"), "x.txt:27: not a text file"),
        (b"", "x.txt:1: no day found"),
    ],
)
def test_loader_refusals(data: bytes, expected: str) -> None:
    with pytest.raises(ProgrammeError) as caught:
        load_programme(data, "x.txt")
    assert str(caught.value).startswith(expected)
