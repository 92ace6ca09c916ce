"""Bad input on votes: each gets a clear message and changes nothing in the database."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.motions.actions import motion_submit, motion_withdraw
from asamblea.testing import assert_answer, db_state
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def poll(cast):
    motion = motion_submit(cast.carol, cast.north, title="Olla común", text="Cocinar")
    return poll_open(cast.alice, cast.north, motion=motion, secrecy="secret")


def cast_url(poll):
    return reverse("voting:cast", args=[poll.body.slug, poll.pk])


def refused(response, status, message):
    assert_answer(response, status)
    html = response.content.decode()
    assert message in html, html
    assert "Nothing was changed" in html


def test_a_second_ballot_is_refused(cast, poll):
    client = cast.client(cast.bob)
    assert_answer(client.post(cast_url(poll), {"choice": "yes"}), 303)
    before = db_state()
    refused(client.post(cast_url(poll), {"choice": "no"}), 409, "already voted")
    assert db_state() == before


def test_a_vote_by_an_observer_is_refused(cast, poll):
    client = cast.client(cast.olivia)
    before = db_state()
    refused(client.post(cast_url(poll), {"choice": "yes"}), 403, "not in the electorate")
    assert db_state() == before


def test_a_person_who_joined_after_opening_is_not_in_the_electorate(cast, poll):
    from asamblea.testing import join

    join(cast.oscar, cast.north)
    client = cast.client(cast.oscar)
    before = db_state()
    refused(client.post(cast_url(poll), {"choice": "yes"}), 403, "not in the electorate")
    assert db_state() == before


def test_a_vote_on_a_closed_poll_is_refused(cast, poll):
    poll_close(cast.alice, poll)
    client = cast.client(cast.bob)
    before = db_state()
    refused(client.post(cast_url(poll), {"choice": "yes"}), 409, "This vote is closed")
    assert db_state() == before


def test_a_vote_after_the_closing_time_is_refused_and_the_poll_closes(cast, poll):
    Poll.objects.filter(pk=poll.pk).update(closes_at=timezone.now() - timedelta(seconds=1))
    response = cast.client(cast.bob).post(cast_url(poll), {"choice": "yes"})
    refused(response, 409, "This vote is closed")
    poll.refresh_from_db()
    assert not poll.is_open
    assert poll.result["cast"] == "0"


@pytest.mark.parametrize(
    "data",
    [{}, {"choice": ""}, {"choice": "maybe"}, {"choice": "YES"}, {"choice": "x" * 10_000}],
    ids=["missing", "empty", "unknown", "upper", "huge"],
)
def test_a_malformed_choice_is_refused(cast, poll, data):
    client = cast.client(cast.bob)
    before = db_state()
    refused(client.post(cast_url(poll), data), 400, "Choose yes, no or abstain")
    assert db_state() == before


def test_a_malformed_choice_is_refused_by_the_action_too(cast, poll):
    from asamblea.errors import Refused

    before = db_state()
    with pytest.raises(Refused):
        ballot_cast(cast.bob, poll, choice="perhaps")
    assert db_state() == before


@pytest.mark.parametrize(
    "code",
    ["", "zz", "g" * 32, "0" * 31, "0" * 33, "0" * 64, "'; DROP TABLE voting_ballot; --"],
    ids=["empty", "short", "not-hex", "31", "33", "64", "sql"],
)
def test_a_malformed_receipt_is_refused(cast, poll, code):
    ballot_cast(cast.bob, poll, choice="yes")
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(
        reverse("voting:receipt", args=[cast.north.slug, poll.pk]), {"code": code}
    )
    refused(response, 400, "This receipt code is not valid")
    assert db_state() == before


def test_a_tampered_receipt_is_not_found(cast, poll):
    code = ballot_cast(cast.bob, poll, choice="yes").receipt
    tampered = code[:-1] + ("0" if code[-1] != "0" else "1")
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(
        reverse("voting:receipt", args=[cast.north.slug, poll.pk]), {"code": tampered}
    )
    refused(response, 400, "No ballot in this vote has this receipt code")
    assert db_state() == before


def test_a_receipt_of_another_poll_is_not_found(cast, poll):
    code = ballot_cast(cast.bob, poll, choice="yes").receipt
    other = poll_open(cast.alice, cast.north, title="Otra pregunta")
    response = cast.client(cast.bob).post(
        reverse("voting:receipt", args=[cast.north.slug, other.pk]), {"code": code}
    )
    refused(response, 400, "No ballot in this vote has this receipt code")


def test_a_receipt_code_is_accepted_with_spaces_and_capitals(cast, poll):
    code = ballot_cast(cast.bob, poll, choice="abstain").receipt
    response = cast.client(cast.bob).post(
        reverse("voting:receipt", args=[cast.north.slug, poll.pk]), {"code": f"  {code.upper()} "}
    )
    assert_answer(response, 200)
    assert "A ballot with this receipt code is stored in this vote." in response.content.decode()


def test_opening_a_vote_on_a_motion_without_supporters_is_refused(cast):
    cast.north.supporters_required = 2
    cast.north.save()
    motion = motion_submit(cast.carol, cast.north, title="Sin apoyos", text="Nada")
    client = cast.client(cast.alice)
    before = db_state()
    response = client.post(
        reverse("voting:open", args=[cast.north.slug, motion.number]),
        {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"},
    )
    refused(response, 409, "supporters it needs")
    assert db_state() == before


def test_opening_a_vote_on_a_withdrawn_or_voting_motion_is_refused(cast, poll):
    withdrawn = motion_submit(cast.carol, cast.north, title="Retirada", text="Nada")
    motion_withdraw(cast.carol, withdrawn)
    client = cast.client(cast.alice)
    before = db_state()
    for number in (withdrawn.number, poll.motion.number):
        response = client.post(
            reverse("voting:open", args=[cast.north.slug, number]),
            {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"},
        )
        refused(response, 409, "supporters it needs")
    assert db_state() == before


@pytest.mark.parametrize(
    "bad",
    [
        {"secrecy": "public"},
        {"quorum_percent": 101},
        {"quorum_percent": "half"},
        {"majority": "plurality"},
        {"closes_at": "yesterday"},
        {"closes_at": "2001-01-01T10:00"},
    ],
    ids=["secrecy", "quorum-high", "quorum-text", "majority", "closes-garbage", "closes-past"],
)
def test_opening_a_vote_with_bad_settings_is_refused(cast, bad):
    motion = motion_submit(cast.carol, cast.north, title="Olla", text="Cocinar")
    client = cast.client(cast.alice)
    before = db_state()
    response = client.post(
        reverse("voting:open", args=[cast.north.slug, motion.number]),
        {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"} | bad,
    )
    assert_answer(response, 400)
    assert "Nothing was changed" in response.content.decode()
    assert db_state() == before


def test_closing_twice_is_refused(cast, poll):
    client = cast.client(cast.alice)
    assert_answer(client.post(reverse("voting:close", args=[cast.north.slug, poll.pk])), 302)
    before = db_state()
    refused(
        client.post(reverse("voting:close", args=[cast.north.slug, poll.pk])),
        409,
        "already closed",
    )
    assert db_state() == before


def test_an_unknown_poll_is_not_found(cast):
    response = cast.client(cast.bob).post(
        reverse("voting:cast", args=[cast.north.slug, 9999]), {"choice": "yes"}
    )
    assert_answer(response, 404)


def test_a_poll_of_another_body_is_not_found_through_this_one(cast):
    motion = motion_submit(cast.frank, cast.south, title="Huelga", text="Parar")
    south_poll = poll_open(cast.frank, cast.south, motion=motion)
    client = cast.client(cast.alice)
    before = db_state()
    response = client.post(reverse("voting:close", args=[cast.north.slug, south_poll.pk]))
    assert_answer(response, 404)
    assert db_state() == before
