"""Casting yes / no / abstain ballots: the one implementation both cast paths run.

:func:`asamblea.voting.actions.ballot_cast` (the plain form, and every caller in the code) casts
a batch of one; the lean endpoint (:mod:`asamblea.voting.fastcast`) casts the ballots that
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

The caller holds the transaction and acknowledges only after it has committed.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from random import SystemRandom
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.live.events import publish_on_commit
from asamblea.voting.models import Ballot, Poll

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


def _no_poll() -> Refused:
    return Refused(_("This vote does not exist."), code="no_poll", status=404)


def _closed() -> Conflict:
    return Conflict(_("This vote is closed."), code="poll_closed")


def _already_voted() -> Conflict:
    return Conflict(_("You have already voted in this poll."), code="already_voted")


def _not_eligible() -> NotAllowed:
    return NotAllowed(_("You are not in the electorate of this vote."), code="not_eligible")


def lock_poll_shared(poll_id: int) -> Poll | None:
    """Read the poll under a lock that a close (which takes ``FOR UPDATE``) must wait for.

    PostgreSQL: ``FOR SHARE`` lets casts run side by side but not beside a close. SQLite: every
    write transaction is serialised (BEGIN IMMEDIATE), which gives the same ordering.
    """
    sql = "SELECT * FROM voting_poll WHERE id = %s"
    if connection.vendor == "postgresql":
        sql += " FOR SHARE"
    rows = list(Poll.objects.raw(sql, [poll_id]))
    return rows[0] if rows else None


def among(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """``column`` is one of ``values``, as SQL and parameters.

    PostgreSQL gets one array parameter (``= ANY(%s)``): a batch of hundreds would otherwise
    send, and the driver split, hundreds of placeholders. SQLite gets an ``IN`` list.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _flip(poll_id: int, person_ids: list[int]) -> dict[int, int]:
    """Flip ``voted`` for those of ``person_ids`` who have not voted; {person: weight} flipped.

    Rows are matched through the (poll, person) unique index, so every batch locks them in
    person order and two batches cannot deadlock on each other.
    """
    condition, params = among("person_id", person_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE voting_eligibility SET voted = TRUE "  # noqa: S608 - placeholders only
            f"WHERE poll_id = %s AND voted = FALSE AND {condition} "
            "RETURNING person_id, weight",
            [poll_id, *params],
        )
        return {int(person): int(weight) for person, weight in cursor.fetchall()}


def _in_electorate(poll_id: int, person_ids: list[int]) -> set[int]:
    condition, params = among("person_id", person_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person_id FROM voting_eligibility WHERE poll_id = %s AND {condition}",  # noqa: S608
            [poll_id, *params],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def cast_batch(poll_id: int, requests: Sequence[CastRequest]) -> list[CastOutcome]:
    """Cast ``requests`` in the poll ``poll_id`` inside the caller's transaction.

    Returns one outcome per request, in order. A refused request changes nothing. A person
    asking twice in one batch gets one ballot and one "already voted". Must run inside
    ``transaction.atomic``; the ballots count only once it commits.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("cast_batch must run inside transaction.atomic")
    if not requests:
        return []
    poll = lock_poll_shared(poll_id)
    if poll is None:
        return [CastOutcome(refusal=_no_poll()) for _ in requests]
    if not poll.is_open or poll.is_past_closing_time():
        return [CastOutcome(refusal=_closed()) for _ in requests]
    first: dict[int, CastRequest] = {}
    for request in requests:
        if request.choice in CHOICES:
            first.setdefault(request.person_id, request)
    person_ids = sorted(first)
    flipped = _flip(poll_id, person_ids) if person_ids else {}
    missing = [pid for pid in person_ids if pid not in flipped]
    electorate = _in_electorate(poll_id, missing) if missing else set()
    receipts = _store_ballots(poll, [first[pid] for pid in person_ids if pid in flipped], flipped)
    if flipped:
        publish_on_commit(f"body:{poll.body_id}", "poll.progress", {"poll": poll_id})
    outcomes = []
    for request in requests:
        if request.choice not in CHOICES:
            outcomes.append(CastOutcome(refusal=bad_choice()))
        elif first[request.person_id] is request and request.person_id in flipped:
            outcomes.append(CastOutcome(receipt=receipts[request.person_id]))
        elif request.person_id in flipped or request.person_id in electorate:
            outcomes.append(CastOutcome(refusal=_already_voted()))
        else:
            outcomes.append(CastOutcome(refusal=_not_eligible()))
    return outcomes


def _store_ballots(
    poll: Poll, accepted: list[CastRequest], weights: dict[int, int]
) -> dict[int, CastReceipt]:
    """Write the accepted ballots; {person: receipt}. Secret ballots carry no voter and are
    written in random order so that neither ids nor row order follow the order of arrival.

    One multi-row INSERT with plain parameters: building model instances costs more than the
    database does for a batch of hundreds.
    """
    receipts: dict[int, CastReceipt] = {}
    rows: list[tuple[Any, ...]] = []
    prepare_id = Ballot._meta.pk.get_db_prep_value  # type: ignore[union-attr]
    for request in accepted:
        weight = weights[request.person_id]
        ballot_id = prepare_id(uuid.uuid4(), connection)
        if poll.is_secret:
            code = secrets.token_hex(RECEIPT_BYTES)
            receipts[request.person_id] = CastReceipt(poll.pk, code)
            rows.append((ballot_id, poll.pk, request.choice, weight, None, hash_receipt(code)))
        else:
            receipts[request.person_id] = CastReceipt(poll.pk, None)
            rows.append((ballot_id, poll.pk, request.choice, weight, request.person_id, None))
    if poll.is_secret:
        SystemRandom().shuffle(rows)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and rows:
            # One statement with one array per column, however large the batch.
            cursor.execute(
                "INSERT INTO voting_ballot (id, poll_id, choice, weight, voter_id, receipt_hash) "
                "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::varchar[], %s::integer[], "
                "%s::bigint[], %s::varchar[])",
                [list(column) for column in zip(*rows, strict=True)],
            )
            return receipts
        for start in range(0, len(rows), INSERT_ROWS):
            chunk = rows[start : start + INSERT_ROWS]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s)"] * len(chunk))
            cursor.execute(
                "INSERT INTO voting_ballot "  # noqa: S608 - placeholders only
                f"(id, poll_id, choice, weight, voter_id, receipt_hash) VALUES {values}",
                [value for row in chunk for value in row],
            )
    return receipts


# SQLite allows 32,766 parameters in one statement (6 per ballot); PostgreSQL 65,535.
INSERT_ROWS = 1000


def cast_one(poll: Poll, person: Any, choice: str) -> CastReceipt:
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
