"""Dump the whole database after a secret vote and show that nothing joins a person to their
choice: no column, no shared value, no id order, no physical order, no transaction id, no
timestamp and no ledger entry."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from asamblea.ledger.models import LedgerEntry
from asamblea.testing import join, make_person
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Ballot, Eligibility

VOTERS = 20


def dump() -> dict[str, tuple[list[str], list[tuple]]]:
    """Every table: its column names and all its rows, as an operator's dump would show them."""
    tables = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            columns = [col[0] for col in cursor.description]
            tables[table] = (columns, cursor.fetchall())
    return tables


def physical_order() -> list[str]:
    """The ballots' choices in storage order (PostgreSQL ctid, SQLite rowid)."""
    key = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT choice FROM voting_ballot ORDER BY {key}")  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def secret_vote(cast):
    voters = [make_person(f"voter{i:02}") for i in range(VOTERS)]
    for person in voters:
        join(person, cast.north)
    poll = poll_open(cast.alice, cast.north, title="Huelga", secrecy="secret")
    # The first half votes yes, the second no: any order that survives would betray them.
    cast_order = ["yes"] * (VOTERS // 2) + ["no"] * (VOTERS // 2)
    receipts = [
        ballot_cast(p, poll, choice=c).receipt for p, c in zip(voters, cast_order, strict=True)
    ]
    poll = poll_close(cast.alice, poll)
    return poll, voters, cast_order, receipts


@pytest.mark.django_db
def test_ballot_and_participation_tables_hold_nothing_that_links_them(secret_vote):
    poll, voters, _order, _receipts = secret_vote
    tables = dump()
    ballot_columns, ballot_rows = tables["voting_ballot"]
    assert set(ballot_columns) == {"id", "poll_id", "choice", "weight", "voter_id", "receipt_hash"}
    assert all(row[ballot_columns.index("voter_id")] is None for row in ballot_rows)
    eligibility_columns, _rows = tables["voting_eligibility"]
    assert set(eligibility_columns) == {"id", "poll_id", "person_id", "weight", "voted"}
    # No table refers to a ballot, so no join can start from one.
    with connection.cursor() as cursor:
        for table in tables:
            relations = connection.introspection.get_relations(cursor, table)
            assert all(target != "voting_ballot" for _col, target in relations.values()), table
    # Equal weights: a weight shared by everybody says nothing about who cast the ballot.
    assert {row[ballot_columns.index("weight")] for row in ballot_rows} == {1}


@pytest.mark.django_db
def test_no_value_of_a_ballot_appears_anywhere_else(secret_vote):
    tables = dump()
    columns, rows = tables["voting_ballot"]
    secrets_of_ballots = set()
    for row in rows:
        secrets_of_ballots.add(str(row[columns.index("id")]).replace("-", ""))
        secrets_of_ballots.add(str(row[columns.index("receipt_hash")]))
    for table, (_columns, other_rows) in tables.items():
        if table == "voting_ballot":
            continue
        text = json.dumps(other_rows, default=str).replace("-", "")
        leaked = [value for value in secrets_of_ballots if value in text]
        assert not leaked, f"{table} holds a ballot id or receipt hash"


@pytest.mark.django_db
def test_neither_id_order_nor_storage_order_follows_the_order_of_casting(secret_vote):
    poll, _voters, cast_order, _receipts = secret_vote
    by_id = list(Ballot.objects.filter(poll=poll).order_by("id").values_list("choice", flat=True))
    by_receipt = list(
        Ballot.objects.filter(poll=poll).order_by("receipt_hash").values_list("choice", flat=True)
    )
    stored = physical_order()
    assert sorted(stored) == sorted(cast_order)
    # Each equality has a chance of 1 in C(20, 10) = 184,756 if the order were random.
    assert by_id != cast_order and by_receipt != cast_order and stored != cast_order


@pytest.mark.django_db
def test_transaction_ids_of_ballots_do_not_match_the_participation_flags(secret_vote):
    if connection.vendor != "postgresql":
        pytest.skip("transaction ids (xmin) are a PostgreSQL system column")
    poll, _voters, _order, _receipts = secret_vote
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT xmin::text FROM voting_ballot WHERE poll_id = %s", [poll.pk]
        )
        ballot_xmins = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT DISTINCT xmin::text FROM voting_eligibility WHERE poll_id = %s", [poll.pk]
        )
        flag_xmins = {row[0] for row in cursor.fetchall()}
    # The closing transaction rewrote every ballot and every row of the electorate (flags
    # that were flipped and flags that were not): one transaction id for all, which pairs
    # no ballot with any voter, and no flag gives the order of voting.
    assert len(ballot_xmins) == 1
    assert flag_xmins == ballot_xmins


@pytest.mark.django_db
def test_the_ledger_records_no_ballot_and_no_voter_of_a_secret_vote(secret_vote):
    poll, voters, _order, _receipts = secret_vote
    entries = list(LedgerEntry.objects.filter(chain=poll.body.ledger_chain).order_by("seq"))
    kinds = [entry.kind for entry in entries]
    opened, closed = kinds.index("poll.opened"), kinds.index("poll.closed")
    # Nothing is recorded while the vote runs, so the ledger's order and times say nothing.
    assert closed == opened + 1
    voter_ids = {person.pk for person in voters}
    for entry in entries[opened:]:
        payload = json.loads(entry.payload)
        assert set(payload) <= {
            "poll",
            "motion",
            "title",
            "secrecy",
            "quorum_percent",
            "majority",
            "electorate",
            "closes_at",
            "by",
            "result",
        }
        assert payload.get("by") not in voter_ids
    assert Eligibility.objects.filter(poll=poll, voted=True).count() == VOTERS
