"""A way back in without e-mail: passphrase change, recovery codes, a facilitator's reset link,
and the person told about it. Named people from asamblea.testing: alice facilitates North, bob and
carol are members, olivia observes, frank facilitates South only, oscar belongs nowhere."""

import contextlib
import json
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from asamblea import ratelimit
from asamblea.accounts import actions
from asamblea.accounts.context import FRESH_CODES
from asamblea.accounts.models import AccountNotice, PassphraseReset, RecoveryCode
from asamblea.bodies.actions import invitation_create
from asamblea.bodies.models import Membership
from asamblea.bodies.reset_actions import reset_issue
from asamblea.errors import NotAllowed, Refused
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import PASSPHRASE, assert_answer, db_state, join

pytestmark = pytest.mark.django_db
NEW = "a brand new passphrase"


def new_passphrase(**extra):
    return {"new_password": NEW, "new_password2": NEW} | extra


def can_log_in(username, password):
    return Client().login(username=username, password=password)


def membership(person, body):
    return Membership.objects.get(person=person, body=body)


# --- profile and passphrase change ----------------------------------------------------------


def test_the_header_links_to_the_profile_for_logged_in_people(cast):
    page = cast.client(cast.bob).get(reverse("bodies:home")).content.decode()
    assert f'href="{reverse("accounts:profile")}"' in page
    anonymous = cast.client(None).get(reverse("bodies:home")).content.decode()
    assert f'href="{reverse("accounts:profile")}"' not in anonymous


def test_passphrase_change_needs_the_current_passphrase(cast):
    client = cast.client(cast.bob)
    before = db_state()
    wrong = client.post(
        reverse("accounts:passphrase"), new_passphrase(current_password="not it at all")
    )
    assert_answer(wrong, 400)
    assert "current passphrase is not right" in wrong.content.decode()
    assert db_state() == before
    right = client.post(reverse("accounts:passphrase"), new_passphrase(current_password=PASSPHRASE))
    assert_answer(right, 302)
    assert can_log_in("bob", NEW) and not can_log_in("bob", PASSPHRASE)
    # This session goes on.
    assert_answer(client.get(reverse("accounts:profile")), 200)


def test_passphrase_change_ends_the_other_sessions(cast):
    phone, laptop = Client(), Client()
    phone.login(username="bob", password=PASSPHRASE)
    laptop.login(username="bob", password=PASSPHRASE)
    phone.post(reverse("accounts:passphrase"), new_passphrase(current_password=PASSPHRASE))
    assert_answer(laptop.get(reverse("accounts:profile")), "login")
    assert_answer(phone.get(reverse("accounts:profile")), 200)


@pytest.mark.parametrize(
    "data",
    [
        {"new_password": "short", "new_password2": "short"},
        {"new_password": NEW, "new_password2": NEW + "x"},
        {"new_password": "x" * 201, "new_password2": "x" * 201},
        {"new_password": "", "new_password2": ""},
    ],
)
def test_passphrase_change_refuses_bad_new_passphrases(cast, data):
    client = cast.client(cast.bob)
    before = db_state()
    response = client.post(reverse("accounts:passphrase"), data | {"current_password": PASSPHRASE})
    assert_answer(response, 400)
    assert db_state() == before


# --- recovery codes -------------------------------------------------------------------------


def signup(client, token, username="nina"):
    return client.post(
        reverse("bodies:join", args=[token]),
        {
            "display_name": "Nina",
            "username": username,
            "password": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "language": "en",
        },
    )


def test_sign_up_shows_ten_recovery_codes_until_saved(cast):
    _invitation, token = invitation_create(cast.alice, cast.north)
    client = cast.client(None)
    response = signup(client, token)
    assert_answer(response, 302)
    codes = client.session[FRESH_CODES]
    assert len(codes) == len(set(codes)) == 10
    page = client.get(response["Location"]).content.decode()
    assert all(code in page for code in codes)
    assert "I have saved my recovery codes" in page
    client.post(reverse("accounts:recovery_codes_saved"), {"next": "/"})
    page = client.get(reverse("bodies:home")).content.decode()
    assert not any(code in page for code in codes)
    # Only hashes are stored.
    stored = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert len(stored) == 10 and not any(code in json.dumps(stored) for code in codes)


def test_a_recovery_code_sets_a_new_passphrase_once(cast):
    codes = actions.recovery_codes_issue(cast.bob)
    client = cast.client(None)
    response = client.post(
        reverse("accounts:recover"), new_passphrase(username="BOB", code=codes[3].upper())
    )
    assert_answer(response, 302)
    assert client.session["_auth_user_id"] == str(cast.bob.pk)
    assert can_log_in("bob", NEW)
    assert actions.recovery_codes_left(cast.bob) == 9
    assert AccountNotice.objects.filter(person=cast.bob, kind="code_used").count() == 1
    # The same code does not work twice.
    before = db_state()
    again = cast.client(None).post(
        reverse("accounts:recover"), new_passphrase(username="bob", code=codes[3])
    )
    assert_answer(again, 400)
    assert "do not match" in again.content.decode()
    assert db_state() == before


@pytest.mark.parametrize(
    ("username", "code"),
    [("bob", "aaaa-bbbb-cccc-dddd"), ("carol", None), ("nobody", None), ("bob", "x" * 64)],
)
def test_recovery_refuses_a_wrong_code_or_someone_elses(cast, username, code):
    codes = actions.recovery_codes_issue(cast.bob)
    before = db_state()
    response = cast.client(None).post(
        reverse("accounts:recover"), new_passphrase(username=username, code=code or codes[0])
    )
    assert_answer(response, 400)
    assert db_state() == before


def test_recovery_is_rate_limited(cast, settings, monkeypatch):
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"login_account": (3, 300)}
    cache.clear()
    codes = actions.recovery_codes_issue(cast.bob)
    for index in range(3):
        cast.client(None).post(
            reverse("accounts:recover"),
            new_passphrase(username="bob", code="wrong-code"),
            REMOTE_ADDR=f"10.9.0.{index}",
        )
    before = db_state()
    response = cast.client(None).post(
        reverse("accounts:recover"), new_passphrase(username="bob", code=codes[0])
    )
    assert_answer(response, 400)
    assert "Too many attempts" in response.content.decode()
    assert db_state() == before
    with contextlib.suppress(Exception):
        cache.clear()


def test_new_recovery_codes_need_the_passphrase_and_replace_the_old(cast):
    old = actions.recovery_codes_issue(cast.bob)
    client = cast.client(cast.bob)
    before = db_state()
    assert_answer(client.post(reverse("accounts:recovery_codes"), {"current_password": "no"}), 400)
    assert db_state() == before
    response = client.post(reverse("accounts:recovery_codes"), {"current_password": PASSPHRASE})
    assert_answer(response, 302)
    fresh = client.session[FRESH_CODES]
    assert set(fresh).isdisjoint(old)
    with pytest.raises(Refused):
        actions.passphrase_recover("bob", code=old[0], new=NEW)
    assert actions.passphrase_recover("bob", code=fresh[0], new=NEW) == cast.bob


# --- facilitator reset links ----------------------------------------------------------------


def test_a_facilitator_issues_a_reset_link_recorded_in_the_ledger(cast):
    response = cast.client(cast.alice).post(
        reverse("bodies:member_reset", args=[cast.north.slug, membership(cast.bob, cast.north).pk])
    )
    assert_answer(response, 200)
    url = response.context["url"]
    assert "/accounts/reset/" in url
    entry = LedgerEntry.objects.filter(chain=cast.north.ledger_chain).latest("seq")
    assert entry.kind == "member.reset_issued"
    assert json.loads(entry.payload) == {"person": cast.bob.pk, "by": cast.alice.pk}
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert not PassphraseReset.objects.filter(token_hash__contains=token).exists()


def test_the_reset_link_works_once_ends_other_sessions_and_is_recorded(cast):
    token = reset_issue(cast.alice, membership(cast.bob, cast.north))
    old_session = cast.client(cast.bob)
    page = cast.client(None).get(reverse("accounts:reset", args=[token]))
    assert_answer(page, 200)
    assert "bob" in page.content.decode()  # the login name is shown
    phone = Client()
    assert_answer(phone.post(reverse("accounts:reset", args=[token]), new_passphrase()), 302)
    assert phone.session["_auth_user_id"] == str(cast.bob.pk)
    assert can_log_in("bob", NEW)
    assert_answer(old_session.get(reverse("accounts:profile")), "login")
    entry = LedgerEntry.objects.filter(chain=cast.north.ledger_chain).latest("seq")
    assert (entry.kind, json.loads(entry.payload)) == ("member.reset_used", {"person": cast.bob.pk})
    before = db_state()
    again = Client().post(
        reverse("accounts:reset", args=[token]), new_passphrase(new_password2=NEW)
    )
    assert_answer(again, 404)
    assert db_state() == before


def test_the_person_is_told_at_next_login(cast):
    token = reset_issue(cast.alice, membership(cast.bob, cast.north))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(
        reverse("accounts:login"), {"username": "bob", "password": PASSPHRASE}, follow=True
    )
    text = response.content.decode()
    assert "issued a reset link for your account" in text and "Alice" in text
    actions.reset_use(token, new=NEW)
    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(
        reverse("accounts:login"), {"username": "bob", "password": NEW}, follow=True
    )
    assert "changed with a reset link issued by Alice" in response.content.decode()
    # Told once at login; the profile keeps the history.
    again = Client(HTTP_ACCEPT_LANGUAGE="en")
    again.cookies["django_language"] = "en"
    again.login(username="bob", password=NEW)
    assert "reset link" not in again.get(reverse("bodies:home")).content.decode()
    assert "reset link" in again.get(reverse("accounts:profile")).content.decode()


def test_a_new_reset_link_replaces_the_old_one(cast):
    first = reset_issue(cast.alice, membership(cast.bob, cast.north))
    second = reset_issue(cast.alice, membership(cast.bob, cast.north))
    assert_answer(Client().get(reverse("accounts:reset", args=[first])), 404)
    assert_answer(Client().get(reverse("accounts:reset", args=[second])), 200)


def test_an_expired_or_unknown_reset_link_is_refused(cast):
    token = reset_issue(cast.alice, membership(cast.bob, cast.north))
    PassphraseReset.objects.update(expires_at="2000-01-01T00:00:00Z")
    for bad in (token, "nope", "x" * 101):
        assert_answer(Client().post(reverse("accounts:reset", args=[bad]), new_passphrase()), 404)
    assert can_log_in("bob", PASSPHRASE)


def test_a_weak_passphrase_through_a_reset_link_changes_nothing(cast):
    token = reset_issue(cast.alice, membership(cast.bob, cast.north))
    before = db_state()
    response = Client().post(
        reverse("accounts:reset", args=[token]), {"new_password": "a", "new_password2": "a"}
    )
    assert_answer(response, 400)
    assert db_state() == before


def test_a_facilitator_cannot_reset_themselves(cast):
    with pytest.raises(Refused):
        reset_issue(cast.alice, membership(cast.alice, cast.north))


def test_a_facilitator_cannot_reset_another_facilitator(cast):
    join(cast.frank, cast.north)  # frank facilitates South and is a member of North
    with pytest.raises(NotAllowed):
        reset_issue(cast.alice, membership(cast.frank, cast.north))
    co_facilitator = membership(cast.carol, cast.north)
    co_facilitator.role = Membership.Role.FACILITATOR
    co_facilitator.save()
    with pytest.raises(NotAllowed):
        reset_issue(cast.alice, co_facilitator)


def test_a_facilitator_of_another_assembly_cannot_reset_a_member_here(cast):
    frank = cast.client(cast.frank)
    before = db_state()
    response = frank.post(
        reverse("bodies:member_reset", args=[cast.north.slug, membership(cast.bob, cast.north).pk])
    )
    assert_answer(response, 404)
    with pytest.raises(NotAllowed):
        reset_issue(cast.frank, membership(cast.bob, cast.north))
    # Nor through his own assembly's URL with a membership of North.
    response = frank.post(
        reverse("bodies:member_reset", args=[cast.south.slug, membership(cast.bob, cast.north).pk])
    )
    assert_answer(response, 404)
    assert db_state() == before


def test_members_and_observers_cannot_issue_reset_links(cast):
    clients = [cast.client(person) for person in (cast.bob, cast.olivia)]
    before = db_state()
    for client in clients:
        response = client.post(
            reverse(
                "bodies:member_reset", args=[cast.north.slug, membership(cast.carol, cast.north).pk]
            )
        )
        assert_answer(response, 403)
    assert db_state() == before


def test_a_suspended_member_gets_no_reset_link(cast):
    target = membership(cast.bob, cast.north)
    target.status = Membership.Status.SUSPENDED
    target.save()
    with pytest.raises(Refused):
        reset_issue(cast.alice, target)


def test_the_members_page_offers_reset_links_only_for_non_facilitators(cast):
    page = cast.client(cast.alice).get(reverse("bodies:members", args=[cast.north.slug]))
    text = page.content.decode()
    for person in (cast.bob, cast.carol, cast.olivia):
        url = reverse(
            "bodies:member_reset", args=[cast.north.slug, membership(person, cast.north).pk]
        )
        assert url in text
    own = reverse(
        "bodies:member_reset", args=[cast.north.slug, membership(cast.alice, cast.north).pk]
    )
    assert own not in text
    member_page = cast.client(cast.bob).get(reverse("bodies:members", args=[cast.north.slug]))
    assert "Issue a reset link" not in member_page.content.decode()


def test_the_profile_asks_for_recovery_codes_when_there_are_none(cast):
    client = cast.client(cast.bob)
    assert "You have no recovery codes" in client.get(reverse("accounts:profile")).content.decode()
    actions.recovery_codes_issue(cast.bob)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "You have no recovery codes" not in page
    assert "10 codes left" in page


def test_the_ledger_page_reads_reset_links_as_sentences(cast):
    token = reset_issue(cast.alice, membership(cast.bob, cast.north))
    actions.reset_use(token, new=NEW)
    client = cast.client(cast.carol, language="es")
    page = client.get(reverse("bodies:ledger", args=[cast.north.slug])).content.decode()
    assert "Alice emitió un enlace para restablecer la frase de acceso de Bob." in page
    assert "Bob puso una nueva frase de acceso con un enlace de restablecimiento." in page
