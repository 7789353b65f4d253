"""``dashboard serve --workers N``: N processes on one port sharing a PostgreSQL database, a
dead worker restarted, SIGTERM stopping them all; refused with SQLite."""

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
