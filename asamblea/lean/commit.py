"""The committers: group commit for the lean endpoint.

A committer takes requests from the event loop and hands them in batches to a ``process``
function that handles a whole batch (:mod:`asamblea.lean.casts`); each request's future gets
its own result. While one batch commits, requests pile up and the next batch takes them all:
the batch grows with the load, so the number of transactions stays small when many ballots
arrive at once, and a lone ballot waits for nobody. A batch that fails gets
:class:`Unavailable` for every item: nothing in it was acknowledged, and trying again is safe.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.db import connection

log = logging.getLogger(__name__)

CAST_TIMEOUT = 10.0  # seconds before a waiting client is told to try again


class Unavailable(Exception):
    """The database could not take the batch; nothing in it was acknowledged."""


@dataclass
class Pending:
    """One request waiting for a writer: what it carries and where its answer goes."""

    item: Any
    future: asyncio.Future[Any]


Process = Callable[[Sequence[Any]], list[Any]]
ProcessAsync = Callable[[Sequence[Any], Any], Awaitable[list[Any]]]


class Committer:
    """Writer threads that each take every request queued so far and process them together
    (SQLite, whose driver is blocking; one writer, as SQLite takes one at a time anyway).

    Each writer owns its own Django database connection. ``process`` gets the items and returns
    one result each; if it raises, every item of the batch gets :class:`Unavailable`.
    """

    def __init__(self, process: Process, *, writers: int, max_batch: int = 1000) -> None:
        self.process = process
        self.writers = writers
        self.max_batch = max_batch
        self.queue: queue.SimpleQueue[tuple[asyncio.AbstractEventLoop, Pending] | None] = (
            queue.SimpleQueue()
        )
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    def start(self) -> None:
        with self.lock:
            if self.threads:
                return
            for number in range(self.writers):
                thread = threading.Thread(
                    target=self._run, name=f"cast-writer-{number}", daemon=True
                )
                thread.start()
                self.threads.append(thread)

    def stop(self) -> None:
        """Finish the queued work, then stop the writers and close their connections."""
        with self.lock:
            threads, self.threads = self.threads, []
        for _thread in threads:
            self.queue.put(None)
        for thread in threads:
            thread.join(timeout=CAST_TIMEOUT)

    async def aclose(self) -> None:
        await asyncio.to_thread(self.stop)

    def pending(self) -> int:
        return self.queue.qsize()

    def submit(self, item: Any) -> asyncio.Future[Any]:
        if not self.threads:
            self.start()
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.queue.put((loop, Pending(item, future)))
        return future

    def _take(self) -> tuple[list[tuple[asyncio.AbstractEventLoop, Pending]], bool]:
        first = self.queue.get()
        if first is None:
            return [], True
        batch = [first]
        stop = False
        while len(batch) < self.max_batch:
            try:
                more = self.queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                stop = True
                break
            batch.append(more)
        return batch, stop

    def _run(self) -> None:
        try:
            while True:
                batch, stop = self._take()
                if batch:
                    self._handle(batch)
                if stop:
                    return
        finally:
            connection.close()

    def _handle(self, batch: list[tuple[asyncio.AbstractEventLoop, Pending]]) -> None:
        items = [pending.item for _loop, pending in batch]
        try:
            results: list[Any] = self.process(items)
        except Exception as exc:  # noqa: BLE001 - every failure means "not recorded, try again"
            log.warning("cast batch of %d not recorded: %s", len(items), exc)
            drop_connection()
            results = [Unavailable() for _ in items]
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[Pending, Any]]] = defaultdict(list)
        for (loop, pending), result in zip(batch, results, strict=True):
            by_loop[loop].append((pending, result))
        for loop, answers in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, answers)
            except RuntimeError:  # the loop has closed: nobody is waiting any more
                continue


def _resolve(answers: list[tuple[Pending, Any]]) -> None:
    for pending, result in answers:
        if not pending.future.done():
            pending.future.set_result(result)


def drop_connection() -> None:
    """Close a connection that failed, so the next batch connects afresh."""
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - it is broken already; closing it is all we can do
        connection.connection = None


class AsyncCommitter:
    """Group commit on the event loop (PostgreSQL): ``writers`` tasks, each with its own
    asynchronous connection, each taking every request queued so far as one batch.

    While one task waits for its commit the loop goes on reading requests, and the other task
    takes them: the batch grows with the load. If a batch fails, every item in it gets
    :class:`Unavailable` and the task connects afresh for the next one.
    """

    def __init__(
        self,
        process: ProcessAsync,
        connect: Callable[[], Awaitable[Any]],
        *,
        writers: int = 2,
        max_batch: int = 1000,
        gather: float = 0.0,
    ) -> None:
        self.process = process
        self.connect = connect
        self.writers = writers
        self.max_batch = max_batch
        # Seconds to wait, once an item arrives, for others to join its batch: a batch's
        # statements cost the same for one item or fifty (0: take what is queued at once).
        self.gather = gather
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[Pending] = asyncio.Queue()
        self.tasks = [
            self.loop.create_task(self._run(), name=f"cast-writer-{n}") for n in range(writers)
        ]

    def pending(self) -> int:
        return self.queue.qsize()

    def submit(self, item: Any) -> asyncio.Future[Any]:
        future: asyncio.Future[Any] = self.loop.create_future()
        self.queue.put_nowait(Pending(item, future))
        return future

    async def aclose(self) -> None:
        """Finish the queued work, then stop the tasks and close their connections."""
        if self.tasks and asyncio.get_running_loop() is self.loop:
            async with asyncio.timeout(CAST_TIMEOUT):
                while self.queue.qsize():
                    await asyncio.sleep(0.01)
        for task in self.tasks:
            task.cancel()
        if asyncio.get_running_loop() is self.loop:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []

    async def _run(self) -> None:
        conn = None
        try:
            while True:
                batch = [await self.queue.get()]
                if self.gather:
                    await asyncio.sleep(self.gather)
                while len(batch) < self.max_batch and not self.queue.empty():
                    batch.append(self.queue.get_nowait())
                items = [pending.item for pending in batch]
                try:
                    # A database that stops answering must not hold the writer for ever: past
                    # the time every waiting client has been told to try again, give up on
                    # the batch and its connection (a commit that did land is then answered
                    # "already voted" on the retry: counted once).
                    async with asyncio.timeout(CAST_TIMEOUT):
                        if conn is None or conn.closed:
                            conn = await self.connect()
                        results = await self.process(items, conn)
                except Exception as exc:  # noqa: BLE001 - "not recorded, try again"
                    log.warning("cast batch of %d not recorded: %s", len(items), exc)
                    if conn is not None:
                        await close_quietly(conn)
                    conn = None
                    results = [Unavailable() for _ in items]
                for pending, result in zip(batch, results, strict=True):
                    if not pending.future.done():
                        pending.future.set_result(result)
        finally:
            if conn is not None:
                await close_quietly(conn)


async def within(future: asyncio.Future[Any], seconds: float) -> Any:
    """Wait for ``future`` at most ``seconds``; past that, TimeoutError.

    What ``async with asyncio.timeout(seconds): await future`` does for a future that nobody
    else awaits, with one timer instead of a timeout context per request (it was 4% of a
    worker's time under the voter's path). The future is then done (with the TimeoutError), so
    the writer leaves it alone, as it leaves a cancelled one."""
    handle = asyncio.get_running_loop().call_later(seconds, _expire, future)
    try:
        return await future
    finally:
        handle.cancel()


def _expire(future: asyncio.Future[Any]) -> None:
    if not future.done():
        future.set_exception(TimeoutError())


async def close_quietly(conn: Any) -> None:
    try:
        await conn.close()
    except Exception:  # noqa: BLE001 - it is broken already; closing it is all we can do
        log.debug("closing a failed cast connection", exc_info=True)


def connection_params() -> dict[str, Any]:
    """Django's connection parameters for the default database, for psycopg directly."""
    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding"):
        params.pop(key, None)
    return params


async def connect_postgresql() -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(**connection_params(), autocommit=True)
