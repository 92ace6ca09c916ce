"""Creating and revoking invitations: facilitators of that body only."""

import pytest
from django.urls import reverse

from asamblea.bodies.actions import invitation_create
from asamblea.bodies.models import Invitation
from asamblea.testing import LOGIN, ROLES, assert_answer, db_state

pytestmark = pytest.mark.django_db

NORTH = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 403,
    "facilitator": 200,
    "other_facilitator": 404,
}
SOUTH = {
    "anonymous": LOGIN,
    "outsider": 403,
    "observer": 403,
    "member": 403,
    "facilitator": 403,
    "other_facilitator": 200,
}
FORM = {"role": "member", "days": 7, "max_uses": 1, "label": "reunión del sábado"}


def body_of(cast, which):
    return cast.north if which == "north" else cast.south


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("which", "expected"), [("north", NORTH), ("south", SOUTH)])
def test_invitations_page(cast, role, which, expected):
    body = body_of(cast, which)
    response = cast.client(cast.roles[role]).get(reverse("bodies:invitations", args=[body.slug]))
    assert_answer(response, expected[role])
    if expected[role] == 200:
        assert 'name="max_uses"' in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("which", "expected"), [("north", NORTH), ("south", SOUTH)])
def test_creating_an_invitation(cast, role, which, expected):
    body = body_of(cast, which)
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("bodies:invitations", args=[body.slug]), FORM)
    assert_answer(response, expected[role])
    if expected[role] == 200:
        invitation = Invitation.objects.get(body=body)
        page = response.content.decode()
        assert "/join/" in page and "<svg" in page  # the link and its QR code
        assert invitation.label == "reunión del sábado"
        token = response.context["url"].rstrip("/").rsplit("/", 1)[-1]
        assert len(token) >= 22  # at least 128 bits in URL-safe base64
        assert token not in Invitation.objects.values_list("token_hash", flat=True)
    else:
        assert db_state() == before


@pytest.mark.parametrize(
    "bad",
    [
        {"days": 0},
        {"days": 91},
        {"max_uses": 0},
        {"max_uses": 1001},
        {"role": "king"},
        {"label": "x" * 81},
    ],
    ids=lambda bad: f"{next(iter(bad))}={next(iter(bad.values()))}"[:20],
)
def test_bad_invitation_requests_change_nothing(cast, bad):
    client = cast.client(cast.alice)
    before = db_state()
    response = client.post(reverse("bodies:invitations", args=[cast.north.slug]), FORM | bad)
    assert_answer(response, 400)
    assert response.context["form"].errors
    assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("which", "expected"), [("north", NORTH), ("south", SOUTH)])
def test_revoking_an_invitation(cast, role, which, expected):
    body = body_of(cast, which)
    facilitator = cast.alice if which == "north" else cast.frank
    invitation, _token = invitation_create(facilitator, body)
    client = cast.client(cast.roles[role])
    before = db_state()
    response = client.post(reverse("bodies:invitation_revoke", args=[body.slug, invitation.pk]))
    allowed = expected[role] == 200
    assert_answer(response, 302 if allowed else expected[role])
    invitation.refresh_from_db()
    assert invitation.revoked is allowed
    if not allowed:
        assert db_state() == before


@pytest.mark.parametrize("role", ROLES)
def test_revoke_refuses_get(cast, role):
    invitation, _token = invitation_create(cast.frank, cast.south)
    response = cast.client(cast.roles[role]).get(
        reverse("bodies:invitation_revoke", args=[cast.south.slug, invitation.pk])
    )
    assert_answer(response, LOGIN if role == "anonymous" else 405)
