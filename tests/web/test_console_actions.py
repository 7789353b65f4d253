"""The console's one-tap actions, server side (issue 11, item 2): the fragment of the room
chosen (``GET /chair/actions``) with its meetings of the day and the defaults of the actions
that need a value; each of its forms says its room, and sends through the console's one path
(``POST /chair/overrides``)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._staff import accounts

from .test_console_words import Console, ny, open_console, text


@pytest.fixture
def wednesday(tmp_path: Path) -> Iterator[Console]:
    """A secretariat's console on Wednesday at 11 a.m. (the 10 a.m. meeting under way)."""
    data = tmp_path / "data"
    made = accounts(
        data, users=(("sec", "secretariat", None),), tokens=(("office", "secretariat", None),)
    )
    yield from open_console((tmp_path / "config", data, made["office"]), ny(13, 11))


def forms(html: str) -> list[str]:
    return re.findall(r"<form .*?</form>", html, re.S)


def test_the_fragment_of_a_room_holds_its_actions_and_their_defaults(wednesday: Console) -> None:
    html = wednesday.client.get("/chair/actions?room=cr4").text
    assert 'id="console-actions"' in html and 'data-room="cr4"' in html
    # The meeting picker: the default (under way, or next), then the day's two meetings.
    picker = re.search(r'<select id="a-slot".*?</select>', html, re.S)
    assert picker and len(re.findall("<option", picker.group(0))) == 3
    # Every form sends its room and one kind, and only that kind's fields.
    found = forms(html)
    assert len(found) == 3 + 3 + 5  # late ×3; resume, end, closed; five small forms
    for form in found:
        assert form.count('name="room" value="cr4"') == 1
        assert form.count('name="kind"') == 1
    kinds = [re.search(r'name="kind" value="(\w+)"', f).group(1) for f in found]  # type: ignore[union-attr]
    assert kinds == [
        *("late", "late", "late", "resume", "end", "closed"),
        *("late", "suspend", "extend", "pointer", "announce"),
    ]
    # Defaults: the meeting under way (10 a.m.–1 p.m.) extended by half an hour; the
    # announcement's expiry as the full form's hint says it, asked again for this room.
    assert (
        'id="a-extend-until" name="until" type="datetime-local" step="60" value="2023-12-13T13:30"'
        in html
    )
    hint = re.search(r'<p id="a-announce-hint"[^>]*>(.*?)</p>', html, re.S)
    assert hint and re.sub(r"<[^>]+>", "", hint.group(1)).strip() == (
        "If left empty, an announcement is shown until 6 p.m., when the day's last meeting ends."
    )
    assert 'hx-get="/chair/expiry?hint=a-announce-hint" hx-include="#a-room"' in html
    # One room in this venue: nowhere to move a meeting to.
    assert 'data-action="move"' not in html


def test_a_room_not_the_accounts_gives_the_first_of_its_own(wednesday: Console) -> None:
    html = wednesday.client.get("/chair/actions?room=elsewhere").text
    assert 'data-room="cr4"' in html


def test_the_one_tap_hint_asks_for_itself(wednesday: Console) -> None:
    html = wednesday.client.get("/chair/expiry?hint=a-announce-hint&room=cr4").text
    assert '<p id="a-announce-hint"' in html and 'hx-include="#a-room"' in html
    full = wednesday.client.get("/chair/expiry?room=cr4").text
    assert '<p id="f-expires-hint"' in full and 'hx-include="#f-room"' in full
    assert text(html, "hint") == text(full, "hint")


def test_a_one_tap_late_is_sent_as_the_form_sends_it(wednesday: Console) -> None:
    sent = wednesday.send(room="cr4", kind="late", minutes="10")
    assert text(sent, "ok") == "Sent: Running 10 minutes late"


def test_the_sent_message_offers_undo_in_one_tap(wednesday: Console) -> None:
    sent = wednesday.send(room="cr4", kind="late", minutes="10")
    found = re.search(r'data-sent="(\w+)"', sent)
    assert found
    undo = f'hx-post="/chair/overrides/{found.group(1)}/undo"'
    assert undo in sent
    undone = wednesday.undo(found.group(1))
    assert text(undone, "ok") == "Undone: Running 10 minutes late"
    assert "/undo" not in undone  # an undo is not undone from its message
