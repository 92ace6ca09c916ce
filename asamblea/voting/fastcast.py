"""The lean cast endpoint: ``POST /cast/<poll id>/`` beside Django, for bursts of ballots.

A plain Django view handles a few hundred ballots a second; this raw ASGI app handles thousands
because it does per ballot only what a ballot needs, and writes the ballots that arrived within
a few milliseconds in one transaction (group commit). It applies the same rules as the form view
through the same code: the plans of :mod:`asamblea.voting.casting` (generators that yield SQL
and receive rows), which the form path runs on Django's connection and this endpoint runs

* on PostgreSQL, on the event loop itself, over asynchronous psycopg connections (two writer
  tasks per worker process): no thread, so no hand-over of the interpreter lock per query;
* on SQLite, on one writer thread with Django's connection (SQLite's driver blocks).

What it checks, per request and per batch:

* the person is the one of Django's session cookie (the session row, its expiry, the session
  hash against the passphrase hash and an active account, as ``django.contrib.auth.get_user``);
* the CSRF token (``X-CSRFToken`` header or ``csrfmiddlewaretoken`` field) must match the CSRF
  cookie, and an ``Origin`` header, when sent, must be this site's;
* the ``ballot_cast`` rate limit is the same counter the form view uses;
* the answer is sent only after the transaction holding the ballot has committed. If the
  database cannot be reached the answer is ``503`` with ``Retry-After``, never a 500 and never
  a hang: nothing was acknowledged, and trying again is safe (one person, one ballot).

It is the address the vote page's own form posts to. To the page's script (and API clients)
the answers are JSON: ``{"ok": true, "poll": 7, "receipt": "..."}`` or
``{"ok": false, "code": "already_voted", "message": "..."}`` (the message in the person's
language). To a form sent without JavaScript (a form body, HTML accepted) the answer is ``303``
back to the vote page, the receipt travelling in a short-lived signed cookie the page shows once
(:mod:`asamblea.voting.receipt_flash`), or a small page saying what went wrong (when the server
is busy: ``503``, ``Retry-After`` and a button that sends the ballot again). Whoever may not
see the poll is told it does not exist (404), as by the pages.

Election ballots go to ``/cast/e/<election id>/``: the page's script is answered here (the
election's own routine on a thread: ranked ballots are few and heavier); a ballot sent without
JavaScript is handed to Django's view at the same address, which runs the same routine and can
show the ballot again with the marks kept when it is refused for its content. When Django serves
``/cast/`` itself (WSGI, the test server) its views run this module's routines and answers.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import queue
import re
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.core import signing
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.http.request import split_domain_port, validate_host
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    CSRF_TOKEN_LENGTH,
    InvalidTokenFormat,
    _check_token_format,
)
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from asamblea import ratelimit
from asamblea.accounts.models import Person
from asamblea.bodies.models import Body, Membership
from asamblea.errors import NotAllowed, Refused
from asamblea.live.events import publish_now, publish_on_commit
from asamblea.middleware import CONTENT_SECURITY_POLICY
from asamblea.voting import casting, receipt_flash
from asamblea.voting.elections import ElectionReceipt

log = logging.getLogger(__name__)

PREFIX = "/cast/"
PATH = re.compile(r"^/cast/([0-9]{1,12})/$")
ELECTION_PATH = re.compile(r"^/cast/e/([0-9]{1,12})/$")
ELECTION_MAX_BODY = 32_768  # a ballot of the largest election a form allows
ELECTION_MAX_FIELDS = 400
SESSION_KEY_SHAPE = re.compile(r"[a-z0-9]{8,64}")
MAX_BODY = 4096
CAST_TIMEOUT = 10.0  # seconds before a waiting client is told to try again
MAX_PENDING = 20_000  # ballots waiting for a writer before new ones are turned away
RETRY_AFTER = "2"

ASGIReceive = Callable[[], Awaitable[dict[str, Any]]]
ASGISend = Callable[[dict[str, Any]], Awaitable[None]]


class Unavailable(Exception):
    """The database could not take the batch; nothing in it was acknowledged."""


def unavailable() -> Refused:
    return Refused(
        _("The vote cannot be recorded right now. Your ballot was not counted; try again."),
        code="unavailable",
        status=503,
    )


# ---------------------------------------------------------------------------------------------
# Who is asking: Django's session, read for a whole batch at once


def people_plan(
    session_keys: Sequence[str], dialect: casting.Dialect
) -> casting.Plan[dict[str, int]]:
    """{session key: person id} for the sessions that belong to a logged-in, active person.

    The same checks as ``django.contrib.auth.get_user``: an unexpired session row, a known
    backend, and a session hash that matches the person's current passphrase hash (changing the
    passphrase logs every other session out).
    """
    keys = sorted({key for key in session_keys if key})
    if not keys:
        return {}
    store = SessionStore()
    condition, params = casting.among("session_key", keys, dialect)
    rows = yield (
        f"SELECT session_key, session_data FROM {SESSION_TABLE} "  # noqa: S608 - our table name
        f"WHERE {condition} AND expire_date > %s",
        [*params, dialect.now],
    )
    claims: dict[str, tuple[int, str]] = {}
    # What SessionStore.decode does per session (django.core.signing.loads), with the signer
    # built once per batch instead of once per session; a session that does not verify is no
    # session, as there.
    signer = signing.TimestampSigner(salt=store.key_salt)
    for key, data in rows:
        try:
            session = signer.unsign_object(data, serializer=store.serializer)
        except Exception:  # noqa: BLE001, S112 - a bad or forged session is not a login
            continue
        if session.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
            continue
        try:
            person_id = int(session[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            continue
        claims[key] = (person_id, str(session.get(HASH_SESSION_KEY) or ""))
    ids = sorted({pid for pid, _hash in claims.values()})
    if not ids:
        return {}
    condition, params = casting.among("id", ids, dialect)
    rows = yield (
        f"SELECT id, password FROM {Person._meta.db_table} "  # noqa: S608 - our table name
        f"WHERE {condition} AND is_active",
        params,
    )
    passwords = dict(rows)
    found = {}
    for key, (person_id, session_hash) in claims.items():
        password = passwords.get(person_id)
        if password is not None and session_hash and _hash_matches(password, session_hash):
            found[key] = person_id
    return found


SESSION_TABLE = SessionStore.get_model_class()._meta.db_table

# What AbstractBaseUser.get_session_auth_hash() signs, computed here from the stored password
# hash without building a model instance per ballot.
_SESSION_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"


def _hash_matches(password: str, session_hash: str) -> bool:
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        expected = salted_hmac(
            _SESSION_HASH_SALT, password, secret=secret, algorithm="sha256"
        ).hexdigest()
        if constant_time_compare(session_hash, expected):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# One batch of casts: the same steps on either connection


@dataclass(frozen=True)
class CastItem:
    session_key: str
    poll_id: int
    choice: str


Outcomes = list[casting.CastOutcome | None]
ByPoll = dict[int, list[tuple[int, casting.CastRequest]]]


def sort_out(items: Sequence[CastItem], people: dict[str, int]) -> tuple[Outcomes, ByPoll]:
    """Refuse the unauthenticated and the over-limit; group the rest by poll."""
    outcomes: Outcomes = [None] * len(items)
    allowed = _within_rate(people.values())
    by_poll: ByPoll = defaultdict(list)
    for index, item in enumerate(items):
        person_id = people.get(item.session_key)
        if person_id is None:
            outcomes[index] = casting.CastOutcome(refusal=casting.login_required())
        elif not allowed[person_id]:
            outcomes[index] = casting.CastOutcome(refusal=casting.too_many_attempts())
        else:
            by_poll[item.poll_id].append((index, casting.CastRequest(person_id, item.choice)))
    return outcomes, by_poll


def batch_plan(
    by_poll: ByPoll, dialect: casting.Dialect
) -> casting.Plan[tuple[dict[int, casting.CastOutcome], list[casting.Event]]]:
    """Every poll's casts, polls in id order, for one transaction."""
    done: dict[int, casting.CastOutcome] = {}
    events: list[casting.Event] = []
    for poll_id, entries in sorted(by_poll.items()):
        results, poll_events = yield from casting.cast_plan(
            poll_id, [request for _i, request in entries], dialect
        )
        events += poll_events
        done.update((index, result) for (index, _r), result in zip(entries, results, strict=True))
    return done, events


def _finish(outcomes: Outcomes, done: dict[int, casting.CastOutcome]) -> list[casting.CastOutcome]:
    for index, outcome in done.items():
        outcomes[index] = outcome
    return [outcome or casting.CastOutcome(refusal=unavailable()) for outcome in outcomes]


# Refusals that tell a poll exists. For someone who cannot see the poll the pages answer 404,
# so these are answered the same way: "no such vote" (issue 12.7).
TELLING = {"not_eligible", "poll_closed", "login_required"}


def hide_unseen_plan(
    items: Sequence[CastItem],
    people: dict[str, int],
    outcomes: list[casting.CastOutcome],
    dialect: casting.Dialect,
) -> casting.Plan[list[casting.CastOutcome]]:
    """Turn each telling refusal into "no such vote" for a person who may not see the poll:
    the poll's body is members-only and they are neither an active member nor in its
    electorate (those keep the vote's page: :func:`asamblea.voting.views._poll`). Refusals
    are few, so one small query each."""
    for index, outcome in enumerate(outcomes):
        if outcome.refusal is None or outcome.refusal.code not in TELLING:
            continue
        item = items[index]
        rows = yield (
            _VISIBLE_SQL,
            [
                item.poll_id,
                Body.Visibility.PUBLIC.value,
                people.get(item.session_key),
                people.get(item.session_key),
                Membership.Status.ACTIVE.value,
            ],
        )
        if not rows:
            outcomes[index] = casting.CastOutcome(refusal=casting.no_poll())
    return outcomes


_VISIBLE_SQL = (
    f"SELECT 1 FROM voting_poll AS p JOIN {Body._meta.db_table} AS b ON b.id = p.body_id "  # noqa: S608 - table names
    "WHERE p.id = %s AND (b.visibility = %s "
    "OR EXISTS (SELECT 1 FROM voting_eligibility AS e "
    "WHERE e.poll_id = p.id AND e.person_id = %s) "
    f"OR EXISTS (SELECT 1 FROM {Membership._meta.db_table} AS m "
    "WHERE m.body_id = b.id AND m.person_id = %s AND m.status = %s))"
)


def process_casts(items: Sequence[CastItem]) -> list[casting.CastOutcome]:
    """Authenticate, rate-limit and cast a batch on Django's connection (SQLite's writer);
    one outcome per item, in order."""
    dialect = casting.django_dialect()
    people = casting.run_plan(people_plan([i.session_key for i in items], dialect))
    outcomes, by_poll = sort_out(items, people)
    if not by_poll:
        return casting.run_plan(hide_unseen_plan(items, people, _finish(outcomes, {}), dialect))

    def cast_all() -> dict[int, casting.CastOutcome]:
        with transaction.atomic():
            done, events = casting.run_plan(batch_plan(by_poll, casting.django_dialect()))
            for event in events:
                publish_on_commit(event.channel, event.kind, event.data)
        return done

    finished = _finish(outcomes, retrying(cast_all))
    return casting.run_plan(hide_unseen_plan(items, people, finished, dialect))


def _within_rate(person_ids: Any) -> dict[int, bool]:
    """Count one attempt per person (a person sending twice in a batch counts twice)."""
    ids = [str(pid) for pid in person_ids]
    verdicts = ratelimit.hit_many("ballot_cast", ids)
    allowed: dict[int, bool] = {}
    for pid, ok in zip(ids, verdicts, strict=True):
        allowed[int(pid)] = allowed.get(int(pid), True) and ok
    return allowed


DEADLOCK_CODES = {"40P01", "40001"}  # deadlock, serialisation failure: rolled back whole


def retrying(work: Callable[[], Any], attempts: int = 3) -> Any:
    """Run ``work`` again when PostgreSQL aborted it for a deadlock or a serialisation failure
    (the transaction rolled back whole, so repeating it is safe)."""
    for attempt in range(attempts):
        try:
            return work()
        except DatabaseError as exc:
            code = getattr(exc.__cause__, "sqlstate", None)
            if code not in DEADLOCK_CODES or attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


# ---------------------------------------------------------------------------------------------
# PostgreSQL: the batch on the event loop, over an asynchronous connection


async def run_plan_async(
    plan: casting.Plan[casting.T], conn: psycopg.AsyncConnection[Any]
) -> casting.T:
    """:func:`asamblea.voting.casting.run_plan`, on an asynchronous psycopg connection."""
    async with conn.cursor() as cursor:
        try:
            step = next(plan)
            while True:
                await cursor.execute(*step)
                rows = await cursor.fetchall() if cursor.description is not None else []
                step = plan.send(rows)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]


def _postgresql_dialect() -> casting.Dialect:
    return casting.Dialect("postgresql", timezone.now())


async def process_casts_async(
    items: Sequence[CastItem], conn: psycopg.AsyncConnection[Any]
) -> list[casting.CastOutcome]:
    """:func:`process_casts` on the event loop: the same plans, no thread.

    Running the batch on the loop that reads the requests, instead of on a writer thread,
    spares every query a hand-over of the interpreter lock between the two, which under load
    costs more than the query. The connection is in autocommit: the session reads need no
    transaction, and each poll's cast is one statement that commits by itself (on PostgreSQL
    :func:`asamblea.voting.casting.cast_plan` is a single statement), so a batch costs three
    round trips and no BEGIN or COMMIT of its own. If a poll's cast fails, the polls before it
    keep their answers (they have committed), that poll and the ones after it are answered
    "try again", and the connection is dropped.
    """
    dialect = _postgresql_dialect()
    people = await run_plan_async(people_plan([item.session_key for item in items], dialect), conn)
    if ratelimit.uses_network():
        outcomes, by_poll = await asyncio.to_thread(sort_out, items, people)
    else:
        outcomes, by_poll = sort_out(items, people)
    done: dict[int, casting.CastOutcome] = {}
    events: list[casting.Event] = []
    for poll_id, entries in sorted(by_poll.items()):
        requests = [request for _i, request in entries]
        try:
            results, poll_events = await _cast_one_poll(poll_id, requests, dialect, conn)
        except Exception as exc:  # noqa: BLE001 - this poll and the rest: "try again"
            log.warning("cast batch of %d not recorded: %s", len(requests), exc)
            await _close_quietly(conn)
            break
        events += poll_events
        done.update((index, result) for (index, _r), result in zip(entries, results, strict=True))
    if events:
        _publish_later(events)
    finished = _finish(outcomes, done)
    if any(o.refusal is not None and o.refusal.code in TELLING for o in finished):
        if conn.closed:  # cannot tell who may see the poll: "try again" tells nothing
            busy = casting.CastOutcome(refusal=unavailable())
            return [outcome if outcome.receipt else busy for outcome in finished]
        return await run_plan_async(hide_unseen_plan(items, people, finished, dialect), conn)
    return finished


async def _cast_one_poll(
    poll_id: int,
    requests: list[casting.CastRequest],
    dialect: casting.Dialect,
    conn: psycopg.AsyncConnection[Any],
) -> tuple[list[casting.CastOutcome], list[casting.Event]]:
    for attempt in range(3):
        try:
            return await run_plan_async(casting.cast_plan(poll_id, requests, dialect), conn)
        except (psycopg.errors.SerializationFailure, psycopg.errors.DeadlockDetected):
            if attempt == 2:  # the statement was rolled back whole: safe to repeat
                raise
    raise AssertionError("unreachable")


_publishing: set[asyncio.Future[Any]] = set()


def _publish_later(events: list[casting.Event]) -> None:
    """Publish, after the batch has committed: on a thread when the events go through Redis
    (a blocking client), else at once on the loop. The in-process fan-out takes microseconds,
    and a thread per batch would make the loop wait for the interpreter lock after every
    query it sends while that thread runs."""

    def publish() -> None:
        for event in events:
            try:
                publish_now(event.channel, event.kind, event.data)
            except Exception:  # the ballots have committed: a live page missing one is all
                log.exception("live event %s on %s not published", event.kind, event.channel)

    if not getattr(settings, "REDIS_URL", ""):
        publish()
        return
    future = asyncio.ensure_future(asyncio.to_thread(publish))
    _publishing.add(future)
    future.add_done_callback(_publishing.discard)


def connection_params() -> dict[str, Any]:
    """Django's connection parameters for the default database, for psycopg directly."""
    params = dict(connection.get_connection_params())
    for key in ("cursor_factory", "context", "prepare_threshold", "server_side_binding"):
        params.pop(key, None)
    return params


# ---------------------------------------------------------------------------------------------
# Group commit


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

    Each writer owns its own Django database connection. While one writer commits, requests pile
    up and the next batch takes them all: the batch grows with the load, so the number of
    transactions stays small when many ballots arrive at once (group commit), and a lone ballot
    waits for nobody. ``process`` gets the items and returns one result each; if it raises, every
    item of the batch gets :class:`Unavailable`.
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
            _drop_connection()
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


def _drop_connection() -> None:
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
    ) -> None:
        self.process = process
        self.connect = connect
        self.writers = writers
        self.max_batch = max_batch
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
                        await _close_quietly(conn)
                    conn = None
                    results = [Unavailable() for _ in items]
                for pending, result in zip(batch, results, strict=True):
                    if not pending.future.done():
                        pending.future.set_result(result)
        finally:
            if conn is not None:
                await _close_quietly(conn)


async def _close_quietly(conn: Any) -> None:
    try:
        await conn.close()
    except Exception:  # noqa: BLE001 - it is broken already; closing it is all we can do
        log.debug("closing a failed cast connection", exc_info=True)


async def connect_postgresql() -> psycopg.AsyncConnection[Any]:
    return await psycopg.AsyncConnection.connect(**connection_params(), autocommit=True)


# ---------------------------------------------------------------------------------------------
# The ASGI application


class CastApp:
    """The raw ASGI app for ``/cast/<poll id>/``."""

    def __init__(
        self,
        process: Process = process_casts,
        process_async: ProcessAsync = process_casts_async,
        connect: Callable[[], Awaitable[Any]] = connect_postgresql,
        pages: Callable[..., Awaitable[None]] | None = None,
    ) -> None:
        self.pages = pages  # Django's ASGI app, for no-JS election ballots
        self.process = process
        self.process_async = process_async
        self.connect = connect
        self.committer: Committer | AsyncCommitter | None = None

    def _committer(self) -> Committer | AsyncCommitter:
        committer = self.committer
        if (
            isinstance(committer, AsyncCommitter)
            and committer.loop is not asyncio.get_running_loop()
        ):
            committer = None  # a new event loop (tests run one per request): start afresh
        if committer is None:
            if connection.vendor == "postgresql":
                committer = AsyncCommitter(self.process_async, self.connect)
            else:
                committer = Committer(self.process, writers=1)
            self.committer = committer
        return committer

    async def aclose(self) -> None:
        if self.committer is not None:
            committer, self.committer = self.committer, None
            await committer.aclose()

    def shutdown(self) -> None:
        """Stop from outside any event loop (tests): SQLite writers are joined; PostgreSQL
        tasks have ended with their loop, which closed their connections."""
        committer, self.committer = self.committer, None
        if isinstance(committer, Committer):
            committer.stop()

    async def __call__(self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend) -> None:
        headers = _headers(scope)
        if ELECTION_PATH.match(scope.get("path", "")):
            if wants_html(headers) and self.pages is not None:
                # Without JavaScript a refused ballot must come back as the ballot page with
                # the person's marks and what to fix: Django's view renders it, running the
                # same routine (election_cast) and answering the same way otherwise.
                await self.pages(scope, receive, send)
            else:
                await self._election(scope, receive, send, headers)
            return
        poll_id, fields, result = await self._outcome(scope, receive, headers)
        page = None
        if wants_html(headers) and poll_id is not None and _page_may_show(result):
            page = await self._vote_page(poll_id)
        reply = build_reply(result, headers, fields, page, scope.get("path", ""))
        await _send(send, reply)

    async def _outcome(
        self, scope: dict[str, Any], receive: ASGIReceive, headers: dict[str, str]
    ) -> tuple[int | None, dict[str, str], casting.CastReceipt | Refused]:
        """The poll asked for (None if the address names none), the submitted fields, and
        the receipt of the stored ballot or the refusal."""
        match = PATH.match(scope.get("path", ""))
        poll_id = int(match.group(1)) if match else None
        fields: dict[str, str] = {}
        try:
            item, fields = await self._read(scope, receive, headers)
            committer = self._committer()
            if committer.pending() > MAX_PENDING:
                raise Unavailable
            async with asyncio.timeout(CAST_TIMEOUT):
                result = await committer.submit(item)
        except Refused as exc:
            return poll_id, fields, exc
        except (Unavailable, TimeoutError):
            return poll_id, fields, unavailable()
        return poll_id, fields, outcome_result(result)

    async def _election(
        self, scope: dict[str, Any], receive: ASGIReceive, send: ASGISend, headers: dict[str, str]
    ) -> None:
        """An election ballot: read and checked here as a poll's ballot is, then cast by the
        election's own routine (:func:`election_cast`) on a thread with Django's connection
        (one ballot, one transaction: ranked ballots are few and heavier than a yes or no)."""
        match = ELECTION_PATH.match(scope.get("path", ""))
        assert match is not None
        election_id = int(match.group(1))
        form: dict[str, list[str]] = {}
        result: ElectionReceipt | Refused
        try:
            if scope.get("method") != "POST":
                raise Refused(_("Send your ballot with POST."), code="method", status=405)
            _check_host(headers)
            cookies = parse_cookie(headers.get("cookie", ""))
            body = await _read_body(receive, ELECTION_MAX_BODY)
            form = _form_lists(headers.get("content-type", ""), body)
            _check_csrf(scope, headers, cookies, {k: v[0] for k, v in form.items() if v})
            session_key = _session_key(cookies)
            result = await asyncio.to_thread(
                _election_cast_on_thread, election_id, session_key, form
            )
        except Refused as exc:
            result = exc
        page = None
        if wants_html(headers) and _page_may_show(result):
            page = await asyncio.to_thread(_election_page_on_thread, election_id)
        fields = {k: v[0] for k, v in form.items() if len(v) == 1}
        await _send(send, build_reply(result, headers, fields, page, scope.get("path", "")))

    async def _vote_page(self, poll_id: int) -> str | None:
        page = _VOTE_PAGES.get(poll_id)
        if page is None:
            try:
                page = await asyncio.to_thread(_lookup_vote_page, poll_id)
            except Exception:  # noqa: BLE001 - no way back is a plain answer, not a failure
                log.warning("vote page of poll %s not found", poll_id, exc_info=True)
                return None
        return page

    async def _read(
        self, scope: dict[str, Any], receive: ASGIReceive, headers: dict[str, str]
    ) -> tuple[CastItem, dict[str, str]]:
        match = PATH.match(scope.get("path", ""))
        if match is None:
            raise Refused(_("There is no vote at this address."), code="not_found", status=404)
        if scope.get("method") != "POST":
            raise Refused(_("Send your ballot with POST."), code="method", status=405)
        _check_host(headers)
        cookies = parse_cookie(headers.get("cookie", ""))
        body = await _read_body(receive)
        fields = _fields(headers.get("content-type", ""), body)
        _check_csrf(scope, headers, cookies, fields)
        return cast_item(int(match.group(1)), cookies, fields), fields


def _headers(scope: dict[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in scope.get("headers", []):
        found[name.decode("latin-1").lower()] = value.decode("latin-1")
    return found


def _language(headers: dict[str, str]) -> str:
    codes = {code for code, _name in settings.LANGUAGES}
    chosen = parse_cookie(headers.get("cookie", "")).get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in codes:
        return chosen
    for part in headers.get("accept-language", "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in codes:
            return code
    return str(settings.LANGUAGE_CODE)


async def _read_body(receive: ASGIReceive, limit: int = MAX_BODY) -> bytes:
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(_("The request was cut short."), code="disconnected")
        body += message.get("body", b"")
        if len(body) > limit:
            raise Refused(_("This request is too large."), code="too_large", status=413)
        if not message.get("more_body", False):
            return body


def _fields(content_type: str, body: bytes) -> dict[str, str]:
    """The submitted fields, from JSON or a form; every value a short string."""
    try:
        text = body.decode("utf-8")
        if content_type.split(";")[0].strip() == "application/json":
            data = json.loads(text) if text else {}
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return {str(k): v for k, v in data.items() if isinstance(v, str) and len(v) <= 200}
        parsed = parse_qs(text, keep_blank_values=True, max_num_fields=20, strict_parsing=False)
        return {k: values[0] for k, values in parsed.items() if len(values) == 1}
    except ValueError as exc:  # bad UTF-8, bad JSON, too many fields
        raise Refused(_("This request could not be read."), code="malformed") from exc


def _check_host(headers: dict[str, str]) -> None:
    if not _host_allowed(headers.get("host", ""), tuple(settings.ALLOWED_HOSTS)):
        raise Refused(_("This request was sent to an unknown address."), code="bad_host")


@functools.lru_cache(maxsize=256)
def _host_allowed(host: str, allowed_hosts: tuple[str, ...]) -> bool:
    """Django's host check, remembered: every ballot of a burst names the same host."""
    domain, _port = split_domain_port(host)
    return bool(domain) and validate_host(domain, allowed_hosts)


def _csrf_refused() -> NotAllowed:
    return NotAllowed(
        _(
            "Your form has expired or was sent from elsewhere. "
            "Go back, reload the page and try again."
        ),
        code="csrf",
    )


def _check_csrf(
    scope: dict[str, Any], headers: dict[str, str], cookies: dict[str, str], fields: dict[str, str]
) -> None:
    """Django's double-submit check (the cookie's secret against the masked token sent back),
    and the origin check: a browser's ``Origin`` must be this site or a trusted origin."""
    origin = headers.get("origin")
    if scope.get("scheme") == "https" and not origin:
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(headers.get("referer", "")))
    if origin is not None:
        own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
        if origin != own and origin not in settings.CSRF_TRUSTED_ORIGINS:
            raise _csrf_refused()
    secret = cookies.get(settings.CSRF_COOKIE_NAME, "")
    token = headers.get("x-csrftoken") or fields.get("csrfmiddlewaretoken", "")
    try:
        _check_token_format(secret)
        _check_token_format(token)
    except InvalidTokenFormat as exc:
        raise _csrf_refused() from exc
    if len(secret) == CSRF_TOKEN_LENGTH:
        secret = unmask(secret)
    if len(token) == CSRF_TOKEN_LENGTH:
        token = unmask(token)
    if not constant_time_compare(token, secret):
        raise _csrf_refused()


_CSRF_INDEX = {char: index for index, char in enumerate(CSRF_ALLOWED_CHARS)}


def unmask(token: str) -> str:
    """Django's ``_unmask_cipher_token`` with a table lookup instead of ``str.index`` (the same
    result; a test compares them): the masked token is a 32-char mask then the cipher."""
    mask, cipher = token[:CSRF_SECRET_LENGTH], token[CSRF_SECRET_LENGTH:]
    size = len(CSRF_ALLOWED_CHARS)
    return "".join(
        CSRF_ALLOWED_CHARS[(_CSRF_INDEX[c] - _CSRF_INDEX[m]) % size]
        for c, m in zip(cipher, mask, strict=True)
    )


def cast_item(poll_id: int, cookies: dict[str, str], fields: dict[str, str]) -> CastItem:
    """The cast asked for. A missing or malformed session is nobody (answered "log in", or
    "no such vote" where the poll is not for everyone to see, after the batch)."""
    choice = fields.get("choice", "")
    if choice not in casting.CHOICES:
        raise casting.bad_choice()
    return CastItem(_session_key(cookies), poll_id, choice)


def _session_key(cookies: dict[str, str]) -> str:
    session_key = cookies.get(settings.SESSION_COOKIE_NAME, "")
    return session_key if SESSION_KEY_SHAPE.fullmatch(session_key) else ""  # Django: [a-z0-9]{32}


# ---------------------------------------------------------------------------------------------
# Election ballots


def election_cast(
    election_id: int, session_key: str, form: dict[str, list[str]]
) -> ElectionReceipt | Refused:
    """Cast an election ballot for the person of ``session_key``: the same session check as a
    poll's ballot, the same rate limit, "no such vote" for whoever may not see the election
    (as its page), then :func:`asamblea.voting.elections.ballot_cast` (one transaction; the
    answer is given only after it has committed)."""
    from asamblea.bodies.queries import can_view
    from asamblea.voting import elections
    from asamblea.voting.election_models import Election

    people = casting.run_plan(people_plan([session_key], casting.django_dialect()))
    person = None
    if session_key in people:
        person = Person.objects.filter(pk=people[session_key], is_active=True).first()
    election = Election.objects.select_related("body").filter(pk=election_id).first()
    if election is None or not can_view(person, election.body):
        return casting.no_poll()
    if person is None:
        return casting.login_required()
    if not ratelimit.hit("ballot_cast", str(person.pk)):
        return casting.too_many_attempts()
    if sum(len(values) for values in form.values()) > ELECTION_MAX_FIELDS:
        return Refused(_("This ballot is too large to read."), code="ballot_oversized")
    submitted = {key: values for key, values in form.items() if key != "csrfmiddlewaretoken"}
    try:
        return elections.ballot_cast(election, person, submitted)
    except Refused as refusal:
        return refusal


def _election_cast_on_thread(
    election_id: int, session_key: str, form: dict[str, list[str]]
) -> ElectionReceipt | Refused:
    try:
        return election_cast(election_id, session_key, form)
    except DatabaseError:
        return unavailable()
    finally:
        connection.close()  # back to the pool: this thread may not come back soon


def _election_page_on_thread(election_id: int) -> str | None:
    try:
        return _election_page(election_id)
    finally:
        connection.close()


def _election_page(election_id: int) -> str | None:
    from django.urls import reverse

    from asamblea.voting.election_models import Election

    slug = Election.objects.filter(pk=election_id).values_list("body__slug", flat=True).first()
    return None if slug is None else reverse("elections:detail", args=[slug, election_id])


def _form_lists(content_type: str, body: bytes) -> dict[str, list[str]]:
    """An election ballot's fields, every value kept (approval ballots repeat ``mark``)."""
    try:
        text = body.decode("utf-8")
        if content_type.split(";")[0].strip() == "application/json":
            data = json.loads(text) if text else {}
            if not isinstance(data, dict):
                raise ValueError("not an object")
            found: dict[str, list[str]] = {}
            for key, value in data.items():
                values = value if isinstance(value, list) else [value]
                found[str(key)] = [str(v)[:200] for v in values if isinstance(v, str | int)]
            return found
        return parse_qs(
            text, keep_blank_values=True, max_num_fields=ELECTION_MAX_FIELDS, strict_parsing=False
        )
    except ValueError as exc:  # bad UTF-8, bad JSON, too many fields
        raise Refused(_("This request could not be read."), code="malformed") from exc


def outcome_result(result: Any) -> casting.CastReceipt | Refused:
    """A committer's result as the receipt of the stored ballot or the refusal."""
    if isinstance(result, Unavailable):
        return unavailable()
    if result.refusal is not None:
        return result.refusal  # type: ignore[no-any-return]
    return result.receipt  # type: ignore[no-any-return]


def wants_html(headers: dict[str, str]) -> bool:
    """A browser's own form submission (no JavaScript): a form body, and HTML accepted. The
    page's script asks for JSON; so do API clients."""
    form = headers.get("content-type", "").split(";")[0].strip().lower() in FORM_TYPES
    return form and "text/html" in headers.get("accept", "")


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}

# The vote page of each poll seen by this process: a body's slug never changes.
_VOTE_PAGES: dict[int, str] = {}


def _lookup_vote_page(poll_id: int) -> str | None:
    """The vote page's path, from the database (then remembered); on a thread of its own,
    whose connection goes back at once."""
    from django.urls import reverse

    from asamblea.voting.models import Poll

    try:
        slug = Poll.objects.filter(pk=poll_id).values_list("body__slug", flat=True).first()
    finally:
        connection.close()
    if slug is None:
        return None
    page = reverse("voting:detail", args=[slug, poll_id])
    _VOTE_PAGES[poll_id] = page
    return page


def _page_may_show(result: casting.CastReceipt | ElectionReceipt | Refused) -> bool:
    """Whether the answer may link to the vote page: not when the poll is unknown or hidden
    from the asker (a link would tell them it exists)."""
    return not (isinstance(result, Refused) and result.status == 404)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def build_reply(
    result: casting.CastReceipt | ElectionReceipt | Refused,
    headers: dict[str, str],
    fields: dict[str, str],
    page: str | None,
    path: str,
    language: str | None = None,
) -> Reply:
    """The answer: JSON for the page's script and API clients; for a form sent without
    JavaScript, ``303`` back to the vote page with the receipt shown there once, or a page
    that says what went wrong (and, when the server is busy, a button to send it again)."""
    language = language or _language(headers)
    extra: list[tuple[str, str]] = []
    if isinstance(result, Refused):
        if result.status == 503:
            extra.append(("retry-after", RETRY_AFTER))
        if result.status == 405:
            extra.append(("allow", "POST"))
    if not wants_html(headers):
        if isinstance(result, Refused):
            with translation.override(language):
                payload = {"ok": False, "code": result.code, "message": str(result.message)}
            status = result.status
        elif isinstance(result, ElectionReceipt):
            payload = {"ok": True, "election": result.election_id, "receipt": result.receipt}
            status = 200
        else:
            payload = {"ok": True, "poll": result.poll_id, "receipt": result.receipt}
            status = 200
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Reply(status, [("content-type", "application/json; charset=utf-8"), *extra], body)
    if isinstance(result, ElectionReceipt) and page is not None:
        cookie = receipt_flash.cookie_header("election", result.election_id, result.receipt, page)
        return Reply(303, [("location", page), ("set-cookie", cookie)], b"")
    if isinstance(result, casting.CastReceipt) and page is not None:
        cookie = receipt_flash.cookie_header("poll", result.poll_id, result.receipt, page)
        return Reply(303, [("location", page), ("set-cookie", cookie)], b"")
    if not isinstance(result, Refused):  # stored, but the page is gone: say so plainly
        result = Refused(_("Your vote is recorded."), code="ok", status=200)
    with translation.override(language):
        body = render_to_string(
            "voting/cast_answer.html",
            {
                "message": result.message,
                "status": result.status,
                "back": page,
                "retry": path if result.status == 503 else None,
                "fields": {k: v for k, v in fields.items() if k in RESENT_FIELDS},
                "LANGUAGE_CODE": language,
            },
        ).encode("utf-8")
    return Reply(result.status, [("content-type", "text/html; charset=utf-8"), *extra], body)


RESENT_FIELDS = ("csrfmiddlewaretoken", "choice")


SECURITY_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


async def _send(send: ASGISend, reply: Reply) -> None:
    headers = [
        *SECURITY_HEADERS,
        (b"content-length", str(len(reply.body)).encode()),
        *((name.encode("latin-1"), value.encode("latin-1")) for name, value in reply.headers),
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})


# ---------------------------------------------------------------------------------------------
# The same routine when Django serves ``/cast/<poll>/`` (WSGI, the test server)


def django_answer(request: HttpRequest, poll_id: int) -> HttpResponse:
    """Answer ``/cast/<poll>/`` inside Django: the same reading, batch routine (a batch of
    one, on Django's connection, in one transaction), rate limit and answers as the ASGI app.
    Django's CSRF middleware has made the same double-submit and ``Origin`` checks."""
    headers = _request_headers(request)
    fields: dict[str, str] = {}
    result: casting.CastReceipt | Refused
    try:
        if len(request.body) > MAX_BODY:
            raise Refused(_("This request is too large."), code="too_large", status=413)
        if request.content_type in FORM_TYPES:  # Django has read the form (multipart too)
            fields = {k: v[0] for k, v in request.POST.lists() if len(v) == 1}
        else:
            fields = _fields(headers["content-type"], request.body)
        item = cast_item(poll_id, request.COOKIES, fields)
        result = outcome_result(process_casts([item])[0])
    except Refused as exc:
        result = exc
    except DatabaseError:  # rolled back whole; Django drops a broken connection at the end
        result = unavailable()
    page = None
    if wants_html(headers) and _page_may_show(result):
        page = _VOTE_PAGES.get(poll_id) or _vote_page_here(poll_id)
    # The language Django's middleware chose (the person's own choice first).
    reply = build_reply(result, headers, fields, page, request.path, translation.get_language())
    return _django_response(reply)


def django_election_cast(
    request: HttpRequest, election_id: int
) -> tuple[ElectionReceipt | Refused, dict[str, list[str]]]:
    """``/cast/e/<election>/`` inside Django: :func:`election_cast`; the outcome and the
    submitted fields."""
    headers = _request_headers(request)
    form: dict[str, list[str]] = {}
    result: ElectionReceipt | Refused
    try:
        if len(request.body) > ELECTION_MAX_BODY:
            raise Refused(_("This request is too large."), code="too_large", status=413)
        if request.content_type in FORM_TYPES:
            form = dict(request.POST.lists())
        else:
            form = _form_lists(headers["content-type"], request.body)
        result = election_cast(election_id, _session_key(request.COOKIES), form)
    except Refused as exc:
        result = exc
    except DatabaseError:
        result = unavailable()
    return result, form


def django_election_answer(
    request: HttpRequest,
    election_id: int,
    result: ElectionReceipt | Refused,
    form: dict[str, list[str]],
) -> HttpResponse:
    """The same answers as the lean app's for an election ballot."""
    headers = _request_headers(request)
    page = None
    if wants_html(headers) and _page_may_show(result):
        page = _election_page(election_id)
    fields = {k: v[0] for k, v in form.items() if len(v) == 1}
    reply = build_reply(result, headers, fields, page, request.path, translation.get_language())
    return _django_response(reply)


def _request_headers(request: HttpRequest) -> dict[str, str]:
    return {
        "content-type": request.META.get("CONTENT_TYPE", ""),
        "accept": request.META.get("HTTP_ACCEPT", ""),
        "cookie": request.META.get("HTTP_COOKIE", ""),
        "accept-language": request.META.get("HTTP_ACCEPT_LANGUAGE", ""),
    }


def _django_response(reply: Reply) -> HttpResponse:
    response = HttpResponse(reply.body, status=reply.status)
    for name, value in reply.headers:
        if name == "set-cookie":
            response.cookies.load(value)
        else:
            response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def _vote_page_here(poll_id: int) -> str | None:
    from django.urls import reverse

    from asamblea.voting.models import Poll

    slug = Poll.objects.filter(pk=poll_id).values_list("body__slug", flat=True).first()
    return None if slug is None else reverse("voting:detail", args=[slug, poll_id])
