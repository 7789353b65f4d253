"""The registry of displays the secretariat's console lists."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dashboard.live.screens import (
    CONNECTED,
    DOWN,
    MAX_NAMES_PER_ADDRESS,
    MAX_NEW_PER_ADDRESS,
    MAX_SCREENS,
    OFF,
    OTHERS,
    Screen,
    ScreenRegistry,
    clean_label,
    screen_name,
    state_of,
)

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


# --- issue 12: a flood of made-up names ---------------------------------------------------------


def known(registry: ScreenRegistry, room: str, name: str, address: str) -> Screen:
    """A real screen: connected, heard from a heartbeat period later, then gone down."""
    screen = registry.connect(room, name, address, T0)
    registry.heard(screen, T0 + timedelta(seconds=15))
    registry.disconnect(screen, T0 + timedelta(seconds=20))
    assert screen.known and not screen.connected
    return screen


def fake(registry: ScreenRegistry, n: int, address: str, at: datetime) -> Screen:
    screen = registry.connect("cr4", f"fake-{n}", address, at)
    registry.disconnect(screen, at)
    return screen


def test_a_flood_from_one_address_keeps_a_few_of_its_names() -> None:
    registry = ScreenRegistry()
    real = known(registry, "cr4", "lobby-left", "10.0.0.7")
    later = T0 + timedelta(minutes=1)
    for n in range(10_300):
        fake(registry, n, "10.6.6.6", later)
    names = [s.name for s in registry.screens()]
    assert "lobby-left" in names
    assert registry.screens()[names.index("lobby-left")] is real
    assert len(registry) == 1 + MAX_NEW_PER_ADDRESS  # the latest few of the flood
    assert [n for n in names if n.startswith("fake-")] == sorted(
        f"fake-{n}" for n in range(10_300 - MAX_NEW_PER_ADDRESS, 10_300)
    )


def test_a_flood_from_many_addresses_never_evicts_a_known_screen() -> None:
    registry = ScreenRegistry()
    reals = [known(registry, "cr4", f"real-{n}", f"10.0.1.{n}") for n in range(50)]
    later = T0 + timedelta(minutes=1)
    for n in range(MAX_SCREENS + 300):
        fake(registry, n, f"fd00::{n:x}", later)
    listed = registry.screens()
    assert len(registry) <= MAX_SCREENS
    assert all(r in listed for r in reals)


def test_newcomers_past_the_bounds_are_counted_on_their_address_s_line() -> None:
    """Connected newcomers cannot be forgotten: the ones past the bound are counted, not
    named."""
    registry = ScreenRegistry()
    held = [registry.connect("cr4", f"fake-{n}", "10.6.6.6", T0) for n in range(50)]
    assert [s.name for s in held[:MAX_NEW_PER_ADDRESS]] == [
        f"fake-{n}" for n in range(MAX_NEW_PER_ADDRESS)
    ]
    folded = held[MAX_NEW_PER_ADDRESS:]
    assert all(s is folded[0] for s in folded)
    assert (folded[0].name, folded[0].connections) == ("10.6.6.6", 50 - MAX_NEW_PER_ADDRESS)
    assert registry.count("cr4") == 50
    assert len(registry) == MAX_NEW_PER_ADDRESS + 1
    for screen in held:
        registry.disconnect(screen, T0)
    assert registry.count("cr4") == 0


def test_past_every_bound_the_room_has_one_line_for_the_others() -> None:
    registry = ScreenRegistry()
    held = [
        registry.connect("cr4", f"fake-{n}", f"fd00::{n:x}", T0) for n in range(MAX_SCREENS + 5)
    ]
    assert len(registry) == MAX_SCREENS + 1
    others = held[-1]
    assert others.others and others.name == OTHERS and others.connections == 5
    assert registry.count("cr4") == MAX_SCREENS + 5


def test_a_screen_is_known_once_heard_from_a_while_after_connecting() -> None:
    registry = ScreenRegistry(proven_after=timedelta(seconds=7.5))
    screen = registry.connect("cr4", "door", "10.0.0.9", T0)
    registry.heard(screen, T0 + timedelta(seconds=1))  # at once: anyone can
    assert not screen.known
    registry.heard(screen, T0 + timedelta(seconds=15))
    assert screen.known
    # Known screens from an address do not count against its newcomers.
    registry.disconnect(screen, T0 + timedelta(seconds=16))
    for n in range(MAX_NEW_PER_ADDRESS):
        fake(registry, n, "10.0.0.9", T0 + timedelta(seconds=20))
    assert len(registry) == 1 + MAX_NEW_PER_ADDRESS


def test_an_address_registers_a_bounded_number_of_names() -> None:
    registry = ScreenRegistry(proven_after=timedelta(0))
    for n in range(MAX_NAMES_PER_ADDRESS + 20):
        screen = registry.connect("cr4", f"s{n}", "10.0.0.1", T0)
        registry.heard(screen, T0)  # known at once here
    names = {s.name for s in registry.screens()}
    assert len(names) == MAX_NAMES_PER_ADDRESS + 1  # and its address's line
    assert "10.0.0.1" in names


def test_off_when_closed_normally_down_when_lost_or_silent() -> None:
    registry = ScreenRegistry()
    silent_after = timedelta(seconds=45)
    screen = registry.connect("cr4", "lobby-left", "10.0.0.7", T0)
    assert state_of(screen, T0 + timedelta(seconds=45), silent_after) == CONNECTED
    # Connected, but silent for longer than 45 s: down.
    assert state_of(screen, T0 + timedelta(seconds=46), silent_after) == DOWN
    registry.disconnect(screen, T0, 1001)
    assert state_of(screen, T0 + timedelta(days=1), silent_after) == OFF
    registry.connect("cr4", "lobby-left", "10.0.0.7", T0)
    registry.disconnect(screen, T0, 1006)  # closed abnormally
    assert state_of(screen, T0, silent_after) == DOWN
    registry.connect("cr4", "lobby-left", "10.0.0.7", T0)
    registry.disconnect(screen, T0, None)  # lost without a close
    assert state_of(screen, T0, silent_after) == DOWN


def test_a_dismissed_screen_is_forgotten_until_it_connects_again() -> None:
    registry = ScreenRegistry()
    screen = registry.connect("cr4", "lobby-left", "10.0.0.7", T0)
    assert not registry.dismiss("cr4", "lobby-left"), "connected: kept"
    registry.disconnect(screen, T0)
    registry.labels[("cr4", "lobby-left")] = "Lobby, left"
    assert registry.dismiss("cr4", "lobby-left")
    assert registry.screens() == [] and not registry.dismiss("cr4", "lobby-left")
    again = registry.connect("cr4", "lobby-left", "10.0.0.7", T0)
    assert registry.label(again) == "Lobby, left"
    assert not registry.dismiss("cr4", OTHERS)


def test_labels_are_bounded_and_plain() -> None:
    assert clean_label("  Lobby   left ") == "Lobby left"
    assert clean_label("قاعة ٤") == "قاعة ٤"
    assert clean_label("") == ""
    assert clean_label("x" * 61) is None
    assert clean_label("a\x00b") is None
    assert clean_label("a\u202eb") is None  # a direction override


def test_a_dismissal_from_another_process_forgets_only_what_it_saw() -> None:
    """``dismiss(..., seen)``: made on another process, which listed the screen as last heard
    at ``seen``: this process forgets its copy, and the copy it lists from another process,
    unless heard from since."""
    registry = ScreenRegistry()
    mine = registry.connect("cr4", "door", "10.0.0.7", T0)
    registry.disconnect(mine, T0 + timedelta(minutes=1))
    theirs = Screen("cr4", "door", "10.0.0.8", T0, T0, connections=0)
    registry.elsewhere = {("cr4", "door"): theirs}
    assert registry.listed("cr4", "door") is mine, "the one heard from last"
    assert not registry.dismiss("cr4", "door", T0 - timedelta(seconds=1)), "heard since"
    assert registry.dismiss("cr4", "door", T0)  # theirs only: mine was heard after
    assert registry.elsewhere == {} and registry.listed("cr4", "door") is mine
    assert registry.dismiss("cr4", "door", T0 + timedelta(minutes=1))
    assert registry.listed("cr4", "door") is None and registry.screens() == []
    # A copy listed from elsewhere, connected there: kept.
    registry.elsewhere = {("cr4", "door"): Screen("cr4", "door", "10.0.0.8", T0, T0)}
    assert not registry.dismiss("cr4", "door", T0 + timedelta(hours=1))
    assert registry.listed("cr4", "door") is not None
