"""``dashboard check FILE``: what a programme file was read as, line by line, before it is
published.

A compact two-column listing (the line number, then what the line was read as: heading, day,
slot, detail, footnote, furniture, period or ignored), the venue, zone and dates the reading
settled on, then the warnings.  Exit 0 when the file reads (warnings or not), 1 when it is
refused (the line and the problem on stderr), as the other programme commands.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from .cli_common import add_config_option
from .domain.loader import load_programme
from .domain.note_parser import ParseResult
from .domain.programme import Programme, ProgrammeError
from .settings import Settings

_KIND_WIDTH = max(len(k) for k in ("furniture", "footnote", "heading", "ignored", "period"))


def _summary(source: str, p: Programme) -> list[str]:
    days = len({s.start.date() for s in p.slots})
    estimated = sum(1 for s in p.slots if s.end_estimated)
    lines = [
        source,
        f"  title:   {p.title}",
        f"  session: {p.session or '(none)'}",
        f"  venue:   {p.venue}, zone {p.timezone}",
        *([f"  rooms:   {', '.join(p.room_names)}"] if p.room_names else []),
        f"  dates:   {_day(p.start_date)} to {_day(p.end_date)}",
        f"  slots:   {len(p.slots)} on {days} day(s)"
        + (
            f", {estimated} with the default end (~: the note printed the start alone)"
            if estimated
            else ""
        ),
    ]
    return lines


def _day(d: date) -> str:
    return f"{d:%A} {d.day} {d:%B %Y}"


def _listing(result: ParseResult) -> list[str]:
    if not result.readings:  # the TOML format: its slots, in order
        return [
            f"  slots[{i}]  {s.start:%a %d %b %H:%M}–{s.end:%H:%M}  {s.title}"
            for i, s in enumerate(result.programme.slots)
        ]
    width = len(str(result.readings[-1].line))
    return [
        f"{r.line:>{width}}  {r.kind:<{_KIND_WIDTH}}  {r.text}".rstrip() for r in result.readings
    ]


def check_report(result: ParseResult, source: str) -> str:
    """The text ``dashboard check`` prints."""
    out = [*_summary(source, result.programme), "", *_listing(result), ""]
    if result.warnings:
        out.append(f"{len(result.warnings)} warning(s):")
        out += [str(w) for w in result.warnings]
    else:
        out.append("No warnings.")
    return "\n".join(out) + "\n"


def cmd_check(args: argparse.Namespace) -> None:
    settings = Settings.load(Path(args.config))
    path = Path(args.file)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProgrammeError(str(path), None, f"cannot read the file: {exc.strerror}") from None
    timezone = args.timezone or settings.timezone
    result = load_programme(data, str(path), timezone, settings.half_days)
    print(check_report(result, str(path)), end="")


def register(commands: Any) -> None:
    help_text = (
        "Show what each line of a programme note was read as, the venue, zone and dates, "
        "then the warnings."
    )
    sub: argparse.ArgumentParser = commands.add_parser(
        "check", help=help_text, description=help_text
    )
    sub.add_argument("file", metavar="FILE", help="a programme note (.txt) or its TOML")
    sub.add_argument("--timezone", help="IANA time zone, when the note's venue does not imply one")
    add_config_option(sub)
    sub.set_defaults(func=cmd_check)
