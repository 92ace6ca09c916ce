"""What a batch of ballots does: find who sent each one (:mod:`asamblea.lean.session`), count
each person's attempt against the ``ballot_cast`` rate limit (the counter the form view uses),
cast them with the plans of :mod:`asamblea.voting.casting`, and answer "no such vote" to whoever
may not see the poll (as the pages do). The same steps on Django's connection
(:func:`process_casts`, SQLite's writer and Django's view) and on an asynchronous psycopg
connection (:func:`process_casts_async`, PostgreSQL's writer tasks).

The answer to each ballot is given only after the transaction holding it has committed. If the
database cannot take it, the answer is :func:`unavailable` (``503``): nothing was acknowledged,
and trying again is safe (one person, one ballot).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea import ratelimit
from asamblea.accounts.models import Person
from asamblea.bodies.models import Body, Membership
from asamblea.bodies.queries import can_view
from asamblea.elections import actions as elections
from asamblea.elections.actions import ElectionReceipt
from asamblea.elections.models import Election
from asamblea.errors import Refused
from asamblea.lean import session
from asamblea.lean.commit import Unavailable, close_quietly
from asamblea.live.broker import coalesced
from asamblea.live.events import publish_now, publish_on_commit
from asamblea.voting import casting

log = logging.getLogger(__name__)

ELECTION_MAX_FIELDS = 400


def unavailable() -> Refused:
    return Refused(
        _("The vote cannot be recorded right now. Your ballot was not counted; try again."),
        code="unavailable",
        status=503,
    )


@dataclass(frozen=True)
class CastItem:
    session_key: str
    poll_id: int
    choice: str


def cast_item(poll_id: int, cookies: dict[str, str], fields: dict[str, str]) -> CastItem:
    """The cast asked for. A missing or malformed session is nobody (answered "log in", or
    "no such vote" where the poll is not for everyone to see, after the batch)."""
    choice = fields.get("choice", "")
    if choice not in casting.CHOICES:
        raise casting.bad_choice()
    return CastItem(session.session_key(cookies), poll_id, choice)


def outcome_result(result: Any) -> casting.CastReceipt | Refused:
    """A committer's result as the receipt of the stored ballot or the refusal."""
    if isinstance(result, Unavailable):
        return unavailable()
    if result.refusal is not None:
        return result.refusal  # type: ignore[no-any-return]
    return result.receipt  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# One batch of casts: the same steps on either connection


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


def _within_rate(person_ids: Iterable[int]) -> dict[int, bool]:
    """Count one attempt per person (a person sending twice in a batch counts twice)."""
    ids = [str(pid) for pid in person_ids]
    verdicts = ratelimit.hit_many("ballot_cast", ids)
    allowed: dict[int, bool] = {}
    for pid, ok in zip(ids, verdicts, strict=True):
        allowed[int(pid)] = allowed.get(int(pid), True) and ok
    return allowed


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


# ---------------------------------------------------------------------------------------------
# On Django's connection: SQLite's writer thread, and Django's view


def process_casts(items: Sequence[CastItem]) -> list[casting.CastOutcome]:
    """Authenticate, rate-limit and cast a batch on Django's connection; one outcome per item,
    in order."""
    dialect = casting.django_dialect()
    people = casting.run_plan(session.people_plan([i.session_key for i in items], dialect))
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


def postgresql_dialect() -> casting.Dialect:
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
    dialect = postgresql_dialect()
    people = await run_plan_async(
        session.people_plan([item.session_key for item in items], dialect), conn
    )
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
            await close_quietly(conn)
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
    """Publish, after the batch has committed: on a thread when an event goes to Redis now
    (a blocking client), else at once on the loop. The in-process fan-out takes microseconds,
    and a thread per batch would make the loop wait for the interpreter lock after every
    query it sends while that thread runs."""

    def publish() -> None:
        for event in events:
            try:
                publish_now(event.channel, event.kind, event.data)
            except Exception:  # the ballots have committed: a live page missing one is all
                log.exception("live event %s on %s not published", event.kind, event.channel)

    if not getattr(settings, "REDIS_URL", "") or all(coalesced(e.kind) for e in events):
        # In-process, or only turnout ticks (scheduled for the ticker thread, which claims and
        # sends them): nothing here waits on Redis.
        publish()
        return
    future = asyncio.ensure_future(asyncio.to_thread(publish))
    _publishing.add(future)
    future.add_done_callback(_publishing.discard)


# ---------------------------------------------------------------------------------------------
# Election ballots: one at a time, on Django's connection


def election_cast(
    election_id: int, session_key: str, form: dict[str, list[str]]
) -> ElectionReceipt | Refused:
    """Cast an election ballot for the person of ``session_key``: the same session check as a
    poll's ballot, the same rate limit, "no such vote" for whoever may not see the election
    (as its page), then :func:`asamblea.elections.actions.ballot_cast` (one transaction; the
    answer is given only after it has committed)."""
    person_id = session.person_id(session_key) if session_key else None
    person = None
    if person_id is not None:
        person = Person.objects.filter(pk=person_id, is_active=True).first()
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
        return elections.ballot_cast(person, election, form=submitted)
    except Refused as refusal:
        return refusal
