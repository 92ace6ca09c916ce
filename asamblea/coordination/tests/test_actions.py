"""Coordination actions, called directly: joining, delegates, mandates, delegate votes,
forwarding and solidarity."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.coordination import actions
from asamblea.coordination import queries as coordination_queries
from asamblea.coordination.actions import delegates
from asamblea.coordination.models import (
    Affiliation,
    AffiliationRequest,
    Delegation,
    Forward,
    ForwardVote,
    Seat,
    Solidarity,
)
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.ledger.sentences import Reader, describe
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Motion
from asamblea.testing import affiliate, join, make_delegate, make_person
from asamblea.voting.actions import ballot_cast, close_due_polls, poll_close, poll_open
from asamblea.voting.models import Poll


def _kinds(body):
    return list(LedgerEntry.objects.filter(chain=body.ledger_chain).values_list("kind", flat=True))


def _adopt(facilitator, body, motion):
    """The assembly adopts ``motion`` by an ordinary vote: every member votes yes."""
    poll = poll_open(facilitator, body, motion=motion, secrecy="named")
    for eligibility in poll.eligibilities.select_related("person"):
        ballot_cast(eligibility.person, poll, choice="yes")
    return poll_close(facilitator, poll)


def _coord(fed, **fields):
    fields.setdefault("visibility", "public")
    return actions.coordination_create(fed.cora, **fields)


def _pass(facilitator, poll):
    """Every eligible member votes yes on ``poll``, which is then closed."""
    for eligibility in poll.eligibilities.select_related("person"):
        ballot_cast(eligibility.person, poll, choice="yes")
    return poll_close(facilitator, poll)


def _agenda(fed, title="Huelga general"):
    """A motion on the Federation's agenda: North adopts it and its members vote to forward it
    (the statute's default rule; threshold 1)."""
    origin = motion_submit(fed.bob, fed.north, title=title, text="Convocar")
    _adopt(fed.alice, fed.north, origin)
    _pass(fed.alice, actions.motion_forward(fed.bob, origin, fed.federation).poll)
    return Forward.objects.get(origin=origin, coordination=fed.federation).agenda_motion


# --- Joining and leaving ---------------------------------------------------------------------


def test_an_assembly_joins_by_its_own_vote_and_the_coordinations_acceptance(fed):
    region = _coord(fed, name="Region", kind="regional_coordination")
    request = actions.affiliation_propose(fed.bob, fed.north, region, direction="join")
    assert request.motion.body == fed.north
    with pytest.raises(Conflict):  # the assembly has not decided yet
        actions.affiliation_decide(fed.cora, request, accept=True)
    _adopt(fed.alice, fed.north, request.motion)
    request.refresh_from_db()
    assert request.state == AffiliationRequest.State.DECIDED
    with pytest.raises(NotAllowed):  # alice facilitates North, not the Region
        actions.affiliation_decide(fed.alice, request, accept=True)
    actions.affiliation_decide(fed.cora, request, accept=True)
    assert Affiliation.objects.filter(member=fed.north, coordination=region).exists()
    for body in (fed.north, region):
        assert "affiliation.accepted" in _kinds(body)
        assert "affiliation.assembly_decided" in _kinds(body)
        assert verify_chain(body.ledger_chain).ok
    with pytest.raises(Conflict):
        actions.affiliation_decide(fed.cora, request, accept=True)


def test_an_assembly_that_votes_no_does_not_join(fed):
    region = _coord(fed, name="Region", kind="regional_coordination")
    request = actions.affiliation_propose(fed.bob, fed.north, region, direction="join")
    poll = poll_open(fed.alice, fed.north, motion=request.motion, secrecy="named")
    ballot_cast(fed.bob, poll, choice="no")
    poll_close(fed.alice, poll)
    request.refresh_from_db()
    assert request.state == AffiliationRequest.State.DROPPED
    assert not Affiliation.objects.filter(member=fed.north, coordination=region).exists()


def test_automatic_admission_accepts_once_the_assembly_decides(fed):
    region = _coord(fed, name="Open region", kind="regional_coordination", admission="automatic")
    request = actions.affiliation_propose(fed.bob, fed.north, region, direction="join")
    _adopt(fed.alice, fed.north, request.motion)
    request.refresh_from_db()
    assert request.state == AffiliationRequest.State.ACCEPTED
    assert Affiliation.objects.filter(member=fed.north, coordination=region).exists()


def test_leaving_takes_effect_when_the_assembly_decides_and_ends_its_delegations(fed):
    """The coordination's facilitator cannot hold a decision to leave back, not even by
    never answering: it takes effect with the assembly's vote."""
    request = actions.affiliation_propose(fed.bob, fed.north, fed.federation, direction="leave")
    _adopt(fed.alice, fed.north, request.motion)
    request.refresh_from_db()
    assert request.state == AffiliationRequest.State.ACCEPTED
    with pytest.raises(Conflict):  # nothing left to refuse
        actions.affiliation_decide(fed.cora, request, accept=False)
    assert not Affiliation.objects.filter(
        member=fed.north, coordination=fed.federation, left_at__isnull=True
    ).exists()
    assert not Delegation.objects.get(person=fed.carol).is_active()


def test_a_cycle_is_refused(fed):
    nation = _coord(fed, name="Nation", kind="national_coordination")
    affiliate(fed.federation, nation)
    sub = _coord(fed, name="Sub", kind="district_coordination")
    affiliate(nation, sub)  # nation is now a member of sub
    join(fed.bob, sub)
    with pytest.raises(Refused) as refused:
        actions.affiliation_propose(fed.cora, sub, fed.federation, direction="join")
    assert refused.value.code == "cycle"


def test_one_assembly_belongs_to_several_coordinations(fed):
    sector = _coord(fed, name="Sector", kind="sector_federation")
    affiliate(fed.north, sector)
    assert set(
        Affiliation.objects.filter(member=fed.north).values_list("coordination__name", flat=True)
    ) == {"Federation", "Sector"}


def test_only_members_propose_joining(fed):
    region = _coord(fed, name="Region", kind="regional_coordination")
    for person in (fed.olivia, fed.frank, fed.oscar):
        with pytest.raises(NotAllowed):
            actions.affiliation_propose(person, fed.north, region, direction="join")
    with pytest.raises(Refused):
        actions.affiliation_propose(fed.bob, fed.north, region, direction="sideways")
    with pytest.raises(Conflict):
        actions.affiliation_propose(fed.bob, fed.north, fed.federation, direction="join")


def test_a_private_coordination_cannot_be_joined_by_outsiders(fed):
    secret = actions.coordination_create(
        fed.cora, name="Secret", kind="sector_federation", visibility="members"
    )
    with pytest.raises(NotAllowed):
        actions.affiliation_propose(fed.bob, fed.north, secret, direction="join")


# --- Delegates -------------------------------------------------------------------------------


def test_several_seats_are_filled_by_approval_voting(fed):
    dave = make_person("dave")
    join(dave, fed.north)
    Delegation.objects.all().delete()
    election = actions.election_open(
        fed.alice,
        fed.north,
        fed.federation,
        candidates=[fed.bob, fed.carol, dave],
        seats=2,
        term_days=90,
    )
    polls = {c.person_id: c.poll for c in election.candidacies.all()}
    votes = {  # approvals: bob 2, carol 3, dave 1
        fed.alice: {"bob": "yes", "carol": "yes", "dave": "no"},
        fed.bob: {"bob": "yes", "carol": "yes", "dave": "yes"},
        fed.carol: {"bob": "no", "carol": "yes", "dave": "no"},
        dave: {"bob": "abstain", "carol": "abstain", "dave": "abstain"},
    }
    people = {"bob": fed.bob, "carol": fed.carol, "dave": dave}
    for voter, choices in votes.items():
        for name, choice in choices.items():
            ballot_cast(voter, polls[people[name].pk], choice=choice)
    for poll in polls.values():
        poll_close(fed.alice, poll)
    elected = set(
        Delegation.objects.filter(body=fed.north).values_list("person__username", flat=True)
    )
    assert elected == {"bob", "carol"}
    assert "delegate.elected" in _kinds(fed.federation)


def test_candidates_must_be_members(fed):
    with pytest.raises(Refused):
        actions.election_open(
            fed.alice, fed.north, fed.federation, candidates=[fed.oscar], seats=1, term_days=30
        )
    with pytest.raises(NotAllowed):
        actions.election_open(
            fed.bob, fed.north, fed.federation, candidates=[fed.bob], seats=1, term_days=30
        )
    with pytest.raises(Refused):
        actions.election_open(
            fed.alice, fed.north, fed.federation, candidates=[fed.bob], seats=2, term_days=30
        )


def test_a_recall_removes_the_delegates_vote_at_once_even_in_an_open_vote(fed):
    motion = _agenda(fed)
    vote = actions.vote_open(fed.cora, fed.federation, motion)
    actions.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    actions.delegate_cast(fed.frank, vote, fed.south, choice="no")
    assert coordination_queries.seat_votes(vote)[0].choice in ("yes", "no")
    delegation = Delegation.objects.get(person=fed.carol)
    recall = actions.recall_open(fed.bob, delegation)  # a plain member calls the vote
    with pytest.raises(Conflict):
        actions.recall_open(fed.bob, delegation)
    for person in (fed.alice, fed.bob):
        ballot_cast(person, recall.poll, choice="yes")
    _reach_closing_time(recall.poll)
    assert close_due_polls() == 1  # it closes by itself on time
    delegation.refresh_from_db()
    assert delegation.recalled_at is not None
    north_seat = Seat.objects.get(vote=vote, body=fed.north)
    assert north_seat.delegation is None and north_seat.vacated and not north_seat.choice
    with pytest.raises(NotAllowed):
        actions.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    # A new delegate elected while the vote is open takes the empty seat.
    new = make_delegate(fed.bob, fed.north, fed.federation)
    delegates._fill_vacant_seats(new)
    actions.delegate_cast(fed.bob, vote, fed.north, choice="no")
    vote = actions.vote_close(fed.cora, vote)
    assert vote.result["no"] == "2" and not vote.result["adopted"]
    assert "delegate.recalled" in _kinds(fed.north)


def test_a_recall_voted_down_keeps_the_delegate(fed):
    delegation = Delegation.objects.get(person=fed.carol)
    recall = actions.recall_open(fed.bob, delegation)
    ballot_cast(fed.alice, recall.poll, choice="no")
    ballot_cast(fed.bob, recall.poll, choice="yes")
    ballot_cast(fed.carol, recall.poll, choice="no")
    poll_close(fed.alice, recall.poll)  # everyone has voted: no need to wait
    delegation.refresh_from_db()
    assert delegation.recalled_at is None


def _reach_closing_time(poll):
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(seconds=1))


def test_a_recall_closes_at_the_time_fixed_by_the_statute_when_it_opened(fed):
    actions.statute_set(
        fed.cora,
        fed.federation,
        weighting="body",
        forward_threshold=1,
        admission="facilitators",
        quorum_percent=50,
        majority="simple",
        recall_hours=48,
    )
    delegation = Delegation.objects.get(person=fed.carol)
    before = timezone.now()
    recall = actions.recall_open(fed.bob, delegation)
    assert timedelta(hours=47) < recall.poll.closes_at - before <= timedelta(hours=48, seconds=5)


def test_the_default_recall_time_is_72_hours(fed):
    recall = actions.recall_open(fed.bob, Delegation.objects.get(person=fed.carol))
    hours = (recall.poll.closes_at - recall.poll.opened_at) / timedelta(hours=1)
    assert 71.99 < hours <= 72.01


def test_a_delegate_who_is_the_only_facilitator_cannot_block_their_own_recall(fed):
    """alice is North's only facilitator and its delegate: members recall her anyway."""
    alice_seat = make_delegate(fed.alice, fed.north, fed.federation)
    recall = actions.recall_open(fed.bob, alice_seat)
    ballot_cast(fed.bob, recall.poll, choice="yes")
    ballot_cast(fed.carol, recall.poll, choice="yes")
    with pytest.raises(NotAllowed):
        poll_close(fed.alice, recall.poll)  # not hers to close, even early
    ballot_cast(fed.alice, recall.poll, choice="no")
    with pytest.raises(NotAllowed):
        poll_close(fed.alice, recall.poll)  # not even once everyone has voted
    _reach_closing_time(recall.poll)
    with pytest.raises(NotAllowed):
        poll_close(fed.alice, recall.poll)  # nor after its time: it closes by itself
    assert close_due_polls() == 1
    alice_seat.refresh_from_db()
    assert alice_seat.recalled_at is not None
    assert "delegate.recalled" in _kinds(fed.north)


def test_nobody_closes_a_recall_early_while_members_can_still_vote(fed):
    recall = actions.recall_open(fed.bob, Delegation.objects.get(person=fed.carol))
    ballot_cast(fed.bob, recall.poll, choice="yes")
    with pytest.raises(Conflict):
        poll_close(fed.alice, recall.poll)  # a facilitator friendly to the delegate
    recall.poll.refresh_from_db()
    assert recall.poll.is_open


def test_a_due_recall_closes_on_the_next_visit_of_the_body_pages(fed):
    recall = actions.recall_open(fed.bob, Delegation.objects.get(person=fed.carol))
    ballot_cast(fed.alice, recall.poll, choice="yes")
    ballot_cast(fed.bob, recall.poll, choice="yes")
    _reach_closing_time(recall.poll)
    page = fed.client(fed.bob).get(reverse("coordination:body", args=[fed.north.slug]))
    assert page.status_code == 200
    recall.poll.refresh_from_db()
    assert not recall.poll.is_open
    assert Delegation.objects.get(person=fed.carol).recalled_at is not None


def test_observers_and_outsiders_cannot_recall(fed):
    delegation = Delegation.objects.get(person=fed.carol)
    for person in (fed.olivia, fed.oscar, fed.frank, fed.cora):
        with pytest.raises(NotAllowed):
            actions.recall_open(person, delegation)


# --- Mandates and the delegates' vote --------------------------------------------------------


def test_divergence_is_flagged_and_a_vote_against_a_binding_mandate_is_refused(fed):
    motion = _agenda(fed)
    actions.mandate_set(fed.alice, fed.north, motion, position="for", binding=False)
    actions.mandate_set(fed.frank, fed.south, motion, position="against", binding=True)
    vote = actions.vote_open(fed.cora, fed.federation, motion)
    north = actions.delegate_cast(fed.carol, vote, fed.north, choice="no")
    with pytest.raises(Refused) as refused:
        actions.delegate_cast(fed.frank, vote, fed.south, choice="yes")
    assert refused.value.code == "binding_mandate"
    assert not Seat.objects.get(vote=vote, body=fed.south).has_voted  # never silently rewritten
    south = actions.delegate_cast(fed.frank, vote, fed.south, choice="no")
    assert north.choice == "no" and north.mandate == "for"
    assert south.choice == "no" and south.requested == "no" and south.binding
    vote = actions.vote_close(fed.cora, vote)
    assert vote.result["divergent"] == 1
    assert "coordination.decided" in _kinds(fed.north)


def test_where_the_statute_allows_divergence_it_is_recorded_and_reported_to_the_base(fed):
    actions.statute_set(
        fed.cora,
        fed.federation,
        weighting="body",
        forward_threshold=1,
        admission="facilitators",
        quorum_percent=50,
        majority="simple",
        divergence_allowed=True,
    )
    motion = _agenda(fed)
    actions.mandate_set(fed.frank, fed.south, motion, position="against", binding=True)
    vote = actions.vote_open(fed.cora, fed.federation, motion)
    seat = actions.delegate_cast(fed.frank, vote, fed.south, choice="yes")
    assert seat.choice == "yes" and seat.mandate == "against" and seat.binding
    assert "coordination.delegate_diverged" in _kinds(fed.south)
    entry = LedgerEntry.objects.filter(
        chain=fed.federation.ledger_chain, kind="coordination.delegate_voted"
    ).last()
    assert json.loads(entry.payload)["diverges"] is True


def test_a_mandate_decided_by_the_members_vote(fed):
    motion = _agenda(fed)
    mandate = actions.mandate_vote_open(fed.alice, fed.north, motion, binding=True)
    for person, choice in ((fed.alice, "no"), (fed.bob, "no"), (fed.carol, "yes")):
        ballot_cast(person, mandate.poll, choice=choice)
    poll_close(fed.alice, mandate.poll)
    mandate.refresh_from_db()
    assert mandate.position == "against"
    vote = actions.vote_open(fed.cora, fed.federation, motion)
    with pytest.raises(Refused):
        actions.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    seat = actions.delegate_cast(fed.carol, vote, fed.north, choice="no")
    assert seat.choice == "no"


def test_mandates_are_set_by_the_bodys_facilitators_only(fed):
    motion = _agenda(fed)
    for person in (fed.bob, fed.carol, fed.frank, fed.cora, fed.olivia):
        with pytest.raises(NotAllowed):
            actions.mandate_set(person, fed.north, motion, position="for", binding=False)
    with pytest.raises(Refused):
        actions.mandate_set(fed.alice, fed.north, motion, position="maybe", binding=False)


def test_a_delegate_acts_only_for_their_own_body(fed):
    motion = _agenda(fed)
    vote = actions.vote_open(fed.cora, fed.federation, motion)
    with pytest.raises(NotAllowed):
        actions.delegate_cast(fed.carol, vote, fed.south, choice="yes")
    for person in (fed.alice, fed.bob, fed.oscar, fed.cora):
        with pytest.raises(NotAllowed):
            actions.delegate_cast(person, vote, fed.north, choice="yes")
    actions.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    with pytest.raises(Conflict):
        actions.delegate_cast(fed.carol, vote, fed.north, choice="no")
    with pytest.raises(Refused):
        actions.delegate_cast(fed.frank, vote, fed.south, choice="maybe")


def test_a_facilitator_of_a_member_assembly_has_no_power_in_the_coordination(fed):
    motion = _agenda(fed)
    with pytest.raises(NotAllowed):
        actions.vote_open(fed.alice, fed.federation, motion)
    with pytest.raises(NotAllowed):
        actions.consultation_open(
            fed.alice,
            fed.federation,
            motion,
            rule="head_count",
            deadline=timezone.now() + timedelta(days=1),
        )
    vote = actions.vote_open(fed.cora, fed.federation, motion)
    with pytest.raises(NotAllowed):
        actions.vote_close(fed.alice, vote)
    with pytest.raises(NotAllowed):
        actions.statute_set(
            fed.frank,
            fed.federation,
            weighting="body",
            forward_threshold=1,
            admission="automatic",
            quorum_percent=10,
            majority="simple",
        )


def test_weighted_votes_use_the_membership_frozen_at_opening(fed):
    actions.statute_set(
        fed.cora,
        fed.federation,
        weighting="membership",
        forward_threshold=1,
        admission="facilitators",
        quorum_percent=50,
        majority="simple",
    )
    motion = _agenda(fed)
    vote = actions.vote_open(fed.cora, fed.federation, motion)  # North 3 voters, South 1
    for name in ("sam", "sue", "sol"):  # South grows after opening: no effect on this vote
        join(make_person(name), fed.south)
    actions.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    actions.delegate_cast(fed.frank, vote, fed.south, choice="no")
    vote = actions.vote_close(fed.cora, vote)
    assert (vote.result["yes"], vote.result["no"], vote.result["electorate"]) == ("3", "1", "4")
    assert vote.result["adopted"]


def test_split_votes_cast_the_bases_counts(fed):
    actions.statute_set(
        fed.cora,
        fed.federation,
        weighting="split",
        forward_threshold=1,
        admission="facilitators",
        quorum_percent=50,
        majority="simple",
    )
    for name in ("sam", "sue", "sol"):
        join(make_person(name), fed.south)
    motion = _agenda(fed)
    vote = actions.vote_open(fed.cora, fed.federation, motion)  # North 3, South 4
    with pytest.raises(Refused):
        actions.delegate_cast(fed.carol, vote, fed.north, split=(3, 1, 0))
    with pytest.raises(Refused):
        actions.delegate_cast(fed.carol, vote, fed.north, split=("x", 1, 0))
    actions.delegate_cast(fed.carol, vote, fed.north, split=(1, 2, 0))
    actions.delegate_cast(fed.frank, vote, fed.south, split=(3, 0, 1))
    vote = actions.vote_close(fed.cora, vote)
    assert (vote.result["yes"], vote.result["no"], vote.result["abstain"]) == ("4", "2", "1")


def test_a_vote_needs_a_motion_on_the_agenda(fed):
    pending = Motion.objects.create(body=fed.federation, number=99, title="t", text="x")
    with pytest.raises(Conflict):
        actions.vote_open(fed.cora, fed.federation, pending)
    assembly_motion = motion_submit(fed.bob, fed.north, title="t", text="x")
    with pytest.raises(NotAllowed):
        actions.vote_open(fed.cora, fed.federation, assembly_motion)
    with pytest.raises(Refused):
        actions.vote_open(fed.alice, fed.north, assembly_motion)


def test_ordinary_polls_cannot_be_opened_in_a_coordination(fed):
    with pytest.raises(Refused):
        poll_open(fed.cora, fed.federation, title="Q")


# --- Up and sideways -------------------------------------------------------------------------


def test_where_the_statute_lets_facilitators_forward_they_forward_and_back_at_once(fed):
    actions.statute_set(
        fed.cora,
        fed.federation,
        weighting="body",
        forward_threshold=2,
        admission="facilitators",
        quorum_percent=50,
        majority="simple",
        forward_decision="facilitator",
    )
    origin = motion_submit(fed.bob, fed.north, title="Agua", text="Agua para todos")
    with pytest.raises(Conflict):  # not adopted yet
        actions.motion_forward(fed.alice, origin, fed.federation)
    _adopt(fed.alice, fed.north, origin)
    forward = actions.motion_forward(fed.alice, origin, fed.federation)
    assert forward.agenda_motion is None
    with pytest.raises(Conflict):
        actions.motion_forward(fed.alice, origin, fed.federation)
    with pytest.raises(Conflict):
        actions.forward_back(fed.alice, forward, fed.north)
    with pytest.raises(NotAllowed):
        actions.forward_back(fed.carol, forward, fed.south)  # a delegate of North, not South
    actions.forward_back(fed.frank, forward, fed.south)
    forward.refresh_from_db()
    agenda = forward.agenda_motion
    assert agenda.body == fed.federation and agenda.state == Motion.State.SUPPORTED
    assert agenda.title == "Agua"
    assert "motion.forwarded" in _kinds(fed.north) and "motion.backed" in _kinds(fed.south)
    backed = LedgerEntry.objects.get(chain=fed.south.ledger_chain, kind="motion.backed")
    [line] = describe([backed], Reader(body=fed.south, names_visible=True))
    assert line.described and "South" in line.text and "Federation" in line.text
    with pytest.raises(NotAllowed):  # under that rule a member alone cannot forward
        other = motion_submit(fed.bob, fed.north, title="Luz", text="Luz")
        _adopt(fed.alice, fed.north, other)
        actions.motion_forward(fed.bob, other, fed.federation)


def _threshold(fed, n):
    actions.statute_set(
        fed.cora,
        fed.federation,
        weighting="body",
        forward_threshold=n,
        admission="facilitators",
        quorum_percent=50,
        majority="simple",
    )


def test_by_default_forwarding_and_backing_are_decided_by_the_members_vote(fed):
    _threshold(fed, 2)
    origin = motion_submit(fed.bob, fed.north, title="Agua", text="Agua para todos")
    _adopt(fed.alice, fed.north, origin)
    vote = actions.motion_forward(fed.bob, origin, fed.federation)  # a member puts it
    assert isinstance(vote, ForwardVote) and vote.poll.is_open and vote.poll.closes_at
    assert not Forward.objects.filter(origin=origin).exists()  # nobody forwarded it alone
    with pytest.raises(Conflict):  # one vote at a time, for the facilitator too
        actions.motion_forward(fed.alice, origin, fed.federation)
    _pass(fed.alice, vote.poll)
    forward = Forward.objects.get(origin=origin, coordination=fed.federation)
    assert forward.forwarded_by is None and forward.agenda_motion is None
    entry = LedgerEntry.objects.filter(chain=fed.north.ledger_chain, kind="motion.forwarded").get()
    assert json.loads(entry.payload)["poll"] == vote.poll.pk
    # South backs it by its own members' vote; then it is on the agenda.
    backing = actions.forward_back(fed.frank, forward, fed.south)
    assert isinstance(backing, ForwardVote) and backing.poll.body == fed.south
    with pytest.raises(NotAllowed):  # carol is North's, not South's
        actions.forward_back(fed.carol, forward, fed.south)
    _pass(fed.frank, backing.poll)
    forward.refresh_from_db()
    assert forward.agenda_motion is not None and forward.agenda_motion.title == "Agua"
    for body in (fed.north, fed.south, fed.federation):
        assert verify_chain(body.ledger_chain).ok


def test_a_forward_the_members_reject_is_not_sent(fed):
    origin = motion_submit(fed.bob, fed.north, title="Agua", text="Agua")
    _adopt(fed.alice, fed.north, origin)
    vote = actions.motion_forward(fed.bob, origin, fed.federation)
    for eligibility in vote.poll.eligibilities.select_related("person"):
        ballot_cast(eligibility.person, vote.poll, choice="no")
    poll_close(fed.alice, vote.poll)
    assert not Forward.objects.filter(origin=origin).exists()
    # The members may be asked again later.
    assert isinstance(actions.motion_forward(fed.carol, origin, fed.federation), ForwardVote)


def test_observers_and_outsiders_cannot_put_a_forward_to_the_vote(fed):
    origin = motion_submit(fed.bob, fed.north, title="Agua", text="Agua")
    _adopt(fed.alice, fed.north, origin)
    for person in (fed.olivia, fed.frank, fed.cora):
        with pytest.raises(NotAllowed):
            actions.motion_forward(person, origin, fed.federation)
    assert not ForwardVote.objects.exists()


def test_a_forward_vote_that_can_no_longer_apply_lapses_without_blocking_the_close(fed):
    origin = motion_submit(fed.bob, fed.north, title="Agua", text="Agua")
    _adopt(fed.alice, fed.north, origin)
    vote = actions.motion_forward(fed.bob, origin, fed.federation)
    Affiliation.objects.filter(member=fed.north).update(left_at=timezone.now())
    closed = _pass(fed.alice, vote.poll)
    assert closed.state == "closed"
    assert not Forward.objects.filter(origin=origin).exists()
    assert "motion.forward_lapsed" in _kinds(fed.north)


def test_solidarity_goes_to_sister_assemblies_only(fed):
    origin = motion_submit(fed.bob, fed.north, title="Solidaridad", text="Apoyo")
    _adopt(fed.alice, fed.north, origin)
    lonely = make_person("lonely")
    from asamblea.bodies.actions import body_create

    stranger = body_create(lonely, name="Stranger", kind="rural", visibility="public")
    with pytest.raises(Refused):
        actions.solidarity_send(fed.alice, origin, stranger)
    sent = actions.solidarity_send(fed.alice, origin, fed.south, note="Con vosotras")
    with pytest.raises(Conflict):
        actions.solidarity_send(fed.alice, origin, fed.south)
    with pytest.raises(NotAllowed):
        actions.solidarity_answer(fed.alice, sent, take_up=True)
    answered = actions.solidarity_answer(fed.frank, sent, take_up=True)
    assert answered.state == Solidarity.State.TAKEN_UP
    assert answered.motion.body == fed.south and answered.motion.title == "Solidaridad"
    with pytest.raises(Conflict):
        actions.solidarity_answer(fed.frank, sent, take_up=False)


def test_a_coordination_joins_another_by_its_delegates_vote(fed):
    nation = _coord(fed, name="Nation", kind="national_coordination")
    request = actions.affiliation_propose(fed.cora, fed.federation, nation, direction="join")
    vote = actions.vote_open(fed.cora, fed.federation, request.motion)
    actions.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    actions.delegate_cast(fed.frank, vote, fed.south, choice="yes")
    actions.vote_close(fed.cora, vote)
    request.refresh_from_db()
    assert request.state == AffiliationRequest.State.DECIDED
    actions.affiliation_decide(fed.cora, request, accept=True)
    assert Affiliation.objects.filter(member=fed.federation, coordination=nation).exists()


def test_a_coordinating_body_elects_its_delegates_by_its_own_delegates_vote(fed):
    nation = _coord(fed, name="Nation", kind="national_coordination")
    affiliate(fed.federation, nation)
    with pytest.raises(Refused):  # bob is neither a facilitator nor a delegate of the Federation
        actions.election_open(
            fed.cora, fed.federation, nation, candidates=[fed.bob], seats=1, term_days=30
        )
    election = actions.election_open(
        fed.cora, fed.federation, nation, candidates=[fed.cora, fed.carol], seats=1, term_days=30
    )
    votes = {c.person_id: c.vote for c in election.candidacies.all()}
    assert all(v is not None and v.coordination == fed.federation for v in votes.values())
    actions.delegate_cast(fed.carol, votes[fed.cora.pk], fed.north, choice="yes")
    actions.delegate_cast(fed.frank, votes[fed.cora.pk], fed.south, choice="yes")
    actions.delegate_cast(fed.carol, votes[fed.carol.pk], fed.north, choice="yes")
    actions.delegate_cast(fed.frank, votes[fed.carol.pk], fed.south, choice="no")
    for vote in votes.values():
        actions.vote_close(fed.cora, vote)
    delegation = Delegation.objects.get(body=fed.federation, coordination=nation)
    assert delegation.person == fed.cora and delegation.is_active()
    assert "delegate.elected" in _kinds(nation)


def test_a_delegates_vote_without_closing_time_closes_itself_when_due(fed):
    """No coordination facilitator can hold the delegates' decision open for ever."""
    from asamblea.voting.actions import DEFAULT_VOTE_DURATION

    vote = actions.vote_open(fed.cora, fed.federation, _agenda(fed))
    assert vote.closes_at > timezone.now() + DEFAULT_VOTE_DURATION - timedelta(minutes=1)
    actions.delegate_cast(fed.carol, vote, fed.north, choice="yes")
    assert actions.close_due() == 0
    type(vote).objects.filter(pk=vote.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    assert actions.close_due() >= 1
    vote.refresh_from_db()
    assert vote.state == "closed"
