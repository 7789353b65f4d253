"""The hub in-process: latest-wins mailboxes, one shared frame object, clean unsubscription."""

from __future__ import annotations

import asyncio

import pytest

from dashboard.live.hub import Frame, Hub, Subscriber

WAIT = 1.0  # seconds; every frame here is already waiting, so this is only a guard


async def take(subscriber: Subscriber) -> Frame | None:
    return await asyncio.wait_for(subscriber.next(), WAIT)


async def test_subscriber_first_gets_the_latest_frame() -> None:
    hub = Hub()
    hub.publish("display:cr4", 1, "one")
    hub.publish("display:cr4", 2, "two")
    subscriber = hub.subscribe("display:cr4")
    frame = await take(subscriber)
    assert frame == Frame(2, "two")
    assert subscriber.dropped == 0  # the subscriber never saw "one": nothing was dropped for it


async def test_subscriber_of_a_silent_channel_waits() -> None:
    hub = Hub()
    subscriber = hub.subscribe("display:cr4")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(subscriber.next(), 0.05)
    hub.publish("display:cr4", 1, "one")
    assert await take(subscriber) == Frame(1, "one")


async def test_latest_wins_and_counts_dropped_frames() -> None:
    hub = Hub()
    subscriber = hub.subscribe("room:cr4")
    for version in (1, 2, 3):
        hub.publish("room:cr4", version, f"frame {version}")
    assert await take(subscriber) == Frame(3, "frame 3")
    assert subscriber.dropped == 2
    # Nothing else is waiting: the two older frames are gone for good.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(subscriber.next(), 0.05)


async def test_frames_read_in_turn_are_all_delivered_in_order() -> None:
    hub = Hub()
    subscriber = hub.subscribe("room:cr4")
    seen = []
    for version in range(1, 6):
        hub.publish("room:cr4", version, f"frame {version}")
        frame = await take(subscriber)
        assert frame is not None
        seen.append(frame.version)
    assert seen == [1, 2, 3, 4, 5]
    assert subscriber.dropped == 0


async def test_the_same_str_object_reaches_every_subscriber() -> None:
    hub = Hub()
    subscribers = [hub.subscribe("overview") for _ in range(5)]
    text = "".join(["<li id='card-cr4'>", "x" * 1000, "</li>"])  # built at run time, not interned
    assert hub.publish("overview", 7, text) == 5
    frames = [await take(s) for s in subscribers]
    assert all(f is not None and f.text is text and f.version == 7 for f in frames)


async def test_publish_reaches_only_its_channel() -> None:
    hub = Hub()
    a = hub.subscribe("display:a")
    b = hub.subscribe("display:b")
    assert hub.publish("display:a", 1, "for a") == 1
    assert await take(a) == Frame(1, "for a")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(b.next(), 0.05)


async def test_unsubscribe_ends_a_waiting_next_with_none() -> None:
    hub = Hub()
    subscriber = hub.subscribe("display:cr4")
    waiting = asyncio.create_task(subscriber.next())
    await asyncio.sleep(0)  # let it start waiting
    assert not waiting.done()
    hub.unsubscribe(subscriber)
    assert await asyncio.wait_for(waiting, WAIT) is None
    assert hub.count("display:cr4") == 0
    # An unsubscribed mailbox takes no more frames, even one already pending.
    assert hub.publish("display:cr4", 1, "late") == 0
    assert await take(subscriber) is None


async def test_unsubscribe_drops_a_pending_frame() -> None:
    hub = Hub()
    subscriber = hub.subscribe("display:cr4")
    hub.publish("display:cr4", 1, "pending")
    hub.unsubscribe(subscriber)
    assert await take(subscriber) is None


async def test_hub_close_ends_every_subscription() -> None:
    hub = Hub()
    subscribers = [hub.subscribe(channel) for channel in ("display:a", "room:a", "overview")]
    waiting = [asyncio.create_task(s.next()) for s in subscribers]
    await asyncio.sleep(0)
    hub.close()
    assert await asyncio.wait_for(asyncio.gather(*waiting), WAIT) == [None, None, None]
    assert [hub.count(s.channel) for s in subscribers] == [0, 0, 0]


async def test_a_subscriber_that_never_reads_does_not_block_the_others() -> None:
    hub = Hub()
    stalled = hub.subscribe("display:cr4")  # never read
    reader = hub.subscribe("display:cr4")
    received: list[int] = []

    async def read_all() -> None:
        while (frame := await reader.next()) is not None:
            received.append(frame.version)
            if frame.version == 1000:
                return

    task = asyncio.create_task(read_all())
    for version in range(1, 1001):
        assert hub.publish("display:cr4", version, f"v{version}") == 2
        await asyncio.sleep(0)  # give the reader its turn after each frame
    await asyncio.wait_for(task, WAIT)
    assert received == list(range(1, 1001))
    assert reader.dropped == 0
    # The stalled one holds only the newest frame, not a backlog.
    assert stalled.dropped == 999
    assert await take(stalled) == Frame(1000, "v1000")


async def test_latest_is_kept_per_channel() -> None:
    hub = Hub()
    assert hub.latest("display:cr4") is None
    hub.publish("display:cr4", 1, "one")
    hub.publish("display:cr4", 2, "two")
    assert hub.latest("display:cr4") == Frame(2, "two")
    assert hub.count("display:cr4") == 0


async def test_a_heartbeat_goes_only_where_nothing_waits_and_never_hides_a_state() -> None:
    hub = Hub()
    busy = hub.subscribe("display:cr4")
    idle = hub.subscribe("room:cr4")
    hub.publish("display:cr4", 1, "state")  # waiting in busy's mailbox
    assert hub.heartbeat("beat") == 1
    assert await take(busy) == Frame(1, "state")
    beat = await take(idle)
    assert beat is not None and beat.text == "beat"
    # A heartbeat still unsent is replaced by a real state, and that is not a dropped frame.
    hub.heartbeat("beat")
    hub.publish("room:cr4", 1, "room state")
    assert await take(idle) == Frame(1, "room state")
    assert idle.dropped == 0
    hub.unsubscribe(idle)
    beat = await take(busy)  # the second heartbeat, unsent until now
    assert beat is not None and beat.text == "beat"
    assert hub.heartbeat("beat") == 1, "a closed subscriber gets nothing"
