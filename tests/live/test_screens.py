"""The registry of displays the secretariat's console lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.live.screens import ScreenRegistry, screen_name

T0 = datetime(2023, 12, 13, 15, 0, tzinfo=UTC)


def test_a_screen_is_named_by_its_url_or_its_address() -> None:
    assert screen_name("lobby-left", "10.0.0.7") == "lobby-left"
    assert screen_name(None, "10.0.0.7") == "10.0.0.7"
    assert screen_name("  ", "10.0.0.7") == "10.0.0.7"
    assert screen_name("<b>x</b>", "a") == "bxb", "markup characters are dropped"
    assert len(screen_name("x" * 500, "a")) == 40


def test_connect_heartbeat_disconnect() -> None:
    registry = ScreenRegistry()
    screen = registry.connect("cr4", "lobby-left", "10.0.0.7", T0)
    assert registry.count("cr4") == 1 and registry.count("cr5") == 0
    screen.last_seen = T0 + timedelta(seconds=15)
    registry.disconnect(screen, T0 + timedelta(seconds=20))
    assert registry.count("cr4") == 0
    [listed] = registry.screens()
    assert (listed.name, listed.connected, listed.last_seen) == (
        "lobby-left",
        False,
        T0 + timedelta(seconds=20),
    )
    # Coming back under the same name takes the same line again.
    registry.connect("cr4", "lobby-left", "10.0.0.7", T0 + timedelta(minutes=1))
    assert [s.name for s in registry.screens()] == ["lobby-left"]
    assert registry.count("cr4") == 1


def test_two_screens_at_once_under_one_name_are_one_line_counting_both() -> None:
    registry = ScreenRegistry()
    first = registry.connect("cr4", "10.0.0.7", "10.0.0.7", T0)
    second = registry.connect("cr4", "10.0.0.7", "10.0.0.7", T0)
    assert first is second and first.connections == 2
    assert registry.count("cr4") == 2
    registry.disconnect(first, T0)
    assert first.connected and registry.count("cr4") == 1
    registry.disconnect(second, T0)
    assert not first.connected and registry.count("cr4") == 0
