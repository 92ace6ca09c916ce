"""A secret ballot cannot be linked to its voter from the database rows or the live events.

Thirty members vote through the views in a known order; then every table is read raw (through
``connection.cursor()``, every column) and compared with what was there before the vote.
"""

from __future__ import annotations

import json
import random
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from asamblea.live import events
from asamblea.testing import ballots_in_storage_order, cast_receipt, join, make_person
from asamblea.voting.actions import hash_receipt, poll_close, poll_open

VOTERS = 30
# A pattern that betrays any order that survives: choice i is a function of i.
CHOICES = ["yes", "no", "abstain"]


def raw_tables() -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table, every column, every row, as someone holding a copy of the database sees it."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [column[0] for column in cursor.description]
            tables[table] = (columns, sorted(map(repr, cursor.fetchall())))
    return tables


def changed_tables(before, after) -> set[str]:
    return {table for table in after if before.get(table) != after[table]}


def stored_order(poll) -> list[str]:
    """Receipt hashes in physical storage order (SQLite rowid, PostgreSQL ctid)."""
    return ballots_in_storage_order(poll, "receipt_hash")


def electorate_in_storage_order(poll) -> list[int]:
    """Person ids of a poll's electorate snapshot in physical order (PostgreSQL ``ctid``,
    SQLite ``rowid``), as a dump of the table lists them."""
    key = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person_id FROM voting_eligibility WHERE poll_id = %s ORDER BY {key}",  # noqa: S608
            [poll.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def voted_by_transaction(poll) -> list[int]:
    """PostgreSQL: person ids of the voted flags ordered by the id of the transaction that wrote
    their row version (``xmin``; ties by person)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT person_id FROM voting_eligibility WHERE poll_id = %s AND voted "
            "ORDER BY xmin::text::bigint, person_id",
            [poll.pk],
        )
        return [row[0] for row in cursor.fetchall()]


def rows(table: str) -> tuple[list[str], list[tuple]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return [c[0] for c in cursor.description], cursor.fetchall()


@pytest.fixture
def secret_vote(cast, django_capture_on_commit_callbacks):
    people = [make_person(f"voter{i:02}") for i in range(VOTERS)]
    for person in people:
        join(person, cast.north)
    # They vote in an order that is neither that of their ids nor its reverse.
    voters = random.Random(12).sample(people, VOTERS)
    poll = poll_open(cast.alice, cast.north, title="Huelga indefinida", secrecy="secret")
    clients = [cast.client(person) for person in voters]  # logged in before the snapshot
    heard: list[tuple[str, str, dict]] = []

    def listener(channel, kind, data):
        heard.append((channel, kind, dict(data)))

    events.subscribe(listener)
    before = raw_tables()
    cast_receipts = []
    try:
        with django_capture_on_commit_callbacks(execute=True):
            for i, client in enumerate(clients):
                response = client.post(
                    reverse("voting:cast", args=[cast.north.slug, poll.pk]),
                    {"choice": CHOICES[i % 3]},
                )
                cast_receipts.append(hash_receipt(cast_receipt(response)))
    finally:
        events.unsubscribe(listener)
    during = raw_tables()
    order_while_open = stored_order(poll)
    electorate_while_open = electorate_in_storage_order(poll)
    poll = poll_close(cast.alice, poll)
    return {
        "poll": poll,
        "voters": voters,
        "receipts": cast_receipts,
        "before": before,
        "during": during,
        "after": raw_tables(),
        "heard": heard,
        "order_while_open": order_while_open,
        "electorate_while_open": electorate_while_open,
        "voting_order": [person.pk for person in voters],
    }


pytestmark = pytest.mark.django_db


def test_casting_touches_only_the_ballot_box_and_the_participation_flags(secret_vote):
    # No session, no person row (no last-seen time), no ledger entry, no log table changes.
    assert changed_tables(secret_vote["before"], secret_vote["during"]) == {
        "voting_ballot",
        "voting_eligibility",
    }


def test_ballot_rows_hold_no_voter_no_time_and_random_ids(secret_vote):
    poll = secret_vote["poll"]
    columns, ballots = rows("voting_ballot")
    assert set(columns) == {"id", "poll_id", "choice", "weight", "voter_id", "receipt_hash"}
    ballots = [
        dict(zip(columns, row, strict=True))
        for row in ballots
        if row[columns.index("poll_id")] == poll.pk
    ]
    assert len(ballots) == VOTERS
    assert all(ballot["voter_id"] is None for ballot in ballots)
    ids = [uuid.UUID(str(ballot["id"])) for ballot in ballots]
    assert all(ballot_id.version == 4 for ballot_id in ids)
    # Ordering by id does not give back the order of casting.
    by_id = [b["receipt_hash"] for b in sorted(ballots, key=lambda b: uuid.UUID(str(b["id"])))]
    assert sorted(by_id) == sorted(secret_vote["receipts"])
    assert by_id != secret_vote["receipts"]


def test_no_column_anywhere_holds_a_time_of_casting(secret_vote):
    for table in ("voting_ballot", "voting_eligibility"):
        with connection.cursor() as cursor:
            description = connection.introspection.get_table_description(cursor, table)
        types = {
            column.name: connection.introspection.get_field_type(column.type_code, column)
            for column in description
        }
        assert not [name for name, kind in types.items() if "Date" in kind or "Time" in kind], table


def test_eligibility_rows_are_in_person_order_not_voting_order(secret_vote):
    poll = secret_vote["poll"]
    columns, eligibilities = rows("voting_eligibility")
    assert set(columns) == {"id", "poll_id", "person_id", "weight", "voted"}
    mine = sorted(
        (row for row in eligibilities if row[columns.index("poll_id")] == poll.pk),
        key=lambda row: row[columns.index("id")],
    )
    person_ids = [row[columns.index("person_id")] for row in mine]
    # Created all at once at opening, in person order; voting only flips a flag.
    assert person_ids == sorted(person_ids)
    assert sum(bool(row[columns.index("voted")]) for row in mine) == VOTERS


def test_after_closing_the_stored_order_is_not_the_order_of_casting(secret_vote):
    stored = stored_order(secret_vote["poll"])
    assert sorted(stored) == sorted(secret_vote["receipts"])
    # While the vote was open the storage order did follow casting (a residual risk, see
    # docs/secret-ballots.md); closing rewrites the ballot box in random order.
    assert stored != secret_vote["receipts"]
    assert stored != secret_vote["order_while_open"]


def test_the_ledger_has_no_entry_per_ballot(secret_vote):
    before, during = secret_vote["before"], secret_vote["during"]
    assert before["ledger_ledgerentry"] == during["ledger_ledgerentry"]
    _columns, after_rows = secret_vote["after"]["ledger_ledgerentry"]
    new_entries = len(after_rows) - len(before["ledger_ledgerentry"][1])
    assert new_entries == 1  # poll.closed with the counts; the poll had no motion


def test_live_events_carry_no_choice_voter_or_receipt(secret_vote):
    heard = secret_vote["heard"]
    assert len(heard) == VOTERS
    voter_ids = {person.pk for person in secret_vote["voters"]}
    for _channel, kind, data in heard:
        assert kind == "poll.progress"
        assert data == {"poll": secret_vote["poll"].pk}
        text = json.dumps(data)
        assert not any(choice in text for choice in CHOICES)
        assert not set(data.values()) & voter_ids


def test_the_published_result_matches_a_recount_of_the_stored_ballots(secret_vote):
    poll = secret_vote["poll"]
    columns, ballots = rows("voting_ballot")
    choices = [
        row[columns.index("choice")] for row in ballots if row[columns.index("poll_id")] == poll.pk
    ]
    assert poll.result["yes"] == str(choices.count("yes")) == "10"
    assert poll.result["no"] == str(choices.count("no")) == "10"
    assert poll.result["abstain"] == str(choices.count("abstain")) == "10"
    assert poll.result["participants"] == VOTERS


def test_the_storage_engine_keeps_no_trace_of_the_casting_order_after_closing(secret_vote):
    """SQLite: the ballots removed at closing (stored in casting order) are overwritten in the
    file, not just unlinked. PostgreSQL: every live ballot row was written by the closing
    transaction (one ``xmin``), so transaction ids cannot be matched with the participation
    flags; the dead rows left until VACUUM are a residual risk (docs/secret-ballots.md)."""
    poll = secret_vote["poll"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA secure_delete")
            assert cursor.fetchone()[0] == 1
        else:
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM voting_ballot WHERE poll_id = %s", [poll.pk]
            )
            ballot_xmins = {row[0] for row in cursor.fetchall()}
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM voting_eligibility WHERE poll_id = %s",
                [poll.pk],
            )
            # The closing transaction rewrote both: one transaction id for every ballot and
            # every flag, which pairs nobody with anything.
            assert len(ballot_xmins) == 1
            assert {row[0] for row in cursor.fetchall()} == ballot_xmins


def test_after_closing_the_electorate_is_stored_in_person_order_not_voting_order(secret_vote):
    """A dump lists the electorate snapshot in physical order. While the vote is open, on
    PostgreSQL each flag flip moved the voter's row (a new row version); closing rewrites the
    snapshot in person order."""
    poll = secret_vote["poll"]
    stored = electorate_in_storage_order(poll)
    assert stored == sorted(stored)
    assert len(stored) == poll.electorate_size
    voted = [pid for pid in stored if pid in set(secret_vote["voting_order"])]
    assert voted != secret_vote["voting_order"]


def test_after_closing_no_transaction_id_gives_the_order_of_voting(secret_vote):
    """PostgreSQL: before closing, ``xmin`` of each voted flag is the id of the transaction
    that cast (docs/secret-ballots.md, residual risks); after closing every flag carries the
    closing transaction's id, so ordering by it gives person order back, not voting order."""
    if connection.vendor != "postgresql":
        pytest.skip("xmin is PostgreSQL's; SQLite rows keep their rowid (person order)")
    order = voted_by_transaction(secret_vote["poll"])
    assert sorted(order) == sorted(secret_vote["voting_order"])
    assert order == sorted(order) != secret_vote["voting_order"]
