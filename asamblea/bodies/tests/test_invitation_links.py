"""Invitation links and their QR codes: the address they point at, showing an active link again
(facilitators only), re-issuing it (the old link dies, in the ledger), and QR codes that are real
SVG drawing the link's modules."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.bodies.actions import (
    hash_token,
    invitation_create,
    invitation_for_token,
    invitation_reissue,
    invitation_revoke,
    recover_token,
)
from asamblea.bodies.models import Invitation
from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.ledger.actions import verify_chain
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import (
    LOGIN,
    ROLES,
    assert_answer,
    db_state,
    qr_modules,
    qr_modules_from_svg,
)

pytestmark = pytest.mark.django_db

FORM = {"role": "member", "days": 7, "max_uses": 5, "label": "asamblea del sábado"}
# Who may see North's link again, or re-issue it: its facilitators only.
SHOW = {
    "anonymous": LOGIN,
    "outsider": 404,
    "observer": 403,
    "member": 403,
    "facilitator": 200,
    "other_facilitator": 404,
}


def _create(client, cast, **headers):
    response = client.post(reverse("bodies:invitations", args=[cast.north.slug]), FORM, **headers)
    assert response.status_code == 200, response.status_code
    return response


def _show_url(cast, invitation):
    return reverse("bodies:invitation_show", args=[cast.north.slug, invitation.pk])


def _entries(body, kind):
    return [
        json.loads(e.payload)
        for e in LedgerEntry.objects.filter(chain=body.ledger_chain, kind=kind).order_by("seq")
    ]


# --- The address links point at ---------------------------------------------------------------


def test_without_site_url_links_follow_the_address_the_facilitator_uses(cast, settings):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["192.168.1.20", "testserver"]
    response = _create(cast.client(cast.alice), cast, HTTP_HOST="192.168.1.20:8123")
    url = response.context["url"]
    assert url.startswith("http://192.168.1.20:8123/join/"), url
    assert "127.0.0.1:8000" not in response.content.decode()


def test_site_url_wins_when_the_operator_sets_it(cast, settings):
    settings.SITE_URL = "https://asamblea.example.org"
    response = _create(cast.client(cast.alice), cast, HTTP_HOST="testserver")
    assert response.context["url"].startswith("https://asamblea.example.org/join/")


def test_a_host_outside_allowed_hosts_gets_no_link_and_changes_nothing(cast, settings):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["testserver"]
    client = cast.client(cast.alice)
    before = db_state()
    response = client.post(
        reverse("bodies:invitations", args=[cast.north.slug]), FORM, HTTP_HOST="evil.example"
    )
    assert response.status_code == 400
    assert db_state() == before


def test_proxy_headers_count_only_behind_a_declared_tls_proxy(cast, settings):
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = ["asamblea.example.org", "testserver"]
    proxied = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_FORWARDED_HOST": "asamblea.example.org"}
    settings.SECURE_PROXY_SSL_HEADER = None
    settings.USE_X_FORWARDED_HOST = False
    direct = _create(cast.client(cast.alice), cast, **proxied)
    assert direct.context["url"].startswith("http://testserver/join/")
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.USE_X_FORWARDED_HOST = True
    behind = _create(cast.client(cast.alice), cast, **proxied)
    assert behind.context["url"].startswith("https://asamblea.example.org/join/")


# --- Showing an active link again -------------------------------------------------------------


def test_a_facilitator_sees_the_same_link_and_qr_again(cast, settings):
    settings.SITE_URL = ""
    client = cast.client(cast.alice)
    created = _create(client, cast)
    invitation = Invitation.objects.get(body=cast.north)
    again = client.get(_show_url(cast, invitation))
    assert again.status_code == 200
    assert again.context["url"] == created.context["url"]
    assert "no-store" in again["Cache-Control"]
    page = again.content.decode()
    assert qr_modules_from_svg(page) == qr_modules(created.context["url"])
    # The link shown again still admits people.
    token = created.context["url"].rstrip("/").rsplit("/", 1)[-1]
    assert invitation_for_token(token) == invitation


@pytest.mark.parametrize("role", ROLES)
def test_only_the_bodys_facilitators_see_a_link_again(cast, role):
    invitation, token = invitation_create(cast.alice, cast.north)
    response = cast.client(cast.roles[role]).get(_show_url(cast, invitation))
    assert_answer(response, SHOW[role])
    assert (token in response.content.decode()) is (SHOW[role] == 200)


def test_a_link_of_another_body_is_not_found(cast):
    invitation, _token = invitation_create(cast.frank, cast.south)
    response = cast.client(cast.alice).get(_show_url(cast, invitation))
    assert response.status_code == 404


@pytest.mark.parametrize("state", ["revoked", "used_up", "expired"])
def test_a_dead_link_is_not_shown_again(cast, state):
    invitation, token = invitation_create(cast.alice, cast.north)
    if state == "revoked":
        invitation_revoke(cast.alice, invitation)
    elif state == "used_up":
        Invitation.objects.filter(pk=invitation.pk).update(uses=1)
    else:
        Invitation.objects.filter(pk=invitation.pk).update(
            expires_at=timezone.now() - timedelta(minutes=1)
        )
    response = cast.client(cast.alice).get(_show_url(cast, invitation))
    assert response.status_code == 409
    assert token not in response.content.decode()


def test_the_database_alone_does_not_give_the_link(cast, settings):
    """Only a hash and a nonce are stored; the token needs the server's secret key too."""
    invitation, token = invitation_create(cast.alice, cast.north)
    stored = Invitation.objects.values_list("token_hash", "nonce").get(pk=invitation.pk)
    assert token not in stored and stored[0] == hash_token(token)
    assert recover_token(invitation) == token
    settings.SECRET_KEY = "another secret key, as after a rotation, long enough"
    assert recover_token(invitation) is None
    assert invitation_for_token(token) == invitation  # the link itself still works


def test_an_old_link_without_nonce_can_only_be_reissued(cast):
    invitation, token = invitation_create(cast.alice, cast.north)
    Invitation.objects.filter(pk=invitation.pk).update(nonce="")
    response = cast.client(cast.alice).get(_show_url(cast, invitation))
    assert response.status_code == 200
    page = response.content.decode()
    assert token not in page and "<svg" not in page
    assert reverse("bodies:invitation_reissue", args=[cast.north.slug, invitation.pk]) in page


# --- Re-issuing -------------------------------------------------------------------------------


def test_reissuing_kills_the_old_link_and_keeps_what_is_left(cast):
    old, old_token = invitation_create(
        cast.alice, cast.north, role="observer", days=10, max_uses=5, label="plaza"
    )
    Invitation.objects.filter(pk=old.pk).update(uses=2)
    new, new_token = invitation_reissue(cast.alice, old)
    old.refresh_from_db()
    assert old.revoked and new_token != old_token
    assert (new.role, new.label, new.max_uses, new.uses) == ("observer", "plaza", 3, 0)
    assert new.expires_at == old.expires_at
    with pytest.raises(Refused):
        invitation_for_token(old_token)
    assert invitation_for_token(new_token) == new
    entries = _entries(cast.north, "invitation.reissued")
    assert entries == [{"invitation": old.pk, "new_invitation": new.pk, "by": cast.alice.pk}]
    ledger_text = " ".join(
        LedgerEntry.objects.filter(chain=cast.north.ledger_chain).values_list("payload", flat=True)
    )
    assert old_token not in ledger_text and new_token not in ledger_text
    assert verify_chain(cast.north.ledger_chain).ok


def test_reissuing_through_the_page_shows_the_new_link(cast, settings):
    settings.SITE_URL = ""
    old, old_token = invitation_create(cast.alice, cast.north)
    client = cast.client(cast.alice)
    response = client.post(
        reverse("bodies:invitation_reissue", args=[cast.north.slug, old.pk]), follow=True
    )
    assert response.status_code == 200
    new = Invitation.objects.get(body=cast.north, revoked=False)
    url = response.context["url"]
    assert url.startswith("http://testserver/join/") and old_token not in url
    assert invitation_for_token(url.rstrip("/").rsplit("/", 1)[-1]) == new


def test_a_link_is_reissued_once(cast):
    old, _token = invitation_create(cast.alice, cast.north)
    invitation_reissue(cast.alice, old)
    client = cast.client(cast.alice)
    before = db_state()
    with pytest.raises(Conflict):
        invitation_reissue(cast.alice, old)
    response = client.post(reverse("bodies:invitation_reissue", args=[cast.north.slug, old.pk]))
    assert response.status_code == 409
    assert db_state() == before


@pytest.mark.parametrize("person", ["bob", "olivia", "frank", "oscar"])
def test_only_a_facilitator_reissues(cast, person):
    old, _token = invitation_create(cast.alice, cast.north)
    before = db_state()
    with pytest.raises(NotAllowed):
        invitation_reissue(getattr(cast, person), old)
    assert db_state() == before


def test_a_used_up_link_is_not_reissued(cast):
    old, _token = invitation_create(cast.alice, cast.north)
    Invitation.objects.filter(pk=old.pk).update(uses=1)
    before = db_state()
    with pytest.raises(Conflict):
        invitation_reissue(cast.alice, old)
    assert db_state() == before


def test_revoking_is_in_the_ledger_and_happens_once(cast):
    invitation, _token = invitation_create(cast.alice, cast.north)
    invitation_revoke(cast.alice, invitation)
    assert _entries(cast.north, "invitation.revoked") == [
        {"invitation": invitation.pk, "by": cast.alice.pk}
    ]
    with pytest.raises(Conflict):
        invitation_revoke(cast.alice, invitation)


def test_the_invitations_list_offers_show_and_reissue_for_active_links_only(cast):
    active, _t = invitation_create(cast.alice, cast.north, label="activa")
    dead, _t2 = invitation_create(cast.alice, cast.north, label="muerta")
    invitation_revoke(cast.alice, dead)
    page = cast.client(cast.alice).get(reverse("bodies:invitations", args=[cast.north.slug]))
    html = page.content.decode()
    assert _show_url(cast, active) in html
    assert _show_url(cast, dead) not in html


# --- The projector's QR code ------------------------------------------------------------------


def test_the_projector_draws_a_real_qr_of_the_checkin_address(cast, settings):
    from asamblea.meetings import actions as meet

    settings.SITE_URL = ""
    meeting = meet.meeting_schedule(
        cast.alice, cast.north, title="Sábado", starts_at=timezone.now(), place="Local"
    )
    response = cast.client(cast.bob).get(
        reverse("meetings:projector", args=[cast.north.slug, meeting.pk])
    )
    page = response.content.decode()
    assert "&lt;svg" not in page
    checkin = "http://testserver" + reverse("meetings:checkin", args=[cast.north.slug, meeting.pk])
    assert response.context["checkin_url"] == checkin
    assert qr_modules_from_svg(page) == qr_modules(checkin)
