"""A log-in flood against the server's memory and its overrides (issue 12): peak memory and the
latency of ``POST /api/overrides`` while C clients log in at once, each time with an unknown
name from an address of its own, against the same server at rest, and against the server as of
``--before REV`` (argon2 at its library defaults, no bound on hashes at once).

Each server is ``dashboard serve --at 2023-12-13T15:30`` pinned to the first CPU; the clients
(threads of this process) on the others.  Addresses come in ``X-Forwarded-For`` from loopback,
which this server believes only because its ``settings.toml`` names 127.0.0.1 in
``trusted_proxies`` (the server before believed any local peer): so the per-address throttle
does not stop the flood before the hash, as it would not stop an attacker with many addresses.

Per server, one run: P overrides posted one after another at rest (median latency), then the
flood for D seconds with the same P overrides posted through it; peak RSS (VmHWM) and the log-in
answers (401 wrong password, 429 busy or throttled) are reported.

    .venv/bin/python bench/login_flood.py --before f2b008c    # C=40, D=20 s, P=20
    .venv/bin/python bench/login_flood.py --quick             # C=16, D=6 s, without before
"""

from __future__ import annotations

import argparse
import collections
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from _common import (
    DASHBOARD,
    HOST,
    PYTHON,
    ROOT,
    Server,
    cpu_split,
    free_port,
    log,
    machine,
    median,
    pin,
    pointer,
    post_override,
    serve_argv,
    table,
)
from assets import export_tree


@dataclass
class Result:
    server: str
    rss_rest_mib: float
    rss_peak_mib: float
    post_rest_ms: float
    post_flood_ms: float
    logins: dict[int, int]


def run_cli(argv: list[str], cwd: Path, stdin: str = "") -> str:
    out = subprocess.run(argv, cwd=cwd, input=stdin, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for {pid}")


def log_in(port: int, n: int) -> int:
    """One log-in for a name nobody has, from an address of its own; the answer's status."""
    data = urllib.parse.urlencode({"name": f"nobody{n}", "password": secrets.token_hex(8)})
    request = urllib.request.Request(
        f"http://{HOST}:{port}/chair/login",
        data=data.encode(),
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Forwarded-For": f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)
    except OSError:
        return 0


def posts(port: int, token: str, count: int) -> list[float]:
    took = []
    for i in range(count):
        t0 = time.perf_counter()
        post_override(port, token, pointer(f"Agenda item 5, part {i}"))
        took.append((time.perf_counter() - t0) * 1000)
    return took


def measure(name: str, argv: list[str], cwd: Path, data: Path, args: argparse.Namespace) -> Result:
    server_cpus, load_cpus = cpu_split()
    pin(load_cpus)
    cli = [DASHBOARD] if cwd == ROOT else [PYTHON, "-m", "dashboard.cli"]
    token = run_cli(
        [*cli, "token", "create", "bench", "--role", "secretariat", "--data", str(data)], cwd
    )
    port = int(argv[argv.index("--port") + 1])
    server = Server(argv, port, server_cpus, cwd=cwd)
    try:
        server.wait_ready()
        posts(port, token, 3)  # warm: templates, first commit
        rest = posts(port, token, args.posts)
        rss_rest = peak_rss_mib(server.proc.pid)
        answers: collections.Counter[int] = collections.Counter()
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds
        counter = iter(range(1, 1 << 24))

        def client() -> None:
            while time.monotonic() < stop:
                with lock:
                    n = next(counter)
                status = log_in(port, n)
                with lock:
                    answers[status] += 1

        threads = [threading.Thread(target=client, daemon=True) for _ in range(args.clients)]
        for thread in threads:
            thread.start()
        time.sleep(min(2.0, args.seconds / 4))  # the flood under way
        flood = posts(port, token, args.posts)
        for thread in threads:
            thread.join()
        rss_peak = peak_rss_mib(server.proc.pid)
    finally:
        server.stop()
    result = Result(name, rss_rest, rss_peak, median(rest), median(flood), dict(answers))
    log(f"  {name}: {result}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", metavar="REV", help="also measure the server as of REV")
    parser.add_argument("--clients", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--posts", type=int, default=20)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.clients, args.seconds, args.posts, args.before = 16, 6, 10, None
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-login-") as tmp:
        config = Path(tmp) / "config"
        shutil.copytree(ROOT / "config", config)
        settings = config / "settings.toml"
        text = settings.read_text(encoding="utf-8")
        believed = 'trusted_proxies = ["127.0.0.1"]'
        settings.write_text(re.sub(r"(?m)^trusted_proxies = .*$", believed, text), encoding="utf-8")
        argv = [*serve_argv(free_port(), f"{tmp}/a"), "--config", str(config)]
        results.append(measure("dashboard", argv, ROOT, Path(f"{tmp}/a"), args))
        if args.before:
            tree = export_tree(args.before, Path(tmp) / "before")
            argv = serve_argv(free_port(), f"{tmp}/b")
            argv = [PYTHON, "-m", "dashboard.cli", *argv[1:]]
            results.append(measure(f"before ({args.before})", argv, tree, Path(f"{tmp}/b"), args))
    print(machine())
    print(
        f"{args.clients} clients logging in at once for {args.seconds:.0f} s; "
        f"{args.posts} overrides posted at rest, then during the flood (medians)\n"
    )
    rows = []
    for r in results:
        answered = ", ".join(f"{code}: {count:,}" for code, count in sorted(r.logins.items()))
        rows.append(
            [
                r.server,
                r.rss_rest_mib,
                r.rss_peak_mib,
                r.post_rest_ms,
                r.post_flood_ms,
                r.post_flood_ms / r.post_rest_ms,
                answered,
            ]
        )
    print(
        table(
            [
                "server",
                "peak RSS before the flood, MiB",
                "peak RSS, MiB",
                "POST at rest, ms",
                "POST in the flood, ms",
                "ratio",
                "log-in answers",
            ],
            rows,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
