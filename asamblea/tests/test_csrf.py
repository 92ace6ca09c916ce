"""Every form POST without its CSRF token is refused with a clear message and changes nothing."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from asamblea.bodies.actions import invitation_create
from asamblea.motions.actions import motion_submit
from asamblea.testing import PASSPHRASE, db_state
from asamblea.voting.actions import poll_open

pytestmark = pytest.mark.django_db


def strict_client(person=None):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    if person is not None:
        client.force_login(person)
    return client


def posts(cast):
    """(who, url, data) for every POST form of the core."""
    motion = motion_submit(cast.carol, cast.north, title="Olla", text="Cocinar")
    voting_motion = motion_submit(cast.carol, cast.north, title="Agua", text="Exigir")
    poll = poll_open(cast.alice, cast.north, motion=voting_motion)
    invitation, token = invitation_create(cast.alice, cast.north)
    carol = cast.north.memberships.get(person=cast.carol)
    north = cast.north.slug
    return [
        (None, reverse("accounts:login"), {"username": "bob", "password": PASSPHRASE}),
        (cast.bob, reverse("accounts:logout"), {}),
        (cast.bob, reverse("accounts:profile"), {"display_name": "B", "language": "en"}),
        (cast.bob, reverse("set_language"), {"language": "en"}),
        (cast.oscar, reverse("bodies:create"), {"name": "X", "kind": "other"}),
        (cast.oscar, reverse("bodies:join", args=[token]), {}),
        (
            cast.alice,
            reverse("bodies:invitations", args=[north]),
            {"role": "member", "days": 1, "max_uses": 1},
        ),
        (cast.alice, reverse("bodies:invitation_revoke", args=[north, invitation.pk]), {}),
        (
            cast.alice,
            reverse("bodies:member_action", args=[north, carol.pk]),
            {"action": "suspend"},
        ),
        (cast.bob, reverse("motions:create", args=[north]), {"title": "T", "text": "X"}),
        (
            cast.carol,
            reverse("motions:edit", args=[north, motion.number]),
            {"title": "T", "text": "X"},
        ),
        (cast.bob, reverse("motions:support", args=[north, motion.number]), {}),
        (cast.carol, reverse("motions:withdraw", args=[north, motion.number]), {}),
        (
            cast.bob,
            reverse("motions:comment", args=[north, motion.number]),
            {"stance": "for", "text": "Sí"},
        ),
        (
            cast.alice,
            reverse("voting:open", args=[north, motion.number]),
            {"secrecy": "secret", "quorum_percent": 50, "majority": "simple"},
        ),
        (cast.bob, reverse("voting:cast", args=[north, poll.pk]), {"choice": "yes"}),
        (cast.alice, reverse("voting:close", args=[north, poll.pk]), {}),
    ]


def test_posts_without_a_csrf_token_are_refused_and_change_nothing(cast):
    for person, url, data in posts(cast):
        client = strict_client(person)
        before = db_state()
        response = client.post(url, data)
        assert response.status_code == 403, url
        html = response.content.decode()
        assert "Your form has expired or was sent from elsewhere" in html, url
        assert "Nothing was changed" in html
        assert db_state() == before, url
        if person is not None:
            assert client.session.get("_auth_user_id") == str(person.pk), url


def test_a_post_with_its_csrf_token_goes_through(cast):
    client = strict_client(cast.bob)
    page = client.get(reverse("motions:create", args=[cast.north.slug]))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("motions:create", args=[cast.north.slug]),
        {"title": "Con token", "text": "Texto", "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == 302
    assert cast.north.motions.filter(title="Con token").exists()
