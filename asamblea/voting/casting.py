"""Casting yes / no / abstain ballots: the one implementation both cast paths run.

:func:`asamblea.voting.actions.ballot_cast` (the plain form, and every caller in the code) casts
a batch of one; the lean endpoint (:mod:`asamblea.lean`) casts the ballots that
arrived within a few milliseconds as one batch in one transaction (group commit). The rules are
the same because the code is the same:

* the poll row is read under ``FOR SHARE`` on PostgreSQL, so a close (``FOR UPDATE``) waits for
  the casts in flight and every cast after it sees the poll closed (SQLite serialises every
  write transaction, which gives the same order);
* one person, one ballot: a conditional ``UPDATE`` flips ``Eligibility.voted`` from false to true
  (the snapshot row is unique per poll and person, and the row lock makes a concurrent second
  attempt wait and then find it flipped); an attempt that flips nothing is refused;
* eligibility is the snapshot taken when the poll opened, never the current membership;
* a secret ballot gets a random id, no voter, no time, and a receipt whose hash is stored; the
  ballots of one batch are written in random order;
* one ``poll.progress`` live event per batch, published only after commit.

The caller acknowledges only after the ballots have committed: the form path's transaction,
or, on the lean endpoint's autocommit connection, the single statement a cast is on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from asamblea.accounts.models import Visitor
from asamblea.bodies.models import Body
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.voting.models import Poll

CHOICES = ("yes", "no", "abstain")
RECEIPT_BYTES = 16  # 128 bits: receipts cannot be guessed


def hash_receipt(code: str) -> str:
    return hashlib.sha256(code.strip().encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CastReceipt:
    poll_id: int
    receipt: str | None  # secret polls only


@dataclass(frozen=True)
class CastRequest:
    person_id: int
    choice: str


@dataclass(frozen=True)
class CastOutcome:
    """Exactly one of ``receipt`` (the ballot is in the transaction) and ``refusal``."""

    receipt: CastReceipt | None = None
    refusal: Refused | None = None


def bad_choice() -> Refused:
    return Refused(_("Choose yes, no or abstain."), code="bad_choice")


def login_required() -> NotAllowed:
    return NotAllowed(_("Log in to vote."), code="login_required")


def too_many_attempts() -> Refused:
    return Refused(_("Too many attempts. Wait a minute and try again."), status=429)


def encrypted_only() -> Conflict:
    return Conflict(
        _("This vote takes encrypted ballots only: open its page in a browser with JavaScript."),
        code="encrypted_only",
    )


def no_poll() -> Refused:
    return Refused(_("This vote does not exist."), code="no_poll", status=404)


def _closed() -> Conflict:
    return Conflict(_("This vote is closed."), code="poll_closed")


def _already_voted() -> Conflict:
    return Conflict(_("You have already voted in this poll."), code="already_voted")


def _not_eligible() -> NotAllowed:
    return NotAllowed(_("You are not in the electorate of this vote."), code="not_eligible")


# ---------------------------------------------------------------------------------------------
# The rules as plans: generators that yield SQL and receive its rows
#
# A plan holds every rule and no connection. The form path runs it on Django's connection
# (:func:`run_plan`), the lean endpoint on its own asynchronous connection (see
# :mod:`asamblea.lean`): one implementation, two ways of talking to the database.

T = TypeVar("T")
Step = tuple[str, list[Any]]
Rows = list[tuple[Any, ...]]
Plan = Generator[Step, Rows, T]


@dataclass(frozen=True)
class Dialect:
    """What a plan needs to know about the database it runs on."""

    vendor: str  # "postgresql" or "sqlite"
    now: Any  # the current time, as a parameter for that database

    @property
    def postgresql(self) -> bool:
        return self.vendor == "postgresql"


def django_dialect() -> Dialect:
    """The dialect of Django's own connection (the form path, and SQLite's writer thread)."""
    return Dialect(connection.vendor, connection.ops.adapt_datetimefield_value(timezone.now()))


@dataclass(frozen=True)
class Event:
    """A live event to publish once the transaction has committed."""

    channel: str
    kind: str
    data: dict[str, Any]


def run_plan(plan: Plan[T]) -> T:
    """Run ``plan`` on Django's connection (inside the caller's transaction, if any)."""
    with connection.cursor() as cursor:
        try:
            step = next(plan)
            while True:
                cursor.execute(*step)
                rows = cursor.fetchall() if cursor.description is not None else []
                step = plan.send(rows)
        except StopIteration as done:
            return done.value


def among(column: str, values: Sequence[Any], dialect: Dialect) -> tuple[str, list[Any]]:
    """``column`` is one of ``values`` (integers, or words without commas), as SQL and
    parameters.

    PostgreSQL gets the values joined into one text parameter that the server splits once
    (``= ANY(ARRAY(SELECT unnest(string_to_array(%s, ','))))``): hundreds of placeholders, or an
    array parameter, would cost the driver Python work per value. SQLite gets an ``IN`` list.
    """
    if dialect.postgresql:
        # ARRAY(SELECT ...) is an InitPlan: split once per statement. A bare string_to_array in
        # a filter is split again for every row the plan reads (a prepared statement's generic
        # plan filters that way), which made a batch's read grow with the table.
        if all(isinstance(value, int) for value in values):
            split = "unnest(string_to_array(%s, ',')::bigint[])"
        else:
            split = "unnest(string_to_array(%s, ','))"
        return f"{column} = ANY(ARRAY(SELECT {split}))", [joined(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def joined(values: Sequence[Any]) -> str:
    """Values as one comma-separated text for ``string_to_array`` (None becomes ``''``, read
    back as NULL); a value containing a comma is refused, never split."""
    texts = ["" if value is None else str(value) for value in values]
    if any("," in text for text in texts):
        raise ValueError("a value for string_to_array contains a comma")
    return ",".join(texts)


@dataclass(frozen=True)
class PollRow:
    id: int
    body_id: int
    is_open: bool
    is_secret: bool
    past_closing_time: bool
    # A verifiable poll whose facilitator did not allow ordinary ballots: a plain cast is refused.
    plain_refused: bool = False


def _plain_refused(secrecy: str, plain_fallback: Any) -> bool:
    return secrecy == Poll.Secrecy.VERIFIABLE and not plain_fallback


def _poll_plan(poll_id: int, dialect: Dialect) -> Plan[PollRow | None]:
    """Read the poll under a lock that a close (which takes ``FOR UPDATE``) must wait for.

    PostgreSQL: ``FOR SHARE`` lets casts run side by side but not beside a close. SQLite: every
    write transaction is serialised (BEGIN IMMEDIATE), which gives the same ordering.
    """
    sql = (
        "SELECT id, body_id, state, secrecy, closes_at IS NOT NULL AND closes_at <= %s, "
        "plain_fallback FROM voting_poll WHERE id = %s"
    )
    if dialect.postgresql:
        sql += " FOR SHARE"
    rows = yield sql, [dialect.now, poll_id]
    if not rows:
        return None
    pk, body_id, state, secrecy, past, plain_fallback = rows[0]
    return PollRow(
        int(pk),
        int(body_id),
        state == Poll.State.OPEN,
        secrecy != Poll.Secrecy.NAMED,
        bool(past),
        _plain_refused(secrecy, plain_fallback),
    )


def cast_plan(
    poll_id: int, requests: Sequence[CastRequest], dialect: Dialect
) -> Plan[tuple[list[CastOutcome], list[Event]]]:
    """Cast ``requests`` in the poll ``poll_id``: one outcome per request, in order, and the
    events to publish after commit. The ballots count only once the transaction commits (on
    PostgreSQL the cast is one statement, so outside a transaction it commits by itself). A
    refused request changes nothing. A person asking twice in one batch gets one ballot and one
    "already voted"."""
    if not requests:
        return [], []
    first: dict[int, CastRequest] = {}
    for request in requests:
        if request.choice in CHOICES:
            first.setdefault(request.person_id, request)
    if dialect.postgresql:
        cast = yield from _one_statement_plan(poll_id, first, dialect)
    else:
        cast = yield from _step_by_step_plan(poll_id, first, dialect)
    poll = cast.poll
    if poll is None:
        return [CastOutcome(refusal=no_poll()) for _ in requests], []
    if not poll.is_open or poll.past_closing_time:
        return [CastOutcome(refusal=_closed()) for _ in requests], []
    if poll.plain_refused:
        return [CastOutcome(refusal=encrypted_only()) for _ in requests], []
    flipped = cast.receipts
    events = (
        [Event(Body.channel_of(poll.body_id), "poll.progress", {"poll": poll_id})]
        if flipped
        else []
    )
    outcomes = []
    for request in requests:
        if request.choice not in CHOICES:
            outcomes.append(CastOutcome(refusal=bad_choice()))
        elif first[request.person_id] is request and request.person_id in flipped:
            outcomes.append(CastOutcome(receipt=flipped[request.person_id]))
        elif request.person_id in flipped or request.person_id in cast.electorate:
            outcomes.append(CastOutcome(refusal=_already_voted()))
        else:
            outcomes.append(CastOutcome(refusal=_not_eligible()))
    return outcomes, events


@dataclass(frozen=True)
class _Cast:
    """What the database said: the poll (None: no such poll), a receipt for every person whose
    ballot was stored, and which of the others are in the electorate (they have voted)."""

    poll: PollRow | None
    receipts: dict[int, CastReceipt]
    electorate: set[int]


def _step_by_step_plan(
    poll_id: int, first: dict[int, CastRequest], dialect: Dialect
) -> Plan[_Cast]:
    """SQLite: read the poll, flip ``voted``, look up who was refused, insert: four statements
    in the caller's transaction (SQLite has no data-modifying ``WITH``)."""
    poll = yield from _poll_plan(poll_id, dialect)
    if poll is None or not poll.is_open or poll.past_closing_time or poll.plain_refused:
        return _Cast(poll, {}, set())
    person_ids = sorted(first)
    flipped: dict[int, int] = {}
    if person_ids:
        # Flip ``voted`` for those who have not voted; {person: weight} flipped. Rows are
        # matched through the (poll, person) unique index, so every batch locks them in person
        # order and two batches cannot deadlock on each other.
        condition, params = among("person_id", person_ids, dialect)
        rows = yield (
            "UPDATE voting_eligibility SET voted = TRUE "  # noqa: S608 - placeholders only
            f"WHERE poll_id = %s AND voted = FALSE AND {condition} "
            "RETURNING person_id, weight",
            [poll_id, *params],
        )
        flipped = {int(person): int(weight) for person, weight in rows}
    missing = [pid for pid in person_ids if pid not in flipped]
    electorate: set[int] = set()
    if missing:
        condition, params = among("person_id", missing, dialect)
        rows = yield (
            f"SELECT person_id FROM voting_eligibility WHERE poll_id = %s AND {condition}",  # noqa: S608
            [poll_id, *params],
        )
        electorate = {int(row[0]) for row in rows}
    accepted = [first[pid] for pid in person_ids if pid in flipped]
    receipts = yield from _store_plan(poll, accepted, flipped, dialect)
    return _Cast(poll, receipts, electorate)


# PostgreSQL: the whole cast in one statement, so one round trip and, outside a transaction,
# no BEGIN and no COMMIT of its own. In order: the poll row is locked ``FOR SHARE`` (a close
# waits for it; a cast that waited for a close sees the poll closed, as READ COMMITTED reads
# the locked row's newest version); ``voted`` is flipped only while the poll is open, through
# the (poll, person) unique index in person order (two casts cannot deadlock); a ballot is
# inserted for every flipped person, in the order of the random ballot ids; and the persons
# of the batch who were not flipped but are in the electorate come back (they have voted).
_ONE_STATEMENT = """
WITH poll AS MATERIALIZED (
    SELECT id, body_id, state, secrecy, closes_at IS NOT NULL AND closes_at <= %s AS past,
        plain_fallback
    FROM voting_poll WHERE id = %s FOR SHARE
),
batch AS MATERIALIZED (
    SELECT person::bigint AS person, choice, id::uuid AS id, receipt
    FROM unnest(string_to_array(%s, ','), string_to_array(%s, ','),
                string_to_array(%s, ','), string_to_array(%s, ','))
        AS given (person, choice, id, receipt)
),
flipped AS (
    UPDATE voting_eligibility AS e SET voted = TRUE
    FROM poll
    WHERE e.poll_id = poll.id AND poll.state = %s AND NOT poll.past AND e.voted = FALSE
        AND (poll.secrecy <> %s OR poll.plain_fallback)
        AND e.person_id = ANY(ARRAY(SELECT unnest(string_to_array(%s, ',')::bigint[])))
    RETURNING e.person_id, e.weight
),
stored AS (
    INSERT INTO voting_ballot (id, poll_id, choice, weight, voter_id, receipt_hash)
    SELECT b.id, poll.id, b.choice, f.weight,
        CASE WHEN poll.secrecy <> %s THEN NULL ELSE b.person END,
        CASE WHEN poll.secrecy <> %s THEN b.receipt END
    FROM batch AS b JOIN flipped AS f ON f.person_id = b.person CROSS JOIN poll
    ORDER BY b.id
)
SELECT poll.body_id, poll.state, poll.secrecy, poll.past, poll.plain_fallback,
    (SELECT string_agg(person_id::text, ',') FROM flipped),
    (SELECT string_agg(e.person_id::text, ',') FROM voting_eligibility AS e
        WHERE e.poll_id = poll.id AND e.person_id = ANY(ARRAY(
            SELECT person FROM batch EXCEPT SELECT person_id FROM flipped)))
FROM poll
"""


def _one_statement_plan(
    poll_id: int, first: dict[int, CastRequest], dialect: Dialect
) -> Plan[_Cast]:
    """PostgreSQL: :data:`_ONE_STATEMENT`. Every candidate gets a random ballot id and receipt
    beforehand (one call to the system's generator for the batch); only the flipped are
    stored, and a receipt is given only for a secret ballot."""
    person_ids = sorted(first)
    entropy = secrets.token_bytes(32 * len(person_ids))
    ids, codes = [], {}
    for index, person_id in enumerate(person_ids):
        chunk = entropy[index * 32 : (index + 1) * 32]
        ids.append(uuid.UUID(bytes=chunk[:16], version=4))
        codes[person_id] = chunk[16:].hex()
    rows = yield (
        _ONE_STATEMENT,
        [
            dialect.now,
            poll_id,
            joined(person_ids),
            joined([first[pid].choice for pid in person_ids]),
            joined(ids),
            joined([hash_receipt(codes[pid]) for pid in person_ids]),
            Poll.State.OPEN.value,
            Poll.Secrecy.VERIFIABLE.value,
            joined(person_ids),
            Poll.Secrecy.NAMED.value,
            Poll.Secrecy.NAMED.value,
        ],
    )
    if not rows:
        return _Cast(None, {}, set())
    body_id, state, secrecy, past, plain_fallback, flipped, voted = rows[0]
    is_secret = secrecy != Poll.Secrecy.NAMED
    poll = PollRow(
        poll_id,
        int(body_id),
        state == Poll.State.OPEN,
        is_secret,
        bool(past),
        _plain_refused(secrecy, plain_fallback),
    )
    receipts = {
        int(pid): CastReceipt(poll_id, codes[int(pid)] if poll.is_secret else None)
        for pid in (flipped or "").split(",")
        if pid
    }
    return _Cast(poll, receipts, {int(pid) for pid in (voted or "").split(",") if pid})


def _store_plan(
    poll: PollRow, accepted: list[CastRequest], weights: dict[int, int], dialect: Dialect
) -> Plan[dict[int, CastReceipt]]:
    """Write the accepted ballots; {person: receipt}. Secret ballots carry no voter and are
    written in the order of their random ids, so that neither ids nor row order follow the
    order of arrival.

    The random bytes of the whole batch (ids, receipts) come from one call to the operating
    system's generator, and the rows go in one multi-row INSERT with plain parameters: per
    ballot, only what a ballot needs.
    """
    receipts: dict[int, CastReceipt] = {}
    if not accepted:
        return receipts
    size = 16 + (RECEIPT_BYTES if poll.is_secret else 0)
    entropy = secrets.token_bytes(size * len(accepted))
    rows: list[tuple[Any, ...]] = []
    for index, request in enumerate(accepted):
        chunk = entropy[index * size : (index + 1) * size]
        ballot_id = uuid.UUID(bytes=chunk[:16], version=4)
        stored_id: Any = ballot_id if dialect.postgresql else ballot_id.hex
        weight = weights[request.person_id]
        if poll.is_secret:
            code = chunk[16:].hex()
            receipts[request.person_id] = CastReceipt(poll.id, code)
            rows.append((stored_id, poll.id, request.choice, weight, None, hash_receipt(code)))
        else:
            receipts[request.person_id] = CastReceipt(poll.id, None)
            rows.append((stored_id, poll.id, request.choice, weight, request.person_id, None))
    if poll.is_secret:
        # Random ids from the system's generator: sorting by them is a uniform random order.
        rows.sort(key=lambda row: str(row[0]))
    if dialect.postgresql:
        # One statement, one text parameter per column, however large the batch.
        ids, _polls, choices, weights_, voters, hashes = zip(*rows, strict=True)
        yield (
            "INSERT INTO voting_ballot (id, poll_id, choice, weight, voter_id, receipt_hash) "
            "SELECT id::uuid, %s, choice, weight::integer, voter::bigint, receipt FROM unnest("
            "string_to_array(%s, ','), string_to_array(%s, ','), string_to_array(%s, ','), "
            "string_to_array(%s, ',', ''), string_to_array(%s, ',', '')"
            ") AS batch (id, choice, weight, voter, receipt)",
            [poll.id, *(joined(column) for column in (ids, choices, weights_, voters, hashes))],
        )
        return receipts
    for start in range(0, len(rows), INSERT_ROWS):
        chunk_rows = rows[start : start + INSERT_ROWS]
        values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk_rows))
        yield (
            "INSERT INTO voting_ballot "  # noqa: S608 - placeholders only
            f"(id, poll_id, choice, weight, voter_id, receipt_hash) VALUES {values}",
            [value for row in chunk_rows for value in row],
        )
    return receipts


# SQLite allows 32,766 parameters in one statement (6 per ballot); PostgreSQL 65,535.
INSERT_ROWS = 1000


def cast_batch(poll_id: int, requests: Sequence[CastRequest]) -> list[CastOutcome]:
    """:func:`cast_plan` on Django's connection, inside the caller's transaction; the progress
    event is published once that transaction commits."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("cast_batch must run inside transaction.atomic")
    outcomes, events = run_plan(cast_plan(poll_id, requests, django_dialect()))
    for event in events:
        publish_on_commit(event.channel, event.kind, event.data)
    return outcomes


def cast_one(poll: Poll, person: Visitor, choice: str) -> CastReceipt:
    """One ballot through the batch path; raises the refusal. Inside the caller's transaction."""
    if choice not in CHOICES:
        raise bad_choice()
    if person is None or not person.is_authenticated:
        raise login_required()
    outcome = cast_batch(poll.pk, [CastRequest(person.pk, choice)])[0]
    if outcome.refusal is not None:
        raise outcome.refusal
    assert outcome.receipt is not None
    return outcome.receipt
