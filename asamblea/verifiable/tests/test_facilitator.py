"""The facilitator's steps of a verifiable vote: setup refused when invalid, cancellation before
and during the ceremony and after a complaint leaves too few trustees, and the pages each role
sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asamblea.testing import db_state
from asamblea.verifiable.models import VerifiableVote
from asamblea.verifiable.tests.play import TrusteeBrowser, state, url
from asamblea.voting.actions import poll_open


@pytest.mark.django_db
def test_invalid_setups_change_nothing(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    alice = cast.client(cast.alice)
    assert alice.get(url(poll, "setup")).status_code == 200
    before = db_state()
    for data in (
        {"trustees": [cast.bob.pk], "threshold": 2},  # t above n
        {"trustees": [cast.olivia.pk], "threshold": 1},  # an observer
        {"trustees": [], "threshold": 1},
        {"trustees": [cast.bob.pk], "threshold": "x"},
    ):
        assert alice.post(url(poll, "setup"), data).status_code == 400
    assert db_state() == before
    secret = poll_open(cast.alice, cast.north, title="S", secrecy="secret")
    assert alice.get(url(secret, "vote")).status_code == 404  # not a verifiable poll


@pytest.mark.django_db
def test_cancel_before_the_trustees_are_chosen(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    assert cast.client(cast.bob).post(url(poll, "cancel")).status_code == 403
    assert cast.client(cast.alice).post(url(poll, "cancel")).status_code == 302
    poll.refresh_from_db()
    assert not poll.is_open and poll.result["valid"] is False
    assert VerifiableVote.objects.get(poll=poll).phase == "cancelled"
    again = cast.client(cast.alice).post(url(poll, "cancel"))
    assert again.status_code == 409


@pytest.mark.django_db
def test_cancel_during_the_ceremony_and_the_pages(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [cast.alice.pk, cast.bob.pk], "threshold": 2}
    )
    assert cast.client(cast.bob).get(url(poll, "trustee")).status_code == 200
    assert cast.client(cast.carol).get(url(poll, "trustee")).status_code == 403
    page = cast.client(cast.olivia).get(url(poll, "board"))
    assert page.status_code == 200 and b"board-head" in page.content
    assert cast.client(cast.carol).get(url(poll, "vote")).status_code == 200
    response = cast.client(cast.alice).post(url(poll, "cancel"))
    assert response.status_code == 302
    poll.refresh_from_db()
    assert not poll.is_open
    assert state(cast.client(cast.bob), poll)["phase"] == "cancelled"
    detail = cast.client(cast.bob).get(reverse("voting:detail", args=[cast.north.slug, poll.pk]))
    assert detail.status_code == 200


@pytest.mark.django_db
def test_a_complaint_leaving_fewer_than_t_trustees_cancels_the_vote(cast):
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="verifiable")
    cast.client(cast.alice).post(
        url(poll, "setup"), {"trustees": [cast.alice.pk, cast.bob.pk], "threshold": 2}
    )
    alice, bob = (TrusteeBrowser(cast.client(p), poll) for p in (cast.alice, cast.bob))
    bob.cheat = True
    for step in ("channel", "commit"):
        for t in (alice, bob):
            assert getattr(t, step)().status_code == 200
    assert alice.complain(2).status_code == 200
    assert state(cast.client(cast.bob), poll)["phase"] == "cancelled"
    poll.refresh_from_db()
    assert not poll.is_open


@pytest.mark.django_db
def test_a_public_bodys_verifiable_vote_is_readable_by_anyone(cast):
    poll = poll_open(cast.frank, cast.south, title="Q", secrecy="verifiable")
    anonymous = cast.client(None)
    assert anonymous.get(url(poll, "vote")).status_code == 200
    assert anonymous.get(url(poll, "board")).status_code == 200
    assert anonymous.get(url(poll, "state")).json()["me"] is None
    assert anonymous.get(url(poll, "board_json")).status_code == 404  # no board yet
    response = anonymous.post(url(poll, "register"), "{}", content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "login_required"
