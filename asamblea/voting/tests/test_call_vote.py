"""A supported motion nobody puts to the vote: after 72 hours any voting member calls it
(DESIGN invariant 8: no facilitator can block a decision by never calling the vote)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from asamblea.bodies.models import Body
from asamblea.errors import Conflict, NotAllowed
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit, motion_support
from asamblea.motions.models import Motion, StateChange
from asamblea.testing import db_state, join
from asamblea.voting.actions import (
    DEFAULT_VOTE_DURATION,
    poll_call,
    poll_close,
    poll_open,
)
from asamblea.voting.models import Poll

pytestmark = pytest.mark.django_db


def _supported(cast, hours_ago: float) -> Motion:
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua potable")
    assert motion.state == Motion.State.SUPPORTED
    StateChange.objects.filter(motion=motion, to_state=Motion.State.SUPPORTED).update(
        at=timezone.now() - timedelta(hours=hours_ago)
    )
    return motion


def _client(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _url(motion: Motion) -> str:
    return reverse("voting:call", args=[motion.body.slug, motion.number])


def _last_opened(body: Body) -> dict:
    entry = (
        LedgerEntry.objects.filter(chain=body.ledger_chain, kind="poll.opened")
        .order_by("-seq")
        .first()
    )
    assert entry is not None
    return json.loads(entry.payload)


def test_a_member_cannot_call_the_vote_before_72_hours(cast):
    motion = _supported(cast, hours_ago=71)
    carol = _client(cast.carol)
    before = db_state()
    with pytest.raises(Conflict) as refused:
        poll_call(cast.carol, motion)
    assert "72" in str(refused.value)
    assert db_state() == before
    response = carol.post(_url(motion))
    assert response.status_code == 409
    assert "72 horas después" in response.content.decode()  # her language: Spanish
    assert db_state() == before


def test_a_member_calls_the_vote_after_72_hours_with_the_statute_rules(cast):
    Body.objects.filter(pk=cast.north.pk).update(quorum_percent=40, majority="two_thirds")
    cast.north.refresh_from_db()
    motion = _supported(cast, hours_ago=73)
    response = _client(cast.carol).post(_url(motion))
    poll = Poll.objects.get(motion=motion)
    assert response.status_code == 302
    assert response["Location"] == reverse("voting:detail", args=[cast.north.slug, poll.pk])
    assert poll.is_open and poll.opened_by == cast.carol
    assert poll.secrecy == Poll.Secrecy.SECRET
    assert (poll.quorum_percent, poll.majority) == (40, "two_thirds")
    assert poll.closes_at is not None
    assert poll.closes_at - timezone.now() <= DEFAULT_VOTE_DURATION
    assert poll.closes_at - timezone.now() > DEFAULT_VOTE_DURATION - timedelta(minutes=5)
    motion.refresh_from_db()
    assert motion.state == Motion.State.VOTING
    opened = _last_opened(cast.north)
    assert opened["called_by"] == cast.carol.pk
    assert opened["called_by_member"] is True
    assert opened["motion"] == motion.number


def test_the_page_offers_the_call_only_when_allowed(cast):
    motion = _supported(cast, hours_ago=71)
    url = reverse("motions:detail", args=[cast.north.slug, motion.number])
    assert _url(motion) not in _client(cast.carol).get(url).content.decode()
    StateChange.objects.filter(motion=motion).update(at=timezone.now() - timedelta(hours=80))
    page = _client(cast.carol).get(url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert _url(motion) in page
    assert "Convocar la votación" in page
    assert "72 horas" in page
    assert _url(motion) not in _client(cast.olivia).get(url).content.decode()  # observer


def test_observers_outsiders_anonymous_and_other_assemblies_cannot_call(cast):
    motion = _supported(cast, hours_ago=100)
    olivia, oscar, frank = _client(cast.olivia), _client(cast.oscar), _client(cast.frank)
    before = db_state()
    with pytest.raises(NotAllowed):
        poll_call(cast.olivia, motion)
    with pytest.raises(NotAllowed):
        poll_call(cast.oscar, motion)
    assert olivia.post(_url(motion)).status_code == 403
    assert oscar.post(_url(motion)).status_code == 404
    assert frank.post(_url(motion)).status_code == 404  # South's facilitator
    anonymous = Client().post(_url(motion))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    assert db_state() == before


def test_a_member_of_another_assembly_cannot_call_its_vote(cast):
    join(cast.oscar, cast.south)
    south_motion = motion_submit(cast.frank, cast.south, title="Pan", text="Pan para todos")
    StateChange.objects.filter(motion=south_motion).update(at=timezone.now() - timedelta(hours=100))
    with pytest.raises(NotAllowed):
        poll_call(cast.carol, south_motion)
    # South is public: its motion page exists for carol, but she is not a member of it.
    assert _client(cast.carol).post(_url(south_motion)).status_code == 403
    assert not Poll.objects.filter(motion=south_motion).exists()


def test_a_second_call_is_refused_one_open_vote_per_motion(cast):
    motion = _supported(cast, hours_ago=73)
    poll_call(cast.carol, motion)
    with pytest.raises(Conflict):
        poll_call(cast.bob, motion)
    assert _client(cast.bob).post(_url(motion)).status_code == 409
    assert Poll.objects.filter(motion=motion).count() == 1


def test_a_motion_waiting_for_supporters_cannot_be_called(cast):
    Body.objects.filter(pk=cast.north.pk).update(supporters_required=2)
    cast.north.refresh_from_db()
    motion = motion_submit(cast.bob, cast.north, title="Agua", text="Exigir agua potable")
    Motion.objects.filter(pk=motion.pk).update(updated_at=timezone.now() - timedelta(days=10))
    StateChange.objects.filter(motion=motion).update(at=timezone.now() - timedelta(days=10))
    with pytest.raises(Conflict):
        poll_call(cast.carol, motion)
    motion_support(cast.carol, motion)
    join(cast.oscar, cast.north)
    motion_support(cast.oscar, motion)  # support reached now: the wait starts now
    with pytest.raises(Conflict):
        poll_call(cast.carol, motion)


def test_a_motion_already_put_to_the_vote_cannot_be_called(cast):
    motion = _supported(cast, hours_ago=100)
    poll = poll_open(cast.alice, cast.north, motion=motion)
    poll_close(cast.alice, poll)  # nobody voted: no quorum, the motion is rejected
    motion.refresh_from_db()
    assert motion.state == Motion.State.REJECTED
    with pytest.raises(Conflict):
        poll_call(cast.carol, motion)
