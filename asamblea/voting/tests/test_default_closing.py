"""No facilitator can hold the members' decision open forever: an online vote opened without a
closing time closes itself (DESIGN invariant 8)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from asamblea.voting.actions import DEFAULT_VOTE_DURATION, ballot_cast, close_due_polls, poll_open
from asamblea.voting.models import Poll


@pytest.mark.django_db
def test_an_online_vote_without_closing_time_gets_the_default(cast):
    before = timezone.now()
    poll = poll_open(cast.alice, cast.north, title="Agua")
    assert before + DEFAULT_VOTE_DURATION <= poll.closes_at
    assert poll.closes_at <= timezone.now() + DEFAULT_VOTE_DURATION


@pytest.mark.django_db
def test_a_vote_the_facilitator_never_closes_closes_itself_when_due(cast):
    poll = poll_open(cast.alice, cast.north, title="Agua")
    ballot_cast(cast.bob, poll, choice="yes")
    assert close_due_polls(cast.north) == 0  # not yet due
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    assert close_due_polls(cast.north) == 1
    poll.refresh_from_db()
    assert poll.state == Poll.State.CLOSED


@pytest.mark.django_db
def test_a_chosen_closing_time_is_kept(cast):
    chosen = timezone.now() + timedelta(hours=2)
    poll = poll_open(cast.alice, cast.north, title="Agua", closes_at=chosen)
    assert poll.closes_at == chosen
