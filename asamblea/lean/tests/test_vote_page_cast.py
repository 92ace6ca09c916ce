"""The vote page casts through the lean endpoint (issue 13): its form posts to ``/cast/<poll>/``;
without JavaScript the answer is ``303`` back to the vote page, which shows the receipt once;
with JavaScript the answer is JSON and the page shows the receipt in place. Django answers that
address with the lean endpoint's own routine when it serves it (WSGI, the test server); under
ASGI the lean app does (tested here too, called as uvicorn would).
"""

from __future__ import annotations

import asyncio
import json
from unittest import mock

import pytest
from django.db import DatabaseError
from django.test import Client
from django.urls import reverse

from asamblea.lean import casts
from asamblea.lean.app import LeanApp
from asamblea.testing import Cast, make_cast
from asamblea.voting import receipt_flash
from asamblea.voting.actions import poll_close, poll_open
from asamblea.voting.models import Ballot, Poll
from asamblea.voting.queries import receipt_lookup
from tests.lean_client import call, csrf_pair, request_scope

HTML = "text/html,application/xhtml+xml"


@pytest.fixture
def world(db) -> Cast:
    return make_cast()


@pytest.fixture
def poll(world) -> Poll:
    return poll_open(world.alice, world.north, title="Huelga", secrecy="secret")


def page_url(poll: Poll) -> str:
    return reverse("voting:detail", args=[poll.body.slug, poll.pk])


def lean_url(poll: Poll) -> str:
    return reverse("lean:poll", args=[poll.pk])


def test_the_vote_page_form_posts_to_the_lean_endpoint(world, poll):
    page = world.client(world.bob).get(page_url(poll)).content.decode()
    assert f'action="/cast/{poll.pk}/" data-cast' in page
    assert lean_url(poll) == f"/cast/{poll.pk}/"  # the address asamblea.asgi hands to LeanApp
    assert "voting/cast." in page  # the script, by its hashed name
    assert 'id="cast-receipt-template"' in page


def test_without_javascript_the_voter_goes_back_to_the_vote_page_and_sees_the_receipt_once(
    world, poll
):
    client = world.client(world.bob)
    answer = client.post(lean_url(poll), {"choice": "no"}, HTTP_ACCEPT=HTML)
    assert answer.status_code == 303
    assert answer["Location"] == page_url(poll)
    assert answer["Cache-Control"] == "no-store"
    cookie = answer.cookies[receipt_flash.COOKIE]
    assert cookie["path"] == page_url(poll) and cookie["httponly"] and cookie["samesite"] == "Lax"
    data = receipt_flash.read(cookie.value)
    assert data is not None and data["pk"] == poll.pk
    assert set(data) == {"kind", "pk", "receipt"}  # what, which poll, the receipt: never the choice
    landed = client.get(answer["Location"])
    receipt = landed.context["just_cast"]["receipt"]
    assert receipt and receipt in landed.content.decode()
    assert receipt_lookup(poll, receipt).choice == "no"
    assert landed.cookies[receipt_flash.COOKIE]["max-age"] == 0  # shown once: deleted
    client.cookies.pop(receipt_flash.COOKIE, None)
    again = client.get(page_url(poll)).content.decode()
    assert receipt not in again and "Your vote is recorded." in again


def test_with_javascript_the_answer_is_json_with_the_receipt(world, poll):
    client = world.client(world.bob)
    answer = client.post(lean_url(poll), {"choice": "yes"}, HTTP_ACCEPT="application/json")
    assert answer.status_code == 200
    data = answer.json()
    assert data["ok"] and receipt_lookup(poll, data["receipt"]).choice == "yes"
    assert receipt_flash.COOKIE not in answer.cookies


def test_a_refusal_without_javascript_is_a_page_with_the_reason_and_the_way_back(world, poll):
    client = world.client(world.bob, "es")
    client.post(lean_url(poll), {"choice": "yes"}, HTTP_ACCEPT=HTML)
    again = client.post(lean_url(poll), {"choice": "no"}, HTTP_ACCEPT=HTML)
    assert again.status_code == 409
    text = again.content.decode()
    assert "Ya votaste en esta votación." in text
    assert f'href="{page_url(poll)}"' in text
    assert Ballot.objects.filter(poll=poll).count() == 1


def test_a_busy_database_answers_503_with_retry_after_and_a_button_to_send_again(world, poll):
    client = world.client(world.bob)
    with mock.patch.object(casts, "process_casts", side_effect=DatabaseError("too many")):
        answer = client.post(lean_url(poll), {"choice": "abstain"}, HTTP_ACCEPT=HTML)
        script = client.post(lean_url(poll), {"choice": "abstain"})
    assert answer.status_code == 503 and answer["Retry-After"]
    text = answer.content.decode()
    assert f'<form method="post" action="{lean_url(poll)}">' in text
    assert 'name="choice" value="abstain"' in text
    assert script.status_code == 503 and script["Retry-After"]
    assert script.json()["code"] == "unavailable"
    assert Ballot.objects.filter(poll=poll).count() == 0  # told "not counted": nothing stored


def test_a_flash_for_another_poll_or_forged_shows_no_receipt(world, poll):
    other = poll_open(world.alice, world.north, title="Otra", secrecy="secret")
    client = world.client(world.bob)
    client.post(lean_url(poll), {"choice": "yes"}, HTTP_ACCEPT=HTML)
    client.cookies[receipt_flash.COOKIE] = receipt_flash.value("poll", other.pk, "ab" * 16)
    assert "just_cast" not in client.get(page_url(poll)).context
    client.cookies[receipt_flash.COOKIE] = "forged:value"
    assert "just_cast" not in client.get(page_url(poll)).context


def test_the_old_form_address_also_goes_back_to_the_vote_page(world, poll):
    """Issue 11.10: no dead-end page under /cast/."""
    client = world.client(world.carol)
    answer = client.post(reverse("voting:cast", args=[poll.body.slug, poll.pk]), {"choice": "no"})
    assert answer.status_code == 303 and answer["Location"] == page_url(poll)
    assert client.get(page_url(poll)).context["just_cast"]["receipt"]


def test_a_person_who_cannot_see_the_vote_hears_it_does_not_exist(world, poll):
    for person in (None, world.oscar, world.frank):
        client = Client() if person is None else world.client(person)
        answer = client.post(lean_url(poll), {"choice": "yes"}, HTTP_ACCEPT=HTML)
        assert answer.status_code == 404
        assert page_url(poll) not in answer.content.decode()  # no link to it either
    assert Ballot.objects.filter(poll=poll).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_asgi_lean_app_answers_a_form_without_javascript_the_same_way():
    world = make_cast()
    poll = poll_open(world.alice, world.north, title="Huelga", secrecy="secret")
    client = Client()
    client.force_login(world.bob)
    csrf = csrf_pair()
    scope = request_scope(
        poll.pk,
        session_key=client.cookies["sessionid"].value,
        csrf=csrf,
        content_type="application/x-www-form-urlencoded",
        origin="http://testserver",
    )
    scope["headers"] = [h for h in scope["headers"] if h[0] != b"x-csrftoken"]
    scope["headers"].append((b"accept", HTML.encode()))
    body = f"csrfmiddlewaretoken={csrf[1]}&choice=yes".encode()
    app = LeanApp()
    try:
        sent: list[dict] = []

        async def run() -> None:
            delivered = False

            async def receive() -> dict:
                nonlocal delivered
                if delivered:
                    await asyncio.sleep(3600)
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}

            async def send(message: dict) -> None:
                sent.append(message)

            await app(scope, receive, send)

        asyncio.run(run())
        start = sent[0]
        headers = {k.decode(): v.decode() for k, v in start["headers"]}
        assert start["status"] == 303
        assert headers["location"] == page_url(poll)
        assert headers["set-cookie"].startswith(f"{receipt_flash.COOKIE}=")
        assert f"Path={page_url(poll)}" in headers["set-cookie"]
        client.cookies.load(headers["set-cookie"])
        landed = client.get(page_url(poll))
        receipt = landed.context["just_cast"]["receipt"]
        assert receipt_lookup(poll, receipt).choice == "yes"
        # The JSON answer (the page's script) from the same app, for the next ballot.
        poll_close(world.alice, poll)
        answer = asyncio.run(call(app, request_scope(poll.pk, session_key=None, csrf=csrf), b"{}"))
        assert answer.status == 400  # no choice: refused before anything else
    finally:
        app.shutdown()


@pytest.mark.django_db(transaction=True)
def test_the_asgi_lean_app_casts_an_election_ballot_sent_by_the_pages_script():
    from asamblea.elections.models import ElectionBallot
    from asamblea.elections.tests.election_helpers import voting_election

    world = make_cast()
    election = voting_election(world)
    app = LeanApp()
    try:

        def send_as(person, body: bytes):
            key = None
            if person is not None:
                client = Client()
                client.force_login(person)
                key = client.cookies["sessionid"].value
            scope = request_scope(election.pk, session_key=key, csrf=csrf_pair())
            scope["path"] = f"/cast/e/{election.pk}/"
            return asyncio.run(call(app, scope, body))

        ranking = json.dumps({"rank_2": "1", "rank_0": "2"}).encode()
        for outsider in (None, world.oscar, world.frank):
            assert (send_as(outsider, ranking).status, send_as(outsider, ranking).code) == (
                404,
                "no_poll",
            )
        answer = send_as(world.carol, ranking)
        assert answer.status == 200 and answer.body["election"] == election.pk
        assert len(answer.body["receipt"]) == 32
        assert send_as(world.carol, ranking).code == "already_voted"
        bad = send_as(world.bob, json.dumps({"rank_0": "1", "rank_1": "1"}).encode())
        assert bad.status == 400 and bad.code.startswith("ballot_")
        assert ElectionBallot.objects.filter(election=election).count() == 1
    finally:
        app.shutdown()


def test_without_javascript_the_asgi_lean_app_hands_an_election_ballot_to_the_pages():
    """A refused ballot must come back as the ballot page with the marks kept: Django's view
    at the same address renders it (running the same routine)."""
    seen: list[str] = []

    async def pages(scope, receive, send):
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    app = LeanApp(pages=pages)
    scope = request_scope(7, session_key=None, csrf=csrf_pair(), content_type="multipart/form-data")
    scope["path"] = "/cast/e/7/"
    scope["headers"].append((b"accept", HTML.encode()))
    asyncio.run(call(app, scope, b""))
    assert seen == ["/cast/e/7/"]


@pytest.mark.django_db(transaction=True)
def test_the_lean_endpoint_refuses_an_ordinary_ballot_in_a_verifiable_election():
    """Issue 15: a verifiable election takes encrypted ballots only, unless its facilitator
    allowed ordinary ones; the lean endpoint casts through the election's own routine, which
    refuses it, and nothing is written."""
    from asamblea.elections import actions as elections
    from asamblea.elections.models import ElectionBallot, Elector

    world = make_cast()
    election = elections.election_create(
        world.alice, world.north, title="Comisión", method="approval", secrecy="verifiable"
    )
    elections.option_add(world.alice, election, name="Ana")
    election = elections.voting_open(world.alice, election)
    app = LeanApp()
    try:
        client = Client()
        client.force_login(world.carol)
        scope = request_scope(
            election.pk, session_key=client.cookies["sessionid"].value, csrf=csrf_pair()
        )
        scope["path"] = f"/cast/e/{election.pk}/"
        answer = asyncio.run(call(app, scope, json.dumps({"mark": "0"}).encode()))
        assert (answer.status, answer.code) == (409, "encrypted_only")
        assert not ElectionBallot.objects.filter(election=election).exists()
        assert not Elector.objects.filter(election=election, voted=True).exists()
    finally:
        app.shutdown()
