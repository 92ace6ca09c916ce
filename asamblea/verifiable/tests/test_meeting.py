"""A verifiable vote held in a meeting, beside the meeting's other features: opened from the
meeting's vote form, its electorate the members present, the meeting's page and projector
while it runs, a show of hands refused (a verifiable vote is counted from its board only), the
meeting kept open until the trustees decrypt, then the result on the meeting's page and in its
minutes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.ledger.models import LedgerEntry
from asamblea.meetings import actions as meetings
from asamblea.meetings.models import Meeting
from asamblea.testing import join, make_person
from asamblea.verifiable.models import VerifiableVote
from asamblea.verifiable.tests.play import VoterBrowser, register_and_open, run_ceremony, url
from asamblea.voting.models import HandCount, Poll


@pytest.fixture
def room(cast):
    """North's meeting in session: alice (facilitator), bob and carol present; dora, a member,
    stayed home."""
    meeting = meetings.meeting_schedule(
        cast.alice, cast.north, title="Asamblea del sábado", starts_at=timezone.now(), place="Local"
    )
    meetings.meeting_open(cast.alice, meeting)
    for person in (cast.alice, cast.bob, cast.carol):
        meetings.check_in(person, meeting)
    dora = make_person("dora")
    join(dora, cast.north)
    return meeting, dora


def _open_in_meeting(cast, meeting) -> Poll:
    response = cast.client(cast.alice).post(
        reverse("voting:meeting_vote_open", args=[cast.north.slug, meeting.pk]),
        {"title": "¿Ocupamos el local?", "secrecy": "verifiable"},
    )
    assert response.status_code == 302, response.content
    return Poll.objects.get(meeting=meeting)


def _hands(cast, meeting, poll, language="en"):
    return cast.client(cast.alice, language).post(
        reverse("voting:meeting_hands", args=[cast.north.slug, meeting.pk, poll.pk]),
        {"yes": 1, "no": 0, "abstain": 0},
        HTTP_ACCEPT="application/json",
    )


@pytest.mark.django_db
def test_a_verifiable_vote_in_a_meeting_with_its_pages_minutes_and_refusals(cast, room):
    meeting, dora = room
    poll = _open_in_meeting(cast, meeting)
    assert poll.is_verifiable and poll.meeting_id == meeting.pk

    # While it runs: the meeting's page and projector show the vote and send to its page.
    detail = reverse("meetings:detail", args=[cast.north.slug, meeting.pk])
    page = cast.client(cast.bob).get(detail)
    assert page.status_code == 200
    assert url(poll, "vote").encode() in page.content
    assert b'id="vote-verifiable-link"' in page.content and b'id="cast"' not in page.content
    facilitator = cast.client(cast.alice).get(detail)
    assert b'id="vote-verifiable-steps"' in facilitator.content
    assert b'id="record-hands"' not in facilitator.content
    assert b'id="close-vote"' not in facilitator.content
    projector = cast.client(cast.alice).get(
        reverse("meetings:projector", args=[cast.north.slug, meeting.pk])
    )
    assert projector.status_code == 200
    assert "¿Ocupamos el local?".encode() in projector.content

    # A show of hands is refused, in the reader's language, and nothing is written.
    entries = LedgerEntry.objects.count()
    refused = _hands(cast, meeting, poll)
    assert refused.status_code in (400, 409, 302)
    assert not HandCount.objects.filter(poll=poll).exists()
    assert LedgerEntry.objects.count() == entries
    follow = cast.client(cast.alice).post(
        reverse("voting:meeting_hands", args=[cast.north.slug, meeting.pk, poll.pk]),
        {"yes": 1, "no": 0, "abstain": 0},
        follow=True,
    )
    assert b"not counted by hand" in follow.content
    spanish = cast.client(cast.alice, "es").post(
        reverse("voting:meeting_hands", args=[cast.north.slug, meeting.pk, poll.pk]),
        {"yes": 1, "no": 0, "abstain": 0},
        follow=True,
    )
    assert b"no se cuenta a mano" in spanish.content
    assert not HandCount.objects.filter(poll=poll).exists()

    # The meeting does not close while the vote waits for its trustees.
    close = reverse("meetings:close", args=[cast.north.slug, meeting.pk])
    assert cast.client(cast.alice).post(close).status_code in (302, 409)
    meeting.refresh_from_db()
    assert meeting.state != Meeting.State.CLOSED

    # The electorate is the members present: dora, at home, cannot register.
    trustees = run_ceremony(cast.client, cast.alice, poll, [cast.carol], 1)
    absent = VoterBrowser(cast.client(dora), poll).register()
    assert absent.status_code in (403, 409), absent.content
    voters = register_and_open(cast.client, cast.alice, poll, [cast.alice, cast.bob, cast.carol])
    for person, choice in ((cast.alice, "yes"), (cast.bob, "yes"), (cast.carol, "no")):
        assert voters[person].cast(choice).status_code == 200
    assert cast.client(cast.alice).post(url(poll, "close_voting")).status_code == 302
    assert trustees[0].decrypt().json()["result"] is True

    poll.refresh_from_db()
    assert not poll.is_open
    assert (poll.result["yes"], poll.result["no"]) == ("2", "1")
    assert poll.result["verifiable"]["ballots"] == 3
    page = cast.client(cast.bob).get(detail)
    assert page.status_code == 200 and b'id="vote-result"' in page.content
    # Now the meeting closes, and its minutes carry the vote and its result.
    assert cast.client(cast.alice).post(close).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED
    minutes = cast.client(cast.alice).get(
        reverse("meetings:minutes", args=[cast.north.slug, meeting.pk])
    )
    assert minutes.status_code == 200 and "¿Ocupamos el local?".encode() in minutes.content


def _due(meeting):
    Meeting.objects.filter(pk=meeting.pk).update(opened_at=timezone.now() - timedelta(hours=25))


@pytest.mark.django_db
def test_a_meeting_due_closes_the_ballot_box_and_the_trustees_decrypt_afterwards(cast, room):
    """After 24 hours a meeting closes itself, and no facilitator keeps it open by leaving a
    verifiable vote open: its ballot box closes (the tally goes on the board), the meeting
    closes, its minutes say the vote is still being counted, and the trustees decrypt after."""
    meeting, _dora = room
    poll = _open_in_meeting(cast, meeting)
    trustees = run_ceremony(cast.client, cast.alice, poll, [cast.bob], 1)
    voters = register_and_open(cast.client, cast.alice, poll, [cast.bob, cast.carol])
    assert voters[cast.bob].cast("yes").status_code == 200
    _due(meeting)
    assert meetings.close_due_meetings(cast.north) == 1
    meeting.refresh_from_db()
    poll.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED
    assert poll.is_open
    assert VerifiableVote.objects.get(poll=poll).phase == "closed"
    assert voters[cast.carol].cast("no").status_code == 409  # the ballot box is closed
    minutes = cast.client(cast.alice).get(
        reverse("meetings:minutes", args=[cast.north.slug, meeting.pk])
    )
    assert b"Still being counted when the meeting closed" in minutes.content
    vote_page = reverse("voting:detail", args=[cast.north.slug, poll.pk]).encode()
    assert b'class="minutes-vote-link"' in minutes.content and vote_page in minutes.content
    pdf = cast.client(cast.alice).get(
        reverse("meetings:minutes_pdf", args=[cast.north.slug, meeting.pk])
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert trustees[0].decrypt().json()["result"] is True
    poll.refresh_from_db()
    assert not poll.is_open and poll.result["yes"] == "1"
    assert LedgerEntry.objects.filter(kind="meeting.closed").count() == 1


@pytest.mark.django_db
def test_a_meeting_due_cancels_a_verifiable_vote_that_never_opened(cast, room):
    meeting, _dora = room
    poll = _open_in_meeting(cast, meeting)
    run_ceremony(cast.client, cast.alice, poll, [cast.bob], 1)  # registration, never opened
    _due(meeting)
    assert meetings.close_due_meetings(cast.north) == 1
    poll.refresh_from_db()
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED
    assert not poll.is_open and poll.result["valid"] is False
    assert VerifiableVote.objects.get(poll=poll).phase == "cancelled"


@pytest.mark.django_db
def test_the_facilitator_closes_the_meeting_once_the_ballot_box_is_closed(cast, room):
    meeting, _dora = room
    poll = _open_in_meeting(cast, meeting)
    run_ceremony(cast.client, cast.alice, poll, [cast.bob], 1)
    register_and_open(cast.client, cast.alice, poll, [cast.bob])
    close = reverse("meetings:close", args=[cast.north.slug, meeting.pk])
    refused = cast.client(cast.alice).post(close, follow=True)
    assert b"Close the ballot box of this meeting" in refused.content
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.OPEN
    assert cast.client(cast.alice).post(url(poll, "close_voting")).status_code == 302
    assert cast.client(cast.alice).post(close).status_code == 302
    meeting.refresh_from_db()
    assert meeting.state == Meeting.State.CLOSED
