"""The lean endpoint's group commit on the event loop (PostgreSQL's writer), without a database:
batching, failure and a database that stops answering."""

from __future__ import annotations

import asyncio

from asamblea.lean import commit
from asamblea.lean.commit import AsyncCommitter, Unavailable


class FakeConnection:
    def __init__(self) -> None:
        self.closed = False

    async def close(self) -> None:
        self.closed = True


def run(coroutine):
    """Run, failing (not hanging) if the committer never answers."""
    return asyncio.run(asyncio.wait_for(coroutine, 5))


def test_items_queued_together_are_processed_as_one_batch():
    batches: list[list[int]] = []

    async def process(items, conn):
        batches.append(list(items))
        await asyncio.sleep(0.01)
        return [item * 10 for item in items]

    async def connect():
        return FakeConnection()

    async def main():
        committer = AsyncCommitter(process, connect, writers=1)
        futures = [committer.submit(n) for n in range(5)]
        results = await asyncio.gather(*futures)
        await committer.aclose()
        return results

    assert run(main()) == [0, 10, 20, 30, 40]
    assert batches == [[0, 1, 2, 3, 4]]


def test_with_a_gather_window_items_arriving_just_after_join_the_batch():
    """A reader with ``gather`` waits that long after the first item: items submitted a moment
    later go in the same batch; without it they make a batch of their own."""

    def batches_for(gather: float) -> list[list[int]]:
        batches: list[list[int]] = []

        async def process(items, conn):
            batches.append(list(items))
            return list(items)

        async def connect():
            return FakeConnection()

        async def main():
            committer = AsyncCommitter(process, connect, writers=1, gather=gather)
            first = committer.submit(0)
            for _ in range(3):  # the writer takes item 0 and starts its batch (or its wait)
                await asyncio.sleep(0)
            later = [committer.submit(n) for n in (1, 2)]
            await asyncio.gather(first, *later)
            await committer.aclose()

        run(main())
        return batches

    assert batches_for(0.5) == [[0, 1, 2]]
    assert batches_for(0.0) == [[0], [1, 2]]


async def one_after_another(process, connect) -> tuple[object, object]:
    """Submit "a", wait for its answer, then "b", through one writer."""
    committer = AsyncCommitter(process, connect, writers=1)
    first = await committer.submit("a")
    second = await committer.submit("b")
    await committer.aclose()
    return first, second


def test_a_failed_batch_answers_unavailable_and_the_next_one_reconnects():
    connections: list[FakeConnection] = []
    calls = []

    async def process(items, conn):
        calls.append(conn)
        if len(calls) == 1:
            raise OSError("server closed the connection unexpectedly")
        return ["ok" for _ in items]

    async def connect():
        connections.append(FakeConnection())
        return connections[-1]

    first, second = run(one_after_another(process, connect))
    assert isinstance(first, Unavailable) and second == "ok"
    assert len(connections) == 2 and connections[0].closed
    assert calls == connections


def test_a_database_that_stops_answering_frees_the_writer(monkeypatch):
    monkeypatch.setattr(commit, "CAST_TIMEOUT", 0.2)
    hang = {"on": True}

    async def process(items, conn):
        if hang["on"]:
            hang["on"] = False
            await asyncio.sleep(3600)
        return ["ok" for _ in items]

    async def connect():
        return FakeConnection()

    stuck, after = run(one_after_another(process, connect))
    assert isinstance(stuck, Unavailable)
    assert after == "ok"
