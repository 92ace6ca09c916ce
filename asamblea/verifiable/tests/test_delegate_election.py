"""A base assembly elects its delegates by a verifiable secret ballot: the delegate election is
one verifiable approval election (asamblea.elections), run on that election's verifiable pages
(trustees, ceremony, registration, ballots, close, decryptions); when it closes, the delegates
are seated with the election's marks as their approvals, exactly as the ordinary delegate
election seats them. A cancelled one elects nobody. Coordinating bodies cannot choose it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.coordination import actions
from asamblea.coordination.actions.delegates import on_election_closed
from asamblea.coordination.actions.forwarding import put_on_agenda
from asamblea.coordination.models import (
    Candidacy,
    CoordinationVote,
    DelegateElection,
    Delegation,
    Seat,
)
from asamblea.elections import actions as elections
from asamblea.elections.models import Candidate, Election
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import affiliate, join, make_person
from asamblea.verifiable.models import VerifiableVote
from asamblea.verifiable.tests.play import register_and_open, run_ceremony, url
from asamblea.voting.actions import ballot_cast, poll_close
from asamblea.voting.models import Poll

OPEN = "coordination:election_open"


def _entries(body, kind):
    return [
        json.loads(e.payload)
        for e in LedgerEntry.objects.filter(chain=body.ledger_chain, kind=kind).order_by("seq")
    ]


def _open_through_the_page(fed, candidates, seats, language="en", **extra):
    data = {
        "coordination": fed.federation.slug,
        "candidates": [p.pk for p in candidates],
        "seats": seats,
        "term_days": 90,
        "secrecy": "verifiable",
    } | extra
    return fed.client(fed.alice, language).post(reverse(OPEN, args=[fed.north.slug]), data)


def _ceremony(fed, election, people, threshold, plain=False):
    return run_ceremony(fed.client, fed.alice, election, people, threshold, plain=plain)


def _register_and_open(fed, election, voters):
    return register_and_open(fed.client, fed.alice, election, voters)


@pytest.fixture
def dave(fed):
    """A third member of North; North has no delegate yet (the fixture's are removed)."""
    person = make_person("dave")
    join(person, fed.north)
    Delegation.objects.filter(body=fed.north).delete()
    return person


@pytest.mark.django_db
def test_a_whole_verifiable_delegate_election_seats_the_delegates(fed, dave):
    # An open delegates' vote of the Federation: North's seat is empty until North elects.
    motion = put_on_agenda(
        fed.federation, title="Huelga", text="Huelga", reasons="", reason="test", origin=None
    )
    coordination_vote = actions.vote_open(fed.cora, fed.federation, motion)
    north_seat = Seat.objects.get(vote=coordination_vote, body=fed.north)
    assert north_seat.delegation is None

    form = fed.client(fed.alice).get(reverse("coordination:body", args=[fed.north.slug]))
    assert '<select name="secrecy"' in form.content.decode()
    assert '<option value="verifiable">Verifiable secret ballot' in form.content.decode()
    polls_before = Poll.objects.count()
    response = _open_through_the_page(fed, [fed.bob, fed.carol, dave], seats=2)
    delegate_election = DelegateElection.objects.get(body=fed.north)
    election = delegate_election.election
    assert election is not None
    assert response.status_code == 302
    assert response["Location"] == reverse("elections:detail", args=[fed.north.slug, election.pk])
    # One approval election, voting already open, the candidates standing as named; no polls.
    assert Poll.objects.count() == polls_before
    assert (election.method, election.secrecy, election.seats) == ("approval", "verifiable", 2)
    assert election.is_voting and election.purpose == f"delegation:{delegate_election.pk}"
    assert set(Candidate.objects.filter(election=election).values_list("status", flat=True)) == {
        "accepted"
    }
    assert all(c.poll_id is None and c.vote_id is None for c in delegate_election.candidacies.all())
    nominated = _entries(fed.north, "election.nominated")
    assert len(nominated) == 3 and all(e["named"] and not e["consented"] for e in nominated)
    opened = _entries(fed.federation, "delegate.election_opened")[-1]
    assert opened["verifiable_election"] == election.pk

    # The assembly's coordination page links the election and its verifiable pages.
    page = fed.client(fed.bob).get(reverse("coordination:body", args=[fed.north.slug]))
    text = page.content.decode()
    assert reverse("elections:detail", args=[fed.north.slug, election.pk]) in text
    assert url(election, "vote") in text and url(election, "board") in text
    assert "by verifiable secret ballot" in text
    spanish = fed.client(fed.bob, "es").get(reverse("coordination:body", args=[fed.north.slug]))
    assert "por voto secreto verificable" in spanish.content.decode()
    assert "Ir a la elección" in spanish.content.decode()

    trustees = _ceremony(fed, election, [fed.alice, fed.bob, fed.carol], threshold=2, plain=True)
    voters = _register_and_open(fed, election, [fed.alice, fed.bob, fed.carol])
    positions = dict(Candidate.objects.filter(election=election).values_list("person", "position"))
    assert positions == {fed.bob.pk: 0, fed.carol.pk: 1, dave.pk: 2}  # Bob, Carol, Dave
    # Approvals: bob 2, carol 4, dave 1 (dave's ballot is an ordinary one, counted apart).
    for person, marks in ((fed.alice, [1, 1, 0]), (fed.bob, [1, 1, 0]), (fed.carol, [0, 1, 0])):
        response = voters[person].cast_marks(marks)
        assert response.status_code == 200, response.content
    plain = reverse("elections:cast", args=[fed.north.slug, election.pk])
    assert fed.client(dave).post(plain, {"mark": ["1", "2"]}).status_code == 303

    # Nothing is settled while the trustees have not decrypted.
    assert fed.client(fed.alice).post(url(election, "close_voting")).status_code == 302
    assert trustees[0].decrypt().status_code == 200
    delegate_election.refresh_from_db()
    assert delegate_election.state == "open" and not Delegation.objects.filter(body=fed.north)
    assert trustees[1].decrypt().json()["result"] is True

    election.refresh_from_db()
    delegate_election.refresh_from_db()
    assert election.is_closed and election.result["trace"]["votes"] == [2, 4, 1]
    assert election.result["ordinary_votes"] == [0, 1, 1]
    assert delegate_election.state == "closed" and delegate_election.closed_at is not None
    approvals = dict(delegate_election.candidacies.values_list("person", "approvals"))
    assert approvals == {fed.bob.pk: 2, fed.carol.pk: 4, dave.pk: 1}
    elected = set(
        delegate_election.candidacies.filter(elected=True).values_list("person", flat=True)
    )
    assert elected == {fed.bob.pk, fed.carol.pk}
    delegations = Delegation.objects.filter(body=fed.north, coordination=fed.federation)
    assert {d.person_id for d in delegations} == elected
    assert all(d.election_id == delegate_election.pk and d.is_active() for d in delegations)
    # The seats agree with the election's own count.
    winners = {p for p, pos in positions.items() if pos in election.result["winners"]}
    assert winners == elected
    # The new delegate takes North's empty seat in the open delegates' vote.
    north_seat.refresh_from_db()
    assert north_seat.delegation is not None and north_seat.delegation.person_id in elected

    for body in (fed.north, fed.federation):
        entry = _entries(body, "delegate.elected")[-1]
        assert entry["approvals"] == {str(fed.bob.pk): 2, str(fed.carol.pk): 4, str(dave.pk): 1}
        assert sorted(entry["elected"]) == sorted(elected)
        assert entry["verifiable_election"] == election.pk and entry["draws"] == []
        assert verify_chain(body.ledger_chain).ok

    # A replayed close, or the signal sent again, changes nothing.
    before = (LedgerEntry.objects.count(), Delegation.objects.count())
    with pytest.raises(Conflict):
        elections.election_close_verified(None, election, counted=[0, 0, 3], ballots=3, details={})
    on_election_closed(Election, election=election)
    assert (LedgerEntry.objects.count(), Delegation.objects.count()) == before
    assert dict(delegate_election.candidacies.values_list("person", "approvals")) == approvals

    # The seated delegate can be recalled as any delegate.
    delegation = delegations.get(person=fed.bob)
    recall = actions.recall_open(dave, delegation)
    for voter in (fed.alice, fed.bob, fed.carol, dave):
        ballot_cast(voter, recall.poll, choice="yes")
    poll_close(fed.alice, recall.poll)  # everyone voted: it may close now
    delegation.refresh_from_db()
    assert delegation.recalled_at is not None and delegation.recall_poll_id == recall.poll_id
    assert _entries(fed.federation, "delegate.recalled")[-1]["delegate"] == fed.bob.pk


@pytest.mark.django_db
def test_a_tie_for_the_last_seat_falls_as_on_the_elections_result(fed, dave):
    delegate_election = actions.election_open(
        fed.alice,
        fed.north,
        fed.federation,
        candidates=[dave, fed.bob, fed.carol],
        seats=1,
        term_days=30,
        secrecy="verifiable",
    )
    election = delegate_election.election
    trustees = _ceremony(fed, election, [fed.alice], threshold=1)
    voters = _register_and_open(fed, election, [fed.bob, fed.carol])
    assert voters[fed.bob].cast_marks([1, 0, 0]).status_code == 200  # Bob
    assert voters[fed.carol].cast_marks([0, 1, 0]).status_code == 200  # Carol
    fed.client(fed.alice).post(url(election, "close_voting"))
    assert trustees[0].decrypt().json()["result"] is True
    election.refresh_from_db()
    trace = election.result["trace"]
    assert trace["votes"] == [1, 1, 0] and len(trace["draws"]) >= 1
    [winner] = election.result["winners"]
    seated = Delegation.objects.get(body=fed.north)
    assert seated.person_id == election.candidates.get(position=winner).person_id
    entry = _entries(fed.north, "delegate.elected")[-1]
    assert entry["elected"] == [seated.person_id] and entry["draws"]
    assert entry["approvals"][str(dave.pk)] == 0


@pytest.mark.django_db
def test_a_cancelled_verifiable_delegate_election_elects_nobody(fed, dave):
    delegate_election = actions.election_open(
        fed.alice,
        fed.north,
        fed.federation,
        candidates=[fed.bob, fed.carol],
        seats=1,
        term_days=30,
        secrecy="verifiable",
    )
    election = delegate_election.election
    _ceremony(fed, election, [fed.alice, fed.bob], threshold=1)
    # A member cannot cancel it; the facilitator can.
    assert fed.client(fed.bob).post(url(election, "cancel")).status_code == 403
    delegate_election.refresh_from_db()
    assert delegate_election.state == "open"
    assert fed.client(fed.alice).post(url(election, "cancel")).status_code == 302
    election.refresh_from_db()
    delegate_election.refresh_from_db()
    assert election.is_closed and election.result["valid"] is False
    assert delegate_election.state == "closed"
    assert not Delegation.objects.filter(body=fed.north).exists()
    assert not delegate_election.candidacies.filter(elected=True).exists()
    for body in (fed.north, fed.federation):
        [entry] = _entries(body, "delegate.election_cancelled")
        assert entry["elected"] == [] and entry["verifiable_election"] == election.pk
        assert entry["election"] == delegate_election.pk
        assert not _entries(body, "delegate.elected")
    ledger = fed.client(fed.bob, "es").get(reverse("bodies:ledger", args=[fed.north.slug]))
    assert "se canceló su elección verificable" in ledger.content.decode()
    # Cancelling again is refused and changes nothing.
    before = LedgerEntry.objects.count()
    assert fed.client(fed.alice).post(url(election, "cancel")).status_code == 409
    assert LedgerEntry.objects.count() == before


@pytest.mark.django_db
def test_cancelled_before_its_trustees_are_chosen_it_elects_nobody_too(fed, dave):
    delegate_election = actions.election_open(
        fed.alice,
        fed.north,
        fed.federation,
        candidates=[fed.bob],
        seats=1,
        term_days=30,
        secrecy="verifiable",
    )
    assert not VerifiableVote.objects.filter(for_election=delegate_election.election).exists()
    assert fed.client(fed.alice).post(url(delegate_election.election, "cancel")).status_code == 302
    delegate_election.refresh_from_db()
    assert delegate_election.state == "closed"
    assert _entries(fed.federation, "delegate.election_cancelled")
    assert not Delegation.objects.filter(body=fed.north).exists()


@pytest.mark.django_db
def test_a_coordinating_body_cannot_elect_its_delegates_by_verifiable_ballot(fed):
    nation = actions.coordination_create(
        fed.cora, name="Nation", kind="national_coordination", visibility="public"
    )
    affiliate(fed.federation, nation)
    with pytest.raises(Refused) as refused:
        actions.election_open(
            fed.cora,
            fed.federation,
            nation,
            candidates=[fed.cora],
            seats=1,
            term_days=30,
            secrecy="verifiable",
        )
    assert refused.value.code == "verifiable_not_for_coordination"
    # The page does not offer the choice to a coordination; a posted one is refused, translated.
    page = fed.client(fed.cora).get(reverse("coordination:body", args=[fed.federation.slug]))
    assert 'type="hidden" name="secrecy"' in page.content.decode()
    data = {
        "coordination": nation.slug,
        "candidates": [fed.cora.pk],
        "seats": 1,
        "term_days": 30,
        "secrecy": "verifiable",
    }
    election_url = reverse(OPEN, args=[fed.federation.slug])
    for language, words in (("es", "público por diseño"), ("en", "public by design")):
        response = fed.client(fed.cora, language).post(election_url, data)
        assert response.status_code == 400
        assert words in response.content.decode()
    assert not DelegateElection.objects.exists() and not Election.objects.exists()
    # The ordinary path stays: delegates' votes.
    response = fed.client(fed.cora).post(election_url, data | {"secrecy": "secret"})
    assert response.status_code == 302
    assert Candidacy.objects.get(person=fed.cora).vote is not None


@pytest.mark.django_db
def test_only_a_facilitator_opens_it_and_bad_settings_change_nothing(fed, dave):
    url_open = reverse(OPEN, args=[fed.north.slug])
    data = {
        "coordination": fed.federation.slug,
        "candidates": [fed.bob.pk],
        "seats": 1,
        "term_days": 30,
        "secrecy": "verifiable",
    }
    assert fed.client(fed.bob).post(url_open, data).status_code == 403
    assert fed.client(fed.olivia).post(url_open, data).status_code == 403
    # North is members-only: who may not read it is not told it exists.
    assert fed.client(fed.frank).post(url_open, data).status_code == 404
    assert fed.client(fed.oscar).post(url_open, data).status_code == 404
    anonymous = fed.client(None).post(url_open, data)
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    with pytest.raises(NotAllowed):
        actions.election_open(
            fed.bob,
            fed.north,
            fed.federation,
            candidates=[fed.bob],
            seats=1,
            term_days=30,
            secrecy="verifiable",
        )
    # A closing time: refused (its facilitator closes the ballot box), in Spanish too.
    tomorrow = timezone.localtime() + timedelta(days=1)
    response = _open_through_the_page(
        fed, [fed.bob], seats=1, language="es", closes_at=tomorrow.strftime("%Y-%m-%dT%H:%M")
    )
    assert response.status_code == 400
    assert "no tiene hora de cierre" in response.content.decode()
    # An unknown secrecy, a candidate who is not a member, more seats than candidates.
    assert _open_through_the_page(fed, [fed.bob], seats=1, secrecy="named").status_code == 400
    with pytest.raises(Refused):
        actions.election_open(
            fed.alice, fed.north, fed.federation, candidates=[fed.oscar], seats=1, term_days=30,
            secrecy="verifiable",
        )  # fmt: skip
    with pytest.raises(Refused):
        actions.election_open(
            fed.alice, fed.north, fed.federation, candidates=[fed.bob], seats=2, term_days=30,
            secrecy="verifiable",
        )  # fmt: skip
    assert not DelegateElection.objects.exists() and not Election.objects.exists()
    assert not LedgerEntry.objects.filter(kind__startswith="election.").exists()
    assert CoordinationVote.objects.count() == 0
