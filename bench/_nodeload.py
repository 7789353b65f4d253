"""The Node ``ws`` load generator (bench/node/wsclient.js) behind the interface of
bench/_workers.py's ``Workers`` that bench/fanout.py uses (open, stamps, close, procs).

Bench only: ``npm install --prefix bench/node`` once (the ``ws`` package, pinned in
bench/node/package.json); nothing in the tests or CI needs Node.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from typing import Any

from _common import BENCH, pin
from _wsclient import SOURCES

SCRIPT = BENCH / "node" / "wsclient.js"


def available() -> str | None:
    """Why the Node load generator cannot run, or None when it can."""
    if shutil.which("node") is None:
        return "no `node` on PATH"
    if not (BENCH / "node" / "node_modules" / "ws").is_dir():
        return "the ws package is not installed: npm install --prefix bench/node"
    return None


class NodeWorkers:
    """``procs`` Node processes pinned to ``cpus``; connections spread evenly."""

    def __init__(self, procs: int, cpus: set[int]) -> None:
        self.count, self.cpus = procs, cpus
        self.procs: list[asyncio.subprocess.Process] = []

    async def __aenter__(self) -> NodeWorkers:
        for _ in range(self.count):
            proc = await asyncio.create_subprocess_exec(
                "node",
                str(SCRIPT),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=64 * 1024 * 1024,  # a reply holds up to N stamps
            )
            pin(self.cpus, proc.pid)
            self.procs.append(proc)
        return self

    async def __aexit__(self, *exc: object) -> None:
        for proc in self.procs:
            if proc.stdin is not None:
                proc.stdin.close()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()

    def split(self, total: int) -> list[int]:
        n = len(self.procs)
        return [total // n + (1 if i < total % n else 0) for i in range(n)]

    async def _one(self, proc: asyncio.subprocess.Process, message: dict[str, Any]) -> Any:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write((json.dumps(message) + "\n").encode())
        await proc.stdin.drain()
        line = await proc.stdout.readline()
        if not line:
            raise RuntimeError(f"node load generator {proc.pid} exited")
        return json.loads(line)

    async def ask(self, messages: list[dict[str, Any]]) -> list[Any]:
        return list(
            await asyncio.gather(
                *(self._one(p, m) for p, m in zip(self.procs, messages, strict=True))
            )
        )

    async def open(self, name: str, port: int, path: str, total: int) -> int:
        messages = [
            {"op": "open", "name": name, "port": port, "path": path, "count": c}
            | {"sources": SOURCES}
            for c in self.split(total)
        ]
        replies = await self.ask(messages)
        failures = sum(r["failures"] for r in replies)
        if failures:
            print(f"  warning: {failures} of {total} connections failed", file=sys.stderr)
        return sum(int(r["opened"]) for r in replies)

    async def stamps(self, name: str, version: int, timeout: float) -> list[int]:
        message = {"op": "stamps", "name": name, "version": version, "timeout": timeout}
        replies = await self.ask([message] * len(self.procs))
        return [int(s) for r in replies for s in r["stamps"]]

    async def close(self, name: str) -> None:
        await self.ask([{"op": "close", "name": name}] * len(self.procs))
