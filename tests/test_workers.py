"""``dashboard serve --workers N``: N processes on one port sharing a PostgreSQL database, a
dead worker restarted (killed, or crashed while serving), one that cannot start stopping them
all, SIGTERM stopping them all; refused with SQLite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import ROOT, free_port, make_config
from tests.test_multiprocess import BOUND, wait_until

SERVE = [sys.executable, "-m", "dashboard.cli", "serve"]


def children(pid: int) -> set[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text(encoding="ascii")
    return {int(p) for p in text.split()}


def test_several_workers_are_refused_with_sqlite(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DASHBOARD_DATABASE_URL"}
    result = subprocess.run(
        [*SERVE, "--workers", "2", "--data", str(tmp_path), "--port", str(free_port())],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result
    assert "--workers 2" in result.stderr and "--database postgresql://" in result.stderr
    assert "Traceback" not in result.stderr


def answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def test_two_workers_share_the_port_and_a_dead_one_is_replaced(
    tmp_path: Path, postgres_url: str
) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "DASHBOARD_DATABASE_URL": postgres_url}
    cli = [sys.executable, "-m", "dashboard.cli"]
    run = subprocess.run(
        [*cli, "db", "migrate"], env=env, cwd=ROOT, capture_output=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    made = subprocess.run(
        [*cli, "token", "create", "office", "--role", "secretariat", "--data", str(data)],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    token = made.stdout.strip()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    config = make_config(tmp_path / "config")
    log = (tmp_path / "workers.log").open("wb")
    parent = subprocess.Popen(
        [*SERVE, "--workers", "2", "--port", str(port), "--config", str(config),
         "--data", str(data), "--log-level", "warning"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_until("two workers", lambda: len(children(parent.pid)) == 2 and answers(url))
        first = children(parent.pid)

        def post(text: str) -> int:
            response = httpx.post(
                f"{url}/api/overrides",
                content=json.dumps({"room": "cr4", "kind": "announce", "text": text}),
                headers={"authorization": f"Bearer {token}", "content-type": "application/json"},
                timeout=30,
            )
            return response.status_code

        assert post("Before") == 201
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        wait_until(
            "the dead worker replaced",
            lambda: len(children(parent.pid)) == 2 and victim not in children(parent.pid),
        )
        wait_until("served again", lambda: answers(url))
        assert post("After") == 201

        # Whichever worker answers shows both (each learns the other's; a page asked for just
        # after the post may come from a worker that has not yet).
        def shows_both() -> bool:
            pages = [httpx.get(f"{url}/display/cr4", timeout=30).text for _ in range(6)]
            return all("Before" in page and "After" in page for page in pages)

        wait_until("every worker shows both", shows_both)
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(BOUND)
        log.close()
    assert parent.returncode == 0, (tmp_path / "workers.log").read_text()


# Loaded by every Python process started with this folder first on PYTHONPATH (before Debian's
# own sitecustomize, which it shadows): SIGUSR1 then ends the process with status 1.
CRASH_ON_SIGUSR1 = """\
import os, signal
signal.signal(signal.SIGUSR1, lambda signum, frame: os._exit(1))
"""


def start_workers(
    tmp_path: Path,
    postgres_url: str,
    env: dict[str, str] | None = None,
    files: dict[str, str] | None = None,
    rooms: list[tuple[str, str, str]] | None = None,
) -> tuple[subprocess.Popen[bytes], str, Path]:
    """``serve --workers 2`` on a fresh port: the parent process, its URL and its log."""
    port = free_port()
    config = make_config(tmp_path / "config", rooms=rooms, files=files)
    log = tmp_path / "workers.log"
    with log.open("wb") as out:
        parent = subprocess.Popen(
            [*SERVE, "--workers", "2", "--port", str(port), "--config", str(config),
             "--data", str(tmp_path / "data"), "--log-level", "warning"],
            env={**os.environ, "DASHBOARD_DATABASE_URL": postgres_url, **(env or {})},
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    return parent, f"http://127.0.0.1:{port}", log


def migrate(postgres_url: str) -> None:
    env = {**os.environ, "DASHBOARD_DATABASE_URL": postgres_url}
    run = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", "db", "migrate"],
        env=env, cwd=ROOT, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr


def test_a_worker_crashing_while_serving_is_replaced_and_the_other_goes_on(
    tmp_path: Path, postgres_url: str
) -> None:
    """A worker that exits with status 1 after it started serving is restarted; the other
    worker is left alone and the port keeps answering.

    Status 1 is what CPython exits with on an uncaught exception, the crash this is about; it
    is also `dashboard`'s "bad input", which is why the parent must not judge by status alone.
    No route in the product makes a serving worker exit 1 on demand (uvicorn turns SIGTERM and
    SIGINT into a graceful stop, 0 or 130; SIGKILL gives -9), and adding a signal that exits 1
    to the product would ship a test hook.  So the test gives the workers, through PYTHONPATH,
    a ``sitecustomize`` that makes SIGUSR1 exit with status 1 (``os._exit``, as abrupt as a
    crash): the product's code is unchanged, and the parent sees exactly what it sees when a
    worker dies of a bug.  (gdb calling ``_exit(1)`` in the worker would need gdb installed.)"""
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(CRASH_ON_SIGUSR1, encoding="utf-8")
    migrate(postgres_url)
    parent, url, log = start_workers(tmp_path, postgres_url, env={"PYTHONPATH": str(hook)})
    try:
        wait_until("two workers", lambda: len(children(parent.pid)) == 2 and answers(url))
        # Both have reported serving: only then is the port answered by either of them
        # (each is a full server).  Wait until the pages come from both to be sure.
        first = children(parent.pid)
        victim, survivor = sorted(first)
        wait_until("both serving", lambda: serving(victim) and serving(survivor))
        os.kill(victim, signal.SIGUSR1)
        wait_until(
            "the crashed worker replaced",
            lambda: len(children(parent.pid)) == 2 and victim not in children(parent.pid),
        )
        assert survivor in children(parent.pid)
        assert parent.poll() is None
        wait_until("served again", lambda: answers(url))
        text = log.read_text(encoding="utf-8", errors="replace")
        assert f"worker {victim} died while serving (exit status 1); restarting it" in text
    finally:
        parent.send_signal(signal.SIGTERM)
        parent.wait(BOUND)
    assert parent.returncode == 0, log.read_text()


def serving(pid: int) -> bool:
    """Whether the worker ``pid`` has a listening socket: after uvicorn's start-up, which is
    when it reports serving (a socket bound but not listening shows as state 07, not 0A)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except FileNotFoundError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:
                return True
    return False


def refused_to_start(parent: subprocess.Popen[bytes], log: Path, status: int) -> str:
    """The parent's log, once it has exited 4 because a worker could not start (with
    ``status``), and started none again."""
    parent.wait(BOUND)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert parent.returncode == 4, text
    assert f"a worker could not start (exit status {status})" in text, text
    assert "restarting" not in text and "Traceback" not in text, text
    return text


def test_a_worker_that_cannot_start_stops_them_all_without_retrying(
    tmp_path: Path, postgres_url: str
) -> None:
    """The schema not migrated: each worker refuses to start (status 4), the parent stops the
    other and exits 4 with the reason, and starts no worker again."""
    parent, _, log = start_workers(tmp_path, postgres_url)
    text = refused_to_start(parent, log, status=4)
    assert "dashboard db migrate" in text, text


def test_a_programme_that_does_not_read_stops_them_all_with_status_1(
    tmp_path: Path, postgres_url: str
) -> None:
    """Status 1 before serving (a programme the workers cannot read) still means "could not
    start": no restart loop, the parent exits 4 naming the file."""
    migrate(postgres_url)
    parent, _, log = start_workers(
        tmp_path, postgres_url,
        files={"broken.toml": "this is not a programme ["},
        rooms=[("cr4", "Conference Room 4", "broken.toml")],
    )  # fmt: skip
    text = refused_to_start(parent, log, status=1)
    assert "broken.toml" in text, text
