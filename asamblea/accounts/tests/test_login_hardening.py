"""Login hardening: device cookies against lock-outs, one spelling per login name, client
addresses only from trusted proxies, HSTS over HTTPS. The clock is frozen so a rate-limit window
never ends mid-test."""

import contextlib
from types import SimpleNamespace

import pytest
from django.core import signing
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from asamblea import ratelimit
from asamblea.accounts import devices, names
from asamblea.accounts.forms import NEUTRAL_LOGIN_ERROR
from asamblea.accounts.models import Person
from asamblea.bodies.actions import invitation_create
from asamblea.testing import PASSPHRASE, db_state, make_person

pytestmark = pytest.mark.django_db
WRONG = "not the passphrase"


@pytest.fixture(autouse=True)
def limits(settings, monkeypatch):
    now = SimpleNamespace(value=1_800_000_000.0)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: now.value))
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = {
        "login_account": (3, 300),
        "login_address": (6, 300),
        "invitation_redeem": (50, 300),
        "ballot_cast": (3, 60),
    }
    cache.clear()
    yield now
    with contextlib.suppress(Exception):
        cache.clear()


def attempt(client, username, password, address="10.0.0.1", **extra):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **extra,
    )


def logged_in(client):
    return "_auth_user_id" in client.session


def errors(response):
    return [str(e) for e in response.context["form"].non_field_errors()]


# --- 12.8 device cookies --------------------------------------------------------------------


def test_a_known_device_logs_in_while_strangers_are_locked_out(cast):
    phone = Client()
    assert attempt(phone, "bob", PASSPHRASE).status_code == 302
    assert devices.COOKIE_NAME in phone.cookies
    phone.post(reverse("accounts:logout"))
    for address in ("10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"):
        assert attempt(Client(), "bob", WRONG, address).status_code == 400
    # An unknown browser with the right passphrase is refused, neutrally.
    stranger = Client()
    response = attempt(stranger, "bob", PASSPHRASE, "10.0.0.9")
    assert response.status_code == 400
    assert errors(response) == [str(NEUTRAL_LOGIN_ERROR)]
    assert not logged_in(stranger)
    # Bob's own phone still gets in.
    assert attempt(phone, "bob", PASSPHRASE).status_code == 302
    assert phone.session["_auth_user_id"] == str(cast.bob.pk)


def test_a_device_cookie_with_too_many_failures_is_locked(cast):
    phone = Client()
    assert attempt(phone, "bob", PASSPHRASE).status_code == 302
    phone.post(reverse("accounts:logout"))
    for _ in range(3):
        assert attempt(phone, "bob", WRONG).status_code == 400
    # The device is locked: from now on it is a stranger, counted against the name.
    for _ in range(3):
        assert attempt(phone, "bob", WRONG).status_code == 400
    response = attempt(phone, "bob", PASSPHRASE)
    assert response.status_code == 400
    assert not logged_in(phone)
    assert attempt(Client(), "bob", PASSPHRASE, "10.0.0.8").status_code == 400


def test_failures_on_the_own_device_do_not_lock_out_other_devices_early(cast):
    phone = Client()
    assert attempt(phone, "bob", PASSPHRASE).status_code == 302
    phone.post(reverse("accounts:logout"))
    for _ in range(2):
        assert attempt(phone, "bob", WRONG).status_code == 400
    assert attempt(Client(), "bob", PASSPHRASE, "10.0.0.8").status_code == 302


def test_a_device_cookie_trusts_only_the_person_it_was_issued_for(cast):
    phone = Client()
    assert attempt(phone, "bob", PASSPHRASE).status_code == 302
    for address in ("10.0.0.2", "10.0.0.3", "10.0.0.4"):
        attempt(Client(), "carol", WRONG, address)
    assert attempt(phone, "carol", PASSPHRASE).status_code == 400


def test_a_forged_or_foreign_device_cookie_is_ignored(cast, settings):
    for _ in range(3):
        attempt(Client(), "bob", WRONG, "10.0.0.2")
    forged = Client()
    tag = devices._name_tag("bob")
    forged.cookies[devices.COOKIE_NAME] = signing.dumps(
        [[tag, "nonce", 1_800_000_000]], salt="another salt"
    )
    assert attempt(forged, "bob", PASSPHRASE).status_code == 400
    garbage = Client()
    garbage.cookies[devices.COOKIE_NAME] = "x" * 5000
    assert attempt(garbage, "bob", PASSPHRASE).status_code == 400


def test_successful_logins_do_not_count_against_the_address(cast):
    """A meeting on one Wi-Fi: everyone logs in from the same address."""
    for _round in range(3):
        for person in (cast.alice, cast.bob, cast.carol, cast.olivia):
            assert attempt(Client(), person.username, PASSPHRASE, "192.0.2.1").status_code == 302


def test_a_hall_on_one_address_can_all_join_and_log_in(cast, settings):
    """Successful sign-ups through an invitation do not count against the address either."""
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"invitation_redeem": (3, 300)}
    _invitation, token = invitation_create(cast.alice, cast.north, max_uses=20)
    for index in range(8):
        response = Client().post(
            reverse("bodies:join", args=[token]),
            {
                "display_name": f"Vecina {index}",
                "username": f"vecina{index}",
                "password": "a long enough passphrase",
                "password2": "a long enough passphrase",
                "language": "en",
            },
            REMOTE_ADDR="192.0.2.9",
        )
        assert response.status_code == 302, index
    assert Person.objects.filter(username__startswith="vecina").count() == 8


def test_the_device_cookie_is_signed_http_only_and_expires(cast):
    phone = Client()
    attempt(phone, "bob", PASSPHRASE)
    morsel = phone.cookies[devices.COOKIE_NAME]
    assert morsel["httponly"]
    assert int(morsel["max-age"]) == devices.MAX_AGE
    assert "bob" not in morsel.value
    value = signing.loads(morsel.value, salt="asamblea.accounts.device")
    assert value[0][0] == devices._name_tag("bob")


# --- 12.9 login names -----------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["kusı", "kus\u0131", "KUSİ", "ku\u200bsi"])
def test_a_look_alike_spelling_does_not_log_in_as_someone_else(spelling):
    make_person("kusi")
    client = Client()
    assert attempt(client, spelling, PASSPHRASE).status_code == 400
    assert not logged_in(client)


@pytest.mark.parametrize("spelling", ["kusi", "KUSI", "kuſi", "ｋｕｓｉ"])
def test_the_same_name_in_another_form_is_the_same_account(spelling):
    kusi = make_person("kusi")
    client = Client()
    assert attempt(client, spelling, PASSPHRASE).status_code == 302
    assert client.session["_auth_user_id"] == str(kusi.pk)


def test_look_alike_spellings_share_one_attempt_budget():
    make_person("kusi")
    for index, spelling in enumerate(["kuſi", "kusı", "KUSI"]):
        attempt(Client(), spelling, WRONG, f"10.0.1.{index}")
    assert attempt(Client(), "kusi", PASSPHRASE, "10.0.2.1").status_code == 400


def signup(client, token, username):
    return client.post(
        reverse("bodies:join", args=[token]),
        {
            "display_name": "New",
            "username": username,
            "password": "a long enough passphrase",
            "password2": "a long enough passphrase",
            "language": "en",
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


@pytest.mark.parametrize("username", ["kuſi", "kusı", "KUSI", "ｋｕｓｉ", "kus1", "ku-si"])
def test_sign_up_refuses_a_name_that_looks_like_an_existing_one(cast, username):
    make_person("kusi") if username != "ku-si" else make_person("ku_si")
    _invitation, token = invitation_create(cast.alice, cast.north, max_uses=5)
    before = db_state()
    response = signup(Client(), token, username)
    if username in {"kus1", "ku-si"}:
        # Not a look-alike under TR39 (1 is l, not i; - is not _): accepted.
        assert response.status_code == 302
        return
    assert response.status_code == 400
    assert "looks like it" in response.content.decode()
    assert db_state() == before


@pytest.mark.parametrize("username", ["ab", "x" * 41, "ku si", "ku\u200bsi", "ku/si", "\u0301ab"])
def test_sign_up_refuses_bad_login_names(cast, username):
    _invitation, token = invitation_create(cast.alice, cast.north)
    before = db_state()
    response = signup(Client(), token, username)
    assert response.status_code == 400
    assert "Use 3 to 40 letters" in response.content.decode()
    assert db_state() == before


def test_sign_up_stores_the_normal_form_and_its_skeleton(cast):
    _invitation, token = invitation_create(cast.alice, cast.north)
    assert signup(Client(), token, "Peña.Ｑ").status_code == 302
    person = Person.objects.get(username="peña.q")
    assert person.login_skeleton == names.skeleton("peña.q")
    assert attempt(Client(), "PEÑA.q", "a long enough passphrase").status_code == 302


def test_two_accounts_cannot_share_a_skeleton_even_when_racing():
    from django.db import IntegrityError, transaction

    make_person("b0b-x")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_person("bob-x")


def test_the_migration_normalises_old_names_and_keeps_clashes_apart():
    from importlib import import_module

    from django.apps import apps

    migration = import_module("asamblea.accounts.migrations.0002_login_names")
    first = Person.objects.create(username="Ana", display_name="A", login_skeleton=None)
    second = Person.objects.create(username="second", display_name="B", login_skeleton=None)
    Person.objects.filter(pk=second.pk).update(username="ＡＮＡ")  # an old, unchecked spelling
    third = Person.objects.create(username="AnA0", display_name="C", login_skeleton=None)
    fourth = Person.objects.create(username="anao", display_name="D", login_skeleton=None)
    migration.normalise_names(apps, None)
    rows = {p.pk: (p.username, p.login_skeleton) for p in Person.objects.all()}
    assert rows[first.pk] == ("ana", "ana")
    assert rows[second.pk] == (f"ana-{second.pk}", names.skeleton(f"ana-{second.pk}"))
    assert rows[third.pk] == ("ana0", "anao")
    assert rows[fourth.pk] == ("anao", None)  # a look-alike of an older name: kept, no skeleton


# --- 12.10 client addresses -----------------------------------------------------------------


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_x_forwarded_for_is_ignored_without_a_proxy(settings):
    settings.BEHIND_TLS_PROXY = False
    assert ratelimit.client_address(request_from("127.0.0.1", "203.0.113.7")) == "127.0.0.1"


def test_behind_one_proxy_only_the_last_entry_counts(settings):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    spoofed = request_from("127.0.0.1", "198.51.100.1, 203.0.113.7")
    assert ratelimit.client_address(spoofed) == "203.0.113.7"
    assert ratelimit.client_address(request_from("127.0.0.1", "203.0.113.7")) == "203.0.113.7"


def test_behind_two_proxies_the_second_entry_from_the_right_counts(settings):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 2
    request = request_from("10.1.1.1", "198.51.100.1, 203.0.113.7, 10.0.0.2")
    assert ratelimit.client_address(request) == "203.0.113.7"
    # Fewer entries than proxies, or garbage: the peer's own address.
    assert ratelimit.client_address(request_from("10.1.1.1", "203.0.113.7")) == "10.1.1.1"
    assert ratelimit.client_address(request_from("10.1.1.1", "evil, 10.0.0.2")) == "10.1.1.1"
    assert ratelimit.client_address(request_from("10.1.1.1", "")) == "10.1.1.1"


def test_a_client_cannot_choose_its_address_to_dodge_the_address_limit(cast, settings):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXY_COUNT = 1
    for index in range(6):
        attempt(
            Client(), f"nobody{index}", WRONG, "127.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{index}, 203.0.113.7",
        )  # fmt: skip
    response = attempt(
        Client(), "carol", PASSPHRASE, "127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7"
    )
    assert response.status_code == 400
    other = attempt(Client(), "carol", PASSPHRASE, "127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert other.status_code == 302


def test_serve_does_not_let_uvicorn_rewrite_the_client_address(monkeypatch):
    import uvicorn
    from django.core.management import call_command

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: seen.update(kwargs))
    call_command("serve", "--no-migrate")
    assert seen["proxy_headers"] is False


# --- 12.11 HSTS -----------------------------------------------------------------------------


def test_hsts_is_sent_over_https_behind_the_proxy(settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = Client().get(reverse("bodies:home"), HTTP_X_FORWARDED_PROTO="https")
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = Client().get(reverse("bodies:home"))
    assert "Strict-Transport-Security" not in plain


def test_secure_cookies_turn_hsts_on_in_the_settings(monkeypatch, tmp_path):
    import subprocess
    import sys

    code = "from django.conf import settings as s; print(s.SECURE_HSTS_SECONDS)"
    base = {"ASAMBLEA_DATA_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "asamblea.settings"}
    run = [sys.executable, "-c", f"import django; django.setup(); {code}"]
    on = subprocess.run(  # noqa: S603 - our own interpreter and code
        run, env=base | {"SECURE_COOKIES": "1"}, capture_output=True, text=True, check=True
    )
    off = subprocess.run(run, env=base, capture_output=True, text=True, check=True)  # noqa: S603
    assert on.stdout.strip() == "31536000"
    assert off.stdout.strip() == "0"
