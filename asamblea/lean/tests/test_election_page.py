"""The election ballot page while voting is open, as the lean app serves it, is Django's page
(issue 13): for every variant — an elector before and after voting, the receipt shown once, a
facilitator, an observer, a member outside the electorate, a visitor of a public assembly, each
language choice, each counting method's ballot — the lean page and Django's page are the same
bytes but the CSRF token's fresh mask, with the same headers. Whoever Django must answer gets
Django's answer, and a change to the election or its candidates shows at once.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from asamblea.bodies.models import Membership
from asamblea.elections import actions as elections
from asamblea.elections.models import Candidate, Election, Elector
from asamblea.lean import app as lean_app
from asamblea.lean import election_page
from asamblea.lean.app import LeanApp
from asamblea.lean.tests.test_pages import DJANGO, assert_same_page, lean_page, logged_in
from asamblea.live.events import publish_now
from asamblea.testing import Cast, join, make_cast, make_person
from asamblea.voting import receipt_flash
from tests.lean_client import csrf_pair

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world() -> Cast:
    return make_cast()


@pytest.fixture
def app():
    async def django(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": DJANGO, "headers": []})
        await send({"type": "http.response.body", "body": b"django"})

    lean = LeanApp(pages=django)
    yield lean
    lean.shutdown()


def open_election(world, method: str = "meek_stv", seats: int = 1, body=None) -> Election:
    body = body or world.north
    chair = world.alice if body == world.north else world.frank
    election = elections.election_create(
        chair, body, title="Comisión <de> lucha", method=method, seats=seats
    )
    people = (world.alice, world.bob, world.carol) if body == world.north else (world.frank,)
    for person in people:
        elections.nominate(person, election)
    elections.option_add(chair, election, name="Nadie & nada")
    elections.voting_open(chair, election)
    return election


def url(election: Election) -> str:
    return reverse("elections:detail", args=[election.body.slug, election.pk])


def voted(election: Election, person) -> None:
    assert Elector.objects.filter(election=election, person=person).update(voted=True) == 1
    # What a real cast sends after it commits, and the lean page's remembered turnout hears.
    publish_now("channel", "election.progress", {"election": election.pk})


@pytest.mark.parametrize(
    "method,seats",
    [("meek_stv", 2), ("plurality", 1), ("approval", 2), ("score", 1), ("consent", 1)],
)
def test_an_elector_gets_djangos_ballot_page_before_and_after_voting(world, app, method, seats):
    election = open_election(world, method, seats)
    bob = logged_in(world.bob)
    before = assert_same_page(app, url(election), bob)
    assert f'action="/cast/e/{election.pk}/" class="ballot"' in before
    assert "Nadie &amp; nada" in before and "Bob" in before
    voted(election, world.bob)
    after = assert_same_page(app, url(election), bob)
    assert 'class="ballot"' not in after
    assert "1 de 3" in after or "1 of 3" in after


def test_the_receipt_comes_back_once_as_on_djangos_page(world, app):
    election = open_election(world)
    bob = logged_in(world.bob, "en")
    voted(election, world.bob)
    receipt = "0123456789abcdef" * 2
    bob[receipt_flash.COOKIE] = receipt_flash.value("election", election.pk, receipt)
    page = assert_same_page(app, url(election), bob)
    assert receipt in page
    forged = dict(bob, **{receipt_flash.COOKIE: "x" + bob[receipt_flash.COOKIE]})
    assert receipt not in assert_same_page(app, url(election), forged)
    a_poll_s = dict(
        bob, **{receipt_flash.COOKIE: receipt_flash.value("poll", election.pk, receipt)}
    )
    assert receipt not in assert_same_page(app, url(election), a_poll_s)


@pytest.mark.parametrize("language,accept", [("en", ""), ("es", ""), (None, "en"), ("", "en")])
def test_every_role_that_sees_the_ballot_gets_djangos_page(world, app, language, accept):
    election = open_election(world)
    late = make_person("tardía")
    join(late, world.north)  # joined after voting opened: a member outside the electorate
    for person in (world.alice, world.bob, world.olivia, late):
        assert_same_page(app, url(election), logged_in(person, language), accept)
    public = open_election(world, "plurality", body=world.south)
    for person in (world.oscar, world.frank, world.bob):
        assert_same_page(app, url(public), logged_in(person, language), accept)


def test_a_facilitator_sees_the_close_button_a_member_does_not(world, app):
    election = open_election(world)
    close = reverse("elections:close", args=[election.body.slug, election.pk])
    assert close in assert_same_page(app, url(election), logged_in(world.alice))
    assert close not in assert_same_page(app, url(election), logged_in(world.bob))


def test_django_answers_whoever_the_lean_page_does_not_serve(world, app):
    election = open_election(world)
    path = url(election)
    bob = logged_in(world.bob)
    cases = {
        "anonymous": {settings.CSRF_COOKIE_NAME: csrf_pair()[0]},
        "outsider of a members-only body": logged_in(world.oscar),
        "other facilitator": logged_in(world.frank),
        "no CSRF cookie yet": {k: v for k, v in bob.items() if k != settings.CSRF_COOKIE_NAME},
        "messages waiting in a cookie": dict(bob, messages="x"),
    }
    for case, cookies in cases.items():
        assert lean_page(app, path, cookies)[0] == DJANGO, case
    assert lean_page(app, f"/b/south/e/{election.pk}/", bob)[0] == DJANGO  # another slug
    assert lean_page(app, f"/b/north/e/{election.pk + 1000}/", bob)[0] == DJANGO  # none
    assert lean_page(app, path, bob, query=b"x=1")[0] == DJANGO
    Membership.objects.filter(person=world.carol).update(status=Membership.Status.REMOVED)
    assert lean_page(app, path, logged_in(world.carol))[0] == DJANGO  # no longer a member
    nominating = elections.election_create(world.alice, world.north, title="Otra", method="irv")
    assert lean_page(app, url(nominating), bob)[0] == DJANGO
    elections.election_close(world.alice, election)
    assert lean_page(app, path, logged_in(world.bob))[0] == DJANGO  # closed: the result


def test_a_verifiable_elections_ballot_page_is_left_to_django_and_is_the_verifiable_one(world, app):
    """The lean page renders the ordinary ballot; a verifiable election's ballot page must be
    Django's, which shows the verifiable ballot's parts and no ordinary form (issue 15)."""
    election = elections.election_create(
        world.alice, world.north, title="Comisión", method="approval", secrecy="verifiable"
    )
    elections.option_add(world.alice, election, name="Ana")
    elections.voting_open(world.alice, election)
    for person in (world.alice, world.bob, world.olivia):
        assert lean_page(app, url(election), logged_in(person))[0] == DJANGO
    client = Client()
    client.force_login(world.bob)
    page = client.get(url(election)).content.decode()
    assert 'id="verifiable-block"' in page
    assert reverse("verifiable:e_vote", args=[world.north.slug, election.pk]) in page
    assert 'class="ballot"' not in page and 'name="mark"' not in page
    plain = open_election(world, "approval", 2)  # an ordinary election is still served lean
    assert lean_page(app, url(plain), logged_in(world.bob))[0] == 200


def test_a_change_to_the_election_or_its_candidates_shows_at_once(world, app):
    election = open_election(world)
    bob = logged_in(world.bob, "en")
    assert "Comisión &lt;de&gt; lucha" in lean_page(app, url(election), bob)[3].decode()
    Election.objects.filter(pk=election.pk).update(title="Delegación")
    assert "Delegación" in assert_same_page(app, url(election), bob)
    Candidate.objects.filter(election=election, name="Nadie & nada").update(name="Ninguna")
    assert "Ninguna" in assert_same_page(app, url(election), bob)


def test_the_page_is_filled_in_from_one_render_per_variant(world, app, monkeypatch):
    election = open_election(world)
    renders: list[int] = []
    real = election_page.render

    def counting(pk, variant):
        renders.append(pk)
        return real(pk, variant)

    monkeypatch.setattr(
        lean_app,
        "PAGE_KINDS",
        tuple(
            dataclasses.replace(k, render=counting) if k.name == "election" else k
            for k in lean_app.PAGE_KINDS
        ),
    )
    for person in (world.bob, world.carol):
        assert lean_page(app, url(election), logged_in(person, "en"))[0] == 200
    assert renders == [election.pk]  # Bob's and Carol's pages are the same variant
