"""Crash safety: what the server acknowledged survives a SIGKILL, and retries store once.

Clients post a stream of announcements, each with its own Idempotency-Key, and note every
acknowledgement (a 201).  The server is killed with SIGKILL at random moments, while requests
are under way, and restarted on the same data folder.  After each restart: every acknowledged
override is in the log and in force (on the display too), a retry of each request left without an
answer stores it at most once, and ``dashboard audit verify`` finds the hash chain intact.

The servers run on real time: a demo clock (``--at``) would start again at the same instant on
each restart, before the overrides made in the previous run took effect.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests._staff import accounts, audit_verify, bearer, launch, log_length, overrides, rooms, stop
from tests.conftest import Server, make_config

ROUNDS = 4
FEEDERS = 3  # clients posting side by side, so a kill finds several requests in flight
SEED = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
# A room holds at most 20 announcements (issue 12): the stream is spread over enough rooms for
# every one to stay in force (ROUNDS × 30 and some).
ROOMS = ["cr4", *(f"r{n}" for n in range(1, 12))]


@dataclass
class Ledger:
    """What the clients sent, and what the server acknowledged."""

    sent: dict[str, str] = field(default_factory=dict)  # idempotency key → text
    acked: dict[str, str] = field(default_factory=dict)  # idempotency key → override id
    refused: list[str] = field(default_factory=list)  # answers other than 201: a bug
    lock: threading.Condition = field(default_factory=threading.Condition)

    @property
    def unanswered(self) -> list[str]:
        return [key for key in self.sent if key not in self.acked]


def body(text: str) -> dict[str, str]:
    """An announcement in a room of its own number's choosing ("... f1-17": the 17th)."""
    number = int(text.rsplit("-", 1)[1])
    return {"room": ROOMS[number % len(ROOMS)], "kind": "announce", "text": text}


def post(client: httpx.Client, token: str, key: str, text: str) -> httpx.Response:
    return client.post(
        "/api/overrides", json=body(text), headers={**bearer(token), "idempotency-key": key}
    )


def feed(server: Server, token: str, ledger: Ledger, numbers: Iterator[int], name: str) -> None:
    """Post until the server goes away."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        while True:
            with ledger.lock:
                key = f"{name}-{next(numbers)}"
                text = f"Crash test {key}"
                ledger.sent[key] = text
            try:
                response = post(client, token, key, text)
            except httpx.HTTPError:
                return  # killed: this one is left without an answer
            with ledger.lock:
                if response.status_code == 201:
                    ledger.acked[key] = response.json()["id"]
                else:
                    ledger.refused.append(f"{key}: {response.status_code} {response.text}")
                    return
                ledger.lock.notify_all()


def check_log(server: Server, token: str, ledger: Ledger, data: Path) -> None:
    """Every acknowledged override is stored and in force, once; nothing else is stored."""
    with httpx.Client(base_url=server.url, timeout=10) as client:
        stored = [o for room in ROOMS for o in overrides(client, room, **bearer(token))]
        display = "".join(client.get(f"/display/{room}").text for room in ROOMS)
    by_id = {o["id"]: o for o in stored}
    texts = [o["text"] for o in stored]
    assert len(by_id) == len(stored) == log_length(data)
    assert len(set(texts)) == len(texts), "a request was stored twice"
    assert set(texts) <= set(ledger.sent.values()), "stored something nobody sent"
    for key, id in ledger.acked.items():
        assert id in by_id, f"acknowledged {key} ({id}) is lost"
        assert by_id[id]["text"] == ledger.sent[key]
        assert by_id[id]["in_force"], f"acknowledged {key} is not in force"
        assert f'data-banner="{id}"' in display, f"acknowledged {key} is not on the display"


def test_acknowledged_overrides_survive_sigkill(tmp_path: Path) -> None:
    print(f"crash test seed: CRASH_SEED={SEED}")  # shown with a failure, to replay it
    rng = random.Random(SEED)
    config = make_config(tmp_path / "config", rooms=rooms(*ROOMS[1:]))
    data = tmp_path / "data"
    token = accounts(data, tokens=(("feeder", "secretariat", None),))["feeder"]
    ledger = Ledger()
    numbers = itertools.count()
    kills = 0
    server = launch(config, data)
    try:
        for _ in range(ROUNDS):
            target = len(ledger.acked) + rng.randint(3, 30)
            feeders = [
                threading.Thread(target=feed, args=(server, token, ledger, numbers, f"f{i}"))
                for i in range(FEEDERS)
            ]
            for feeder in feeders:
                feeder.start()
            with ledger.lock:
                reached = ledger.lock.wait_for(
                    lambda t=target: len(ledger.acked) >= t or bool(ledger.refused), timeout=20
                )
            server.process.kill()  # SIGKILL: no shutdown, no flush beyond what was committed
            server.process.wait(10)
            kills += 1
            for feeder in feeders:
                feeder.join(20)
                assert not feeder.is_alive()
            assert not ledger.refused, f"seed {SEED}: {ledger.refused}"
            assert reached, f"seed {SEED}: only {len(ledger.acked)} acknowledged"
            verified = audit_verify(data)
            assert verified.returncode == 0, f"seed {SEED}, after kill {kills}: {verified.stderr}"

            server = launch(config, data)
            check_log(server, token, ledger, data)
            # Retry every request left without an answer, with its key: stored at most once.
            with httpx.Client(base_url=server.url, timeout=10) as client:
                for key in ledger.unanswered:
                    response = post(client, token, key, ledger.sent[key])
                    assert response.status_code == 201, response.text
                    ledger.acked[key] = response.json()["id"]
                # A retry of an acknowledged request gets the first answer.
                key = rng.choice(list(ledger.acked))
                again = post(client, token, key, ledger.sent[key])
                assert again.status_code == 201
                assert again.json()["id"] == ledger.acked[key]
            check_log(server, token, ledger, data)
    finally:
        stop(server)
    assert kills == ROUNDS
    assert len(ledger.acked) == len(ledger.sent) >= ROUNDS * 3
    result = audit_verify(data)
    assert result.returncode == 0, result.stderr
    assert f"{len(ledger.sent)} overrides verified" in result.stdout
