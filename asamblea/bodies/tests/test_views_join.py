"""Joining through an invitation link, for every role, and every way a link can be bad."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.accounts.models import Person
from asamblea.bodies.actions import invitation_create
from asamblea.bodies.models import Invitation, Membership
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import ROLES, assert_answer, db_state

pytestmark = pytest.mark.django_db

SIGNUP = {
    "display_name": "Nina",
    "username": "nina",
    "password": "long enough passphrase",
    "password2": "long enough passphrase",
    "language": "es",
}
# POSTing a link to North: newcomers and people of other bodies join; members already in are told.
JOIN_NORTH = {
    "anonymous": 302,
    "outsider": 302,
    "observer": 409,
    "member": 409,
    "facilitator": 409,
    "other_facilitator": 302,
}


def link(cast, **options):
    _invitation, token = invitation_create(cast.alice, cast.north, **options)
    return token, reverse("bodies:join", args=[token])


@pytest.mark.parametrize("role", ROLES)
def test_everyone_with_the_link_sees_the_join_page(cast, role):
    _token, url = link(cast)
    response = cast.client(cast.roles[role]).get(url)
    assert_answer(response, 200)
    assert "North" in response.content.decode()
    assert ("form" in response.context and response.context["form"] is not None) == (
        role == "anonymous"
    )


@pytest.mark.parametrize("role", ROLES)
def test_joining_north_by_link(cast, role):
    _token, url = link(cast)
    person = cast.roles[role]
    client = cast.client(person)
    before = db_state()
    response = client.post(url, SIGNUP if person is None else {})
    assert_answer(response, JOIN_NORTH[role])
    if JOIN_NORTH[role] == 302:
        assert response["Location"] == reverse("bodies:detail", args=[cast.north.slug])
        joined = person or Person.objects.get(username="nina")
        assert Membership.objects.get(person=joined, body=cast.north).role == "member"
        assert Invitation.objects.get().uses == 1
        assert client.session["_auth_user_id"] == str(joined.pk)
    else:
        assert "already a member" in response.content.decode()
        assert db_state() == before


def test_the_invitation_role_is_given(cast):
    _token, url = link(cast, role="observer")
    cast.client(cast.oscar).post(url)
    assert Membership.objects.get(person=cast.oscar, body=cast.north).role == "observer"


def test_a_new_person_gives_no_email_or_phone(cast):
    _token, url = link(cast)
    page = cast.client(None).get(url).content.decode()
    assert 'type="email"' not in page and 'type="tel"' not in page
    fields = set(cast.client(None).get(url).context["form"].fields)
    assert fields == {"display_name", "username", "password", "password2", "language"}


def test_a_suspended_member_cannot_rejoin_through_a_link(cast):
    cast.north.memberships.filter(person=cast.bob).update(status="suspended")
    _token, url = link(cast)
    client = cast.client(cast.bob)
    before = db_state()
    assert_answer(client.post(url), 403)
    assert db_state() == before


def _bad_links(cast):
    good, _url = link(cast)
    expired, _url = link(cast)
    Invitation.objects.filter(pk=Invitation.objects.order_by("-pk").first().pk).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    used, _url = link(cast)
    Invitation.objects.filter(pk=Invitation.objects.order_by("-pk").first().pk).update(uses=1)
    revoked, _url = link(cast)
    Invitation.objects.filter(pk=Invitation.objects.order_by("-pk").first().pk).update(revoked=True)
    return {
        "unknown": ("x" * 32, "not valid"),
        "tampered": (good[:-1] + ("A" if good[-1] != "A" else "B"), "not valid"),
        "oversized": ("y" * 101, "not valid"),
        "expired": (expired, "expired or has been used up"),
        "used-up": (used, "expired or has been used up"),
        "revoked": (revoked, "expired or has been used up"),
    }


@pytest.mark.parametrize(
    "kind", ["unknown", "tampered", "oversized", "expired", "used-up", "revoked"]
)
@pytest.mark.parametrize("who", ["anonymous", "outsider"])
def test_bad_links_are_refused_with_a_clear_message_and_change_nothing(cast, kind, who):
    token, message = _bad_links(cast)[kind]
    client = cast.client(cast.roles[who])
    before = db_state()
    people = Person.objects.count()
    url = reverse("bodies:join", args=[token])
    for response in (client.get(url), client.post(url, SIGNUP)):
        assert_answer(response, 400)
        assert message in response.content.decode()
        assert "Nothing was changed" in response.content.decode()
    assert db_state() == before
    assert Person.objects.count() == people


@pytest.mark.parametrize(
    "bad",
    [
        {"display_name": "x" * 61},
        {"display_name": "   "},
        {"username": "a b"},
        {"username": "x" * 41},
        {"username": "bob"},  # taken
        {"username": "BOB"},  # taken, in another case
        {"password": "short", "password2": "short"},
        {"password2": "something else entirely"},
        {"password": "p" * 201, "password2": "p" * 201},
        {"language": "fr"},
    ],
    ids=lambda bad: "-".join(bad)[:30] + str(len(str(bad))),
)
def test_bad_signups_change_nothing_and_keep_the_link_usable(cast, bad):
    _token, url = link(cast)
    client = cast.client(None)
    before = db_state()
    response = client.post(url, SIGNUP | bad)
    assert_answer(response, 400)
    assert response.context["form"].errors
    assert db_state() == before
    assert Invitation.objects.get().uses == 0


def test_a_single_use_link_admits_one_person(cast):
    _token, url = link(cast)
    assert_answer(cast.client(cast.oscar).post(url), 302)
    client = cast.client(cast.frank)
    before = db_state()
    response = client.post(url)
    assert_answer(response, 400)
    assert "used up" in response.content.decode()
    assert db_state() == before
    assert (
        LedgerEntry.objects.filter(kind="member.joined", chain=cast.north.ledger_chain).count() == 2
    )


def test_a_multi_use_link_admits_up_to_its_number(cast):
    _token, url = link(cast, max_uses=2)
    assert_answer(cast.client(cast.oscar).post(url), 302)
    assert_answer(cast.client(cast.frank).post(url), 302)
    client = cast.client(None)
    assert_answer(client.post(url, SIGNUP), 400)
    assert not Person.objects.filter(username="nina").exists()
