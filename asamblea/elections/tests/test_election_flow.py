"""End to end through the views: a 3-seat STV election, and every other method once."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from django.db import connection
from django.urls import reverse

from asamblea.elections import actions as elections
from asamblea.elections import queries as election_queries
from asamblea.elections.core import count as election_count
from asamblea.elections.methods import count_scottish_stv, parse_blt
from asamblea.elections.models import Candidate, ElectionBallot
from asamblea.elections.tests.election_helpers import more_members, ranks, voting_election
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import cast_receipt


def url(name: str, election, *extra) -> str:
    return reverse(f"elections:{name}", args=[election.body.slug, election.pk, *extra])


@pytest.mark.django_db
def test_three_seat_stv_election_through_the_views(cast):
    voters = more_members(cast, 5)
    alice = cast.client(cast.alice)
    response = alice.post(
        reverse("elections:create", args=[cast.north.slug]),
        {
            "title": "Comisión de agua",
            "method": "scottish_stv",
            "seats": 3,
            "secrecy": "secret",
            "max_score": 5,
        },
    )
    assert response.status_code == 302
    election = cast.north.elections.get()
    # Four stand: bob and carol themselves; alice nominates dora, who consents; and a fifth,
    # erin, nominated by bob, never answers and so is not on the ballot.
    for person in (cast.bob, cast.carol, voters[0]):
        page = cast.client(person).post(url("nominate", election), {})
        assert page.status_code == 302
    dora, erin = voters[1], voters[2]
    assert alice.post(url("nominate", election), {"nominee": dora.pk}).status_code == 302
    nomination = Candidate.objects.get(election=election, person=dora)
    assert nomination.status == "pending"
    page = cast.client(dora).get(url("detail", election))
    assert b'id="consent-request"' in page.content
    consent = cast.client(dora).post(url("answer", election, nomination.pk), {"answer": "accept"})
    assert consent.status_code == 302
    cast.client(cast.bob).post(url("nominate", election), {"nominee": erin.pk})
    assert alice.post(url("open", election)).status_code == 302
    election.refresh_from_db()
    names = election_queries.ballot_names(election)
    assert names == ["Bob", "Carol", "Voter0", "Voter1"]
    assert not Candidate.objects.get(election=election, person=erin).on_ballot
    page = cast.client(cast.bob).get(url("detail", election))
    assert b'name="rank_3"' in page.content and b"<select" in page.content
    electorate = [cast.alice, cast.bob, cast.carol, *voters]
    orders = [(0, 1), (0, 2), (0, 1, 3), (1, 0), (1,), (2, 3), (2,), (3, 2)]
    for person, order in zip(electorate, orders, strict=True):
        page = cast.client(person).post(url("cast", election), ranks(*order))
        assert page["Location"] == url("detail", election)  # back to the election page
        assert cast_receipt(page)  # ... which shows the receipt once
    assert alice.post(url("close", election)).status_code == 302
    election.refresh_from_db()
    assert election.is_closed
    assert len(election.result["winners"]) == 3
    assert ElectionBallot.objects.filter(election=election, voter__isnull=False).count() == 0
    result = cast.client(cast.bob).get(url("result", election))
    assert result.status_code == 200
    assert b'id="rounds"' in result.content and b"<svg" in result.content
    for winner in election_queries.winners(election):
        assert winner.name.encode() in result.content
    # The BLT download, recounted by the pure core with the published seed, gives the result.
    blt = cast.client(cast.bob).get(url("ballots_blt", election))
    assert blt.status_code == 200
    parsed = parse_blt(blt.content.decode())
    recount = count_scottish_stv(
        parsed.candidates, parsed.ballots, parsed.seats, seed=election.seed
    )
    assert list(recount.winners) == election.result["winners"]
    assert recount.to_dict() == election.result["trace"]
    # The JSON download holds the same ballots, without ids or voters.
    data = json.loads(cast.client(cast.bob).get(url("ballots_json", election)).content)
    assert len(data["ballots"]) == 8 and all(
        set(b) == {"ballot", "weight"} for b in data["ballots"]
    )
    stored = [
        (json.dumps(b["ballot"], separators=(",", ":")), b["weight"]) for b in data["ballots"]
    ]
    again = election_count.count("scottish_stv", data["candidates"], 3, stored, seed=data["seed"])
    # The downloaded ballots are the ballot box whose digest the ledger recorded before counting.
    totals: dict[str, int] = {}
    for content, weight in stored:
        totals[content] = totals.get(content, 0) + weight
    lines = "".join(f"{totals[c]} {c}\n" for c in sorted(totals))
    assert hashlib.sha256(lines.encode()).hexdigest() == data["ballots_sha256"]
    assert again["trace"] == election.result["trace"]
    kinds = list(
        LedgerEntry.objects.filter(chain=cast.north.ledger_chain).values_list("kind", flat=True)
    )
    assert kinds.index("election.seed") < kinds.index("election.closed")
    assert verify_chain(cast.north.ledger_chain).ok


@pytest.mark.django_db
def test_a_tie_left_to_lot_is_reproducible_from_the_seed_in_the_ledger(cast):
    election = voting_election_for_tie(cast)
    entries = {
        e.kind: json.loads(e.payload)
        for e in LedgerEntry.objects.filter(chain=cast.north.ledger_chain)
    }
    seed = entries["election.seed"]["seed"]
    # The seed was committed when voting opened, before any ballot existed.
    assert (
        hashlib.sha256(seed.encode()).hexdigest()
        == entries["election.voting_opened"]["seed_sha256"]
    )
    trace = election.result["trace"]
    assert any(stage["tie"] for stage in trace["stages"])  # a tie the rules left to lot
    stored = election_queries.stored_ballots(election)
    names = election_queries.ballot_names(election)
    recounted = election_count.count("scottish_stv", names, 1, stored, seed=seed)
    assert recounted["trace"] == trace
    assert recounted["winners"] == election.result["winners"]
    assert entries["election.closed"]["winners"] == [[w, names[w]] for w in recounted["winners"]]


def voting_election_for_tie(cast):
    election = elections.election_create(
        cast.alice, cast.north, title="Empate", method="scottish_stv", seats=1
    )
    for person in (cast.alice, cast.bob, cast.carol):
        elections.nominate(person, election)
    elections.voting_open(cast.alice, election)
    # One first preference each: every exclusion is a tie only the lot can break.
    for person, first in ((cast.alice, 0), (cast.bob, 1), (cast.carol, 2)):
        elections.ballot_cast(person, election, form=ranks(first))
    return elections.election_close(cast.alice, election)


@pytest.mark.django_db
def test_election_pages_speak_spanish_and_english(cast):
    election = voting_election_for_tie(cast)
    spanish = cast.client(cast.bob, language="es").get(url("result", election)).content.decode()
    assert "Ronda a ronda" in spanish and "Comprueba tú el recuento" in spanish
    english = cast.client(cast.bob).get(url("result", election)).content.decode()
    assert "Round by round" in english and "Check the count yourself" in english


@pytest.mark.django_db
def test_closing_a_secret_election_rewrites_its_electorate_in_person_order(cast):
    """On PostgreSQL each ``voted`` flip wrote a new row version, so physical order and
    ``xmin`` followed the order of voting; closing rewrites the electorate in person order,
    every row stamped by the closing transaction (SQLite keeps rows in id order anyway)."""
    people = more_members(cast, 8)
    election = voting_election(cast)
    order = random.Random(5).sample(people, len(people))
    for i, person in enumerate(order):
        elections.ballot_cast(person, election, form=ranks(i % 3))
    elections.election_close(cast.alice, election)
    key = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT person_id FROM voting_elector WHERE election_id = %s ORDER BY {key}",  # noqa: S608
            [election.pk],
        )
        stored = [row[0] for row in cursor.fetchall()]
        assert stored == sorted(stored) and len(stored) == election.electorate_size
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT DISTINCT xmin::text FROM voting_elector WHERE election_id = %s",
                [election.pk],
            )
            assert len(cursor.fetchall()) == 1
