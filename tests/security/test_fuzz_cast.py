"""The lean ``/cast/<poll>/`` endpoint and the live stream's ``Last-Event-ID`` over the whole of
Unicode: field names, values and path segments with digits that are not 0-9, format and space
characters, escaped lone surrogates and very long text get a clear answer, never a 500, and a
refused request stores nothing."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import quote_from_bytes

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asamblea.lean.app import LeanApp
from asamblea.live.broker import parse_id
from asamblea.testing import make_cast
from asamblea.voting.actions import poll_open
from asamblea.voting.models import Ballot
from tests.lean_client import call, csrf_pair, request_scope
from tests.security.unicode_input import TRICKY_DIGITS, field_names, unicode_text, urlencoded

pytestmark = pytest.mark.django_db(transaction=True)

FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def lean_app():
    app = LeanApp()
    yield app
    app.shutdown()


@pytest.fixture
def scene():
    cast = make_cast()
    poll = poll_open(cast.alice, cast.north, title="Huelga", secrecy="secret")
    client = Client()
    client.force_login(cast.bob)
    return poll, client.cookies["sessionid"].value


def _answer(app, scope, body):
    return asyncio.run(call(app, scope, body))


def test_fuzzed_form_bodies_over_all_of_unicode_never_fail(lean_app, scene):
    poll, key = scene
    secret, token = csrf_pair()
    valid = {"choice": "yes", "csrfmiddlewaretoken": token}
    values = st.one_of(unicode_text, st.sampled_from(["yes", "no", "abstain", token]))

    @FUZZ
    @given(over=st.dictionaries(field_names(valid), values, max_size=4))
    def check(over):
        before = Ballot.objects.filter(poll=poll).count()
        scope = request_scope(
            poll.pk,
            session_key=key,
            csrf=(secret, token),
            content_type="application/x-www-form-urlencoded",
        )
        answer = _answer(lean_app, scope, urlencoded({**valid, **over}))
        assert answer.status < 500, answer.body
        after = Ballot.objects.filter(poll=poll).count()
        assert after == before + (1 if answer.status == 200 else 0)

    check()
    assert Ballot.objects.filter(poll=poll).count() <= 1


def test_fuzzed_json_bodies_over_all_of_unicode_never_fail(lean_app, scene):
    poll, key = scene
    csrf = csrf_pair()

    @FUZZ
    @given(data=st.dictionaries(field_names(["choice"]), unicode_text, max_size=3))
    def check(data):
        scope = request_scope(poll.pk, session_key=key, csrf=csrf)
        body = json.dumps(data).encode()  # JSON escapes lone surrogates as \ud800
        answer = _answer(lean_app, scope, body)
        assert answer.status < 500, answer.body

    check()


@pytest.mark.parametrize("segment", ["²", "٣", "１", "𝟙", "1²", "\u200b1", "%ED%A0%80"])
def test_a_cast_address_with_digits_that_are_not_0_to_9_is_not_found(lean_app, scene, segment):
    poll, key = scene
    scope = request_scope(poll.pk, session_key=key, csrf=csrf_pair())
    scope["path"] = f"/cast/{segment}/"
    answer = _answer(lean_app, scope, b'{"choice": "yes"}')
    assert (answer.status, answer.code) == (404, "not_found")
    assert Ballot.objects.filter(poll=poll).count() == 0


def test_fuzzed_cast_addresses_never_fail(lean_app, scene):
    poll, key = scene

    @FUZZ
    @given(segment=unicode_text)
    def check(segment):
        scope = request_scope(poll.pk, session_key=key, csrf=csrf_pair())
        # ASGI servers hand the path decoded; a surrogate arrives as its escaped bytes.
        raw = segment[:3000].encode("utf-8", "surrogatepass")
        scope["path"] = "/cast/" + raw.decode("utf-8", "replace") + "/"
        scope["raw_path"] = b"/cast/" + quote_from_bytes(raw).encode() + b"/"
        answer = _answer(lean_app, scope, b'{"choice": "no"}')
        assert answer.status < 500, answer.body

    check()


@pytest.mark.parametrize("digit", TRICKY_DIGITS)
def test_last_event_id_with_other_digits_is_ignored(digit):
    assert parse_id(f"abc-{digit}") is None
    assert parse_id(f"abc-1{digit}") is None
    assert parse_id("abc-12") == ("abc", 12)
