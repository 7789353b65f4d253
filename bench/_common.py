"""Helpers the benchmarks share: the machine (CPU pinning, file limit), statistics, Markdown
tables, the server under test as a subprocess, and its HTTP API.

Every benchmark runs the real server as a subprocess (``dashboard serve`` or ``bench/_served.py``,
which is ``dashboard serve`` with optional bench-side probes), pinned to the first CPU, and its
load (client processes, wrk) pinned to the others.  ``time.monotonic_ns()`` is CLOCK_MONOTONIC,
system-wide on Linux, so stamps taken in different processes compare.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import resource
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
PYTHON = sys.executable
DASHBOARD = str(Path(PYTHON).with_name("dashboard"))  # the console script of the same venv
HOST = "127.0.0.1"  # loopback only
ROOM = "cr4"
AT = "2023-12-13T15:30"  # mid-session: the 3–6 p.m. meeting of 13 December, next change 18:00
PROBE = "BENCH-PROBE"  # lines the probed server prints on stderr (bench/_served.py)

# --- the machine ---------------------------------------------------------------------------------


def raise_nofile(want: int = 65536) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(want, hard) if hard != resource.RLIM_INFINITY else want
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def cpu_split() -> tuple[set[int], set[int]]:
    """(server CPUs, load CPUs): the first CPU for the server, the others for the load; with one
    CPU both share it."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return set(cpus), set(cpus)
    return {cpus[0]}, set(cpus[1:])


def pin(cpus: set[int], pid: int = 0) -> None:
    with contextlib.suppress(OSError):
        os.sched_setaffinity(pid, cpus)


def machine() -> str:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{os.cpu_count()} CPUs ({cpu}), Python {sys.version.split()[0]}, "
        f"{os.uname().sysname} {os.uname().release}"
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")


def cpu_ms(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used, in ms; clock-tick resolution."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * TICK_MS  # utime, stime: fields 14 and 15


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


# --- statistics and output -----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))  # ceil(n*q/100), at least 1
    return ordered[int(rank) - 1]


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(value: Any) -> str:
        if isinstance(value, float):
            return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
        if isinstance(value, int):
            return f"{value:,}"
        return str(value)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- the server under test -----------------------------------------------------------------------


def create_token(data_dir: str, name: str = "bench") -> str:
    """A secretariat bearer token, made the way an operator makes one."""
    name = f"{name}-{secrets.token_hex(3)}"
    out = subprocess.run(
        [DASHBOARD, "token", "create", name, "--role", "secretariat", "--data", data_dir],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def serve_argv(port: int, data_dir: str, probes: Sequence[str] = (), at: str = AT) -> list[str]:
    """``dashboard serve`` as shipped, or through bench/_served.py when probes are asked for."""
    args = ["serve", "--port", str(port), "--data", data_dir, "--at", at, "--log-level", "warning"]
    if probes:
        return [PYTHON, str(BENCH / "_served.py"), *probes, "--", *args]
    return [DASHBOARD, *args]


class Server:
    """A server subprocess pinned to ``cpus``; its stderr is read by a thread, so the probe's
    lines (``BENCH-PROBE kind key=value ...``) can be waited for."""

    def __init__(self, argv: Sequence[str], port: int, cpus: set[int], cwd: Path = ROOT) -> None:
        """``cwd``: where it runs (``python -m dashboard.cli`` imports the tree found there)."""
        self.argv, self.port, self.cpus = list(argv), port, cpus
        self.lines: queue.Queue[str] = queue.Queue()
        self.proc = subprocess.Popen(
            self.argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        pin(cpus, self.proc.pid)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            if line.startswith(PROBE):
                self.lines.put(line.strip())
            elif "Traceback" in line or "ERROR" in line or "rror:" in line:
                log(f"  server: {line.rstrip()}")

    def wait_ready(self, timeout: float = 30) -> float:
        """Seconds until /healthz answered 200."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.argv}")
            url = f"http://{HOST}:{self.port}/healthz"
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - t0
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout} s")

    def probe(self, kind: str, timeout: float = 30, **match: Any) -> dict[str, int] | None:
        """The next probe line of ``kind`` whose fields equal ``match``; None on timeout."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            _, line_kind, *fields = line.split()
            values = {k: int(v) for k, v in (f.split("=", 1) for f in fields)}
            if line_kind == kind and all(values.get(k) == v for k, v in match.items()):
                return values
        return None

    def rss_kib(self) -> int:
        return rss_kib(self.proc.pid)

    def stop(self, timeout: float = 60) -> float:
        """SIGTERM (what systemd or Ctrl-C sends), then wait: seconds until it exited."""
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                log("  warning: server ignored SIGTERM; killing it")
                self.proc.kill()
                self.proc.wait(5)
        self.reader.join(5)
        return time.monotonic() - t0


def steady_rss(server: Server, settle: float) -> int:
    """VmRSS once it has stopped moving (two reads 0.5 s apart within 64 KiB), after ``settle``."""
    time.sleep(settle)
    last = server.rss_kib()
    for _ in range(20):
        time.sleep(0.5)
        now = server.rss_kib()
        if abs(now - last) < 64:
            return now
        last = now
    return last


def start_server(
    port: int, data_dir: str, cpus: set[int], probes: Sequence[str] = (), at: str = AT
) -> Server:
    server = Server(serve_argv(port, data_dir, probes, at), port, cpus)
    server.wait_ready()
    return server


def post_override(port: int, token: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        f"http://{HOST}:{port}/api/overrides",
        method="POST",
        data=json.dumps(body).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Idempotency-Key": secrets.token_hex(8),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        if response.status != 201:
            raise RuntimeError(f"override refused: {response.status}")
        result: dict[str, Any] = json.loads(response.read())
        return result


def pointer(text: str, effective: str | None = None) -> dict[str, Any]:
    """A real change: "under discussion now" on room cr4's screens (replaces the previous one,
    so the frame keeps its size)."""
    body: dict[str, Any] = {"room": ROOM, "kind": "pointer", "text": text}
    if effective is not None:
        body["effective"] = effective
    return body


def current_frame(port: int, path: str = f"/ws/display/{ROOM}") -> str:
    """The channel's current frame, as a new screen gets it."""
    from websockets.sync.client import connect

    with connect(f"ws://{HOST}:{port}{path}", compression=None, open_timeout=30) as ws:
        frame = ws.recv(timeout=30)
    return frame if isinstance(frame, str) else frame.decode()
