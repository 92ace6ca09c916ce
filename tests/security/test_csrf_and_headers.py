"""CSRF on every state change, a strict Content-Security-Policy with no inline script or style on
any page, and the security headers on every answer."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from asamblea.middleware import CONTENT_SECURITY_POLICY
from asamblea.voting.actions import ballot_cast, poll_close
from tests.security.world import ROUTES, build, fingerprint

POST_ROUTES = sorted(name for name, route in ROUTES.items() if route.post is not None)
GET_ROUTES = sorted(name for name, route in ROUTES.items() if route.get)

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style[\s>]", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


def csrf_client(person) -> Client:
    client = Client(enforce_csrf_checks=True)
    if person is not None:
        client.force_login(person)
    return client


@pytest.mark.parametrize("name", POST_ROUTES)
@pytest.mark.django_db
def test_post_without_csrf_token_is_refused_and_changes_nothing(name):
    world = build()
    route = ROUTES[name]
    # The facilitator may do everything in North, so only the missing token can refuse.
    client = csrf_client(world.cast.alice)
    url = reverse(name, kwargs=route.kwargs(world))
    before = fingerprint()
    response = client.post(url, route.post(world))
    assert response.status_code == 403
    assert fingerprint() == before


@pytest.mark.parametrize("name", POST_ROUTES)
@pytest.mark.django_db
def test_post_with_a_forged_csrf_token_is_refused(name):
    world = build()
    route = ROUTES[name]
    client = csrf_client(world.cast.alice)
    client.cookies["csrftoken"] = "a" * 32
    url = reverse(name, kwargs=route.kwargs(world))  # may build the route's objects: first
    before = fingerprint()
    response = client.post(url, route.post(world) | {"csrfmiddlewaretoken": "b" * 32})
    assert response.status_code == 403
    assert fingerprint() == before


@pytest.mark.django_db
def test_post_with_the_csrf_token_of_the_page_is_accepted():
    world = build()
    client = csrf_client(world.cast.bob)
    client.get(reverse("motions:create", args=[world.cast.north.slug]))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("motions:create", args=[world.cast.north.slug]),
        {"title": "Pan", "text": "Pan para todos", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


def assert_strict_page(response, where: str) -> None:
    if response.streaming:
        # A live event stream (text/event-stream), not a page: it may never end, so only its
        # headers are checked. (Not closed here: closing fires request_finished, which would
        # close the test's database connection.)
        assert response["Content-Type"].startswith("text/event-stream"), where
        assert_security_headers(response, where)
        return
    if not response["Content-Type"].startswith("text/html"):
        # Downloads (PDF minutes, JSON results, BLT ballots) are not rendered as pages.
        assert_security_headers(response, where)
        return
    html = response.content.decode("utf-8")
    assert not INLINE_SCRIPT.search(html), f"inline <script> in {where}"
    assert not STYLE_ATTRIBUTE.search(html), f"style= attribute in {where}"
    assert not STYLE_ELEMENT.search(html), f"<style> element in {where}"
    assert not EVENT_HANDLER.search(html), f"inline event handler in {where}"
    assert_security_headers(response, where)


def assert_security_headers(response, where: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    assert csp == CONTENT_SECURITY_POLICY, f"CSP missing or changed in {where}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert response.headers.get("Referrer-Policy") == "same-origin", where
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), where


@pytest.mark.django_db
def test_no_page_has_inline_script_or_style_and_every_page_has_the_security_headers():
    world = build()
    checked = 0
    for role, person in world.roles.items():
        client = world.cast.client(person)
        for name in GET_ROUTES:
            response = client.get(reverse(name, kwargs=ROUTES[name].kwargs(world)))
            assert response.status_code != 500
            if response.status_code != 302:
                assert_strict_page(response, f"GET {name} as {role}")
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("name", POST_ROUTES)
@pytest.mark.django_db
def test_answers_to_forms_have_no_inline_script_or_style(name):
    """Pages rendered by a POST (an invitation with its QR code, a refusal, a vote receipt)."""
    for role in ("facilitator", "member", "observer"):
        savepoint = transaction.savepoint()
        world = build()
        response = world.cast.client(world.roles[role]).post(
            reverse(name, kwargs=ROUTES[name].kwargs(world)), ROUTES[name].post(world)
        )
        if response.status_code != 302:
            assert_strict_page(response, f"POST {name} as {role}")
        transaction.savepoint_rollback(savepoint)


@pytest.mark.django_db
def test_closed_vote_page_with_its_chart_and_error_pages_are_strict():
    world = build()
    for person, choice in ((world.cast.bob, "yes"), (world.cast.carol, "no")):
        ballot_cast(person, world.poll, choice=choice)
    poll_close(world.cast.alice, world.poll)
    client = world.cast.client(world.cast.bob)
    page = client.get(reverse("voting:detail", args=[world.cast.north.slug, world.poll.pk]))
    assert b"<svg" in page.content
    assert_strict_page(page, "closed secret vote")
    missing = client.get("/b/no-such-body/")
    assert missing.status_code == 404
    assert_strict_page(missing, "404 page")
    invalid = client.get(reverse("bodies:join", args=["not-a-token"]))
    assert invalid.status_code == 400
    assert_strict_page(invalid, "refusal page")


def test_static_script_files_are_served_with_the_security_headers(client):
    response = client.get("/static/asamblea/asamblea.js")
    assert response.status_code == 200
    assert response.headers.get("X-Content-Type-Options") == "nosniff"
