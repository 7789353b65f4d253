"""What the console says, in words staff should see (issue 10, items 4, 8 and 9): an undo names
what it undid; the history tells undone, expired, over, to come and in force apart; roles are
translated; an announcement's expiry (by default the end of the meeting day) is shown before
and after sending, and "keep until undone" makes a standing notice; the displays' "last heard
from" is read on the server's clock.  The real app, in-process, on a shifted clock."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from starlette.testclient import TestClient

from dashboard.settings import Settings
from dashboard.web.app import create_app
from tests._staff import PASSWORD, accounts
from tests.conftest import make_config

NY = ZoneInfo("America/New_York")
ORIGIN = {"origin": "http://testserver"}


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2023, 12, day, hour, minute, tzinfo=NY)


class Console:
    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token
        client.post("/chair/login", data={"name": "sec", "password": PASSWORD})
        found = re.search(r'name="csrf" value="([^"]+)"', client.get("/chair").text)
        assert found, "not logged in"
        self.headers = {"x-csrf-token": found.group(1)}

    def send(self, **fields: str) -> str:
        answer = self.client.post("/chair/overrides", data=fields, headers=self.headers)
        assert "data-sent" in answer.text, answer.text
        return answer.text

    def preview(self, **fields: str) -> str:
        return self.client.post("/chair/preview", data=fields, headers=self.headers).text

    def api(self, **body: object) -> str:
        answer = self.client.post(
            "/api/overrides", json=body, headers={"authorization": f"Bearer {self.token}"}
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    def listed(self) -> dict[str, dict[str, object]]:
        answer = self.client.get(
            "/api/overrides?room=cr4&all=1", headers={"authorization": f"Bearer {self.token}"}
        )
        return {o["id"]: o for o in answer.json()["overrides"]}

    def undo(self, override: str) -> str:
        answer = self.client.post(f"/chair/overrides/{override}/undo", headers=self.headers)
        assert "data-sent" in answer.text, answer.text
        return answer.text


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path, str]:
    data = tmp_path / "data"
    made = accounts(
        data, users=(("sec", "secretariat", None),), tokens=(("office", "secretariat", None),)
    )
    return tmp_path / "config", data, made["office"]


def open_console(
    folders: tuple[Path, Path, str], at: datetime, language: str = "en"
) -> Iterator[Console]:
    config, data, token = folders
    # TestClient's pages come from http://testserver: a DNS name, so a configured origin (the
    # Host header alone is not trusted for WebSockets: DNS rebinding).
    settings = 'allowed_origins = ["http://testserver"]\n'
    if language != "en":
        settings += f'language = "{language}"\n'
    files = {"settings.toml": settings}
    make_config(config, files=files)
    app = create_app(Settings.load(config, data_dir=data, start_at=at))
    with TestClient(app, headers=ORIGIN) as client:
        yield Console(client, token)


@pytest.fixture
def wednesday(folders: tuple[Path, Path, str]) -> Iterator[Console]:
    yield from open_console(folders, ny(13, 11))


def text(html: str, selector_class: str) -> str:
    found = re.search(rf'<p [^>]*\bclass="{selector_class}"[^>]*>(.*?)</p>', html, re.S)
    assert found, html
    return re.sub(r"<[^>]+>", "", found.group(1)).strip()


# --- undo names what it undid --------------------------------------------------------------------


def test_undo_says_what_was_undone(wednesday: Console) -> None:
    wednesday.send(room="cr4", kind="late", minutes="15")
    late = re.search(r'data-override="(\w+)" data-kind="late"', wednesday.client.get("/chair").text)
    assert late
    answer = wednesday.undo(late.group(1))
    assert text(answer, "ok") == "Undone: Running 15 minutes late"
    assert "clear" not in answer.replace('class="', "")


@pytest.mark.parametrize(
    ("language", "undone", "role"),
    [
        ("fr", "Retrait : Début retardé de 15 minutes", "Connecté en tant que sec (secrétariat)"),
        ("zh", "已撤销：推迟 15 分钟开始", "已登录：sec（秘书处）"),
        ("ar", "سُحب: ", "تم تسجيل الدخول باسم sec (الأمانة)"),
    ],
)
def test_undo_and_roles_in_other_languages(
    folders: tuple[Path, Path, str], language: str, undone: str, role: str
) -> None:
    for console in open_console(folders, ny(13, 11), language):
        console.send(room="cr4", kind="late", minutes="15")
        page = console.client.get("/chair").text
        assert text(page, "meta") == role
        late = re.search(r'data-override="(\w+)" data-kind="late"', page)
        assert late
        answer = text(console.undo(late.group(1)), "ok")
        assert answer.startswith(undone), answer
        assert "clear" not in answer and "secretariat" not in page


# --- the history's states ------------------------------------------------------------------------


def test_the_history_tells_each_state_apart(folders: tuple[Path, Path, str]) -> None:
    # In the morning: a delay for the 10 a.m. meeting, an announcement until 10.30, one with
    # the default expiry, a closed meeting announced for 3 p.m. (from 3 p.m.), one to undo.
    ids = {}
    for morning in open_console(folders, ny(13, 9, 50)):
        ids["over"] = morning.api(room="cr4", kind="late", minutes=15)
        ids["expired"] = morning.api(
            room="cr4", kind="announce", text="Until 10.30", expires="2023-12-13T10:30"
        )
        ids["in_force"] = morning.api(room="cr4", kind="announce", text="Coffee")
        ids["to_come"] = morning.api(
            room="cr4", kind="closed", slot="2023-12-13-1500", effective="2023-12-13T15:00"
        )
        ids["undone"] = morning.api(room="cr4", kind="announce", text="Wrong room")
    # At 2 p.m., the same log.
    for afternoon in open_console(folders, ny(13, 14)):
        afternoon.undo(ids["undone"])
        history = afternoon.client.get("/chair/history?room=cr4").text
    rows = {
        m.group(1): (m.group(2), " ".join(re.sub(r"<[^>]+>", "", m.group(3)).split()))
        for m in re.finditer(
            r'<tr data-override="(\w+)" data-state="(\w+)">(.*?)</tr>', history, re.S
        )
    }
    assert len(rows) == 6
    for state, override in ids.items():
        assert rows[override][0] == state, (state, rows[override])
    words = {state: rows[override][1] for state, override in ids.items()}
    assert words["over"] == (
        "Wed 13 Dec, 9.50 a.m. Running 15 minutes late token:office Meeting over"
    )
    assert words["expired"].endswith("Announcement Until 10.30 token:office Expired")
    assert words["in_force"].endswith("Announcement Coffee token:office In force Undo")
    assert words["to_come"].endswith("Closed meeting token:office To come Undo")
    assert words["undone"].endswith("Announcement Wrong room token:office Undone")
    (undo_row,) = [row for state, row in rows.values() if state == "undo"]
    assert undo_row == "Wed 13 Dec, 2 p.m. Undone: Announcement Wrong room sec —"
    assert "Ended" not in history and ">clear<" not in history


# --- an announcement's expiry --------------------------------------------------------------------


def test_the_default_expiry_is_shown_by_the_field_in_the_preview_and_when_sent(
    wednesday: Console,
) -> None:
    page = wednesday.client.get("/chair").text
    hint = text(page, "hint")
    assert hint == (
        "If left empty, an announcement is shown until 6 p.m., when the day's last meeting ends."
    )
    assert 'aria-describedby="f-expires-hint"' in page and 'name="keep"' in page
    assert text(wednesday.client.get("/chair/expiry?room=all").text, "hint") == hint

    preview = wednesday.preview(room="cr4", kind="announce", text="Coffee")
    assert text(preview, "expiry") == "Shown until 6 p.m."
    sent = wednesday.send(room="cr4", kind="announce", text="Coffee")
    assert text(sent, "ok") == "Sent: Announcement"
    assert text(sent, "expiry") == "Shown until 6 p.m."
    (made,) = [o for o in wednesday.listed().values() if o["text"] == "Coffee"]
    assert made["expires"] == "2023-12-13T18:00:00-05:00"


def test_staff_choose_another_expiry_or_none(wednesday: Console) -> None:
    chosen = {"room": "cr4", "kind": "announce", "text": "Lunch", "expires": "2023-12-14T12:30"}
    assert text(wednesday.preview(**chosen), "expiry") == "Shown until Thu 14 Dec, 12.30 p.m."
    assert text(wednesday.send(**chosen), "expiry") == "Shown until Thu 14 Dec, 12.30 p.m."
    # "Keep until undone" wins over a time left in the field.
    standing = {"room": "cr4", "kind": "announce", "text": "Badges", "keep": "1"}
    assert text(wednesday.preview(**standing), "expiry") == "Shown until it is undone"
    assert text(wednesday.send(**standing, expires="2023-12-13T12:00"), "expiry") == (
        "Shown until it is undone"
    )
    by_text = {o["text"]: o for o in wednesday.listed().values()}
    assert by_text["Lunch"]["expires"] == "2023-12-14T12:30:00-05:00"
    assert by_text["Badges"]["expires"] is None
    # Other kinds end with their meeting: nothing to say.
    assert 'class="expiry"' not in wednesday.send(room="cr4", kind="closed")


def test_the_api_defaults_to_the_end_of_the_meeting_day_and_never_means_none(
    wednesday: Console,
) -> None:
    default = wednesday.api(room="cr4", kind="announce", text="Coffee")
    standing = wednesday.api(room="cr4", kind="announce", text="Badges", expires="never")
    listed = wednesday.listed()
    assert listed[default]["expires"] == "2023-12-13T18:00:00-05:00"
    assert listed[standing]["expires"] is None


def test_after_the_day_s_meetings_the_default_is_midnight(
    folders: tuple[Path, Path, str],
) -> None:
    for evening in open_console(folders, ny(13, 19)):
        assert text(evening.client.get("/chair").text, "hint") == (
            "If left empty, an announcement is shown until midnight, as no meeting is left today."
        )
        preview = evening.preview(room="cr4", kind="announce", text="Coffee")
        assert text(preview, "expiry") == "Shown until midnight"


def test_the_expiry_in_chinese(folders: tuple[Path, Path, str]) -> None:
    for console in open_console(folders, ny(13, 11), "zh"):
        assert text(console.client.get("/chair").text, "hint") == (
            "如不填写，通知将显示至18:00，即当天最后一场会议结束时。"
        )
        chosen = {"room": "cr4", "kind": "announce", "text": "Lunch", "expires": "2023-12-14T12:30"}
        assert text(console.send(**chosen), "expiry") == "显示至12月14日周四 12:30"


# --- the displays' "last heard from", on the server's clock --------------------------------------


def test_last_heard_from_is_on_the_server_s_clock(wednesday: Console) -> None:
    client = wednesday.client
    with client.websocket_connect("/ws/display/cr4?screen=lobby-left", headers=ORIGIN) as socket:
        socket.receive_text()
        listed = client.get("/chair/screens/cr4").text
    row = re.search(r'<tr data-screen="lobby-left" data-state="connected">(.*?)</tr>', listed, re.S)
    assert row, listed
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row.group(1))]
    # 11 a.m. on Wednesday 13 December 2023 (--at), not the machine's date; the UN's style.
    assert cells[2] == "Wed 13 Dec, 11 a.m."
