"""Failover (issue 14, item 5), in a real headless Chromium: SIGKILL of the process that holds
a door display's WebSocket.

Two real ``dashboard serve`` processes on one PostgreSQL database (the session's throw-away
cluster), bound to ONE port with ``--reuse-port`` (what ``dashboard serve --workers 2`` runs
per worker), so the page's URL is the same whichever process serves it, as behind a reverse
proxy: the kernel spreads connections between the two listeners, and once one is gone every
new connection reaches the other.

Which process holds what is read from the kernel, not from the servers: each of our own HTTP
requests is sent on a connection whose accepting process we look up first (our socket's port
matched with the processes' sockets through /proc/net/tcp and /proc/PID/fd), so a request can
be addressed to A or to B although both listen on one port.  The display's holder is the
process whose /healthz, asked that way, counts the display.

The display is open; overrides are acknowledged by the holder (A), A is SIGKILLed (no shutdown,
no flush), more are acknowledged by B while A is dead.  The page goes offline and comes back by
itself, on B, without a reload, and shows the latest; every acknowledged override is stored
once and the chain verifies.  Live timings are shortened (settings.toml ``[live]``, as in
test_kiosk.py) so that the page's back-off is short; no sleeps, no timed assertions.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from dashboard.live.startup import run_apart
from dashboard.store import Store
from tests.conftest import ROOT, Server, free_port, make_config, spawn_server, stop_server
from tests.store.conftest import CHEAP

from .conftest import Watched
from .test_kiosk import BACK_WITHIN_MS, FAST
from .test_offline import AFTERNOON, LANDSCAPE, MORNING, WEDNESDAY_MORNING, offline_noise

NewPage = Callable[..., Watched]

BOUND = 60.0  # seconds: generous, for a loaded machine; never a measure of speed
ESTABLISHED, LISTEN = "01", "0A"  # /proc/net/tcp's states

# Every value the page's data-connection takes from now on, in order (a MutationObserver):
# an offline spell of a fraction of a second is recorded, where polling could miss it.
RECORD_CONNECTION = """
() => {
  const seen = window.__connection = [];
  new MutationObserver(() => {
    const state = document.documentElement.dataset.connection;
    if (seen[seen.length - 1] !== state) seen.push(state);
  }).observe(document.documentElement, {attributes: true, attributeFilter: ["data-connection"]});
}
"""


# --- who holds which connection: the kernel's view ------------------------------------------------


def _tcp_sockets() -> list[tuple[int, int, str, int]]:
    """IPv4 TCP sockets of this network namespace: (local port, remote port, state, inode)."""
    rows = []
    with open("/proc/net/tcp", encoding="ascii") as table:
        next(table)  # the header
        for line in table:
            fields = line.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
            rows.append((int(local.split(":")[1], 16), int(remote.split(":")[1], 16), state, inode))
    return rows


def _socket_inodes(pid: int) -> set[int]:
    """The inodes of the sockets process ``pid`` has open."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed since the listing
            continue
        if target.startswith("socket:["):
            inodes.add(int(target[len("socket:[") : -1]))
    return inodes


def holder(pids: list[int], port: int, peer: int, state: str = ESTABLISHED) -> int | None:
    """The process among ``pids`` that holds the socket on ``port`` whose peer is port ``peer``
    (None: not accepted yet; a connection in a listener's queue has no inode)."""
    inodes = {i for lp, rp, s, i in _tcp_sockets() if lp == port and rp == peer and s == state}
    inodes.discard(0)
    for pid in pids:
        if inodes & _socket_inodes(pid):
            return pid
    return None


def listening(pid: int, port: int) -> bool:
    return holder([pid], port, 0, LISTEN) == pid


def wait_until(what: str, check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + BOUND
    while not check():
        assert time.monotonic() < deadline, f"not seen within {BOUND} s: {what}"
        time.sleep(0.05)


# --- two processes, one port ----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: Any


@dataclass
class OnePort:
    """Two servers, A and B, on one port and one database, and a secretariat token."""

    url: str  # the database's
    data: Path
    port: int
    token: str
    servers: list[Server]

    @property
    def pids(self) -> list[int]:
        return [s.process.pid for s in self.servers if s.process.poll() is None]

    def request(
        self, server: Server, method: str, path: str, body: dict[str, Any] | None = None
    ) -> Answer:
        """``method path`` answered by ``server`` itself: connections are opened to the shared
        port until the kernel hands one to ``server`` (the others are closed unused)."""
        deadline = time.monotonic() + BOUND
        pid = server.process.pid
        while True:
            assert time.monotonic() < deadline, f"no connection reached process {pid}"
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=BOUND)
            try:
                connection.connect()
                assert connection.sock is not None
                mine = connection.sock.getsockname()[1]
                found: list[int | None] = [None]

                def accepted(mine: int = mine, found: list[int | None] = found) -> bool:
                    found[0] = holder(self.pids, self.port, mine)
                    return found[0] is not None

                wait_until(f"the connection from port {mine} accepted", accepted)
                if found[0] != pid:
                    continue
                headers = {"authorization": f"Bearer {self.token}"}
                content = None
                if body is not None:
                    headers["content-type"] = "application/json"
                    content = json.dumps(body)
                connection.request(method, path, body=content, headers=headers)
                response = connection.getresponse()
                text = response.read().decode()
                return Answer(response.status, json.loads(text) if text else None)
            finally:
                connection.close()

    def ready(self, server: Server) -> bool:
        """``server``'s own /healthz says it is ready (200: its scheduler runs)."""
        return self.request(server, "GET", "/healthz").status == 200

    def screens(self, server: Server) -> int:
        """The displays of cr4 connected to ``server``, by its /healthz."""
        answer = self.request(server, "GET", "/healthz")
        assert answer.status == 200, answer.body
        return int(answer.body["rooms"]["cr4"]["screens"])

    def stored(self) -> list[str]:
        """The texts of the overrides stored, once the chain is verified."""
        return run_apart(self._stored())

    async def _stored(self) -> list[str]:
        store = Store(self.url, key_path=self.data / "audit.key", password_hasher=CHEAP)
        async with store:
            verified = await store.verify()
            assert verified.ok, verified
            return [str(o.data.get("text")) for o in await store.overrides()]


def _cli(env: dict[str, str], *args: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "dashboard.cli", *args],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


@pytest.fixture
def one_port(tmp_path: Path, postgres_url: str) -> Iterator[OnePort]:
    data = tmp_path / "data"
    env = {**os.environ, "DASHBOARD_DATABASE_URL": postgres_url}
    _cli(env, "db", "migrate")
    token = _cli(env, "token", "create", "office", "--role", "secretariat", "--data", str(data))
    port = free_port()
    servers: list[Server] = []
    shared = OnePort(postgres_url, data, port, token, servers)
    try:
        for name in ("a", "b"):
            config = make_config(tmp_path / f"config-{name}", files={"settings.toml": FAST})
            server = spawn_server(
                config, data, tmp_path / f"{name}.log", port=port, at=WEDNESDAY_MORNING,
                env=env, options=("--log-level", "warning", "--reuse-port"),
            )  # fmt: skip
            servers.append(server)
            # spawn_server's /healthz may have been answered by A: wait for this one's own.
            wait_until(f"{name} listening", partial(listening, server.process.pid, port))
            wait_until(f"{name} ready", partial(shared.ready, server))
        yield shared
    finally:
        for server in servers:
            stop_server(server)


POSTPONED = "Postponed to Friday 15 December"
CANCEL = {"room": "cr4", "kind": "cancel", "slot": AFTERNOON, "text": POSTPONED}


def announce(text: str) -> dict[str, Any]:
    return {"room": "cr4", "kind": "announce", "text": text}


def banner(page: Page, text: str) -> Any:
    return page.locator("#display-now .banner", has_text=text)


def cancelled(page: Page) -> Any:
    """The afternoon's meeting, listed as cancelled (with what the cancellation said)."""
    return page.locator(f'#display-now .gone-list li[data-slot="{AFTERNOON}"] .cancelled')


# --- the test -------------------------------------------------------------------------------------


def test_sigkill_of_the_displays_process_it_comes_back_on_the_other_showing_everything(
    one_port: OnePort, new_page: NewPage, artifacts: Path
) -> None:
    first, second = one_port.servers
    assert one_port.request(second, "GET", "/healthz").body["storage"]["changes"] == "listening"
    watched = new_page(viewport=LANDSCAPE)
    page = watched.page
    html = page.locator("html")
    page.goto(f"http://127.0.0.1:{one_port.port}/display/cr4?screen=door")
    expect(html).to_have_attribute("data-connection", "online")
    expect(html).to_have_attribute("data-clock-synced", "true")
    expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()

    # A is whichever process the kernel gave the display's socket to; B the other.
    counts: dict[int, int] = {}

    def counted() -> bool:
        counts.update({s.process.pid: one_port.screens(s) for s in (first, second)})
        return sum(counts.values()) == 1

    wait_until("the display counted by one process", counted)
    a, b = (first, second) if counts[first.process.pid] == 1 else (second, first)

    # Acknowledged by A itself.  (A door display shows three announcements at most.)
    acknowledged: list[str] = []
    for text in ("On A 1", "On A 2"):
        answer = one_port.request(a, "POST", "/api/overrides", announce(text))
        assert answer.status == 201, answer.body
        acknowledged.append(text)
    expect(banner(page, "On A 2")).to_be_visible()
    page.screenshot(path=artifacts / "failover-before.png")
    page.evaluate(RECORD_CONNECTION)

    a.process.kill()  # SIGKILL: no shutdown, no close frames, no flush
    a.process.wait(BOUND)
    # While A is dead, through the one URL (only B listens now): acknowledged by B.
    for body in (announce("While A is dead"), CANCEL):
        answer = one_port.request(b, "POST", "/api/overrides", body)
        assert answer.status == 201, answer.body
        acknowledged.append(str(body["text"]))

    # Back by itself, on B, with everything: the latest announcement, the meeting under way.
    expect(banner(page, "While A is dead")).to_be_visible(timeout=BACK_WITHIN_MS)
    expect(cancelled(page)).to_have_text(f"Cancelled: {POSTPONED}")
    for text in acknowledged[:2]:
        expect(banner(page, text)).to_be_visible()
    expect(html).to_have_attribute("data-connection", "online")
    expect(page.locator(".connection")).to_be_hidden()
    expect(page.locator(f'#display-now .current[data-slot="{MORNING}"]')).to_be_visible()
    states = page.evaluate("() => window.__connection")
    assert states[:1] == ["offline"] and states[-1:] == ["online"], states
    assert int(page.evaluate("() => window.dashboardLive.closes")) >= 1
    assert one_port.screens(b) == 1  # the display now on B
    assert watched.navigations == 1, "the display reloaded instead of reconnecting"
    watched.assert_clean(allow=offline_noise)
    page.screenshot(path=artifacts / "failover-after.png")

    # The same display in Arabic, opened now (only B can serve it): B shows it all too.
    arabic = new_page(viewport=LANDSCAPE)
    arabic.page.goto(f"http://127.0.0.1:{one_port.port}/display/cr4?screen=door-ar&lang=ar")
    expect(arabic.page.locator("html")).to_have_attribute("data-connection", "online")
    expect(arabic.page.locator("html")).to_have_attribute("lang", "ar")
    expect(banner(arabic.page, "While A is dead")).to_be_visible()
    expect(cancelled(arabic.page)).to_contain_text(POSTPONED)
    arabic.page.screenshot(path=artifacts / "failover-after-ar.png")
    arabic.assert_clean()

    # Every acknowledged override stored, once, in order, and the chain verifies.
    assert one_port.stored() == acknowledged
