"""Bad input on motions and comments: a clear message and no change in the database."""

import pytest
from django.urls import reverse

from asamblea.motions.actions import motion_submit
from asamblea.motions.models import COMMENT_MAX, TEXT_MAX, TITLE_MAX
from asamblea.testing import assert_answer, db_state
from asamblea.voting.actions import poll_open

pytestmark = pytest.mark.django_db

MOTION = {"title": "Agua", "text": "Exigir agua", "reasons": ""}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"title": "x" * (TITLE_MAX + 1)}, "at most 200 characters"),
        ({"text": "x" * (TEXT_MAX + 1)}, "at most 20000 characters"),
        ({"reasons": "x" * (TEXT_MAX + 1)}, "at most 20000 characters"),
        ({"title": ""}, "This field is required"),
        ({"text": "   "}, "This field is required"),
    ],
    ids=["long-title", "long-text", "long-reasons", "no-title", "blank-text"],
)
def test_a_bad_motion_is_refused_and_changes_nothing(cast, bad, message):
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(reverse("motions:create", args=[cast.north.slug]), MOTION | bad)
    assert_answer(response, 400)
    assert message in response.content.decode().replace(",", "")
    assert db_state() == before


def test_a_bad_edit_is_refused_and_keeps_the_text(cast):
    motion = motion_submit(cast.bob, cast.north, **MOTION)
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(
        reverse("motions:edit", args=[cast.north.slug, motion.number]),
        MOTION | {"title": "x" * (TITLE_MAX + 1)},
    )
    assert_answer(response, 400)
    assert db_state() == before


def test_a_motion_cannot_be_edited_once_a_vote_opened(cast):
    motion = motion_submit(cast.bob, cast.north, **MOTION)
    poll_open(cast.alice, cast.north, motion=motion)
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(
        reverse("motions:edit", args=[cast.north.slug, motion.number]),
        MOTION | {"title": "Otra"},
    )
    assert_answer(response, 409)
    assert "can no longer be edited" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"text": "x" * (COMMENT_MAX + 1)}, "at most 5000 characters"),
        ({"text": ""}, "This field is required"),
        ({"stance": "maybe"}, "Select a valid choice"),
        ({"stance": ""}, "This field is required"),
    ],
    ids=["long", "empty", "bad-stance", "no-stance"],
)
def test_a_bad_comment_is_refused_and_changes_nothing(cast, bad, message):
    motion = motion_submit(cast.bob, cast.north, **MOTION)
    client = cast.client(cast.carol)
    before = db_state()
    response = client.post(
        reverse("motions:comment", args=[cast.north.slug, motion.number]),
        {"stance": "for", "text": "Bien"} | bad,
    )
    assert_answer(response, 400)
    assert message in response.content.decode().replace(",", "")
    assert "Nothing was changed" in response.content.decode()
    assert db_state() == before


def test_comments_on_a_withdrawn_motion_are_refused(cast):
    motion = motion_submit(cast.bob, cast.north, **MOTION)
    cast.client(cast.bob).post(reverse("motions:withdraw", args=[cast.north.slug, motion.number]))
    client = cast.client(cast.carol)
    before = db_state()
    response = client.post(
        reverse("motions:comment", args=[cast.north.slug, motion.number]),
        {"stance": "for", "text": "Tarde"},
    )
    assert_answer(response, 409)
    assert db_state() == before


def test_an_oversized_request_body_is_refused(cast):
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(
        reverse("motions:create", args=[cast.north.slug]),
        MOTION | {"text": "x" * (300 * 1024)},
    )
    assert response.status_code == 400
    assert db_state() == before
