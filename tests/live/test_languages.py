"""Live frames in several languages: rendered once per change per language in use, never per
client, each on its own channel; the default language keeps the channels' plain names."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from dashboard.clock import ShiftedClock
from dashboard.i18n import negotiate
from dashboard.live.hub import Hub
from dashboard.live.render import Renderer, RoomView
from dashboard.live.service import LiveService, display_channel, overview_channel, room_channel
from dashboard.settings import Settings
from dashboard.site import load_site
from tests.conftest import CONFIG

NY = ZoneInfo("America/New_York")
BEFORE = datetime(2023, 12, 13, 14, 59, tzinfo=NY)
AFTER = datetime(2023, 12, 13, 15, 0, tzinfo=NY)
renders: Counter[str] = Counter()


class Counting(Renderer):
    """A renderer that counts what it renders, by language."""

    def display_now(self, view: RoomView) -> str:
        renders[self.language] += 1
        return super().display_now(view)


def make(language: str) -> Renderer:
    return Counting(language, build="b")


def service() -> tuple[LiveService, ShiftedClock]:
    site = load_site(Settings.load(CONFIG))
    clock = ShiftedClock(BEFORE, monotonic=lambda: 0.0)
    return LiveService(site, clock, make("en"), Hub(), make_renderer=make), clock


def test_each_language_is_rendered_once_per_change_whatever_its_readers() -> None:
    renders.clear()
    live, clock = service()
    live.refresh("cr4")
    assert renders == {"en": 1}
    live.use_language("fr")
    live.use_language("ar")
    # A hundred readers of each language: nothing more is rendered for them.
    subscribers = [
        live.hub.subscribe(display_channel("cr4", lang))
        for lang in (None, "fr", "ar")
        for _ in range(100)
    ]
    assert renders == {"en": 1, "fr": 1, "ar": 1}
    live.use_language("fr")  # already in use: nothing rendered again
    assert renders == {"en": 1, "fr": 1, "ar": 1}
    clock.start = AFTER  # the 3 p.m. boundary
    assert live.refresh("cr4", AFTER)
    assert renders == {"en": 2, "fr": 2, "ar": 2}
    assert all(s.idle is False for s in subscribers)


def test_each_language_has_its_channel_and_the_default_its_plain_one() -> None:
    live, _ = service()
    live.refresh("cr4")
    live.use_language("ar")
    english = live.hub.latest(display_channel("cr4"))
    arabic = live.hub.latest(display_channel("cr4", "ar"))
    assert english is not None and arabic is not None
    assert display_channel("cr4") == "display:cr4"  # as before: screens in the default language
    assert "الجلسة" in arabic.text or "القادمة" in arabic.text, arabic.text[:300]
    assert english.text != arabic.text
    for channel in (room_channel("cr4", "ar"), overview_channel("ar")):
        frame = live.hub.latest(channel)
        assert frame is not None and frame.text
    with pytest.raises(KeyError):
        live.use_language("de")  # not one of the languages offered


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ar", "ar"),
        ("fr-CH, fr;q=0.9, en;q=0.8", "fr"),
        ("de-DE, de;q=0.9, es;q=0.5, en;q=0.4", "es"),
        ("en;q=0.2, zh-Hans-CN;q=0.9", "zh"),
        ("RU", "ru"),
        ("de, it", None),
        ("", None),
        ("fr;q=0, ar;q=0.1", "ar"),  # q=0: "not this one"
        ("fr;q=abc, es", "es"),  # a malformed quality is passed over
        (";;;,,,=", None),
    ],
)
def test_accept_language_is_negotiated(header: str, expected: Any) -> None:
    assert negotiate(header, ("ar", "zh", "en", "fr", "ru", "es")) == expected
