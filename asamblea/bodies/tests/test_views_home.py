"""The home page lists public assemblies and one's own; never someone else's private one."""

import pytest
from django.urls import reverse

from asamblea.testing import ROLES, assert_answer

pytestmark = pytest.mark.django_db

SEES_NORTH = {"observer", "member", "facilitator"}


@pytest.mark.parametrize("role", ROLES)
def test_home_shows_public_bodies_and_only_ones_own_private_ones(cast, role):
    response = cast.client(cast.roles[role]).get(reverse("bodies:home"))
    assert_answer(response, 200)
    page = response.content.decode()
    assert "South" in page
    assert ("North" in page) == (role in SEES_NORTH)


@pytest.mark.parametrize("role", ROLES)
def test_home_refuses_post(cast, role):
    assert_answer(cast.client(cast.roles[role]).post(reverse("bodies:home")), 405)


def test_a_suspended_member_no_longer_sees_the_private_body(cast):
    cast.north.memberships.filter(person=cast.bob).update(status="suspended")
    page = cast.client(cast.bob).get(reverse("bodies:home")).content.decode()
    assert "North" not in page
