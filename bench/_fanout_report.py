"""bench/fanout.py's records and its printed report: one table per N (app, baseline, ratio), the
targets met or not, then every change."""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from typing import Any

from _common import machine, median, table

TARGET_RATIO = 1.3  # CPU per change and spread, app ÷ websockets.broadcast, at 10,000
TARGET_KIB = 18.0  # memory per idle display socket, the app
NAN = float("nan")


@dataclass
class Sample:
    cpu_ms: float  # server CPU for the change, the idle rate × window taken off
    raw_ms: float  # the same before that
    idle_rate: float  # ms per s, over the quiet second before the trigger
    window_ms: float  # trigger → settle after the last receipt
    spread: float  # last − first receipt
    p50: float  # from the trigger
    p99: float
    delivered: int
    server_pct: float  # CPU per change ÷ (trigger → last receipt), % of one core
    client_ms: float  # CPU of all client processes over the window
    client_pct: float  # client CPU ÷ (trigger → last receipt), % of one core


@dataclass
class Side:
    """One server at one N: its changes and its memory."""

    label: str
    samples: list[Sample] = field(default_factory=list)
    idle_rate: float = NAN  # ms of CPU per second with N idle sockets: the median 1 s slice
    idle_mean: float = NAN  # over the whole interval, heartbeats and pings included
    before_kib: int = 0
    after_kib: int = 0
    opened: int = 0
    open_s: float = NAN

    @property
    def kib_per_socket(self) -> float:
        return (self.after_kib - self.before_kib) / self.opened if self.opened else NAN

    def med(self, name: str) -> float:
        return median([getattr(s, name) for s in self.samples])


@dataclass
class Result:
    n: int
    frame_bytes: int = 0
    app: Side = field(default_factory=lambda: Side("app"))
    base: Side = field(default_factory=lambda: Side("websockets.broadcast"))


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(b) else NAN


def verdict(value: float, limit: float) -> str:
    return "met" if value <= limit else "not met"


def n_table(r: Result) -> str:
    rows: list[list[Any]] = []
    for side in (r.app, r.base):
        rows.append(
            [
                side.label,
                side.med("cpu_ms"),
                side.med("raw_ms"),
                f"{side.med('server_pct'):.0f} %",
                side.med("spread"),
                side.med("p50"),
                side.med("p99"),
                f"{min(s.delivered for s in side.samples)}/{r.n}",
                side.kib_per_socket,
                f"{side.idle_mean:.1f} ({side.idle_rate:.1f})",
                side.med("client_ms"),
                f"{side.med('client_pct'):.0f} %",
            ]
        )
    a, b = r.app, r.base
    rows.append(
        [
            "ratio app ÷ baseline",
            ratio(a.med("cpu_ms"), b.med("cpu_ms")),
            ratio(a.med("raw_ms"), b.med("raw_ms")),
            "",
            ratio(a.med("spread"), b.med("spread")),
            ratio(a.med("p50"), b.med("p50")),
            ratio(a.med("p99"), b.med("p99")),
            "",
            ratio(a.kib_per_socket, b.kib_per_socket),
            f"{ratio(a.idle_mean, b.idle_mean):.2f}",
            ratio(a.med("client_ms"), b.med("client_ms")),
            "",
        ]
    )
    headers = [
        f"N = {r.n:,}",
        "server CPU per change, ms",
        "raw (idle not taken off)",
        "server CPU, % of a core",
        "spread, ms",
        "client p50, ms",
        "client p99, ms",
        "delivered (min)",
        "KiB per idle socket",
        "idle CPU, ms/s (median 1 s)",
        "client CPU per change, ms",
        "client CPU, % of a core",
    ]
    cpu, spread = ratio(a.med("cpu_ms"), b.med("cpu_ms")), ratio(a.med("spread"), b.med("spread"))
    target = "(the targets are set at N = 10,000)" if r.n != 10_000 else "(the targets' N)"
    return "\n".join(
        [
            table(headers, rows),
            "",
            f"Targets {target}: CPU per change ×{cpu:.2f} ≤ ×{TARGET_RATIO}: "
            f"{verdict(cpu, TARGET_RATIO)}; spread ×{spread:.2f} ≤ ×{TARGET_RATIO}: "
            f"{verdict(spread, TARGET_RATIO)}; memory {a.kib_per_socket:.1f} KiB ≤ "
            f"{TARGET_KIB:.0f} KiB per socket: {verdict(a.kib_per_socket, TARGET_KIB)}.",
        ]
    )


def report(results: list[Result], args: argparse.Namespace, load: tuple[str, str]) -> str:
    raw = [
        [
            r.n,
            i + 1,
            side.label,
            s.raw_ms,
            s.window_ms,
            s.idle_rate,
            s.cpu_ms,
            f"{s.server_pct:.0f} %",
            s.spread,
            s.p50,
            s.p99,
            s.delivered,
            s.client_ms,
            f"{s.client_pct:.0f} %",
        ]
        for r in results
        for i in range(len(r.app.samples))
        for side in (r.app, r.base)
        for s in (side.samples[i],)
    ]
    frame = ", ".join(f"{r.frame_bytes} B" for r in results)
    client = "Node ws, bench/node" if args.load == "node" else "Python, bench/_wsclient.py"
    lines = [
        f"Machine: {machine()}; server on CPU {sorted(args.server_cpus)}, {args.procs} client "
        f"processes ({client}) on CPU {sorted(args.load_cpus)}; frame {frame}; "
        f"load average {load[0]} at the start, {load[1]} at the end.",
        f"Medians over {args.repeats} changes after one warm-up. Server CPU per change: "
        f"/proc/PID/stat from just before the trigger to {args.settle * 1000:.0f} ms after the "
        f"last receipt, less the idle rate × that window (the rate over the {args.quiet:.0f} s "
        f"before the trigger; the idle column: the mean over {args.idle:.0f} s with the N "
        "sockets open, and its median 1 s slice). p50/p99 from the trigger (app: the POST; "
        "baseline: the control command). Client CPU: all client processes "
        "(/proc/PID/schedstat) over the same window. % of a core: CPU ÷ (trigger → last "
        "receipt); with both below ~90 %, neither the server nor the clients were the limit "
        "but the machine (other processes on the same CPUs).",
    ]
    for r in results:
        lines += ["", n_table(r)]
    lines += [
        "",
        "Every change (server CPU: raw, the window it was read over, the idle rate of the second "
        "before, and CPU per change = raw − idle rate × window):",
        "",
        table(
            [
                "N",
                "#",
                "server",
                "CPU raw, ms",
                "window, ms",
                "idle before, ms/s",
                "CPU per change, ms",
                "server % of a core",
                "spread",
                "p50",
                "p99",
                "delivered",
                "client CPU, ms",
                "client % of a core",
            ],
            raw,
        ),
    ]
    return "\n".join(lines)
