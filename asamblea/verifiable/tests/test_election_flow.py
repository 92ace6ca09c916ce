"""Verifiable approval and plurality elections end to end through the server's pages and JSON
endpoints: the election is created "verifiable", its nominations close and its voting opens,
then the same phases as a verifiable poll (trustees, ceremony, registration, open, closed,
partial decryptions), and the decrypted counts per candidate become the election's result
through its own counting method (winners, ties by its seed). Ranked methods are refused."""

from __future__ import annotations

import dataclasses
import json

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from asamblea.elections import actions as elections
from asamblea.elections.audit import audit_election
from asamblea.elections.models import Election, ElectionBallot, Elector
from asamblea.errors import Conflict, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.models import Record, VerifiableVote
from asamblea.verifiable.subjects import election_question
from asamblea.verifiable.tests.play import (
    VoterBrowser,
    post,
    register_and_open,
    run_ceremony,
    state,
    url,
)
from asamblea.verifiable.verifier import verify_board
from asamblea.voting.actions import poll_open
from asamblea.voting.audit import closing_entries


def _election(cast, method="approval", seats=1, options=("Ana", "Beto", "Coral")):
    election = elections.election_create(
        cast.alice, cast.north, title="Comisión", method=method, seats=seats, secrecy="verifiable"
    )
    for name in options:
        elections.option_add(cast.alice, election, name=name)
    return elections.voting_open(cast.alice, election)


def _ceremony(cast, election, people, threshold=2, plain=False):
    return run_ceremony(cast.client, cast.alice, election, people, threshold, plain=plain)


def _open(cast, election, voters):
    return register_and_open(cast.client, cast.alice, election, voters)


@pytest.mark.django_db
def test_a_verifiable_approval_election_end_to_end(cast):
    election = _election(cast, method="approval", seats=2)
    page = cast.client(cast.bob).get(
        reverse("elections:detail", args=[cast.north.slug, election.pk])
    )
    assert b"verifiable-block" in page.content and b'name="mark"' not in page.content
    trustees = _ceremony(cast, election, [cast.alice, cast.bob, cast.carol])
    vote = VerifiableVote.objects.get(for_election=election)
    manifest = Record.objects.get(vote=vote, kind="manifest").payload
    assert manifest["questions"] == [
        {"text": "Comisión", "answers": ["Ana", "Beto", "Coral"], "min": 1, "max": 3}
    ]
    voters = _open(cast, election, [cast.alice, cast.bob, cast.carol])
    assert Elector.objects.filter(election=election, voted=True).count() == 3

    # Cast-or-audit reads the candidates' names.
    ballot, opening = voters[cast.bob].encrypt_marks([1, 0, 1])
    audited = post(cast.client(cast.bob), election, "audit", {"ballot": ballot, "opening": opening})
    assert audited.status_code == 200 and audited.json()["answers"] == [["Ana", "Coral"]]

    trackers = {}
    for person, marks in ((cast.alice, [1, 1, 0]), (cast.bob, [0, 1, 1]), (cast.carol, [0, 1, 0])):
        response = voters[person].cast_marks(marks)
        assert response.status_code == 200, response.content
        trackers[person] = response.json()["tracker"]
    revote = voters[cast.carol].cast_marks([0, 0, 1])  # the last ballot counts
    assert revote.status_code == 200
    board = cast.client(cast.bob).get(url(election, "board") + "?tracker=" + trackers[cast.bob])
    assert b"tracker-found" in board.content

    # The election's ordinary close is refused while its trustees have not decrypted.
    with pytest.raises(Conflict):
        elections.election_close(cast.alice, election)
    assert cast.client(cast.alice).post(url(election, "close_voting")).status_code == 302
    assert trustees[0].decrypt().status_code == 200
    election.refresh_from_db()
    assert election.is_voting
    response = trustees[1].decrypt()
    assert response.status_code == 200 and response.json()["result"] is True
    election.refresh_from_db()
    assert election.is_closed
    result = election.result
    assert result["verifiable"]["counts"] == [1, 2, 2] and result["verifiable"]["ballots"] == 3
    assert result["trace"]["votes"] == [1, 2, 2] and result["trace"]["valid_ballots"] == 3
    assert sorted(result["winners"]) == [1, 2]  # Beto and Coral
    assert result["participants"] == 3 and result["ordinary_ballots"] == 0

    report = verify_board(cast.client(cast.olivia).get(url(election, "board_json")).json())
    assert report.result == [[1, 2, 2]] and report.ballots == 4 and report.counted == 3
    # The election's audit (asamblea verify-ledger) recounts it from the same data.
    chain = cast.north.ledger_chain
    seeds = closing_entries(chain, "election.seed", "election").get(election.pk, [])
    closed = closing_entries(chain, "election.closed", "election").get(election.pk, [])
    assert audit_election(election, seeds, closed) == []

    result_page = cast.client(cast.bob).get(
        reverse("elections:result", args=[cast.north.slug, election.pk])
    )
    assert result_page.status_code == 200
    assert b"verifiable-counts-table" in result_page.content and b"Coral" in result_page.content
    assert LedgerEntry.objects.filter(kind="verifiable.phase").count() >= 5
    ledger = cast.client(cast.bob).get(reverse("bodies:ledger", args=[cast.north.slug]))
    assert ledger.status_code == 200
    assert "closed and the count was published." in ledger.content.decode()


@pytest.mark.django_db
def test_plurality_ties_are_decided_by_the_elections_seed(cast):
    election = _election(cast, method="plurality", seats=1, options=("Ana", "Beto"))
    trustees = _ceremony(cast, election, [cast.alice], threshold=1)
    manifest = state(cast.client(cast.bob), election)["manifest"]
    assert (manifest["questions"][0]["min"], manifest["questions"][0]["max"]) == (1, 1)
    voters = _open(cast, election, [cast.bob, cast.carol])
    assert voters[cast.bob].cast_marks([1, 0]).status_code == 200
    assert voters[cast.carol].cast_marks([0, 1]).status_code == 200
    cast.client(cast.alice).post(url(election, "close_voting"))
    assert trustees[0].decrypt().json()["result"] is True
    election.refresh_from_db()
    trace = election.result["trace"]
    assert trace["votes"] == [1, 1] and len(trace["draws"]) == 1
    assert election.result["winners"] == [trace["draws"][0]["order"][0]]
    entry = LedgerEntry.objects.filter(kind="election.seed").get()
    assert json.loads(entry.payload)["seed"] == election.seed


@pytest.mark.django_db
def test_a_ballot_over_the_maximum_or_malformed_is_refused_and_changes_nothing(cast):
    election = _election(cast, method="plurality", seats=1)
    _ceremony(cast, election, [cast.alice], threshold=1)
    voters = _open(cast, election, [cast.bob])
    vote = VerifiableVote.objects.get(for_election=election)
    before = (Record.objects.filter(vote=vote).count(), vote.head)
    bob = voters[cast.bob]
    real = bob.election()
    # Two marks where plurality for one seat allows one: the browser's proofs would claim a
    # sum in 1..2, which the manifest (1..1) refuses.
    loose = dataclasses.replace(real, questions=(B.Question(3, 1, 2),))
    over, _opening = B.encrypt(loose, bob.secret(), [[1, 1, 0]])
    # Two entries for three candidates.
    short = dataclasses.replace(real, questions=(B.Question(2, 1, 1),))
    few, _opening = B.encrypt(short, bob.secret(), [[1, 0]])
    for ballot in (over, few, {"answers": "x"}):
        response = post(cast.client(cast.bob), election, "cast", {"ballot": ballot})
        assert response.status_code == 400, response.content
        assert response.json()["error"]["code"] == "bad_ballot"
        assert "does not verify" in response.json()["error"]["message"]
    spanish = cast.client(cast.bob, "es")
    response = post(spanish, election, "cast", {"ballot": over})
    assert "no se verifica" in response.json()["error"]["message"].lower()
    vote.refresh_from_db()
    assert (Record.objects.filter(vote=vote).count(), vote.head) == before


@pytest.mark.django_db
def test_replay_someone_elses_credential_and_wrong_phase_are_refused(cast):
    election = _election(cast)
    _ceremony(cast, election, [cast.alice], threshold=1)
    early = VoterBrowser(cast.client(cast.bob), election)
    voters = _open(cast, election, [cast.bob, cast.carol])
    late = early.register()
    assert late.status_code == 409 and late.json()["error"]["code"] in (
        "wrong_phase",
        "already_registered",
    )
    ballot, _opening = voters[cast.bob].encrypt_marks([1, 0, 0])
    assert post(cast.client(cast.bob), election, "cast", {"ballot": ballot}).status_code == 200
    replay = post(cast.client(cast.bob), election, "cast", {"ballot": ballot})
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "replayed"
    stolen = post(cast.client(cast.carol), election, "cast", {"ballot": ballot})
    assert stolen.status_code == 403 and stolen.json()["error"]["code"] == "wrong_credential"
    outsider = post(cast.client(cast.olivia), election, "cast", {"ballot": ballot})
    assert outsider.status_code == 403
    vote = VerifiableVote.objects.get(for_election=election)
    assert Record.objects.filter(vote=vote, kind="ballot").count() == 1
    cast.client(cast.alice).post(url(election, "close_voting"))
    closed = voters[cast.carol].cast_marks([0, 1, 0])
    assert closed.status_code == 409
    assert Record.objects.filter(vote=vote, kind="ballot").count() == 1


@pytest.mark.django_db
def test_ranked_score_and_consent_methods_refuse_the_verifiable_ballot(cast):
    for method in ("irv", "meek_stv", "scottish_stv", "schulze", "score", "consent"):
        with pytest.raises(Refused) as refused:
            elections.election_create(
                cast.alice, cast.north, title="X", method=method, secrecy="verifiable"
            )
        assert refused.value.code == "not_verifiable_method"
    response = cast.client(cast.alice, "es").post(
        reverse("elections:create", args=[cast.north.slug]),
        {"title": "X", "method": "schulze", "seats": 1, "secrecy": "verifiable", "max_score": 5},
    )
    assert response.status_code == 400
    assert "Solo las elecciones por mayoría simple y por aprobación" in response.content.decode()
    assert not Election.objects.filter(title="X").exists()


@pytest.mark.django_db
def test_ordinary_ballots_only_where_allowed_and_counted_apart(cast):
    election = _election(cast, method="approval", seats=1)
    detail = reverse("elections:detail", args=[cast.north.slug, election.pk])
    cast_url = reverse("elections:cast", args=[cast.north.slug, election.pk])
    refused = cast.client(cast.carol).post(cast_url, {"mark": ["0"]})
    assert refused.status_code == 409
    assert not ElectionBallot.objects.filter(election=election).exists()
    trustees = _ceremony(cast, election, [cast.alice], threshold=1, plain=True)
    election.refresh_from_db()
    assert election.plain_fallback
    page = cast.client(cast.carol).get(url(election, "vote"))
    assert b"Without JavaScript" in page.content and b'name="mark"' in page.content
    assert cast.client(cast.carol).post(cast_url, {"mark": ["0", "2"]}).status_code == 303
    voters = _open(cast, election, [cast.bob])
    # Carol took part with an ordinary ballot: she cannot register a credential too.
    again = VoterBrowser(cast.client(cast.carol), election).register()
    assert again.status_code == 409
    assert voters[cast.bob].cast_marks([0, 1, 1]).status_code == 200
    cast.client(cast.alice).post(url(election, "close_voting"))
    assert trustees[0].decrypt().json()["result"] is True
    election.refresh_from_db()
    result = election.result
    assert result["verifiable"]["counts"] == [0, 1, 1]
    assert result["ordinary_votes"] == [1, 0, 1] and result["ordinary_ballots"] == 1
    assert result["trace"]["votes"] == [1, 1, 2] and result["winners"] == [2]
    assert result["participants"] == 2
    page = cast.client(cast.bob).get(
        reverse("elections:result", args=[cast.north.slug, election.pk])
    )
    assert b"counted apart" in page.content
    spanish = cast.client(cast.bob, "es").get(
        reverse("elections:result", args=[cast.north.slug, election.pk])
    )
    assert "1 voto ordinario (no verificable), contado aparte" in spanish.content.decode()
    assert "1 papeleta cifrada, descifrada por los custodios" in spanish.content.decode()
    assert cast.client(cast.bob).get(detail).status_code == 200


@pytest.mark.django_db
def test_cancelling_closes_the_election_without_a_valid_count(cast):
    election = _election(cast)
    _ceremony(cast, election, [cast.alice], threshold=1)
    response = cast.client(cast.alice).post(url(election, "cancel"))
    assert response.status_code == 302
    assert response["Location"] == reverse("elections:detail", args=[cast.north.slug, election.pk])
    election.refresh_from_db()
    assert election.is_closed and election.result["valid"] is False
    assert election.result["winners"] == []
    chain = cast.north.ledger_chain
    seeds = closing_entries(chain, "election.seed", "election").get(election.pk, [])
    closed = closing_entries(chain, "election.closed", "election").get(election.pk, [])
    assert audit_election(election, seeds, closed) == []


@pytest.mark.django_db
def test_a_vote_belongs_to_exactly_one_poll_or_election(cast):
    election = _election(cast)
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    for kwargs in ({}, {"poll": poll, "for_election": election}):
        with pytest.raises(IntegrityError), transaction.atomic():
            VerifiableVote.objects.create(**kwargs)


def test_the_ballots_bounds_are_those_of_the_ordinary_ballot():
    """At least one mark (the ordinary form refuses a blank ballot); approval up to every
    candidate; plurality up to the seats, never more than the candidates."""
    names = ["Ana", "Beto", "Coral"]
    cases = {("approval", 1): (1, 3), ("approval", 2): (1, 3), ("plurality", 1): (1, 1)}
    cases |= {("plurality", 2): (1, 2), ("plurality", 5): (1, 3)}
    for (method, seats), bounds in cases.items():
        election = Election(title="T", method=method, seats=seats)
        assert election_question(election, names) == ("T", tuple(names), *bounds)


@pytest.mark.django_db
def test_trustees_are_chosen_only_once_voting_opened_and_only_for_a_verifiable_election(cast):
    nominating = elections.election_create(
        cast.alice, cast.north, title="Comisión", method="approval", secrecy="verifiable"
    )
    elections.option_add(cast.alice, nominating, name="Ana")
    data = {"trustees": [cast.alice.pk], "threshold": 1}
    early = cast.client(cast.alice).post(url(nominating, "setup"), data)
    assert early.status_code == 409  # the ballot and the electorate are not fixed yet
    ordinary = elections.election_create(cast.alice, cast.north, title="Otra", method="approval")
    assert cast.client(cast.alice).post(url(ordinary, "setup"), data).status_code == 404
    bob = cast.client(cast.bob).post(url(elections.voting_open(cast.alice, nominating), "setup"))
    assert bob.status_code == 403
    assert not VerifiableVote.objects.exists()
