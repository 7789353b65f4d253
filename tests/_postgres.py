"""A throw-away PostgreSQL cluster for the tests: initdb into a temporary folder, pg_ctl on a
free loopback port, stopped (and the folder removed) at the end of the session.

Debian's ``postgresql`` package provides the binaries (scripts/install.sh --test installs it);
they live in /usr/lib/postgresql/VERSION/bin, off the PATH.  PostgreSQL refuses to run as root,
so when the tests run as root the cluster runs as the unprivileged ``postgres`` user (or
``nobody``), which owns the temporary folder.  Authentication is ``trust`` on loopback only:
the cluster lives for one test run and holds nothing but test data.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg

SUPERUSER = "dashboard"


def binaries() -> Path:
    """The newest installed PostgreSQL's bin folder."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise RuntimeError(
            "PostgreSQL is not installed: run `bash scripts/install.sh --test` (as root it"
            " installs Debian's postgresql package), or `apt-get install postgresql`"
        )
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _runner() -> tuple[list[str], int | None, int | None]:
    """The command prefix that runs as an unprivileged user, and its uid and gid (None: we are
    not root, run as ourselves)."""
    if os.geteuid() != 0:
        return [], None, None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            entry = pwd.getpwnam(name)
            return ["runuser", "-u", name, "--"], entry.pw_uid, entry.pw_gid
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) to run as")


class Cluster:
    """One PostgreSQL server in a temporary folder."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.prefix, uid, gid = _runner()
        # Directly under /tmp: pytest's own temporary folders are root-only (0700), which the
        # unprivileged server could not enter.
        self.folder = Path(tempfile.mkdtemp(prefix="dashboard-pg-"))
        if uid is not None and gid is not None:
            os.chown(self.folder, uid, gid)
        self.data = self.folder / "data"
        self.port = _free_port()
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8")
        self.start()

    def _run(self, tool: str, *args: str) -> None:
        command: Sequence[str] = [*self.prefix, str(self.bin / tool), *args]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{tool} failed: {result.stdout}{result.stderr}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c max_connections=200 -c fsync=on"
        )
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        """A new, empty database; its URL."""
        name = "t_" + uuid.uuid4().hex[:16]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
