"""Personal access tokens: made on the account page and shown once, stored hashed, scoped,
revoked at once; only their own person sees or revokes them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from asamblea.api import actions
from asamblea.api.models import AccessToken
from asamblea.errors import Conflict, Refused
from asamblea.testing import db_state


def _bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.mark.django_db
def test_a_token_is_stored_only_as_its_hash(cast):
    row, token = actions.token_create(cast.bob, name="Phone", scopes=["read", "vote"])
    assert token.startswith("asm_") and len(token) > 40
    stored = AccessToken.objects.get(pk=row.pk)
    assert stored.digest == actions.token_digest(token)
    assert token not in repr(list(AccessToken.objects.values_list()))
    assert stored.scopes == ["read", "vote"]


@pytest.mark.django_db
def test_the_page_shows_a_new_token_once(cast):
    client = cast.client(cast.bob)
    page = reverse("tokens:list")
    response = client.post(page, {"name": "Script", "scopes": ["read"]})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = re.search(r"<code class=\"token\" data-token>(asm_[^<]+)</code>", response.text)
    assert token is not None
    assert client.get("/api/me", **_bearer(token.group(1))).json()["username"] == "bob"
    again = client.get(page)
    assert token.group(1) not in again.text
    assert "Script" in again.text and token.group(1)[:12] in again.text


@pytest.mark.django_db
def test_a_revoked_token_stops_working_at_once(cast):
    row, token = actions.token_create(cast.bob, name="Old", scopes=["read"])
    client = cast.client(cast.bob)
    assert client.get("/api/me", **_bearer(token)).status_code == 200
    response = client.post(reverse("tokens:revoke", args=[row.pk]))
    assert response.status_code == 302
    refused = client.get("/api/me", **_bearer(token))
    assert refused.status_code == 401
    assert refused.json()["code"] == "bad_token"


@pytest.mark.django_db
def test_nobody_revokes_someone_elses_token(cast):
    row, token = actions.token_create(cast.bob, name="Mine", scopes=["read"])
    client = cast.client(cast.alice)
    before = db_state()
    response = client.post(reverse("tokens:revoke", args=[row.pk]))
    assert response.status_code == 404
    assert db_state() == before
    with pytest.raises(Refused):
        actions.token_revoke(cast.alice, row)


@pytest.mark.django_db
def test_revoking_twice_is_refused(cast):
    row, _token = actions.token_create(cast.bob, name="Once", scopes=["read"])
    actions.token_revoke(cast.bob, row)
    with pytest.raises(Conflict):
        actions.token_revoke(cast.bob, row)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "scopes"),
    [("", ["read"]), ("x" * 81, ["read"]), ("Script", []), ("Script", ["admin"])],
)
def test_bad_token_requests_are_refused_and_change_nothing(cast, name, scopes):
    client = cast.client(cast.bob)
    before = db_state()
    with pytest.raises(Refused):
        actions.token_create(cast.bob, name=name, scopes=scopes)
    assert db_state() == before
    response = client.post(reverse("tokens:list"), {"name": name, "scopes": scopes})
    assert response.status_code == 400
    assert db_state() == before


@pytest.mark.django_db
def test_a_person_has_at_most_twenty_active_tokens(cast):
    for n in range(actions.ACTIVE_MAX):
        actions.token_create(cast.bob, name=f"t{n}", scopes=["read"])
    with pytest.raises(Conflict):
        actions.token_create(cast.bob, name="one more", scopes=["read"])


@pytest.mark.django_db
def test_a_closed_account_s_token_does_not_work(cast):
    _row, token = actions.token_create(cast.bob, name="Phone", scopes=["read"])
    cast.bob.is_active = False
    cast.bob.save()
    assert cast.client(None).get("/api/me", **_bearer(token)).status_code == 401


@pytest.mark.django_db
def test_the_profile_links_to_the_tokens_page(cast):
    response = cast.client(cast.bob).get(reverse("accounts:profile"))
    assert reverse("tokens:list") in response.text
