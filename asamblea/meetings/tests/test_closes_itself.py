"""A meeting left in session closes itself 24 hours after it opened (DESIGN invariant 8: no
facilitator can keep a meeting, and the votes in it, open forever)."""

import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from asamblea.errors import Conflict
from asamblea.ledger.models import LedgerEntry
from asamblea.meetings import actions
from asamblea.meetings.actions import close_due_meetings
from asamblea.meetings.models import Attendance, Meeting
from asamblea.motions.actions import motion_submit
from asamblea.motions.models import Motion
from asamblea.testing import join, make_person
from asamblea.voting.actions import ballot_cast, hand_count_attest, hand_count_record, poll_open
from asamblea.voting.models import Poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(cast):
    """An open meeting of North with alice, erin (facilitators), bob and carol present."""
    meeting = actions.meeting_schedule(
        cast.alice, cast.north, title="Sábado", starts_at=timezone.now(), place="Local"
    )
    actions.meeting_open(cast.alice, meeting)
    erin = make_person("erin")
    join(erin, cast.north, "facilitator")
    for person in (cast.alice, erin, cast.bob, cast.carol):
        actions.check_in(person, meeting)
    meeting.refresh_from_db()
    return meeting, erin


def _age(meeting: Meeting, hours: float) -> None:
    Meeting.objects.filter(pk=meeting.pk).update(opened_at=timezone.now() - timedelta(hours=hours))


def _closed_entry(meeting: Meeting) -> dict:
    entry = (
        LedgerEntry.objects.filter(chain=meeting.body.ledger_chain, kind="meeting.closed")
        .order_by("-seq")
        .first()
    )
    assert entry is not None
    return json.loads(entry.payload)


def test_a_meeting_in_session_for_less_than_24_hours_stays_open(cast, room):
    meeting, _erin = room
    _age(meeting, 23)
    assert close_due_meetings() == 0
    with pytest.raises(Conflict):
        actions.meeting_close_due(meeting)
    meeting.refresh_from_db()
    assert meeting.is_open


def test_a_meeting_left_in_session_closes_itself_after_24_hours(cast, room):
    meeting, _erin = room
    _age(meeting, 25)
    assert close_due_meetings(cast.north) == 1
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED and meeting.closed_at is not None
    assert meeting.minutes  # the minutes are fixed as when a facilitator closes
    assert not Attendance.objects.filter(meeting=meeting, present=True).exists()
    payload = _closed_entry(meeting)
    assert payload["by"] is None
    assert payload["reason"] == "closed by itself after 24 hours"
    assert payload["minutes_sha256"]
    assert close_due_meetings(cast.north) == 0  # closes once


def test_its_open_votes_are_counted_as_at_their_closing_time(cast, room):
    meeting, erin = room
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua potable")
    poll = poll_open(cast.alice, cast.north, motion=motion, meeting=meeting, quorum_percent=0)
    ballot_cast(cast.bob, poll, choice="yes")
    ballot_cast(cast.carol, poll, choice="yes")
    hand_count_record(cast.alice, poll, yes=1, no=1, abstain=0)
    hand_count_attest(erin, poll)
    _age(meeting, 25)
    assert close_due_meetings() == 1
    poll.refresh_from_db()
    assert poll.state == Poll.State.CLOSED
    assert poll.result["adopted"] is True and poll.result["participants"] == 4
    motion.refresh_from_db()
    assert motion.state == Motion.State.ADOPTED
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED


def test_a_vote_with_an_unattested_hand_count_closes_without_a_valid_count(cast, room):
    meeting, _erin = room
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua potable")
    poll = poll_open(cast.alice, cast.north, motion=motion, meeting=meeting)
    hand_count_record(cast.alice, poll, yes=3, no=0, abstain=0)  # never attested
    _age(meeting, 25)
    assert close_due_meetings() == 1
    poll.refresh_from_db()
    assert poll.state == Poll.State.CLOSED
    assert poll.result["valid"] is False and poll.result["adopted"] is False
    motion.refresh_from_db()
    assert motion.state == Motion.State.SUPPORTED  # waits for a new vote, never adopted so
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED


def test_close_due_command_closes_the_meeting(cast, room):
    meeting, _erin = room
    _age(meeting, 30)
    call_command("close_due_polls", stdout=open("/dev/null", "w"))  # noqa: SIM115
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED


def test_the_next_visit_of_the_meeting_page_closes_it(cast, room):
    meeting, _erin = room
    _age(meeting, 25)
    client = Client()
    client.force_login(cast.carol)
    response = client.get(reverse("meetings:detail", args=[cast.north.slug, meeting.pk]))
    assert response.status_code == 200
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED
    assert _closed_entry(meeting)["reason"] == "closed by itself after 24 hours"


def test_the_next_visit_of_the_assembly_page_closes_it(cast, room):
    meeting, _erin = room
    _age(meeting, 25)
    client = Client()
    client.force_login(cast.bob)
    assert client.get(reverse("bodies:detail", args=[cast.north.slug])).status_code == 200
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED


def test_a_facilitator_still_closes_a_meeting_by_hand(cast, room):
    meeting, _erin = room
    actions.meeting_close(cast.alice, meeting)
    assert _closed_entry(meeting)["by"] == cast.alice.pk
