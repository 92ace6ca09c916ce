"""Managing members (suspend, reinstate, remove, change role): facilitators of that body only."""

import pytest
from django.urls import reverse

from asamblea.bodies.models import Membership
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import LOGIN, ROLES, assert_answer, db_state, join, make_person

pytestmark = pytest.mark.django_db

NORTH = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 403,
    "facilitator": 302,
    "other_facilitator": 404,
}
SOUTH = {
    "anonymous": LOGIN,
    "outsider": 403,
    "observer": 403,
    "member": 403,
    "facilitator": 403,
    "other_facilitator": 302,
}


def target_in(cast, which):
    if which == "north":
        return cast.north, cast.north.memberships.get(person=cast.carol)
    return cast.south, join(make_person("sam"), cast.south)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("which", "expected"), [("north", NORTH), ("south", SOUTH)])
def test_suspending_a_member(cast, role, which, expected):
    body, target = target_in(cast, which)
    client = cast.client(cast.roles[role])
    before = db_state()
    url = reverse("bodies:member_action", args=[body.slug, target.pk])
    response = client.post(url, {"action": "suspend", "reason": "no vino"})
    assert_answer(response, expected[role])
    target.refresh_from_db()
    if expected[role] == 302:
        assert target.status == Membership.Status.SUSPENDED
        assert LedgerEntry.objects.filter(kind="member.suspended").count() == 1
    else:
        assert target.status == Membership.Status.ACTIVE
        assert db_state() == before
        if expected[role] in (403, 404):
            assert response.status_code == expected[role]


@pytest.mark.parametrize("role", ROLES)
def test_member_action_refuses_get(cast, role):
    target = cast.north.memberships.get(person=cast.carol)
    response = cast.client(cast.roles[role]).get(
        reverse("bodies:member_action", args=[cast.north.slug, target.pk])
    )
    assert_answer(response, LOGIN if role == "anonymous" else 405)


def post_action(cast, person, target, **data):
    return cast.client(person).post(
        reverse("bodies:member_action", args=[cast.north.slug, target.pk]), data
    )


def test_facilitator_reinstates_removes_and_changes_roles(cast):
    carol = cast.north.memberships.get(person=cast.carol)
    assert_answer(post_action(cast, cast.alice, carol, action="suspend"), 302)
    assert_answer(post_action(cast, cast.alice, carol, action="reinstate"), 302)
    assert_answer(post_action(cast, cast.alice, carol, action="role", role="facilitator"), 302)
    carol.refresh_from_db()
    assert (carol.status, carol.role) == ("active", "facilitator")
    assert_answer(post_action(cast, cast.alice, carol, action="remove"), 302)
    carol.refresh_from_db()
    assert carol.status == "removed"
    kinds = list(
        LedgerEntry.objects.filter(chain=cast.north.ledger_chain)
        .order_by("seq")
        .values_list("kind", flat=True)
    )[-4:]
    assert kinds == [
        "member.suspended",
        "member.reinstated",
        "member.role_changed",
        "member.removed",
    ]


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"action": "explode"}, 400),
        ({"action": "role", "role": "king"}, 400),
        ({"action": "suspend", "reason": "x" * 201}, 400),
        ({"action": "reinstate"}, 409),  # carol is active already
    ],
    ids=["unknown-action", "unknown-role", "long-reason", "out-of-order"],
)
def test_bad_member_actions_change_nothing(cast, data, status):
    carol = cast.north.memberships.get(person=cast.carol)
    client = cast.client(cast.alice)
    before = db_state()
    response = client.post(reverse("bodies:member_action", args=[cast.north.slug, carol.pk]), data)
    assert_answer(response, status)
    assert "Nothing was changed" in response.content.decode() or response.context["message"]
    assert db_state() == before


def test_a_facilitator_cannot_suspend_themself_or_leave_no_facilitator(cast):
    alice = cast.north.memberships.get(person=cast.alice)
    client = cast.client(cast.alice)
    before = db_state()
    url = reverse("bodies:member_action", args=[cast.north.slug, alice.pk])
    assert_answer(client.post(url, {"action": "suspend"}), 400)
    assert_answer(client.post(url, {"action": "role", "role": "member"}), 400)
    assert db_state() == before


def test_a_membership_of_another_body_is_not_found_through_this_one(cast):
    frank = cast.south.memberships.get(person=cast.frank)
    response = cast.client(cast.alice).post(
        reverse("bodies:member_action", args=[cast.north.slug, frank.pk]), {"action": "suspend"}
    )
    assert_answer(response, 404)
    frank.refresh_from_db()
    assert frank.status == "active"


def test_a_suspended_facilitator_has_no_powers(cast):
    join(make_person("ana"), cast.north, Membership.Role.FACILITATOR)
    cast.north.memberships.filter(person=cast.alice).update(status="suspended")
    carol = cast.north.memberships.get(person=cast.carol)
    assert_answer(post_action(cast, cast.alice, carol, action="suspend"), 404)
    carol.refresh_from_db()
    assert carol.status == "active"
