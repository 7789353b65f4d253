"""A SIGKILL at any moment loses nothing that append_override acknowledged (awaited: the
Store is async, in the writer as in the server)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher

from dashboard.store import Store

ROOT = Path(__file__).resolve().parents[2]

# Appends for ever, printing "<id> <key>" only after append_override has returned.
WRITER = """
import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

from argon2 import PasswordHasher

from dashboard.store import Store


async def main() -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=8192)
    async with Store(Path(sys.argv[1]), password_hasher=hasher) as store:
        i = 0
        while True:
            i += 1
            key = f"{sys.argv[2]}-{i}" if i % 2 else None
            stored, _ = await store.append_override(
                {"n": i, "pad": "x" * 500}, "writer", datetime.now(UTC), key
            )
            sys.stdout.write(f"{stored.id} {key or '-'}\\n")
            sys.stdout.flush()


asyncio.run(main())
"""


def run_and_kill(db: Path, round_id: str, delay: float) -> list[tuple[str, str]]:
    """Start a writer, let it append for ``delay`` s after its first ack, SIGKILL it; return
    the acknowledgements it printed (complete lines only: a torn line was never an ack)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), round_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()  # blocks until appending is under way
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    rest = process.stdout.read()
    error = process.stderr.read().decode(errors="replace")
    process.stdout.close()
    process.stderr.close()
    assert first.endswith(b"\n"), f"writer failed to start: {error}"
    assert process.returncode == -signal.SIGKILL, error
    lines = (first + rest).decode().split("\n")
    acked = lines[:-1]  # the last piece is "" or a torn line
    return [(line.split(" ")[0], line.split(" ")[1]) for line in acked]


async def test_acknowledged_overrides_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "dashboard.db"
    rng = random.Random()
    acknowledged: list[tuple[str, str]] = []
    for round_no in range(5):
        delay = rng.uniform(0.0, 0.25)
        acks = run_and_kill(db, f"r{round_no}", delay)
        assert acks, f"round {round_no}: nothing acknowledged"
        acknowledged += acks
        hasher = PasswordHasher(time_cost=1, memory_cost=8192)
        async with Store(db, password_hasher=hasher) as store:
            stored_ids = {o.id for o in await store.overrides()}
            lost = [i for i, _ in acknowledged if i not in stored_ids]
            assert lost == [], f"round {round_no} (killed after {delay:.3f}s) lost {lost}"
            result = await store.verify()
            assert result.ok, f"round {round_no} (killed after {delay:.3f}s): {result}"
            assert result.checked == len(stored_ids) >= len(acknowledged)
            # A retry with an acknowledged key gets the first answer, even after the crash.
            for override_id, key in acks:
                if key != "-":
                    again, created = await store.append_override(
                        {"retry": True}, "writer", datetime.now(UTC), key
                    )
                    assert (again.id, created) == (override_id, False)
