"""Pledges through their actions: open, commit, withdraw, trigger, whole-assembly vote, lapse,
follow-through; every refusal changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from asamblea.bodies.actions import body_create
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.pledges import actions
from asamblea.pledges.models import Commitment, Pledge, PledgeAssembly
from asamblea.pledges.queries import evaluation, my_commitment
from asamblea.testing import affiliate, db_state, join, make_person
from asamblea.voting.actions import ballot_cast, poll_close

pytestmark = pytest.mark.django_db


def soon(hours: int = 48):
    return timezone.now() + timedelta(hours=hours)


def entries(body, kind):
    return [
        json.loads(e.payload)
        for e in LedgerEntry.objects.filter(chain=body.ledger_chain, kind=kind).order_by("seq")
    ]


def open_fed(fed, **thresholds):
    thresholds = thresholds or {"min_people": 3, "min_assemblies": 2}
    return actions.pledge_open(
        fed.cora, fed.federation, title="Paro el jueves", deadline=soon(), **thresholds
    )


def past_deadline(pledge):
    Pledge.objects.filter(pk=pledge.pk).update(deadline=timezone.now() - timedelta(minutes=1))
    pledge.refresh_from_db()
    return pledge


def test_a_coordination_pledge_concerns_every_assembly_under_it_frozen_at_opening(fed):
    pledge = open_fed(fed)
    scope = {row.body_id: row.members for row in PledgeAssembly.objects.filter(pledge=pledge)}
    assert scope == {fed.north.pk: 3, fed.south.pk: 1}  # voting members: not the observer
    [opened] = entries(fed.federation, "pledge.opened")
    assert opened["people"] == 3 and opened["assemblies"] == 2 and opened["scope"] == 2


def test_only_the_bodys_facilitator_opens_a_pledge(fed):
    for person, body in ((fed.alice, fed.federation), (fed.bob, fed.north), (fed.cora, fed.north)):
        before = db_state()
        with pytest.raises(NotAllowed):
            actions.pledge_open(person, body, title="x", deadline=soon(), min_people=1)
        assert db_state() == before
    assert actions.pledge_open(fed.alice, fed.north, title="x", deadline=soon(), min_percent=50)


@pytest.mark.parametrize(
    "bad",
    [
        {"title": "", "min_people": 1},
        {"title": "x" * 201, "min_people": 1},
        {"title": "ok", "text": "x" * 2001, "min_people": 1},
        {"title": "ok"},
        {"title": "ok", "min_people": 0},
        {"title": "ok", "min_percent": 101},
        {"title": "ok", "min_assemblies": 3},  # only two assemblies under the Federation
        {"title": "ok", "min_people": 1, "deadline": "past"},
        {"title": "ok", "min_people": 1, "deadline": "far"},
    ],
)
def test_bad_pledges_are_refused_and_change_nothing(fed, bad):
    deadline = {"past": timezone.now() - timedelta(hours=1), "far": soon(24 * 400)}.get(
        bad.pop("deadline", ""), soon()
    )
    before = db_state()
    with pytest.raises(Refused):
        actions.pledge_open(fed.cora, fed.federation, deadline=deadline, **bad)
    assert db_state() == before


def test_a_coordination_without_assemblies_cannot_open_one(fed):
    empty = body_create(fed.cora, name="Vacía", kind="regional_coordination")
    with pytest.raises(Conflict):
        actions.pledge_open(fed.cora, empty, title="x", deadline=soon(), min_people=1)


def test_it_triggers_exactly_when_the_thresholds_are_met_and_tells_everyone(fed):
    pledge = open_fed(fed)
    actions.commit(fed.bob, pledge)
    actions.commit(fed.carol, pledge)
    pledge.refresh_from_db()
    assert pledge.is_open  # two people, one assembly
    actions.commit(fed.frank, pledge)
    pledge.refresh_from_db()
    assert pledge.is_triggered and pledge.triggered_at is not None
    assert pledge.result == {"met": True, "people": 3, "assemblies": 2, "committed": 3}
    [triggered] = entries(fed.federation, "pledge.triggered")
    assert triggered["people"] == 3 and triggered["assemblies"] == 2
    # Another commitment after the trigger is welcome, and recorded nowhere.
    actions.commit(fed.alice, pledge)
    assert len(entries(fed.federation, "pledge.triggered")) == 1
    assert evaluation(pledge).people == 4


def test_observers_outsiders_and_other_bodies_cannot_commit(fed):
    pledge = actions.pledge_open(fed.alice, fed.north, title="x", deadline=soon(), min_people=5)
    for person in (fed.olivia, fed.oscar, fed.frank, fed.cora):
        before = db_state()
        with pytest.raises(NotAllowed):
            actions.commit(person, pledge)
        assert db_state() == before
    with pytest.raises(NotAllowed):
        actions.commit(fed.bob, pledge, assembly=fed.south)


def test_a_second_commitment_is_refused_and_a_withdrawal_needs_a_commitment(fed):
    pledge = open_fed(fed)
    actions.commit(fed.bob, pledge)
    before = db_state()
    with pytest.raises(Conflict):
        actions.commit(fed.bob, pledge)
    with pytest.raises(Conflict):
        actions.withdraw(fed.carol, pledge)
    assert db_state() == before


def test_a_member_withdraws_until_the_deadline_but_not_after(fed):
    pledge = open_fed(fed)
    actions.commit(fed.bob, pledge)
    actions.commit(fed.carol, pledge)
    actions.withdraw(fed.bob, pledge)
    assert my_commitment(fed.bob, pledge) is None
    assert my_commitment(fed.carol, pledge) is not None
    pledge = past_deadline(pledge)
    before = db_state()
    with pytest.raises(Conflict):
        actions.withdraw(fed.carol, pledge)
    with pytest.raises(Conflict):
        actions.commit(fed.bob, pledge)
    assert db_state() == before


def test_a_member_of_two_assemblies_chooses_where_to_count(fed):
    pledge = open_fed(fed)
    join(fed.bob, fed.south)
    actions.commit(fed.bob, pledge, assembly=fed.south)
    assert Commitment.objects.get(pledge=pledge).body_id == fed.south.pk


def test_an_unmet_pledge_lapses_at_its_deadline_once_and_everyone_is_told(fed):
    pledge = open_fed(fed)
    actions.commit(fed.bob, pledge)
    assert actions.settle_due() == 0
    past_deadline(pledge)
    assert actions.settle_due() == 1
    pledge.refresh_from_db()
    assert pledge.is_lapsed and pledge.sealed
    assert pledge.result == {"met": False, "people": 1, "assemblies": 1, "committed": 1}
    [lapsed] = entries(fed.federation, "pledge.lapsed")
    assert lapsed["people"] == 1
    assert actions.settle_due() == 0
    assert len(entries(fed.federation, "pledge.lapsed")) == 1


def test_the_next_page_visit_lapses_it_too(fed):
    pledge = past_deadline(open_fed(fed))
    assert actions.settle_if_due(pledge).is_lapsed


def test_an_assembly_commits_as_a_whole_by_its_members_vote(fed):
    pledge = open_fed(fed, min_people=4, min_percent=60)
    actions.commit(fed.frank, pledge)  # South: 1 of 1
    poll = actions.pledge_vote_open(fed.alice, pledge, fed.north)
    assert poll.body == fed.north and poll.is_secret and poll.closes_at <= pledge.deadline
    with pytest.raises(Conflict):
        actions.pledge_vote_open(fed.alice, pledge, fed.north)
    for person in (fed.alice, fed.bob):
        ballot_cast(person, poll, choice="yes")
    poll_close(fed.alice, poll)
    pledge.refresh_from_db()
    assert PledgeAssembly.objects.get(pledge=pledge, body=fed.north).whole
    assert pledge.is_triggered and pledge.result["people"] == 4  # North's 3 and frank
    assert entries(fed.north, "pledge.assembly_committed")
    with pytest.raises(Conflict):
        actions.pledge_vote_open(fed.alice, pledge, fed.north)


def test_a_rejected_or_late_whole_assembly_vote_commits_nobody(fed):
    pledge = open_fed(fed, min_people=10)
    poll = actions.pledge_vote_open(fed.alice, pledge, fed.north)
    ballot_cast(fed.bob, poll, choice="no")
    poll_close(fed.alice, poll)
    assert not PledgeAssembly.objects.get(pledge=pledge, body=fed.north).whole
    poll = actions.pledge_vote_open(fed.alice, pledge, fed.north)
    ballot_cast(fed.bob, poll, choice="yes")
    ballot_cast(fed.carol, poll, choice="yes")
    past_deadline(pledge)
    poll_close(fed.alice, poll)
    assert not PledgeAssembly.objects.get(pledge=pledge, body=fed.north).whole
    assert entries(fed.north, "pledge.assembly_too_late")


def test_only_a_facilitator_of_a_concerned_assembly_puts_it_to_the_vote(fed):
    pledge = actions.pledge_open(fed.alice, fed.north, title="x", deadline=soon(), min_people=5)
    for person, body in ((fed.bob, fed.north), (fed.frank, fed.south), (fed.frank, fed.north)):
        before = db_state()
        with pytest.raises(NotAllowed):
            actions.pledge_vote_open(person, pledge, body)
        assert db_state() == before


def test_the_follow_through_publishes_a_share_and_then_forgets_who_committed(fed):
    pledge = open_fed(fed, min_people=2)
    actions.commit(fed.bob, pledge)
    actions.commit(fed.carol, pledge)
    actions.commit(fed.frank, pledge)
    with pytest.raises(Conflict):
        actions.followup_open(fed.cora, pledge)  # before the deadline
    pledge = past_deadline(pledge)
    with pytest.raises(NotAllowed):
        actions.followup_open(fed.alice, pledge)
    actions.followup_open(fed.cora, pledge)
    with pytest.raises(Conflict):
        actions.followup_open(fed.cora, pledge)
    actions.followup_answer(fed.bob, pledge, kept=True)
    actions.followup_answer(fed.carol, pledge, kept=False)
    before = db_state()
    with pytest.raises(Conflict):
        actions.followup_answer(fed.bob, pledge, kept=False)
    with pytest.raises(NotAllowed):
        actions.followup_answer(fed.alice, pledge, kept=True)  # never committed
    assert db_state() == before
    pledge.refresh_from_db()
    assert (pledge.kept, pledge.not_kept) == (1, 1)
    holders = set(Commitment.objects.values_list("holder", flat=True))
    Pledge.objects.filter(pk=pledge.pk).update(followup_closes_at=timezone.now())
    assert actions.settle_due() == 1
    pledge.refresh_from_db()
    assert pledge.followup == Pledge.FollowUp.CLOSED
    [closed] = entries(fed.federation, "pledge.followup_closed")
    assert closed == {
        "pledge": pledge.pk,
        "kept": 1,
        "not_kept": 1,
        "commitments": 3,
        "share": 33,
    }
    assert Commitment.objects.filter(pledge=pledge).count() == 3
    assert not holders & set(Commitment.objects.values_list("holder", flat=True))
    assert my_commitment(fed.bob, pledge) is None
    with pytest.raises(Conflict):
        actions.followup_answer(fed.frank, pledge, kept=True)


def test_a_lapsed_pledge_has_no_follow_through(fed):
    pledge = past_deadline(open_fed(fed))
    actions.settle(pledge)
    with pytest.raises(Conflict):
        actions.followup_open(fed.cora, pledge)


def test_three_assemblies_and_the_percentage(fed):
    east = body_create(fed.cora, name="East", kind="district")
    affiliate(east, fed.federation)
    people = [make_person(f"e{i}") for i in range(4)]
    for person in people:
        join(person, east)
    pledge = open_fed(fed, min_assemblies=3, min_percent=50)
    actions.commit(fed.frank, pledge)
    actions.commit(fed.bob, pledge)
    actions.commit(fed.carol, pledge)
    actions.commit(people[0], pledge)
    actions.commit(people[1], pledge)
    pledge.refresh_from_db()
    # East: 2 of 5 members (cora founded it) is 40 %: not committing yet.
    assert pledge.is_open and evaluation(pledge).assemblies == 2
    actions.commit(people[2], pledge)
    pledge.refresh_from_db()
    assert pledge.is_triggered and pledge.result["assemblies"] == 3
