"""The lean endpoint decides who is asking and whether a request is forged as Django does.

:mod:`asamblea.lean.session` re-implements ``django.contrib.auth.get_user`` for batches, and
:mod:`asamblea.lean.csrf` the checks of ``HttpRequest.get_host`` and ``CsrfViewMiddleware``
for raw ASGI requests. These tests run both on the same inputs — every combination of the
cases that matter, and generated ones — and require the same decision. A Django upgrade that
changes how Django decides fails here, loudly, instead of letting the lean endpoint drift.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.http.cookie import parse_cookie
from django.middleware.csrf import CsrfViewMiddleware
from django.test import RequestFactory, override_settings
from django.utils import timezone
from django.utils.crypto import salted_hmac
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from asamblea.errors import NotAllowed
from asamblea.lean import answers, csrf, session
from asamblea.testing import make_person
from tests.lean_client import csrf_pair

CURRENT_KEY = "lean-test-current-secret-key-0123456789-abcdefghijklmnop"  # noqa: S105
FALLBACK_KEY = "lean-test-fallback-secret-key-0123456789-abcdefghijklmn"  # noqa: S105
UNKNOWN_KEY = "lean-test-unknown-secret-key-0123456789-abcdefghijklmno"  # noqa: S105
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"

keys = override_settings(SECRET_KEY=CURRENT_KEY, SECRET_KEY_FALLBACKS=[FALLBACK_KEY])


def test_the_project_uses_djangos_model_backend_and_default_session_and_csrf_settings():
    """What the lean endpoint assumes; a change here needs a look at asamblea.lean."""
    assert list(settings.AUTHENTICATION_BACKENDS) == [MODEL_BACKEND]
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.CSRF_HEADER_NAME == "HTTP_X_CSRFTOKEN"
    assert not settings.CSRF_USE_SESSIONS
    assert settings.CSRF_COOKIE_DOMAIN is None


# ---------------------------------------------------------------------------------------------
# Who is asking: asamblea.lean.session against django.contrib.auth.get_user


def djangos_person(key: str) -> int | None:
    request = HttpRequest()
    request.session = SessionStore(session_key=key)
    user = auth.get_user(request)
    return user.pk if user.is_authenticated else None


def _session_hash(password: str, secret: str) -> str:
    return salted_hmac(HASH_SALT, password, secret=secret, algorithm="sha256").hexdigest()


SIGNED_WITH = ("current", "fallback", "unknown", "tampered")
HASHES = ("current", "fallback_key", "old_passphrase", "missing", "garbage")
BACKENDS = ("model", "other")
PEOPLE = ("active", "inactive", "gone")
EXPIRED = (False, True)


def _make_session(person, signed_with, hash_kind, backend, expired) -> str:
    data: dict[str, str] = {
        SESSION_KEY: str(person.pk) if person is not None else "987654321",
        BACKEND_SESSION_KEY: MODEL_BACKEND if backend == "model" else "asamblea.nobody.Backend",
    }
    password = person.password if person is not None else "argon2$nobody"
    hashes = {
        "current": _session_hash(password, CURRENT_KEY),
        "fallback_key": _session_hash(password, FALLBACK_KEY),
        "old_passphrase": _session_hash(password + "x", CURRENT_KEY),
        "garbage": "0" * 64,
    }
    if hash_kind in hashes:
        data[HASH_SESSION_KEY] = hashes[hash_kind]
    signing_key = {"fallback": FALLBACK_KEY, "unknown": UNKNOWN_KEY}.get(signed_with, CURRENT_KEY)
    with override_settings(SECRET_KEY=signing_key):
        store = SessionStore()
        store.update(data)
        store.create()
    key = str(store.session_key)
    if signed_with == "tampered":
        row = Session.objects.get(pk=key)
        flipped = "A" if row.session_data[-1] != "A" else "B"
        Session.objects.filter(pk=key).update(session_data=row.session_data[:-1] + flipped)
    if expired:
        Session.objects.filter(pk=key).update(expire_date=timezone.now() - timedelta(seconds=1))
    return key


@pytest.mark.django_db
@keys
def test_session_decisions_are_djangos_for_every_combination():
    active = make_person("activa")
    inactive = make_person("inactiva", is_active=False)
    people = {"active": active, "inactive": inactive, "gone": None}
    cases = list(itertools.product(SIGNED_WITH, HASHES, BACKENDS, PEOPLE, EXPIRED))
    accepted = 0
    for signed_with, hash_kind, backend, who, expired in cases:
        person = people[who]
        key = _make_session(person, signed_with, hash_kind, backend, expired)
        # The lean check first: Django's flushes a session whose hash does not match, and
        # rotates one whose hash was made with a fallback key.
        lean = session.person_id(key)
        django = djangos_person(key)
        case = (signed_with, hash_kind, backend, who, expired)
        assert lean == django, case
        accepted += lean is not None
    # Both accept exactly: signed with a key Django knows, current or fallback hash, Django's
    # backend, an active person, not expired.
    assert accepted == 2 * 2 * 1 * 1 * 1


@pytest.mark.django_db
@keys
def test_session_cookies_are_read_as_django_reads_them():
    person = make_person("galletita")
    key = _make_session(person, "current", "current", "model", expired=False)
    name = settings.SESSION_COOKIE_NAME
    cookie_headers = [
        f"{name}={key}",
        f'{name}="{key}"',
        f"{name}={key.upper()}",
        f"{name}={key[:7]}",
        f"{name}={key} ",
        f"{name}={key}; {name}=other",
        f"other={key}",
        f"{name}=",
        "",
    ]
    for header in cookie_headers:
        cookies = parse_cookie(header)
        lean = (
            session.person_id(session.session_key(cookies))
            if session.session_key(cookies)
            else None
        )
        django = djangos_person(cookies[name]) if name in cookies else None
        assert lean == django, header
    assert session.person_id(key) == person.pk


@pytest.mark.django_db
@keys
def test_a_changed_passphrase_logs_the_old_session_out_on_both():
    person = make_person("cambia")
    key = _make_session(person, "current", "current", "model", expired=False)
    assert session.person_id(key) == djangos_person(key) == person.pk
    person.set_password("another passphrase entirely")
    person.save()
    assert session.person_id(key) is None
    assert djangos_person(key) is None


@pytest.mark.django_db
@keys
def test_what_a_session_verified_to_is_not_kept_past_a_change_of_keys():
    """The lean app remembers a verified session (the voter's next requests carry it again):
    once the secret keys change, it is verified again, as Django does."""
    person = make_person("recuerda")
    key = _make_session(person, "current", "current", "model", expired=False)
    assert session.person_id(key) == session.person_id(key) == person.pk
    with override_settings(SECRET_KEY="another-key-" + "k" * 50, SECRET_KEY_FALLBACKS=[]):
        assert session.person_id(key) is None
        assert djangos_person(key) is None
    assert session.person_id(key) == djangos_person(key) == person.pk


# ---------------------------------------------------------------------------------------------
# Forged or not: asamblea.lean.csrf against CsrfViewMiddleware and HttpRequest.get_host


@dataclass(frozen=True)
class Sent:
    """One POST as it arrives: the raw inputs both sides read."""

    scheme: str = "http"
    host: str | None = "testserver"
    origin: str | None = None
    referer: str | None = None
    cookie: str | None = None
    form_token: str | None = None
    header_token: str | None = None
    content_type: str = "application/x-www-form-urlencoded"
    forwarded_proto: str | None = None
    forwarded_host: str | None = None

    def body(self) -> bytes:
        if self.content_type == "application/json":
            return b'{"choice": "yes"}'
        token = "" if self.form_token is None else f"&csrfmiddlewaretoken={self.form_token}"
        return f"choice=yes{token}".encode()

    def meta(self) -> dict[str, str]:
        found = {
            "HTTP_HOST": self.host,
            "HTTP_ORIGIN": self.origin,
            "HTTP_REFERER": self.referer,
            "HTTP_X_CSRFTOKEN": self.header_token,
            "HTTP_X_FORWARDED_PROTO": self.forwarded_proto,
            "HTTP_X_FORWARDED_HOST": self.forwarded_host,
        }
        cookie = "" if self.cookie is None else f"{settings.CSRF_COOKIE_NAME}={self.cookie}"
        return {k: v for k, v in found.items() if v is not None} | {"HTTP_COOKIE": cookie}

    def scope_and_headers(self) -> tuple[dict[str, object], dict[str, str]]:
        headers = {"content-type": self.content_type}
        for name, value in self.meta().items():
            if name == "HTTP_COOKIE" and not value:
                continue
            headers[name.removeprefix("HTTP_").replace("_", "-").lower()] = value
        port = 443 if self.scheme == "https" else 80
        scope = {
            "type": "http",
            "method": "POST",
            "scheme": self.scheme,
            "server": ("testserver", port),
            "path": "/cast/1/",
        }
        return scope, headers


def djangos_csrf(sent: Sent) -> bool:
    request = RequestFactory().generic(
        "POST",
        "/cast/1/",
        data=sent.body(),
        content_type=sent.content_type,
        secure=sent.scheme == "https",
        **sent.meta(),
    )
    middleware = CsrfViewMiddleware(lambda request: HttpResponse())
    middleware.process_request(request)
    return middleware.process_view(request, lambda request: HttpResponse(), (), {}) is None


def leans_csrf(sent: Sent) -> bool:
    scope, headers = sent.scope_and_headers()
    cookies = parse_cookie(headers.get("cookie", ""))
    try:
        csrf.check_csrf(scope, headers, cookies, answers.form_token(sent.content_type, sent.body()))
    except NotAllowed:
        return False
    return True


def djangos_host(sent: Sent) -> bool:
    request = RequestFactory().generic(
        "POST", "/cast/1/", secure=sent.scheme == "https", **sent.meta()
    )
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


def leans_host(sent: Sent) -> bool:
    scope, headers = sent.scope_and_headers()
    return csrf.good_host(scope, headers) is not None


SECRET, MASKED = csrf_pair()
OTHER_SECRET, OTHER_MASKED = csrf_pair()

COOKIES = {
    "absent": None,
    "secret": SECRET,
    "masked": MASKED,  # a cookie set by an older Django, masked
    "other": OTHER_SECRET,
    "bad_chars": "!" * 32,
    "short": SECRET[:20],
    "empty": "",
}
TOKENS = {
    "absent": None,
    "masked": MASKED,
    "secret": SECRET,
    "other": OTHER_MASKED,
    "bad_chars": "*" * 64,
    "short": MASKED[:40],
    "empty": "",
}
ORIGINS = (
    None,
    "http://testserver",
    "https://testserver",
    "http://evil.example",
    "https://trusted.example",
    "https://sub.friends.example",
    "https://friends.example",
    "http://sub.friends.example",
    "null",
    "",
    "http://testserver:8000",
    "http://TESTSERVER",
)
REFERERS = (
    None,
    "https://testserver/b/north/p/1/",
    "http://testserver/b/north/p/1/",
    "https://evil.example/",
    "https://trusted.example/page",
    "https://deep.sub.friends.example/x",
    "https://TestServer/p",
    "https://",
    "not a url",
    "https://[::1/",
)
TRUSTED = (
    [],
    ["https://trusted.example", "https://*.friends.example"],
)


@pytest.mark.django_db
def test_origin_and_referer_decisions_are_djangos_for_every_combination():
    checked = accepted = 0
    for trusted in TRUSTED:
        with override_settings(CSRF_TRUSTED_ORIGINS=trusted):
            for scheme, origin, referer in itertools.product(("http", "https"), ORIGINS, REFERERS):
                sent = Sent(
                    scheme=scheme, origin=origin, referer=referer, cookie=SECRET, form_token=MASKED
                )
                lean = leans_csrf(sent)
                assert lean == djangos_csrf(sent), (trusted, sent)
                checked += 1
                accepted += lean
    assert checked == 2 * 2 * len(ORIGINS) * len(REFERERS)
    assert 0 < accepted < checked  # both kinds of answer were compared


@pytest.mark.django_db
def test_token_decisions_are_djangos_for_every_combination():
    checked = accepted = 0
    for content_type in ("application/x-www-form-urlencoded", "application/json"):
        for cookie, form_token, header_token in itertools.product(COOKIES, TOKENS, TOKENS):
            sent = Sent(
                cookie=COOKIES[cookie],
                form_token=TOKENS[form_token],
                header_token=TOKENS[header_token],
                content_type=content_type,
                origin="http://testserver",
            )
            lean = leans_csrf(sent)
            assert lean == djangos_csrf(sent), (content_type, cookie, form_token, header_token)
            checked += 1
            accepted += lean
    assert 0 < accepted < checked


@pytest.mark.django_db
@override_settings(
    SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"),
    USE_X_FORWARDED_HOST=True,
    ALLOWED_HOSTS=["asamblea.example"],
)
def test_behind_a_proxy_the_decisions_are_djangos():
    """With BEHIND_TLS_PROXY the scheme and the host come from the proxy's headers."""
    checked = accepted = 0
    for proto, forwarded_host, host, origin, referer in itertools.product(
        (None, "https", "http", "https, http"),
        (None, "asamblea.example", "evil.example"),
        ("asamblea.example", "127.0.0.1:8000", None),
        (None, "https://asamblea.example", "http://asamblea.example", "https://evil.example"),
        (None, "https://asamblea.example/p", "https://evil.example/p"),
    ):
        sent = Sent(
            host=host,
            forwarded_proto=proto,
            forwarded_host=forwarded_host,
            origin=origin,
            referer=referer,
            cookie=SECRET,
            form_token=MASKED,
        )
        lean = leans_csrf(sent)
        assert lean == djangos_csrf(sent), sent
        assert leans_host(sent) == djangos_host(sent), sent
        checked += 1
        accepted += lean
    assert 0 < accepted < checked


HOST_CHARS = "abcdefghijklmnopqrstuvwxyzTESV0123456789.-:[]_ @"


@pytest.mark.django_db
@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host=st.text(HOST_CHARS, max_size=30), scheme=st.sampled_from(["http", "https"]))
@example(host="testserver", scheme="http")
@example(host="testserver:8000", scheme="http")
@example(host="TESTSERVER", scheme="http")
@example(host="testserver.", scheme="https")
@example(host="[::1]:80", scheme="http")
@example(host="[::1", scheme="http")
@example(host="127.0.0.1", scheme="https")
@example(host="localhost:abc", scheme="http")
@example(host="", scheme="http")
def test_host_decisions_are_djangos(host, scheme):
    sent = Sent(scheme=scheme, host=host)
    assert leans_host(sent) == djangos_host(sent)
    with_origin = Sent(
        scheme=scheme, host=host, origin=f"{scheme}://{host}", cookie=SECRET, form_token=MASKED
    )
    assert leans_csrf(with_origin) == djangos_csrf(with_origin)


@pytest.mark.django_db
@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    origin=st.one_of(st.none(), st.text("htps:/.-*testrvxamplfind0123456789[]@", max_size=40)),
    referer=st.one_of(st.none(), st.text("htps:/.-*testrvxamplfind0123456789[]@", max_size=40)),
    scheme=st.sampled_from(["http", "https"]),
)
@override_settings(CSRF_TRUSTED_ORIGINS=["https://trusted.example", "https://*.friends.example"])
def test_generated_origins_and_referers_get_djangos_decision(origin, referer, scheme):
    sent = Sent(scheme=scheme, origin=origin, referer=referer, cookie=SECRET, form_token=MASKED)
    assert leans_csrf(sent) == djangos_csrf(sent)


def test_token_format_is_djangos():
    from django.middleware.csrf import (
        CSRF_ALLOWED_CHARS,
        InvalidTokenFormat,
        _check_token_format,
        _get_new_csrf_string,
        _mask_cipher_secret,
    )

    from asamblea.lean.csrf import well_formed

    secret = _get_new_csrf_string()
    samples = [secret, _mask_cipher_secret(secret), "", "a", secret[:-1], secret + "a"]
    samples += [secret[:5] + bad + secret[6:] for bad in ("-", "_", " ", "\n", "é", "0", "Z")]
    samples += [CSRF_ALLOWED_CHARS[:32], "!" * 32, "a" * 64, "a" * 63, "a" * 65]
    for token in samples:
        try:
            _check_token_format(token)
            django_says = True
        except InvalidTokenFormat:
            django_says = False
        assert well_formed(token) is django_says, token
