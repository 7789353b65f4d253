"""Requests per second of the style sheet (``/static/css/site.css``, ``Accept-Encoding: gzip``),
as pages name it now (versioned: ``/static/css/site.<hash>.css``) and plainly, against the
server before versioned assets, and proof that it is no longer compressed per request.

Servers (each pinned to the first CPU; ``wrk`` pinned to the others), measured in turn, R times
interleaved:

* dashboard: ``dashboard serve --at 2023-12-13T15:30``: the versioned URL its pages link to
  (immutable, gzip computed once at start-up), the plain URL (``no-cache``, ETag), and the plain
  URL revalidated (``If-None-Match``: 304);
* before (``--before REV``, e.g. the commit before versioned assets): the same command run from
  that revision's tree (``git archive``), where Starlette's StaticFiles answered and the gzip
  middleware compressed the file on every request;
* floor: a bare Starlette route under the same uvicorn configuration answering the style
  sheet's bytes, gzipped once (bench/_baseline.py ``static``).

Proof of "compressed once": the versioned and plain runs against the before run and the floor,
and the bytes sent (identical across requests; the gzip form the server computed at start-up).

    .venv/bin/python bench/assets.py --before de282b9   # 3 × 10 s per case, 50 connections
    .venv/bin/python bench/assets.py --quick            # 1 × 2 s, without the before server
"""

from __future__ import annotations

import argparse
import gzip
import io
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from _common import (
    BENCH,
    DASHBOARD,
    HOST,
    PYTHON,
    ROOT,
    Server,
    free_port,
    log,
    machine,
    median,
    serve_argv,
    start_server,
    table,
)
from phone import fetch, wrk, wrk_arguments, wrk_ready

CSS = "css/site.css"


@dataclass
class Run:
    rps: float
    requests: int
    p50_ms: float
    p99_ms: float
    bad: int


@dataclass
class Case:
    server: str
    label: str
    path: str
    headers: list[str]


def export_tree(revision: str, into: Path) -> Path:
    """The repository as of ``revision`` (``git archive``), to run the server of that time."""
    archive = subprocess.run(
        ["git", "archive", revision], cwd=ROOT, check=True, capture_output=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def versioned_css(port: int) -> str:
    """The style sheet's URL as the dashboard's pages link to it."""
    _, page, encoding = fetch(port, "/rooms/cr4", {"Accept-Encoding": "gzip"})
    html = (gzip.decompress(page) if encoding == "gzip" else page).decode()
    match = re.search(r'href="(/static/css/site[^"]*\.css)"', html)
    assert match is not None, "no style sheet linked"
    return match.group(1)


def headers_of(port: int, path: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    import urllib.request

    request = urllib.request.Request(
        f"http://{HOST}:{port}{path}", headers={"Accept-Encoding": "gzip", **(extra or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return {k.lower(): v for k, v in response.headers.items()} | {
                "status": str(response.status),
                "bytes": str(len(response.read())),
            }
    except urllib.error.HTTPError as error:  # 304 comes as an "error" here
        return {k.lower(): v for k, v in error.headers.items()} | {
            "status": str(error.code),
            "bytes": "0",
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    wrk_arguments(parser)
    parser.add_argument("--before", metavar="REV", help="also measure the server as of REV")
    args = wrk_ready(parser)
    with tempfile.TemporaryDirectory(prefix="bench-assets-") as tmp:
        servers: dict[str, Server] = {}
        try:
            port = free_port()
            servers["dashboard"] = start_server(port, f"{tmp}/a", args.server_cpus)
            versioned = versioned_css(port)
            plain = f"/static/{CSS}"
            etag = headers_of(port, plain)["etag"]
            cases = [
                Case("dashboard", "versioned", versioned, []),
                Case("dashboard", "plain", plain, []),
                Case("dashboard", "plain, If-None-Match (304)", plain, [f"If-None-Match: {etag}"]),
            ]
            if args.before:
                tree = export_tree(args.before, Path(tmp) / "before")
                port = free_port()
                argv = serve_argv(port, f"{tmp}/b")
                argv = [PYTHON, "-m", "dashboard.cli", *argv[1:]] if argv[0] == DASHBOARD else argv
                before = f"before ({args.before})"
                servers[before] = Server(argv, port, args.server_cpus, cwd=tree)
                servers[before].wait_ready()
                cases.append(Case(before, "plain (as its pages linked it)", plain, []))
            css = Path(tmp) / "site.css"
            css.write_bytes((ROOT / "static" / CSS).read_bytes())
            port = free_port()
            argv = [PYTHON, str(BENCH / "_baseline.py"), "static", "--port", str(port)]
            floor = "bare Starlette, same bytes gzipped once"
            servers[floor] = Server([*argv, "--frame", str(css)], port, args.server_cpus)
            servers[floor].wait_ready()
            cases.append(Case(floor, "any path", plain, []))

            seen: dict[str, dict[str, str]] = {}
            for case in cases:
                extra = dict(h.split(": ", 1) for h in case.headers)
                seen[f"{case.server}|{case.label}"] = headers_of(
                    servers[case.server].port, case.path, extra
                )
            runs: dict[str, list[Run]] = {}
            for r in range(args.repeats):
                for case in cases:
                    url = f"http://{HOST}:{servers[case.server].port}{case.path}"
                    run = Run(*wrk(url, ["Accept-Encoding: gzip", *case.headers], args))
                    runs.setdefault(f"{case.server}|{case.label}", []).append(run)
                    log(f"  {r + 1}: {case.server} {case.label}: {run.rps:,.0f} req/s")
        finally:
            for server in servers.values():
                server.stop()
    print(report(cases, runs, seen, args))
    return 0


def report(
    cases: list[Case],
    runs: dict[str, list[Run]],
    seen: dict[str, dict[str, str]],
    args: argparse.Namespace,
) -> str:
    rows = []
    for case in cases:
        key = f"{case.server}|{case.label}"
        samples, headers = runs[key], seen[key]
        rows.append(
            [
                case.server,
                case.label,
                median([s.rps for s in samples]),
                median([s.p50_ms for s in samples]),
                median([s.p99_ms for s in samples]),
                f"{headers['status']}, {headers.get('content-encoding', 'identity')}, "
                f"{int(headers['bytes']):,} B",
                headers.get("cache-control", "–"),
                sum(s.bad for s in samples),
            ]
        )
    ratios = []
    first = median([s.rps for s in runs[f"{cases[0].server}|{cases[0].label}"]])
    for case in cases[1:]:
        other = median([s.rps for s in runs[f"{case.server}|{case.label}"]])
        ratios.append([f"versioned ÷ {case.server}, {case.label}", first / other])
    return "\n".join(
        [
            f"Machine: {machine()}; servers on CPU {sorted(args.server_cpus)}, wrk (1 thread, "
            f"{args.connections} connections, Accept-Encoding: gzip) on CPU "
            f"{sorted(args.load_cpus)}.",
            f"Medians over {args.repeats} runs of {args.duration} s each.",
            "",
            table(
                [
                    "server",
                    "request",
                    "req/s",
                    "p50 ms",
                    "p99 ms",
                    "answer",
                    "cache-control",
                    "errors",
                ],
                rows,
            ),
            "",
            table(["ratio", "req/s"], ratios),
        ]
    )


if __name__ == "__main__":
    sys.exit(main())
