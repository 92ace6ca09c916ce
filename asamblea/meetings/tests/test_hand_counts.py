"""Hand counts beside phone votes in a meeting: nobody counts twice, participation never exceeds
the electorate, a count can always be corrected, and a vote and its meeting can always close.

The rule (docs/meetings.md): the hand count covers the people of the electorate who have *not*
voted on their phone; its maximum is the electorate minus the phone ballots at every moment."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.meetings import actions
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Motion
from asamblea.testing import join, make_person
from asamblea.voting.actions import (
    ballot_cast,
    close_due_polls,
    hand_count_attest,
    hand_count_record,
    poll_close,
    poll_close_without_count,
    poll_open,
)
from asamblea.voting.models import Poll
from asamblea.voting.queries import meeting_participation


@pytest.fixture
def room(cast):
    """An open meeting of North with six people present: alice (facilitator), erin (second
    facilitator), bob, carol, dora and ema."""
    meeting = actions.meeting_schedule(
        cast.alice, cast.north, title="Sábado", starts_at=timezone.now(), place="Local"
    )
    actions.meeting_open(cast.alice, meeting)
    erin = make_person("erin")
    join(erin, cast.north, "facilitator")
    extra = [make_person(name) for name in ("dora", "ema")]
    for person in extra:
        join(person, cast.north)
    for person in (cast.alice, erin, cast.bob, cast.carol, *extra):
        actions.check_in(person, meeting)
    meeting.refresh_from_db()
    return meeting, erin


def ledger_kinds(body):
    return list(
        LedgerEntry.objects.filter(chain=body.ledger_chain)
        .order_by("seq")
        .values_list("kind", flat=True)
    )


@pytest.mark.django_db
def test_reported_deadlock_hand_count_then_phone_vote_can_be_corrected_and_closed(cast, room):
    """The trial: 5 counted by hand, then one more phone vote, the count attested. Before the
    fix closing said "count again" and counting again said "already confirmed"."""
    meeting, erin = room
    poll = poll_open(cast.alice, cast.north, title="¿Marcha?", meeting=meeting)
    ballot_cast(cast.bob, poll, choice="yes")
    hand_count_record(cast.alice, poll, yes=3, no=2, abstain=0)  # the 5 without a vote
    ballot_cast(cast.carol, poll, choice="no")  # one of them votes on her phone too
    with pytest.raises(Conflict):
        hand_count_attest(erin, poll)  # 5 hands > 4 who have not voted: refused, not attested
    shown = meeting_participation(poll)
    assert shown["exceeds"] and shown["shown"] <= shown["electorate"] == 6
    with pytest.raises(Conflict) as refused:
        poll_close(cast.alice, poll)
    assert refused.value.code == "hand_count_exceeds"
    hand_count_record(cast.alice, poll, yes=2, no=2, abstain=0)  # the recount is accepted
    hand_count_attest(erin, poll)
    closed = poll_close(cast.alice, poll)
    assert closed.result["participants"] == 6 and closed.result["electronic"] == 2
    assert closed.result["yes"] == "3" and closed.result["no"] == "3"
    actions.meeting_close(cast.alice, meeting)  # and the meeting closes


@pytest.mark.django_db
def test_an_attested_count_can_still_be_corrected_before_the_vote_closes(cast, room):
    meeting, erin = room
    poll = poll_open(cast.alice, cast.north, title="Q", meeting=meeting)
    hand_count_record(cast.alice, poll, yes=6, no=0, abstain=0)
    hand_count_attest(erin, poll)
    ballot_cast(cast.bob, poll, choice="no")  # after the attestation
    with pytest.raises(Conflict):
        poll_close(cast.alice, poll)
    corrected = hand_count_record(erin, poll, yes=5, no=0, abstain=0)
    assert not corrected.is_attested  # a correction must be attested again
    hand_count_attest(cast.alice, poll)
    assert poll_close(cast.alice, poll).result["participants"] == 6
    entry = LedgerEntry.objects.filter(
        chain=cast.north.ledger_chain, kind="poll.hand_count_recorded"
    ).last()
    assert json.loads(entry.payload)["corrects"] == {"yes": 6, "no": 0, "abstain": 0}


@pytest.mark.django_db
def test_a_vote_closes_without_a_valid_count_and_nothing_is_adopted(cast, room):
    meeting, _erin = room
    motion = motion_submit(cast.bob, cast.north, title="Huelga", text="Hacer huelga.")
    Motion.objects.filter(pk=motion.pk).update(state=Motion.State.SUPPORTED)
    poll = poll_open(cast.alice, cast.north, motion=motion, meeting=meeting)
    for person in (cast.bob, cast.carol):
        ballot_cast(person, poll, choice="yes")
    with pytest.raises(Conflict):
        poll_close_without_count(
            cast.alice, poll, reason="no hands"
        )  # a valid vote cannot be annulled
    hand_count_record(cast.alice, poll, yes=4, no=0, abstain=0)  # nobody is there to attest
    with pytest.raises(Refused):
        poll_close_without_count(cast.alice, poll, reason="  ")  # a reason is required
    with pytest.raises(NotAllowed):
        poll_close_without_count(cast.bob, poll, reason="I say so")
    closed = poll_close_without_count(cast.alice, poll, reason="Nobody could attest the hands")
    assert closed.result["valid"] is False and closed.result["adopted"] is False
    assert closed.result["void_reason"] == "hand_count_unattested"
    assert closed.result["participants"] == 2 <= closed.result["electronic"] + 4
    motion.refresh_from_db()
    assert motion.state == Motion.State.SUPPORTED  # it waits for a new vote, never adopted
    entry = LedgerEntry.objects.filter(chain=cast.north.ledger_chain, kind="poll.closed").last()
    assert json.loads(entry.payload)["result"]["valid"] is False
    assert json.loads(entry.payload)["result"]["void_note"] == "Nobody could attest the hands"
    actions.meeting_close(cast.alice, meeting)


@pytest.mark.django_db
def test_a_due_vote_with_an_invalid_count_closes_itself_without_a_valid_count(cast, room):
    meeting, _erin = room
    poll = poll_open(cast.alice, cast.north, title="Q", meeting=meeting)
    hand_count_record(cast.alice, poll, yes=1, no=0, abstain=0)
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    assert close_due_polls() == 1
    poll.refresh_from_db()
    assert poll.state == Poll.State.CLOSED and poll.result["valid"] is False
    assert "poll.closed" in ledger_kinds(cast.north)


@pytest.mark.django_db
def test_a_member_present_attests_when_the_assembly_has_one_facilitator(cast, room):
    meeting, _erin = room
    poll = poll_open(cast.alice, cast.north, title="Q", meeting=meeting)
    hand_count_record(cast.alice, poll, yes=1, no=1, abstain=0)
    hand_count_attest(cast.bob, poll)
    assert poll_close(cast.alice, poll).result["hand_count"]["attested_by"] == cast.bob.pk


@pytest.mark.django_db
def test_members_absent_observers_and_the_counter_cannot_attest(cast, room):
    meeting, _erin = room
    poll = poll_open(cast.alice, cast.north, title="Q", meeting=meeting)
    hand_count_record(cast.alice, poll, yes=1, no=0, abstain=0)
    actions.check_out(cast.bob, meeting)
    for person in (cast.bob, cast.olivia, cast.oscar, cast.frank, cast.alice):
        with pytest.raises(NotAllowed):
            hand_count_attest(person, poll)


@pytest.mark.django_db
def test_meeting_page_shows_online_plus_hands_of_electorate(cast, room):
    meeting, erin = room
    poll = poll_open(cast.alice, cast.north, title="Q", meeting=meeting)
    ballot_cast(cast.bob, poll, choice="yes")
    hand_count_record(cast.alice, poll, yes=2, no=1, abstain=0)
    url = reverse("meetings:live", args=[cast.north.slug, meeting.pk])
    page = cast.client(cast.alice).get(url).content.decode()
    assert "1 online + 3 by hand of 6" in page
    assert "Most that can still be counted: 5." in page
    assert 'id="attest-hands"' not in page  # alice counted
    assert 'id="attest-hands"' in cast.client(erin).get(url).content.decode()
    ballot_cast(cast.carol, poll, choice="no")
    ballot_cast(erin, poll, choice="no")
    ballot_cast(cast.alice, poll, choice="no")
    page = cast.client(cast.alice).get(url).content.decode()
    assert "4 of 6 have voted" in page and 'id="hand-count-exceeds"' in page
    assert 'id="close-void-vote"' in page


@pytest.mark.django_db
def test_close_without_count_through_the_page(cast, room):
    meeting, _erin = room
    poll = poll_open(cast.alice, cast.north, title="Q", meeting=meeting)
    hand_count_record(cast.alice, poll, yes=1, no=0, abstain=0)
    url = reverse("voting:meeting_vote_close_void", args=[cast.north.slug, meeting.pk, poll.pk])
    assert cast.client(cast.bob).post(url, {"reason": "x"}).status_code == 403
    response = cast.client(cast.alice).post(url, {"reason": "Se fue la luz"}, follow=True)
    assert response.status_code == 200
    assert "Closed without a valid count: nothing adopted" in response.content.decode()
    poll.refresh_from_db()
    assert poll.result["valid"] is False
