"""The live broker: numbers events, keeps a bounded log per channel for Last-Event-ID replay and
fans them out to the connected Server-Sent Events streams of this process.

Without ``REDIS_URL`` everything stays in this process. With it, :func:`publish` sends each
event through Redis (a global counter numbers it, a capped list per channel keeps the log, a
pub/sub channel carries it) and every worker's listener fans it out to its own streams. If Redis
is unreachable the event is still delivered in this process, the streams tell their pages to
fall back to polling, and nothing that writes (voting above all) waits on Redis for more than
its short socket timeout: after a failure Redis is not tried again for a few seconds.

Event ids are ``<epoch>-<n>``: the epoch changes when the numbering restarts (a restart of the
in-process broker, a flushed Redis), so a stale Last-Event-ID is recognised and the page told
to reload its live parts instead of silently missing events.

Turnout ticks (kinds ending ``.progress``: ``poll.progress``, ``election.progress``) would
time every ballot if each went out as published. They are coalesced: at most one per channel,
kind and payload (one poll) per second, sent at the next whole second after the change, once
across every worker (a Redis key per second decides which worker sends it), and never kept for
Last-Event-ID replay: a reconnecting page reloads its live parts on ``hello``. No event carries a
time finer than a whole second.

``live`` knows nothing about the domain: who may read a channel is decided by the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from django.conf import settings

from asamblea.live import events

log = logging.getLogger(__name__)

LOG_SIZE = 200  # events kept per channel for replay
QUEUE_SIZE = 500  # events buffered per stream before it is cut off as too slow
KEEPALIVE = 20.0  # seconds between comment lines that keep proxies from closing a stream
REDIS_RETRY = 5.0  # seconds before trying Redis again after a failure
PUBSUB = "asamblea:live"
TICK_SECONDS = 1  # at most one turnout tick per subject in this many seconds


def coalesced(kind: str) -> bool:
    """Whether ``kind`` is a turnout tick, sent at most once a second per subject and not
    replayed (one event per ballot would give each ballot's time)."""
    return kind.endswith(".progress")


@dataclass(frozen=True)
class Event:
    id: str
    channel: str
    kind: str
    data: str  # JSON text
    at: int = 0  # when it was published (Unix time, whole seconds: no finer timing goes out)

    @cached_property
    def wire(self) -> bytes:
        """The SSE wire form, encoded once however many streams send it. The SSE event name
        stays ``message`` so one handler sees everything."""
        payload = json.dumps(
            {
                "channel": self.channel,
                "kind": self.kind,
                "data": json.loads(self.data),
                "at": int(self.at),
            },
            separators=(",", ":"),
        )
        return f"id: {self.id}\ndata: {payload}\n\n".encode()

    def encode(self) -> bytes:
        return self.wire


class _Subscriber:
    """One stream's inbox: encoded chunks waiting to be sent, and the future its stream
    sleeps on. ``None`` in the inbox ends the stream."""

    __slots__ = ("inbox", "waiter", "filters")

    def __init__(self, filters: dict[str, str]) -> None:
        self.inbox: deque[bytes | None] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.filters = filters  # channel -> required kind prefix ("" for every kind)

    def push(self, chunk: bytes | None) -> None:
        if len(self.inbox) >= QUEUE_SIZE:
            # A stream that cannot keep up is closed; its browser reconnects and replays.
            self.inbox.clear()
            chunk = None
        self.inbox.append(chunk)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def split_channel(spec: str) -> tuple[str, str]:
    """``"body:1|poll."`` is the channel ``body:1`` restricted to kinds starting ``poll.``."""
    channel, _sep, prefix = spec.partition("|")
    return channel, prefix


def control(kind: str, retry_ms: int | None = None) -> bytes:
    """A control event for the page (``reset``: reload live parts; ``degraded``: poll)."""
    head = f"retry: {retry_ms}\n" if retry_ms is not None else ""
    return f"{head}event: {kind}\ndata: {{}}\n\n".encode()


def parse_id(value: str | None) -> tuple[str, int] | None:
    if not value or len(value) > 80 or "-" not in value:
        return None
    epoch, _sep, number = value.rpartition("-")
    if not (number.isascii() and number.isdigit()):  # "²".isdigit() is true; int() refuses it
        return None
    return epoch, int(number)


class Broker:
    def __init__(self, *, ticker: bool = True) -> None:
        """``ticker`` False: pending turnout ticks go out only when :meth:`flush_ticks` is
        called (tests drive the clock); otherwise a thread of this broker sends them."""
        self.clock = time.time
        self._ticker = ticker
        self._ticks: dict[tuple[str, str, str], int] = {}  # (channel, kind, data) -> due second
        self._tick_wakeup = threading.Condition()
        self._tick_thread: tuple[int, threading.Thread] | None = None  # (pid, thread)
        self.epoch = secrets.token_hex(4)
        self._counter = 0
        self._lock = threading.Lock()
        self._logs: dict[str, deque[Event]] = {}
        self._streams: dict[str, set[_Subscriber]] = {}
        self._keepalive: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._redis: Any = None
        self._redis_down_until = 0.0
        self._listener: asyncio.Task[None] | None = None
        self.redis_connected = False

    # -- configuration -------------------------------------------------------------------

    @property
    def redis_url(self) -> str:
        return str(getattr(settings, "REDIS_URL", "") or "")

    @property
    def pubsub_channel(self) -> str:
        """Pub/sub channels are shared by every database of a Redis server, keys are not: the
        database number keeps two installations (or test runs) on one server apart."""
        database = urlparse(self.redis_url).path.strip("/") or "0"
        return f"{PUBSUB}:{database}"

    def _sync_redis(self) -> Any:
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(
                self.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5
            )
        return self._redis

    # -- publishing (any thread) ---------------------------------------------------------

    def publish(self, channel: str, kind: str, data: Mapping[str, Any]) -> None:
        """Number, log and fan out one event (a turnout tick: schedule it). Never raises for a
        Redis failure, never blocks on one for more than its short socket timeout."""
        text = json.dumps(dict(data), sort_keys=True, separators=(",", ":"), default=str)
        if coalesced(kind):
            self._schedule_tick(channel, kind, text)
            return
        self._send(channel, kind, text, int(self.clock()))

    def _send(self, channel: str, kind: str, text: str, at: int) -> None:
        if self.redis_url and time.monotonic() >= self._redis_down_until:
            try:
                self._publish_redis(channel, kind, text, at)
                return
            except Exception as exc:  # any Redis failure degrades to in-process delivery
                self._redis_down_until = time.monotonic() + REDIS_RETRY
                log.warning("live: Redis publish failed, delivering in-process: %s", exc)
        with self._lock:
            self._counter += 1
            event = Event(f"{self.epoch}-{self._counter}", channel, kind, text, at)
        self.deliver(event)

    # -- turnout ticks (coalesced) ---------------------------------------------------------

    def _schedule_tick(self, channel: str, kind: str, text: str) -> None:
        """Send one tick for this subject at the next whole second. A tick already pending
        carries this change too: it goes out after this change was committed."""
        due = math.floor(self.clock()) + TICK_SECONDS
        key = (channel, kind, text)
        with self._tick_wakeup:
            if self._ticker:
                self._start_ticker()
            if key in self._ticks:
                return  # the pending tick carries this change: nothing to wake
            earliest = min(self._ticks.values(), default=None)
            self._ticks[key] = due
            # The ticker sleeps until the earliest pending tick; wake it only when this one is
            # due sooner (a burst of ballots wakes it once a second, not once a batch: each
            # wake-up made the event loop wait for the interpreter lock).
            if self._ticker and (earliest is None or due < earliest):
                self._tick_wakeup.notify()

    def _start_ticker(self) -> None:
        """Start this process's ticker thread (again after a fork: threads do not survive it)."""
        current = self._tick_thread
        if current is not None and current[0] == os.getpid() and current[1].is_alive():
            return
        thread = threading.Thread(target=self._run_ticker, name="live-ticks", daemon=True)
        self._tick_thread = (os.getpid(), thread)
        thread.start()

    def _run_ticker(self) -> None:
        while True:
            with self._tick_wakeup:
                while not self._ticks:
                    self._tick_wakeup.wait()
                wait = min(self._ticks.values()) - self.clock()
                if wait > 0:
                    self._tick_wakeup.wait(wait)
                    continue
            try:
                self.flush_ticks()
            except Exception:  # a tick lost is a page refreshed a little later, not a crash
                log.exception("live: turnout ticks not sent")

    def flush_ticks(self) -> int:
        """Send every tick that is due now; how many went out from this worker."""
        now = self.clock()
        with self._tick_wakeup:
            due = [(key, at) for key, at in self._ticks.items() if at <= now]
            for key, _at in due:
                del self._ticks[key]
        sent = 0
        for (channel, kind, text), at in due:
            if self._claim_tick(channel, kind, text, at):
                self._send(channel, kind, text, at)
                sent += 1
        return sent

    def _claim_tick(self, channel: str, kind: str, text: str, at: int) -> bool:
        """With Redis, one worker sends a subject's tick for a given second: the first to set
        its key. Without Redis (or with Redis down) this worker is the only one that knows."""
        if not self.redis_url or time.monotonic() < self._redis_down_until:
            return True
        subject = hashlib.sha256(f"{channel}\0{kind}\0{text}".encode()).hexdigest()[:32]
        try:
            claimed = self._sync_redis().set(f"{PUBSUB}:tick:{subject}:{at}", 1, nx=True, ex=60)
        except Exception:  # Redis down: _send delivers in-process
            return True
        return bool(claimed)

    def _publish_redis(self, channel: str, kind: str, text: str, at: int) -> None:
        client = self._sync_redis()
        epoch = client.get(f"{PUBSUB}:epoch")
        if epoch is None:
            client.set(f"{PUBSUB}:epoch", secrets.token_hex(4), nx=True)
            epoch = client.get(f"{PUBSUB}:epoch")
        number = client.incr(f"{PUBSUB}:seq")
        event = Event(f"{epoch.decode()}-{number}", channel, kind, text, at)
        wire = json.dumps([event.id, channel, kind, text, event.at])
        pipe = client.pipeline()
        if not coalesced(kind):  # turnout ticks are not replayed
            pipe.lpush(f"{PUBSUB}:log:{channel}", wire)
            pipe.ltrim(f"{PUBSUB}:log:{channel}", 0, LOG_SIZE - 1)
        pipe.publish(self.pubsub_channel, wire)
        pipe.execute()

    def deliver(self, event: Event) -> None:
        """Append to this process's log (turnout ticks excepted) and hand to this process's
        streams."""
        if not coalesced(event.kind):
            with self._lock:
                log_ = self._logs.setdefault(event.channel, deque(maxlen=LOG_SIZE))
                log_.append(event)
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._fan_out(event)
        else:
            loop.call_soon_threadsafe(self._fan_out, event)

    def _fan_out(self, event: Event) -> None:
        subscribers = self._streams.get(event.channel)
        if not subscribers:
            return
        wire = event.wire
        for subscriber in list(subscribers):
            prefix = subscriber.filters.get(event.channel, "")
            if not prefix or event.kind.startswith(prefix):
                subscriber.push(wire)

    # -- replay --------------------------------------------------------------------------

    def _local_since(self, channels: Iterable[str], last: tuple[str, int]) -> list[Event] | None:
        epoch, number = last
        found: list[Event] = []
        with self._lock:
            for channel in channels:
                log_ = self._logs.get(channel, deque())
                mine = [e for e in log_ if e.id.startswith(epoch + "-")]
                if len(mine) != len(log_):
                    return None
                found.extend(e for e in log_ if int(e.id.rpartition("-")[2]) > number)
        found.sort(key=lambda e: int(e.id.rpartition("-")[2]))
        return found

    def since(self, channels: Iterable[str], last_id: str | None) -> list[Event] | None:
        """Events after ``last_id`` on ``channels``, oldest first; None when they cannot be
        known (other epoch, or the log no longer reaches back) and the page must reload."""
        last = parse_id(last_id)
        if last is None:
            return None
        channels = list(channels)
        if self.redis_url and self.redis_connected:
            events_ = self._redis_since(channels, last)
        else:
            events_ = self._local_since(channels, last)
        if events_ is None:
            return None
        if self._log_truncated(channels, last, events_):
            return None
        return events_

    def _redis_since(self, channels: list[str], last: tuple[str, int]) -> list[Event] | None:
        try:
            client = self._sync_redis()
            found: list[Event] = []
            for channel in channels:
                for raw in client.lrange(f"{PUBSUB}:log:{channel}", 0, LOG_SIZE - 1):
                    event = Event(*json.loads(raw))
                    epoch, _sep, number = event.id.rpartition("-")
                    if epoch != last[0]:
                        return None
                    if int(number) > last[1]:
                        found.append(event)
        except Exception:
            return None
        found.sort(key=lambda e: int(e.id.rpartition("-")[2]))
        return found

    def _log_truncated(
        self, channels: list[str], last: tuple[str, int], found: list[Event]
    ) -> bool:
        """True when the log is full and its oldest event is newer than the one after
        ``last``: events in between may have been dropped."""
        with self._lock:
            for channel in channels:
                log_ = self._logs.get(channel)
                if log_ is not None and len(log_) == LOG_SIZE:
                    oldest = int(log_[0].id.rpartition("-")[2])
                    if oldest > last[1] + 1 and not self.redis_connected:
                        return True
        return False

    # -- streaming (the server's event loop) ---------------------------------------------

    def attach(self) -> None:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._loop = loop
            self._listener = None
            self._keepalive = None
        if self.redis_url and (self._listener is None or self._listener.done()):
            self._listener = loop.create_task(self._listen())

    @property
    def degraded(self) -> bool:
        """Redis is configured but this worker is not receiving from it."""
        return bool(self.redis_url) and not self.redis_connected

    async def _listen(self) -> None:
        import redis.asyncio as aioredis

        while True:
            client = aioredis.Redis.from_url(self.redis_url, socket_connect_timeout=0.5)
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(self.pubsub_channel)
                self.redis_connected = True
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    self.deliver(Event(*json.loads(message["data"])))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.redis_connected:
                    log.warning("live: lost Redis, pages fall back to polling: %s", exc)
            finally:
                self.redis_connected = False
                with contextlib.suppress(Exception):
                    await client.aclose()
            self._drop_streams()
            await asyncio.sleep(REDIS_RETRY)

    def _drop_streams(self) -> None:
        """End every stream, so their pages reconnect and learn they must poll."""
        for subscriber in self._all_subscribers():
            subscriber.push(None)

    def _all_subscribers(self) -> set[_Subscriber]:
        return {sub for subs in self._streams.values() for sub in subs}

    def _send_keepalives(self) -> None:
        """One timer for every stream: a comment line that keeps proxies from closing it."""
        for subscriber in self._all_subscribers():
            if not subscriber.inbox:
                subscriber.push(b": keepalive\n\n")
        if self._loop is not None and not self._loop.is_closed():
            self._keepalive = self._loop.call_later(KEEPALIVE, self._send_keepalives)

    async def stream(self, channels: list[str], last_id: str | None) -> AsyncIterator[bytes]:
        """The bytes of one SSE stream on ``channels`` (see :func:`split_channel`): replay
        after ``last_id``, then live events; chunks that arrive together are sent together."""
        self.attach()
        if self._keepalive is None:
            self._keepalive = asyncio.get_running_loop().call_later(
                KEEPALIVE, self._send_keepalives
            )
        if self.degraded:
            # Give the listener a moment on a fresh worker before declaring Redis down.
            for _ in range(10):
                await asyncio.sleep(0.05)
                if self.redis_connected:
                    break
        if self.degraded:
            yield control("degraded", retry_ms=10_000)
            return
        filters = dict(split_channel(spec) for spec in channels)
        names = list(filters)
        subscriber = _Subscriber(filters)
        for channel in names:
            self._streams.setdefault(channel, set()).add(subscriber)
        loop = asyncio.get_running_loop()
        try:
            yield b"retry: 2000\nevent: hello\ndata: {}\n\n"
            if last_id:
                missed = self.since(names, last_id)
                if missed is None:
                    yield control("reset")
                else:
                    for event in missed:
                        prefix = filters.get(event.channel, "")
                        if event.kind.startswith(prefix):
                            yield event.wire
            while True:
                if not subscriber.inbox:
                    subscriber.waiter = loop.create_future()
                    await subscriber.waiter
                    subscriber.waiter = None
                chunks = []
                while subscriber.inbox:
                    chunk = subscriber.inbox.popleft()
                    if chunk is None:
                        if chunks:
                            yield b"".join(chunks)
                        return
                    chunks.append(chunk)
                yield b"".join(chunks)
        finally:
            for channel in names:
                streams = self._streams.get(channel)
                if streams is not None:
                    streams.discard(subscriber)
                    if not streams:
                        self._streams.pop(channel, None)

    @property
    def stream_count(self) -> int:
        return len(self._all_subscribers())


broker = Broker()
events.subscribe(broker.publish)
