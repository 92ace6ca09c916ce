"""The live broker: replay after Last-Event-ID, fan-out from other threads, degrading when
Redis is down. Real Redis servers are private ones on spare ports, never the shared one."""

import asyncio
import json
import os
import shutil
import socket
import subprocess
import threading
import time

import pytest

from asamblea.live.broker import LOG_SIZE, Broker, parse_id


async def take(stream, count, timeout=5.0):
    """The first ``count`` chunks of a stream (bytes), then close it."""
    chunks = []
    try:
        async with asyncio.timeout(timeout):
            async for chunk in stream:
                chunks.append(chunk)
                if len(chunks) >= count:
                    break
    finally:
        await stream.aclose()
    return chunks


def kinds_of(chunks):
    found = []
    for chunk in chunks:
        text = chunk.decode()
        if text.startswith("id:"):
            found.append(json.loads(text.split("data: ", 1)[1])["kind"])
        elif "event: " in text:
            found.append(text.split("event: ", 1)[1].split("\n")[0])
    return found


@pytest.fixture
def local(settings):
    settings.REDIS_URL = ""
    return Broker()


def test_reconnect_with_last_event_id_delivers_missed_events(local):
    local.publish("meeting:1", "first", {})
    seen = local._logs["meeting:1"][0].id
    local.publish("meeting:1", "second", {"n": 2})
    local.publish("meeting:2", "elsewhere", {})
    local.publish("body:1", "third", {})
    chunks = asyncio.run(take(local.stream(["meeting:1", "body:1"], seen), 3))
    assert kinds_of(chunks) == ["hello", "second", "third"]
    ids = [c.decode().split("\n")[0][4:] for c in chunks[1:]]
    assert all(parse_id(i) for i in ids)


def test_stale_or_foreign_last_event_id_asks_the_page_to_reload(local):
    local.publish("meeting:1", "first", {})
    chunks = asyncio.run(take(local.stream(["meeting:1"], "otherepoch-1"), 2))
    assert kinds_of(chunks) == ["hello", "reset"]
    chunks = asyncio.run(take(local.stream(["meeting:1"], "garbage"), 2))
    assert kinds_of(chunks) == ["hello", "reset"]


def test_log_is_bounded_and_overflow_asks_for_reload(local):
    local.publish("meeting:1", "first", {})
    first = local._logs["meeting:1"][0].id
    for n in range(LOG_SIZE + 5):
        local.publish("meeting:1", "more", {"n": n})
    assert len(local._logs["meeting:1"]) == LOG_SIZE
    assert local.since(["meeting:1"], first) is None


def test_event_published_from_another_thread_reaches_the_stream(local):
    async def scenario():
        stream = local.stream(["meeting:7"], None)
        hello = await stream.__anext__()
        threading.Thread(target=local.publish, args=("meeting:7", "changed", {"a": 1})).start()
        async with asyncio.timeout(5):
            event = await stream.__anext__()
        await stream.aclose()
        return hello, event

    hello, event = asyncio.run(scenario())
    assert b"event: hello" in hello
    payload = json.loads(event.decode().split("data: ", 1)[1])
    assert payload.pop("at") > 0
    assert payload == {"channel": "meeting:7", "kind": "changed", "data": {"a": 1}}


def test_slow_stream_is_cut_off_instead_of_growing_without_bound(local, monkeypatch):
    monkeypatch.setattr("asamblea.live.broker.QUEUE_SIZE", 3)

    async def scenario():
        stream = local.stream(["meeting:8"], None)
        await stream.__anext__()
        for n in range(10):
            local.publish("meeting:8", "flood", {"n": n})
        chunks = []
        async with asyncio.timeout(5):
            async for chunk in stream:
                chunks.append(chunk)
        return chunks

    chunks = asyncio.run(scenario())
    assert len(chunks) < 10  # it ended; the browser reconnects and replays from the log
    assert local.stream_count == 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_redis_unreachable_degrades_to_polling_and_publishing_goes_on(settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/3"  # nothing listens there
    broker = Broker()
    started = time.monotonic()
    broker.publish("meeting:1", "vote", {})  # must not raise
    broker.publish("meeting:1", "vote", {})  # and must not wait again for the dead server
    assert time.monotonic() - started < 3
    assert len(broker._logs["meeting:1"]) == 2  # delivered in-process meanwhile
    chunks = asyncio.run(take(broker.stream(["meeting:1"], None), 1))
    assert kinds_of(chunks) == ["degraded"]
    assert b"retry: 10000" in chunks[0]


@pytest.fixture
def private_redis():
    """A redis-server of our own on a spare port, so the test can stop it."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required under CI=true")
        pytest.skip("redis-server is not installed")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - a fixed local binary, fixed arguments
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, f"redis://127.0.0.1:{port}/3"
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


def test_redis_fan_out_then_redis_stops_and_streams_degrade(settings, private_redis):
    process, redis_url = private_redis
    settings.REDIS_URL = redis_url
    publisher, server = Broker(), Broker()  # two workers

    async def scenario():
        stream = server.stream(["meeting:3"], None)
        first = await stream.__anext__()
        # Publish from the other worker, in a thread as an on_commit callback would.
        await asyncio.to_thread(publisher.publish, "meeting:3", "floor", {"s": 1})
        async with asyncio.timeout(5):
            event = await stream.__anext__()
        process.kill()
        async with asyncio.timeout(10):
            rest = [chunk async for chunk in stream]  # the stream ends when Redis is lost
        await asyncio.to_thread(publisher.publish, "meeting:3", "vote", {})  # still no error
        again = await take(server.stream(["meeting:3"], event.decode().split("\n")[0][4:]), 1)
        return first, event, rest, again

    first, event, rest, again = asyncio.run(scenario())
    assert b"event: hello" in first
    assert json.loads(event.decode().split("data: ", 1)[1])["kind"] == "floor"
    assert all(b"id:" not in chunk for chunk in rest)
    assert kinds_of(again) == ["degraded"]


# -- turnout ticks: no per-ballot timing in the stream ------------------------------------


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticking(settings):
    """A broker without its ticker thread, on a clock the test moves."""
    settings.REDIS_URL = ""
    broker = Broker(ticker=False)
    broker.clock = FakeClock(1_000.2)
    return broker


def events_in(chunks):
    """The events (not control messages) in stream chunks, decoded."""
    found = []
    for chunk in chunks:
        for block in chunk.decode().split("\n\n"):
            if block.startswith("id:"):
                found.append(json.loads(block.split("data: ", 1)[1]))
    return found


def collect(broker, channels, during):
    """Run ``during()`` while a stream on ``channels`` is open; the events it delivered."""

    async def scenario():
        stream = broker.stream(channels, None)
        await stream.__anext__()  # hello
        during()
        broker.publish(channels[0], "end", {})  # a marker, so the test knows when to stop
        chunks = []
        async with asyncio.timeout(5):
            async for chunk in stream:
                chunks.append(chunk)
                if b'"kind":"end"' in chunk:
                    break
        await stream.aclose()
        return chunks

    return [e for e in events_in(asyncio.run(scenario())) if e["kind"] != "end"]


def test_thirty_ballots_in_a_second_give_one_tick_per_poll_at_a_whole_second(ticking):
    clock = ticking.clock

    def ballots():
        for _ in range(30):
            ticking.publish("body:1", "poll.progress", {"poll": 7})
            clock.now += 0.02
        ticking.publish("body:1", "poll.progress", {"poll": 8})
        assert ticking.flush_ticks() == 0  # not before the next whole second
        clock.now = 1_001.0
        assert ticking.flush_ticks() == 2

    sent = collect(ticking, ["body:1"], ballots)
    assert sorted(e["data"]["poll"] for e in sent) == [7, 8]
    assert {e["at"] for e in sent} == {1_001}
    assert all(e["kind"] == "poll.progress" for e in sent)


def test_ticks_keep_flowing_once_a_second_while_ballots_arrive(ticking):
    clock = ticking.clock

    def a_ballot_every_300_ms():
        for _ in range(10):  # ballots from 1000.2 to 1002.9
            ticking.publish("body:1", "poll.progress", {"poll": 7})
            clock.now += 0.3
            ticking.flush_ticks()
        clock.now += 1
        ticking.flush_ticks()

    sent = collect(ticking, ["body:1"], a_ballot_every_300_ms)
    sent_at = [e["at"] for e in sent]
    assert sent_at == sorted(set(sent_at))  # one a second at most, in order
    assert sent_at == [1_001, 1_002, 1_003]  # and none missing: the last ballot's came too


def test_turnout_ticks_are_never_replayed_other_events_are(ticking):
    ticking.publish("body:1", "poll.opened", {"poll": 7})
    first = ticking._logs["body:1"][0].id
    ticking.publish("body:1", "poll.progress", {"poll": 7})
    ticking.clock.now = 1_001.0
    assert ticking.flush_ticks() == 1
    ticking.publish("body:1", "poll.closed", {"poll": 7})
    replay = ticking.since(["body:1"], first)
    assert [e.kind for e in replay] == ["poll.closed"]
    chunks = asyncio.run(take(ticking.stream(["body:1"], first), 2))
    assert kinds_of(chunks) == ["hello", "poll.closed"]


def test_no_event_carries_a_time_finer_than_a_second(ticking):
    ticking.clock.now = 1_234.567
    ticking.publish("meeting:1", "attendance.in", {"meeting": 1})
    event = ticking._logs["meeting:1"][0]
    assert b'"at":1234}' in event.wire
    assert event.at == 1_234


def test_the_ticker_thread_sends_a_pending_tick_by_itself(local):
    async def scenario():
        stream = local.stream(["body:2"], None)
        await stream.__anext__()
        await asyncio.to_thread(local.publish, "body:2", "poll.progress", {"poll": 3})
        async with asyncio.timeout(5):  # due at the next whole second
            event = await stream.__anext__()
        await stream.aclose()
        return event

    [sent] = events_in([asyncio.run(scenario())])
    assert sent["kind"] == "poll.progress" and sent["data"] == {"poll": 3}
    assert isinstance(sent["at"], int)


def test_with_redis_one_worker_sends_a_polls_tick_for_a_second(settings, private_redis):
    """Two workers both saw ballots of poll 7 in the same second: one tick goes out."""
    _process, redis_url = private_redis
    settings.REDIS_URL = redis_url
    workers = [Broker(ticker=False), Broker(ticker=False)]
    for worker in workers:
        worker.clock = FakeClock(2_000.4)
        worker.publish("body:1", "poll.progress", {"poll": 7})
        worker.clock.now = 2_001.0
    assert sum(worker.flush_ticks() for worker in workers) == 1
    for worker in workers:
        worker.clock.now = 2_001.5
        worker.publish("body:1", "poll.progress", {"poll": 7})
        worker.clock.now = 2_002.0
    assert sum(worker.flush_ticks() for worker in workers) == 1
    client = workers[0]._sync_redis()
    assert client.llen("asamblea:live:log:body:1") == 0  # nothing kept for replay
