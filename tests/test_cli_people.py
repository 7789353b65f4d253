"""The command line as the chair's office uses it: accounts and tokens (`dashboard user …`,
`dashboard token …`), their rooms checked against rooms.toml; stopping `serve` with Ctrl+C; help
text and the exit codes the README lists.  Real `dashboard` processes on temporary folders."""

from __future__ import annotations

import argparse
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from dashboard.cli import build_parser
from dashboard.live.startup import run_apart
from dashboard.store import Store
from tests._staff import PASSWORD, cli
from tests.conftest import ROOT, SHIPPED_NOTE, free_port, make_config, spawn_server, stop_server

T = TypeVar("T")

NOW = datetime.now(UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_config(
        tmp_path / "config",
        rooms=[
            ("cr1", "Conference Room 1", SHIPPED_NOTE.name),
            ("cr4", "Conference Room 4", SHIPPED_NOTE.name),
        ],
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def run(*args: str, data: Path, config: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    result = cli(*args, data=data, config=config, stdin=stdin)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def ok(*args: str, data: Path, config: Path, stdin: str = "") -> str:
    result = run(*args, data=data, config=config, stdin=stdin)
    assert result.returncode == 0, result.stderr
    return result.stdout


def listed(kind: str, data: Path, config: Path) -> list[list[str]]:
    """`dashboard KIND list`, its rows split into cells (the header first)."""
    return [line.split() for line in ok(kind, "list", data=data, config=config).splitlines()]


def stored(data: Path, call: Callable[[Store], Awaitable[T]]) -> T:
    """``call`` on the installation's store, opened for it (on a loop of its own)."""

    async def opened() -> T:
        async with Store(data / "dashboard.sqlite3") as store:
            return await call(store)

    return run_apart(opened())


# --- rooms ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            ("carol", "--role", "chair", "--rooms", "cr9"),
            "carol: unknown room 'cr9' ({rooms} has: cr1, cr4)",
        ),
        (
            ("carol", "--role", "chair", "--rooms", "cr4,cr9,CR1"),
            "carol: unknown rooms 'cr9', 'CR1' ({rooms} has: cr1, cr4)",
        ),
        (
            ("carol", "--role", "chair"),
            "carol: a chair needs --rooms, the rooms it acts on ({rooms} has: cr1, cr4)",
        ),
        (
            ("carol", "--role", "chair", "--rooms", " , "),
            "carol: a chair needs --rooms, the rooms it acts on ({rooms} has: cr1, cr4)",
        ),
        (
            ("sam", "--role", "secretariat", "--rooms", "cr4"),
            "sam: --rooms is for chairs; a secretariat account acts on every room (leave --rooms"
            " out, or use --role chair)",
        ),
    ],
)
def test_an_account_with_wrong_rooms_is_refused_and_nothing_changes(
    data: Path, config: Path, args: tuple[str, ...], problem: str
) -> None:
    ok("user", "add", "zoe", "--role", "secretariat", data=data, config=config, stdin=PASSWORD)
    before = listed("user", data, config)
    result = run("user", "add", *args, data=data, config=config, stdin=PASSWORD + "\n")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "dashboard: " + problem.format(rooms=config / "rooms.toml")
    ]
    assert listed("user", data, config) == before


def test_rooms_come_from_the_config_folder(data: Path, config: Path, tmp_path: Path) -> None:
    ok("user", "add", "carol", "--role", "chair", "--rooms", "cr1, cr4,cr1", data=data,
       config=config, stdin=PASSWORD)  # fmt: skip
    # The shipped config has no cr1.
    shipped = cli("user", "add", "dan", "--role", "chair", "--rooms", "cr1", data=data)
    assert shipped.returncode == 1
    assert "unknown room 'cr1'" in shipped.stderr and "has: cr4)" in shipped.stderr
    # No rooms.toml: said, with the file.
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = run("user", "add", "dan", "--role", "chair", "--rooms", "cr4", data=data,
                  config=empty)  # fmt: skip
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"dashboard: {empty / 'rooms.toml'}: cannot read the file")
    assert listed("user", data, config)[1:] == [["carol", "chair", "cr1,cr4"]]


def test_tokens_rooms_are_checked_too(data: Path, config: Path) -> None:
    for args, problem in [
        (("--role", "chair", "--rooms", "cr9"), "panel: unknown room 'cr9'"),
        (("--role", "chair"), "panel: a chair needs --rooms"),
    ]:
        result = run("token", "create", "panel", *args, data=data, config=config)
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.startswith(f"dashboard: {problem}"), result.stderr
    # A secretariat token may be bound to rooms: it then acts on those only.
    secret = ok("token", "create", "cr4-tools", "--role", "secretariat", "--rooms", "cr4",
                data=data, config=config).strip()  # fmt: skip
    assert secret.startswith("dsh_")


# --- listing -------------------------------------------------------------------------------


def test_user_list_shows_name_role_rooms_and_no_secret(data: Path, config: Path) -> None:
    result = run("user", "list", data=data, config=config)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "no users\n")
    ok("user", "add", "sam", "--role", "secretariat", data=data, config=config, stdin=PASSWORD)
    ok("user", "add", "carol", "--role", "chair", "--rooms", "cr4,cr1", data=data,
       config=config, stdin=PASSWORD)  # fmt: skip
    out = ok("user", "list", data=data, config=config)
    assert out.splitlines() == [
        "NAME   ROLE         ROOMS",
        "carol  chair        cr4,cr1",
        "sam    secretariat  every room",
    ]
    assert "argon2" not in out and PASSWORD not in out


def test_token_list_shows_state_and_no_secret(data: Path, config: Path) -> None:
    result = run("token", "list", data=data, config=config)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "no tokens\n")
    first = ok("token", "create", "panel", "--role", "chair", "--rooms", "cr4", data=data,
               config=config).strip()  # fmt: skip
    ok("token", "revoke", "panel", data=data, config=config)
    second = ok("token", "create", "panel", "--role", "chair", "--rooms", "cr1", data=data,
                config=config).strip()  # fmt: skip
    ok("token", "create", "office", "--role", "secretariat", data=data, config=config)
    out = ok("token", "list", data=data, config=config)
    assert [line.split() for line in out.splitlines()] == [
        ["NAME", "ROLE", "ROOMS", "STATE"],
        ["panel", "chair", "cr4", "revoked"],
        ["panel", "chair", "cr1", "active"],
        ["office", "secretariat", "every", "room", "active"],
    ]
    assert first not in out and second not in out and "dsh_" not in out
    gone = run("token", "revoke", "nothing", data=data, config=config)
    assert (gone.returncode, gone.stderr) == (1, "dashboard: no active token named 'nothing'\n")


# --- remove and passwd ---------------------------------------------------------------------


def test_user_remove_ends_the_sessions(data: Path, config: Path) -> None:
    for name in ("carol", "dan"):
        ok("user", "add", name, "--role", "chair", "--rooms", "cr4", data=data, config=config,
           stdin=PASSWORD)  # fmt: skip

    async def sessions(store: Store) -> tuple[list[str], str]:
        carols = [(await store.create_session("carol", NOW, HOUR))[0] for _ in range(2)]
        return carols, (await store.create_session("dan", NOW, HOUR))[0]

    carols, dans = stored(data, sessions)
    result = run("user", "remove", "carol", data=data, config=config)
    assert (result.returncode, result.stderr) == (0, "removed carol; 2 sessions ended\n")

    async def after(store: Store) -> tuple[list[bool], bool, bool]:
        return (
            [await store.session(secret, NOW) is None for secret in carols],
            await store.session(dans, NOW) is not None,
            await store.user("carol") is None,
        )

    assert stored(data, after) == ([True, True], True, True)
    assert listed("user", data, config)[1:] == [["dan", "chair", "cr4"]]
    again = run("user", "remove", "carol", data=data, config=config)
    assert (again.returncode, again.stderr) == (1, "dashboard: no user 'carol'\n")


def test_user_passwd_reads_a_line_and_ends_the_sessions(data: Path, config: Path) -> None:
    ok("user", "add", "carol", "--role", "chair", "--rooms", "cr4", data=data, config=config,
       stdin=PASSWORD)  # fmt: skip
    session, _ = stored(data, lambda store: store.create_session("carol", NOW, HOUR))

    async def state(store: Store) -> tuple[bool, bool, bool]:
        """(the session is live, the first password works, the new one works)"""
        return (
            await store.session(session, NOW) is not None,
            await store.check_password("carol", PASSWORD) is not None,
            await store.check_password("carol", "a new password") is not None,
        )

    short = run("user", "passwd", "carol", data=data, config=config, stdin="short\n")
    assert short.returncode == 1
    assert short.stderr == "dashboard: password too short: at least 8 characters\n"
    assert stored(data, state) == (True, True, False)  # refused: nothing changed
    result = run("user", "passwd", "carol", data=data, config=config, stdin="a new password\n")
    assert (result.returncode, result.stderr) == (
        0,
        "password of carol changed; 1 session ended\n",
    )
    assert stored(data, state) == (False, False, True)
    nobody = run("user", "passwd", "nobody", data=data, config=config, stdin="a new password\n")
    assert (nobody.returncode, nobody.stderr) == (1, "dashboard: no user 'nobody'\n")


# --- serve, help, exit codes ---------------------------------------------------------------


def test_ctrl_c_stops_serve_without_a_traceback(tmp_path: Path, config: Path) -> None:
    server = spawn_server(config, tmp_path / "data", tmp_path / "serve.log")
    try:
        server.process.send_signal(signal.SIGINT)
        code = server.process.wait(15)
    finally:
        stop_server(server)
    output = server.output()
    assert "Traceback" not in output, output
    assert code == 130, output
    assert output.rstrip().endswith("dashboard: stopped (Ctrl+C)"), output


def test_serve_on_a_busy_port_exits_4(tmp_path: Path, config: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", free_port()))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "dashboard.cli", "serve", "--port", str(port),
             "--config", str(config), "--data", str(tmp_path / "data")],
            capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
        )  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 4, result.stderr
    assert result.stderr.rstrip().endswith(
        f"dashboard: the server did not start on 127.0.0.1:{port} (the reason is logged above)"
    )


def _parsers(
    parser: argparse.ArgumentParser, path: str = "dashboard"
) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:  # argparse has no public walk of its subcommands
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _parsers(sub, f"{path} {name}")
    return found


def test_every_option_and_argument_has_help() -> None:
    missing = [
        f"{path}: {action.option_strings or action.dest}"
        for path, parser in _parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction) and not action.help
    ]
    assert missing == []


def test_reload_help_names_its_default_url() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "reload", "--help"],
        capture_output=True, text=True, cwd=ROOT, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert "(default: http://127.0.0.1:8000)" in " ".join(result.stdout.split())


def test_the_readme_lists_every_exit_code() -> None:
    """Every status `main` returns (and argparse's 2), each listed under "Exit codes"."""
    source = "".join(
        (ROOT / "dashboard" / name).read_text(encoding="utf-8")
        for name in ("cli.py", "cli_common.py")
    )
    returned = {int(code) for code in re.findall(r"return (\d+)\b", source)} | {130}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    listed = {int(code) for code in re.findall(r"^- `(\d+)`", section, re.MULTILINE)}
    assert returned == {0, 1, 2, 3, 4, 130}
    assert listed == returned
