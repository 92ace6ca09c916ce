"""The open vote page as the lean app serves it is Django's page (issue 13): for every variant —
a voter before and after voting, the receipt shown once, a facilitator, an observer, a
non-member of a public assembly, each language choice — the lean page and Django's page are the
same bytes but the CSRF token's fresh mask, with the same headers. Whoever Django must answer
(anonymous, hidden poll, closed vote, pending messages, no CSRF cookie yet…) gets Django's
answer. A change of the poll shows at once (the cache key is the poll's row).
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.urls import reverse

from asamblea.lean import pages
from asamblea.lean.app import LeanApp
from asamblea.testing import Cast, make_cast
from asamblea.voting import receipt_flash
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Poll
from tests.lean_client import csrf_pair

pytestmark = pytest.mark.django_db(transaction=True)

DJANGO = 299  # what the stand-in for Django answers, so a test sees who answered


@pytest.fixture
def world() -> Cast:
    return make_cast()


@pytest.fixture
def poll(world) -> Poll:
    return poll_open(world.alice, world.north, title="Huelga <general>", secrecy="secret")


@pytest.fixture
def app():
    async def django(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": DJANGO, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})

    lean = LeanApp(pages=django)
    yield lean
    lean.shutdown()


def page_url(poll: Poll) -> str:
    return reverse("voting:detail", args=[poll.body.slug, poll.pk])


def logged_in(person, language: str | None = None) -> dict[str, str]:
    client = Client()
    client.force_login(person)
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    cookies[settings.CSRF_COOKIE_NAME] = csrf_pair()[0]
    if language:
        cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return cookies


def django_page(path: str, cookies: dict[str, str], accept_language: str = "") -> Any:
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language) if accept_language else Client()
    for name, value in cookies.items():
        client.cookies[name] = value
    return client.get(path)


def lean_page(
    app: LeanApp, path: str, cookies: dict[str, str], accept_language: str = "", query: bytes = b""
) -> tuple[int, dict[str, str], list[str], bytes]:
    headers = [(b"host", b"testserver")]
    if cookies:
        headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
    if accept_language:
        headers.append((b"accept-language", accept_language.encode()))
    scope = {
        "type": "http",
        "method": "GET",
        "scheme": "http",
        "server": ("testserver", 80),
        "path": path,
        "query_string": query,
        "headers": headers,
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    pairs = [(k.decode(), v.decode()) for k, v in sent[0]["headers"]]
    cookies_set = [v for k, v in pairs if k == "set-cookie"]
    return sent[0]["status"], dict(pairs), cookies_set, sent[1]["body"]


MASKED = re.compile(r"[a-zA-Z0-9]{64}")


def same_but_the_mask(lean: bytes, django: bytes) -> None:
    lean_text, django_text = lean.decode(), django.decode()
    assert MASKED.sub("TOKEN", lean_text) == MASKED.sub("TOKEN", django_text)
    assert len(MASKED.findall(lean_text)) >= 3  # the forms' tokens and htmx's header


def cookie_shape(value: str) -> tuple[str, list[str]]:
    """A Set-Cookie's name and attributes, without its value and expiry date."""
    name = value.split("=", 1)[0]
    parts = [part.strip() for part in value.split(";")[1:]]
    return name, sorted(part for part in parts if not part.lower().startswith("expires="))


def assert_same_page(app: LeanApp, path: str, cookies: dict[str, str], accept: str = "") -> str:
    django = django_page(path, cookies, accept)
    status, headers, set_cookies, body = lean_page(app, path, cookies, accept)
    assert django.status_code == 200
    assert status == 200, body[:300]
    same_but_the_mask(body, django.content)
    for name in (
        "Content-Type",
        "Content-Language",
        "Vary",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
        "Content-Security-Policy",
        "Permissions-Policy",
    ):
        assert headers[name.lower()] == django.headers[name], name
    assert not django.has_header("Cache-Control") and "cache-control" not in headers
    djangos = sorted(cookie_shape(m.OutputString()) for m in django.cookies.values())
    assert sorted(cookie_shape(c) for c in set_cookies) == djangos
    secret = cookies[settings.CSRF_COOKIE_NAME]
    assert f"{settings.CSRF_COOKIE_NAME}={secret};" in " ".join(set_cookies)
    return body.decode()


def test_a_voter_gets_djangos_page_before_and_after_voting(world, poll, app):
    bob = logged_in(world.bob)
    before = assert_same_page(app, page_url(poll), bob)
    assert f'action="/cast/{poll.pk}/" data-cast' in before
    assert "Bob" in before
    ballot_cast(world.bob, poll, choice="yes")
    after = assert_same_page(app, page_url(poll), bob)
    assert "data-cast" not in after
    assert "1 de 3" in after or "1 of 3" in after


def test_the_receipt_comes_back_once_as_on_djangos_page(world, poll, app):
    bob = logged_in(world.bob, "en")
    receipt = ballot_cast(world.bob, poll, choice="no").receipt
    bob[receipt_flash.COOKIE] = receipt_flash.value("poll", poll.pk, receipt)
    page = assert_same_page(app, page_url(poll), bob)
    assert receipt in page
    forged = dict(bob, **{receipt_flash.COOKIE: "x" + bob[receipt_flash.COOKIE]})
    page = assert_same_page(app, page_url(poll), forged)
    assert receipt not in page


@pytest.mark.parametrize("language,accept", [("en", ""), ("es", ""), (None, "en"), ("", "en")])
def test_every_role_that_sees_the_vote_gets_djangos_page(world, poll, app, language, accept):
    for person in (world.alice, world.bob, world.olivia):
        assert_same_page(app, page_url(poll), logged_in(person, language), accept)
    public = poll_open(world.frank, world.south, title="Olla común", secrecy="named")
    for person in (world.oscar, world.frank, world.bob):
        assert_same_page(app, page_url(public), logged_in(person, language), accept)


def test_a_facilitator_sees_the_close_button_a_member_does_not(world, poll, app):
    close = reverse("voting:close", args=[poll.body.slug, poll.pk])
    assert close in assert_same_page(app, page_url(poll), logged_in(world.alice))
    assert close not in assert_same_page(app, page_url(poll), logged_in(world.bob))


def test_django_answers_whoever_the_lean_page_does_not_serve(world, poll, app):
    path = page_url(poll)
    bob = logged_in(world.bob)
    cases = {
        "anonymous": {settings.CSRF_COOKIE_NAME: csrf_pair()[0]},
        "outsider of a members-only body": logged_in(world.oscar),
        "other facilitator": logged_in(world.frank),
        "no CSRF cookie yet": {k: v for k, v in bob.items() if k != settings.CSRF_COOKIE_NAME},
        "a malformed CSRF cookie": dict(bob, **{settings.CSRF_COOKIE_NAME: "short"}),
        "messages waiting in a cookie": dict(bob, messages="x"),
        "an unknown session": dict(bob, **{settings.SESSION_COOKIE_NAME: "a" * 32}),
    }
    for case, cookies in cases.items():
        assert lean_page(app, path, cookies)[0] == DJANGO, case
    assert lean_page(app, f"/b/south/p/{poll.pk}/", bob)[0] == DJANGO  # another body's slug
    assert lean_page(app, path, bob, query=b"x=1")[0] == DJANGO
    store = SessionStore(session_key=bob[settings.SESSION_COOKIE_NAME])
    store["_messages"] = "[]"
    store.save()
    assert lean_page(app, path, bob)[0] == DJANGO  # messages waiting in the session
    poll_close(world.alice, poll)
    assert lean_page(app, path, logged_in(world.bob))[0] == DJANGO  # closed: the result


def test_a_change_to_the_poll_shows_at_once(world, poll, app):
    bob = logged_in(world.bob, "en")
    assert "Huelga &lt;general&gt;" in lean_page(app, page_url(poll), bob)[3].decode()
    Poll.objects.filter(pk=poll.pk).update(title="Paro nacional")
    assert "Paro nacional" in assert_same_page(app, page_url(poll), bob)


def test_a_display_name_is_escaped_as_django_escapes_it(world, poll, app):
    world.bob.display_name = "<b>Bob</b> & \"co\" 'x'"
    world.bob.save()
    page = assert_same_page(app, page_url(poll), logged_in(world.bob))
    assert "<b>Bob</b>" not in page


def test_a_display_name_is_never_searched_for_the_pages_markers(world, poll, app):
    world.bob.display_name = pages.TOKEN + pages.VOTED
    world.bob.save()
    page = assert_same_page(app, page_url(poll), logged_in(world.bob))
    assert pages.TOKEN + pages.VOTED in page


def test_a_consultations_vote_in_a_member_assembly_is_a_lean_vote_page(world, app):
    """A coordination's motion put to each member assembly: the assembly that decides online
    opens an ordinary poll, whose vote page the lean app serves (and whose cast is lean)."""
    from datetime import timedelta

    from django.utils import timezone

    from asamblea.coordination import actions as coordination
    from asamblea.coordination.models import ConsultedBody
    from asamblea.motions.models import Motion
    from asamblea.testing import affiliate

    nation = coordination.coordination_create(
        world.alice, name="Nación", kind="national_coordination", visibility="public"
    )
    affiliate(world.north, nation)
    motion = Motion.objects.create(
        body=nation, number=1, title="Paro nacional", text="Convocar", state="supported"
    )
    consultation = coordination.consultation_open(
        world.alice,
        nation,
        motion,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=2),
    )
    row = ConsultedBody.objects.get(consultation=consultation, body=world.north)
    poll = coordination.consultation_poll_open(world.alice, row, secrecy="secret")
    page = assert_same_page(app, page_url(poll), logged_in(world.bob))
    assert "Paro nacional" in page
    assert f'action="/cast/{poll.pk}/" data-cast' in page
