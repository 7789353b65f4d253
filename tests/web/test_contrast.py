"""WCAG AA contrast of the colour pairs the stylesheet defines (4.5:1 for text).

The browser tests check computed colours on rendered pages; this one checks every theme's
palette (light, dark, the always-dark display) and the fixed-colour pieces (banners, messages)
straight from static/css/site.css, so a palette edit that breaks contrast fails here first.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = (Path(__file__).resolve().parents[2] / "static" / "css" / "site.css").read_text()


def luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5))

    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def palette(block_start: str) -> dict[str, str]:
    """The custom properties declared in the first block that starts with ``block_start``."""
    start = CSS.index(block_start)
    body = CSS[start : CSS.index("}", start)]
    return dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{6})", body))


THEMES = {
    "light": palette(":root {"),
    "dark": palette("@media (prefers-color-scheme: dark) {\n  :root {"),
    "display": palette("body.display {"),
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize(("fg", "bg"), [("fg", "bg"), ("muted", "bg"), ("accent", "bg")])
def test_theme_text_contrast(theme: str, fg: str, bg: str) -> None:
    colours = {**THEMES["light"], **THEMES[theme]}
    assert contrast(colours[fg], colours[bg]) >= 4.5, (theme, fg, bg)


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_on_cards_and_badges(theme: str) -> None:
    colours = {**THEMES["light"], **THEMES[theme]}
    assert contrast(colours["fg"], colours["card"]) >= 4.5
    assert contrast(colours["muted"], colours["card"]) >= 4.5
    assert contrast(colours["accent-fg"], colours["accent"]) >= 4.5


@pytest.mark.parametrize(
    ("fg", "bg"),
    [
        ("#1a1a1a", "#fff4c2"),  # normal banner
        ("#ffffff", "#b00020"),  # urgent banner
        ("#b00020", "#ffffff"),  # error message, light
        ("#1b6e20", "#ffffff"),  # ok message, light
        ("#ff8a80", "#121212"),  # error message, dark
        ("#8ee08f", "#121212"),  # ok message, dark
        ("#ffffff", "#17702e"),  # status band: in session
        ("#ffffff", "#234a78"),  # status band: waiting (starts, no meeting, before, after)
        ("#0b0b0b", "#ffd23f"),  # status band: a change (late, suspended, moved here...)
        ("#ffffff", "#b00020"),  # status band: cancelled, moved away
        ("#ffffff", "#3a3a3a"),  # a display's progress bar against its track (non-text, 3:1)
    ],
)
def test_fixed_colours(fg: str, bg: str) -> None:
    assert fg in CSS and bg in CSS, "the pair is no longer in the stylesheet: update this test"
    assert contrast(fg, bg) >= 4.5


def test_the_measure_is_right() -> None:
    assert round(contrast("#000000", "#ffffff"), 1) == 21.0
    assert round(contrast("#777777", "#ffffff"), 2) == 4.48  # the classic near miss


TONE = re.compile(r"\.tone-(\w+) \{ --tone-bg: (#[0-9a-f]{6}); --tone-fg: (#[0-9a-f]{6}); \}")


def test_every_tone_of_the_status_band_is_checked() -> None:
    """Each tone the stylesheet defines (domain/timeline.py TONES) meets AA for its text."""
    tones = TONE.findall(CSS)
    assert {name for name, _, _ in tones} == {"go", "wait", "warn", "stop"}
    for name, bg, fg in tones:
        assert contrast(fg, bg) >= 4.5, name


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_focus_ring_and_field_edges(theme: str) -> None:
    """Non-text contrast (WCAG 1.4.11, 3:1): the focus ring (the accent) on the page and on a
    card, and the edge of a field on the page."""
    colours = {**THEMES["light"], **THEMES[theme]}
    assert contrast(colours["accent"], colours["bg"]) >= 3
    assert contrast(colours["accent"], colours["card"]) >= 3
    assert contrast(colours["field"], colours["bg"]) >= 3
