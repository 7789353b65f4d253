"""Turn the bytes of a programme file into a Programme: a note (.txt) or the TOML format.

Pure: the caller reads the file, so that tests and the fuzzer can hand in any bytes.
"""

from __future__ import annotations

from .note_lines import HalfDays
from .note_parser import ParseResult, parse_note
from .programme import ProgrammeError
from .toml_format import from_toml


def decode_text(data: bytes, source: str) -> str:
    """UTF-8 text (a byte-order mark is dropped), or a clear error naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ProgrammeError(
            source, line, f"not UTF-8 text (byte 0x{data[exc.start]:02x}); save the file as UTF-8"
        ) from None


def is_toml(source: str) -> bool:
    return source.lower().endswith(".toml")


def load_programme(
    data: bytes, source: str, timezone: str | None = None, half_days: HalfDays | None = None
) -> ParseResult:
    """Read a programme; ``timezone`` overrides the one a note's venue implies, ``half_days``
    gives the ends of meetings a note prints with their start alone."""
    text = decode_text(data, source)
    if "\x00" in text:
        raise ProgrammeError(source, text[: text.index("\x00")].count("\n") + 1, "not a text file")
    if is_toml(source):
        return ParseResult(from_toml(text, source))
    return parse_note(text, source, timezone, half_days)
