"""Shared fixtures: real servers on loopback ports, configs in temporary folders."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

from dashboard.resources import DATA_DIR_VARIABLE

from ._postgres import Cluster

# No deadline on property tests: a deadline is a timed assertion, and this machine is shared and
# noisy (an example that takes 370 ms once under load is not a failure).  Speed is measured in
# bench/, never asserted in tests.
settings.register_profile("dashboard", deadline=None)
settings.load_profile("dashboard")

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "config"
SHIPPED_NOTE = CONFIG / "oewg-ict-sixth-session-2023.txt"
SHARED_NOTE = ROOT.parent / "shared" / "programmes" / "oewg-ict-sixth-session-2023.txt"
ARTIFACTS = Path(os.environ.get("DASHBOARD_ARTIFACTS", ROOT / "artifacts"))
DATA = ROOT / "data"  # the checkout's default data folder: a developer's own database


def _tree(folder: Path) -> dict[str, tuple[int, int]] | None:
    """Each file and folder under ``folder`` with its size and modification time (None: no
    folder), to tell whether anything was written there."""
    if not folder.is_dir():
        return None
    tree = {}
    for path in folder.rglob("*"):
        with contextlib.suppress(OSError):  # gone since the listing
            stat = path.stat()
            tree[str(path.relative_to(folder))] = (stat.st_size, stat.st_mtime_ns)
    return tree


@pytest.fixture(scope="session", autouse=True)
def _tests_never_write_into_data(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No test writes into the repository's data/.  A Settings or a server given no data folder
    (in this process or a child) uses $DASHBOARD_DATA_DIR, a temporary folder here; and the run
    fails if data/ changed all the same (a path spelt out by hand)."""
    before = _tree(DATA)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(DATA_DIR_VARIABLE, str(tmp_path_factory.mktemp("default-data")))
        yield
    after = _tree(DATA)
    if after != before:
        changed = sorted(dict(set((before or {}).items()) ^ set((after or {}).items())))
        pytest.fail(
            f"a test wrote into {DATA} ({', '.join(changed) or 'created it'}): give it a"
            " temporary data folder (Settings.load(config, data_dir=tmp_path), --data)",
            pytrace=False,
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    """A real ``dashboard serve`` in its own process."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def make_config(
    folder: Path,
    rooms: list[tuple[str, str, str]] | None = None,
    files: dict[str, str] | None = None,
) -> Path:
    """A config folder: the shipped note, plus ``files`` (name → text), and rooms.toml listing
    ``rooms`` as (id, name, programme file)."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(SHIPPED_NOTE, folder / SHIPPED_NOTE.name)
    for name, text in (files or {}).items():
        (folder / name).write_text(text, encoding="utf-8")
    rooms = rooms or [("cr4", "Conference Room 4", SHIPPED_NOTE.name)]
    (folder / "rooms.toml").write_text(
        "".join(f'[[rooms]]\nid = "{i}"\nname = "{n}"\nprogramme = "{p}"\n\n' for i, n, p in rooms),
        encoding="utf-8",
    )
    return folder


def spawn_server(
    config: Path | None,
    data: Path,
    log: Path,
    port: int | None = None,
    at: str | None = None,
    speed: float | None = None,
    command: Sequence[str] = (sys.executable, "-m", "dashboard.cli"),
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    options: Sequence[str] = ("--log-level", "warning"),
) -> Server:
    """``dashboard serve`` in its own process, once its /healthz answers; output to ``log``.
    ``config=None`` serves the default config; ``command`` runs another installation's
    ``dashboard`` (tests/test_wheel.py); ``options``: more of serve's options."""
    port = port or free_port()
    args = [*command, "serve", "--port", str(port), "--data", str(data), *options]
    args += ["--config", str(config)] if config else []
    args += ["--at", at] if at else []
    args += ["--speed", str(speed)] if speed else []
    with log.open("ab") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    server = Server(process, port, log)
    deadline = time.monotonic() + 20
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {server.output()}")
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{server.url}/healthz", timeout=1).read()
            return server
        if time.monotonic() > deadline:
            stop_server(server)
            raise RuntimeError(f"server did not start: {server.output()}")
        time.sleep(0.05)


def stop_server(server: Server) -> None:
    """SIGTERM, then SIGKILL after 5 s; nothing if it has already gone."""
    if server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(5)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start servers: ``start_server(at="2023-12-13T14:59:58", speed=1, config=folder,
    data=folder)``.
    Each is stopped (SIGTERM, then SIGKILL) when the test ends."""
    servers: list[Server] = []

    def start(
        at: str | None = None,
        speed: float | None = None,
        config: Path | None = None,
        port: int | None = None,
        data: Path | None = None,
    ) -> Server:
        server = spawn_server(
            config or make_config(tmp_path / f"config{len(servers)}"),
            # Each server its own database unless the test shares one (restarts).
            data or tmp_path / f"data{len(servers)}",
            tmp_path / f"server{len(servers)}.log",
            port=port,
            at=at,
            speed=speed,
        )
        servers.append(server)
        return server

    yield start
    for server in servers:
        stop_server(server)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A throw-away PostgreSQL server for the session (tests/_postgres.py): started by the
    first test that asks for it, stopped at the end."""
    cluster = Cluster()
    try:
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> Iterator[str]:
    """The URL of a new, empty database on the test cluster, dropped after the test."""
    url = postgres_cluster.create_database()
    yield url
    postgres_cluster.drop_database(url)
