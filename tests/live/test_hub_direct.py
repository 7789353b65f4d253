"""The hub writing straight to clients (``write``): what a screen receives, in what order, and
when the mailbox takes over.  ``Link`` stands for a connection as dashboard/direct_ws.py offers
it (tests/web/test_direct_ws.py runs the real one under uvicorn): it takes each message, or
refuses while "paused", as a transport does once its peer stops reading."""

from __future__ import annotations

from dashboard.live.hub import DROPPED, QUEUED, WRITTEN, Frame, Hub, Subscriber


class Link:
    def __init__(self) -> None:
        self.paused = False
        self.received: list[str] = []

    def write(self, data: bytes) -> bool:
        if self.paused:
            return False
        self.received.append(data.decode())
        return True


class Backlog:
    """The web layer's ``backlog``: here it only records which subscriber asked to be drained."""

    def __init__(self) -> None:
        self.calls: list[Subscriber] = []

    def __call__(self, subscriber: Subscriber) -> None:
        self.calls.append(subscriber)


def drain(subscriber: Subscriber, link: Link) -> list[Frame]:
    """What a drain task does once the client takes frames again."""
    taken = []
    while (frame := subscriber.take()) is not None:
        link.received.append(frame.text)
        taken.append(frame)
    return taken


def test_frames_are_written_at_once_in_order_and_counted() -> None:
    hub, link, backlog = Hub(), Link(), Backlog()
    hub.publish("display:cr4", 1, "one")
    subscriber = hub.subscribe("display:cr4", link.write, backlog)
    assert link.received == ["one"], "the current state, written on subscribing"
    for version in (2, 3, 4):
        assert hub.publish("display:cr4", version, f"v{version}") == 1
    assert link.received == ["one", "v2", "v3", "v4"]
    assert subscriber.idle and subscriber.sent == 4 and subscriber.dropped == 0
    assert backlog.calls == []
    assert hub.sent == {"display:cr4": 4}


def test_the_same_encoded_bytes_go_to_every_client() -> None:
    hub = Hub()
    seen: list[bytes] = []

    def write(data: bytes) -> bool:
        seen.append(data)
        return True

    for _ in range(3):
        hub.subscribe("overview", write, lambda _: None)
    hub.publish("overview", 1, "Conférence – 会议 – مؤتمر")
    assert len(seen) == 3 and all(data is seen[0] for data in seen), "encoded once"
    assert seen[0].decode() == "Conférence – 会议 – مؤتمر"


def test_a_paused_client_gets_the_mailbox_latest_wins_and_one_drain() -> None:
    hub, slow, fast, backlog = Hub(), Link(), Link(), Backlog()
    subscriber = hub.subscribe("room:cr4", slow.write, backlog)
    other = hub.subscribe("room:cr4", fast.write, backlog)
    slow.paused = True
    for version in (1, 2, 3):
        hub.publish("room:cr4", version, f"v{version}")
    assert fast.received == ["v1", "v2", "v3"], "the paused client delays no one"
    assert slow.received == []
    assert backlog.calls == [subscriber], "one drain asked for, however many frames wait"
    assert subscriber.dropped == 2 and hub.dropped == {"room:cr4": 2}
    assert other.dropped == 0
    # The client reads again: frames published while the drain is under way wait their turn
    # behind it (never overtaking it), and the drain sends only the newest.
    slow.paused = False
    assert subscriber.offer(Frame(4, "v4", data=b"v4")) == DROPPED
    assert slow.received == [], "nothing written directly while frames wait"
    assert [f.text for f in drain(subscriber, slow)] == ["v4"]
    assert not subscriber.draining
    hub.publish("room:cr4", 5, "v5")
    assert slow.received == ["v4", "v5"], "written directly again"
    assert len(backlog.calls) == 1


def test_brief_frames_directly_and_after_a_backlog() -> None:
    """A client that has the version a brief frame builds on gets the brief form; one whose
    frame was replaced in its mailbox gets the full text."""
    hub, link, backlog = Hub(), Link(), Backlog()
    hub.publish("display:cr4", 1, "full 1")
    subscriber = hub.subscribe("display:cr4", link.write, backlog)
    hub.publish("display:cr4", 2, "full 2", brief="brief 2", brief_after=1)
    assert link.received == ["full 1", "brief 2"]
    link.paused = True
    hub.publish("display:cr4", 3, "full 3", brief="brief 3", brief_after=3)  # not for it
    assert subscriber.sent == 2, "a refused write is not counted as sent"
    link.paused = False
    assert [f.text for f in drain(subscriber, link)] == ["full 3"]
    hub.publish("display:cr4", 4, "full 4", brief="brief 4", brief_after=3)
    assert link.received == ["full 1", "brief 2", "full 3", "brief 4"]


def test_heartbeats_are_written_to_idle_clients_only() -> None:
    hub, idle, paused, backlog = Hub(), Link(), Link(), Backlog()
    hub.subscribe("display:cr4", idle.write, backlog)
    waiting = hub.subscribe("room:cr4", paused.write, backlog)
    paused.paused = True
    hub.publish("room:cr4", 1, "state")  # waits in the mailbox
    assert hub.heartbeat("beat") == 1
    assert idle.received == ["beat"]
    assert hub.sent == {"display:cr4": 1}
    paused.paused = False
    assert [f.text for f in drain(waiting, paused)] == ["state"], "a heartbeat never hides it"


def test_offer_outcomes_without_a_direct_write() -> None:
    """The mailbox alone (a server without the direct write): nothing is written, no drain."""
    subscriber = Subscriber("room:cr4")
    assert subscriber.offer(Frame(1, "a", data=b"a")) == QUEUED
    assert subscriber.offer(Frame(2, "b", data=b"b")) == DROPPED
    assert not subscriber.draining
    direct = Subscriber("room:cr4", Link().write)
    assert direct.offer(Frame(1, "a", data=b"a")) == WRITTEN
