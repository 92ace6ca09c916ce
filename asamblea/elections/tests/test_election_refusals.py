"""Bad input, out-of-order requests and secrecy: each gets a clear refusal and changes nothing."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.urls import reverse

from asamblea.elections import actions as elections
from asamblea.elections import queries as election_queries
from asamblea.elections.models import Candidate, Election, ElectionBallot, Elector
from asamblea.elections.tests.election_helpers import ranks, standing_election, voting_election
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.live import events


def _url(name: str, election: Election, *extra: int) -> str:
    return reverse(f"elections:{name}", args=[election.body.slug, election.pk, *extra])


def _nothing_cast(election: Election) -> bool:
    return not election.ballots.exists() and not election.electors.filter(voted=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"rank_0": ["1"], "rank_1": ["1"]}, "share rank 1"),
        ({"rank_0": ["1"], "rank_1": ["3"]}, "skip 2"),
        ({"rank_0": ["uno"]}, "whole number from 1 to 3"),
        ({"rank_9": ["1"]}, "not on this ballot"),
        ({}, "Rank at least one candidate"),
    ],
)
def test_a_bad_ranking_comes_back_with_the_choices_kept_and_a_reason(cast, form, message):
    election = voting_election(cast, "scottish_stv")
    page = cast.client(cast.bob).post(_url("cast", election), form)
    assert page.status_code == 400
    text = page.content.decode()
    assert 'id="ballot-error"' in text and message in text
    if "rank_0" in form and form["rank_0"] == ["1"]:
        assert '<option value="1" selected>' in text
    assert _nothing_cast(election)


@pytest.mark.django_db
def test_an_oversized_ballot_is_refused(cast):
    election = voting_election(cast, "consent")
    fields = {f"junk_{i}": "x" for i in range(500)}
    assert cast.client(cast.bob).post(_url("cast", election), fields).status_code == 400
    reason = {"stance_0": "object", "reason_0": "x" * 5000}
    page = cast.client(cast.bob).post(_url("cast", election), reason)
    assert page.status_code == 400 and "at most 500" in page.content.decode()
    assert _nothing_cast(election)


@pytest.mark.django_db
def test_a_second_ballot_is_refused(cast):
    election = voting_election(cast)
    client = cast.client(cast.bob)
    # Accepted: back to the election page, the receipt shown once.
    assert client.post(_url("cast", election), ranks(0, 1)).status_code == 303
    again = client.post(_url("cast", election), ranks(1, 0))
    assert again.status_code == 409 and "already voted" in again.content.decode()
    assert election.ballots.count() == 1


@pytest.mark.django_db
def test_ballots_before_opening_and_after_closing_are_refused(cast):
    election = standing_election(cast)
    early = cast.client(cast.bob).post(_url("cast", election), ranks(0))
    assert early.status_code == 409 and "not opened" in early.content.decode()
    elections.voting_open(cast.alice, election)
    elections.election_close(cast.alice, election)
    late = cast.client(cast.bob).post(_url("cast", election), ranks(0))
    assert late.status_code == 409 and "closed" in late.content.decode()
    assert _nothing_cast(election)
    closing_twice = cast.client(cast.alice).post(_url("close", election))
    assert closing_twice.status_code == 409


@pytest.mark.django_db
def test_a_nomination_without_consent_never_reaches_the_ballot(cast):
    election = elections.election_create(cast.alice, cast.north, title="T", method="irv")
    nomination = elections.nominate(cast.alice, election, nominee=cast.bob)
    assert nomination.status == Candidate.Status.PENDING
    with pytest.raises(Conflict):
        elections.voting_open(cast.alice, election)  # nobody has consented
    with pytest.raises(NotAllowed):
        elections.nomination_answer(cast.alice, nomination, accept=True)  # not hers to give
    elections.nominate(cast.carol, election)
    election = elections.voting_open(cast.alice, election)
    assert election_queries.ballot_names(election) == ["Carol"]
    nomination.refresh_from_db()
    assert nomination.position is None
    with pytest.raises(Conflict):
        elections.nomination_answer(cast.bob, nomination, accept=True)  # too late: voting is open


@pytest.mark.django_db
def test_nomination_refusals(cast):
    election = standing_election(cast)
    client = cast.client(cast.bob)
    for nominee in (cast.oscar.pk, cast.olivia.pk, 999_999, "x"):
        page = client.post(_url("nominate", election), {"nominee": nominee})
        assert page.status_code == 400 and "Choose a member" in page.content.decode()
    again = client.post(_url("nominate", election), {})
    assert again.status_code == 409 and "already nominated" in again.content.decode()
    long = client.post(_url("nominate", election), {"statement": "x" * 3000})
    assert long.status_code == 400
    assert election.candidates.count() == 3
    with pytest.raises(Refused):
        elections.nominate(cast.bob, election, nominee=cast.olivia)  # observers cannot stand
    elections.voting_open(cast.alice, election)
    late = cast.client(cast.alice).post(_url("option_add", election), {"name": "Late"})
    assert late.status_code == 409
    bad = cast.client(cast.bob).post(
        _url("answer", election, election.candidates.first().pk), {"answer": "maybe"}
    )
    assert bad.status_code == 400
    missing = cast.client(cast.bob).post(_url("answer", election, 999_999), {"answer": "accept"})
    assert missing.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {"title": "", "method": "irv", "seats": 1},
        {"title": "T", "method": "borda", "seats": 1},
        {"title": "T", "method": "meek_stv", "seats": 0},
        {"title": "T", "method": "meek_stv", "seats": 51},
        {"title": "T", "method": "irv", "seats": 2, "secrecy": "named"},
        {"title": "T", "method": "irv", "seats": 1, "secrecy": "public"},
        {"title": "T" * 300, "method": "irv", "seats": 1},
    ],
)
def test_bad_election_settings_create_nothing(cast, data):
    form = {"secrecy": "secret", "max_score": 5} | data
    page = cast.client(cast.alice).post(reverse("elections:create", args=[cast.north.slug]), form)
    assert page.status_code == 400
    assert not Election.objects.exists()


@pytest.mark.django_db
def test_receipt_codes_malformed_or_unknown_are_refused(cast):
    election = voting_election(cast)
    client = cast.client(cast.bob)
    for code in ("", "xyz", "0" * 32, "g" * 32):
        page = client.post(_url("receipt", election), {"code": code})
        assert page.status_code == 400


@pytest.mark.django_db
def test_unknown_elections_and_wrong_methods_are_refused(cast):
    election = voting_election(cast)
    client = cast.client(cast.alice)
    assert client.get(reverse("elections:detail", args=[cast.north.slug, 999_999])).status_code == (
        404
    )
    assert client.get(
        reverse("elections:detail", args=[cast.south.slug, election.pk])
    ).status_code == (404)
    assert client.get(_url("close", election)).status_code == 405
    assert client.post(_url("result", election)).status_code == 405


@pytest.mark.django_db
def test_ranked_secret_ballots_cannot_be_linked_to_voters(cast):
    seen: list[tuple[str, str, dict]] = []

    def sink(channel, kind, data):
        seen.append((channel, kind, dict(data)))

    events.subscribe(sink)
    try:
        election = voting_election(cast, "scottish_stv")
        for person, order in ((cast.bob, (1, 0)), (cast.carol, (2,)), (cast.alice, (0, 2, 1))):
            elections.ballot_cast(person, election, form=ranks(*order))
        before = set(election.ballots.values_list("id", flat=True))
        assert all(uuid.UUID(str(i)).version == 4 for i in before)
        assert not election.ballots.filter(voter__isnull=False).exists()
        election = elections.election_close(cast.alice, election)
    finally:
        events.unsubscribe(sink)
    # No column links a ballot to a person, and nothing records when it was cast.
    columns = {f.name for f in ElectionBallot._meta.get_fields()}
    assert columns == {"id", "election", "content", "weight", "voter", "receipt_hash"}
    # Closing rewrote the ballots with fresh random ids, so ids say nothing of the casting order.
    after = set(election.ballots.values_list("id", flat=True))
    assert before.isdisjoint(after) and len(after) == 3
    # Neither live events nor the ledger name who cast what.
    voter_ids = {cast.alice.pk, cast.bob.pk, cast.carol.pk}
    for _channel, kind, data in seen:
        if kind == "election.progress":
            assert set(data) == {"election"}
    payloads = LedgerEntry.objects.filter(
        chain=cast.north.ledger_chain, kind__startswith="election"
    )
    assert not payloads.filter(kind__contains="cast").exists()
    assert Elector.objects.filter(election=election, voted=True).count() == 3
    assert len(voter_ids) == 3


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_concurrent_double_clicks_cast_one_ballot(cast):
    election = voting_election(cast)
    outcomes: list[str] = []

    def click():
        try:
            elections.ballot_cast(cast.bob, election, form=ranks(0, 1))
            outcomes.append("cast")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=click) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["cast"] + ["refused"] * 7
    assert ElectionBallot.objects.filter(election=election).count() == 1
