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
