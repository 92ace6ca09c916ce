"""The ASGI app the load benchmark serves: Asamblea's own application, plus an insert-only
endpoint on the same stack (same uvicorn workers, same group commit: the asynchronous writers
on PostgreSQL, the writer thread on SQLite; same database and table) that does nothing but
store the ballot. Its rate is the ceiling the real cast path is
compared with. Never served in production.

    POST /bench-insert/<poll id>/   {"choice": "yes"}   ->  {"ok": true}
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from asamblea.asgi import application as asamblea_application
from asamblea.lean.casts import run_plan_async
from asamblea.lean.commit import AsyncCommitter, Committer, Unavailable, connect_postgresql
from asamblea.voting.casting import joined
from asamblea.voting.models import Ballot

PREFIX = "/bench-insert/"


def insert_plan(items: Sequence[tuple[int, str]]) -> Any:
    """The same statement shape as the real cast path's INSERT, nothing else."""
    by_poll: dict[int, list[str]] = {}
    for poll, choice in items:
        by_poll.setdefault(poll, []).append(choice)
    for poll, choices in by_poll.items():
        ids = [uuid.UUID(bytes=secrets.token_bytes(16), version=4) for _ in choices]
        yield (
            "INSERT INTO voting_ballot (id, poll_id, choice, weight) "
            "SELECT id::uuid, %s, choice, 1 FROM unnest("
            "string_to_array(%s, ','), string_to_array(%s, ',')) AS batch (id, choice)",
            [poll, joined(ids), joined(choices)],
        )
    return [True] * len(items)


async def insert_only_async(items: Sequence[tuple[int, str]], conn: Any) -> list[bool]:
    # The writers' connections are in autocommit, like the real path's: one INSERT per poll,
    # which commits by itself.
    return await run_plan_async(insert_plan(items), conn)  # type: ignore[no-any-return]


def insert_only(items: Sequence[tuple[int, str]]) -> list[bool]:
    with transaction.atomic():
        Ballot.objects.bulk_create(
            [Ballot(id=uuid.uuid4(), poll_id=poll, choice=choice) for poll, choice in items],
            batch_size=1000,
        )
    return [True] * len(items)


_committer: Committer | AsyncCommitter | None = None


async def _insert(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global _committer
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    poll_id = int(scope["path"].strip("/").split("/")[-1])
    choice = json.loads(body).get("choice", "yes")
    if _committer is None:
        if connection.vendor == "postgresql":
            _committer = AsyncCommitter(insert_only_async, connect_postgresql)
        else:
            _committer = Committer(insert_only, writers=1)
    result = await _committer.submit((poll_id, choice))
    status, payload = (
        (503, b'{"ok": false}')
        if isinstance(result, Unavailable)
        else (
            200,
            b'{"ok": true}',
        )
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def application(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "http" and scope["path"].startswith(PREFIX):
        await _insert(scope, receive, send)
    else:
        await asamblea_application(scope, receive, send)
