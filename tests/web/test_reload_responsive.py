"""While a real server reads and compares a programme of thousands of slots sent from the
console, it keeps answering everyone else: the worst gap between its /healthz answers is a small
fraction of the time the comparison took.  A ratio within one run, not a time budget: were the
reading done on the event loop, the loop would not answer for most of that time.

(tests/live/test_reload_threads.py shows the same without timing: the reading runs in a worker
thread while the loop goes on.)
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from tests._notes import generated_note
from tests._staff import accounts, login
from tests.conftest import Server, make_config
from tests.web._console import MORNING, Console

StartServer = Callable[..., Server]
SLOTS = 5000  # a little over 500 KiB of note: under the console's 1 MiB limit
FRACTION = 4  # the worst gap must be under a quarter of the comparison's time


async def test_the_server_answers_while_it_reads_a_long_programme(
    tmp_path: Path, start_server: StartServer
) -> None:
    config = make_config(tmp_path / "config")
    data = tmp_path / "data"
    accounts(data, users=(("sec", "secretariat", None),))
    server = start_server(at=MORNING, config=config, data=data)
    note = generated_note(SLOTS)
    answers: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            while not stop.is_set():
                response = await client.get("/healthz")
                assert response.status_code == 200, response.text
                answers.append(time.monotonic())

    with httpx.Client(base_url=server.url, timeout=60) as client:
        console = Console(config, data, client, login(client, "sec"))
        prober = asyncio.create_task(probe())
        while len(answers) < 3:  # the probe is under way
            await asyncio.sleep(0.01)
        began = time.monotonic()
        answer = await asyncio.to_thread(console.compare, "long-session.txt", note)
        ended = time.monotonic()
        stop.set()
        await prober

    assert answer.count("data-added=") == SLOTS, answer[:500]
    took = ended - began
    # The answers from the last one before the comparison to the first one after it.
    first = max(i for i, t in enumerate(answers) if t <= began)
    last = min((i for i, t in enumerate(answers) if t >= ended), default=len(answers) - 1)
    window = answers[first : last + 1]
    worst = max(b - a for a, b in itertools.pairwise(window))
    assert worst < took / FRACTION, (
        f"the server did not answer for {worst:.3f} s while it compared {SLOTS} slots in "
        f"{took:.3f} s ({len(window)} answers meanwhile)"
    )
