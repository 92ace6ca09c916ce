"""A real Chromium casts through the fast path (issue 13): the vote page's own form posts to the
lean endpoint's address (``/cast/<poll>/``, ``/cast/e/<election>/``), with JavaScript (the
receipt shown in place, the page not left) and without (``303`` back to the vote page, the
receipt shown there once), for a poll and for an election ballot.

The test server is Django's (WSGI); it answers those addresses with the lean endpoint's own
routine, as the ASGI app does in production.
"""

from __future__ import annotations

import pytest

from asamblea.accounts.models import Person
from asamblea.elections import actions as elections
from asamblea.elections.models import ElectionBallot
from asamblea.testing import PASSPHRASE, make_cast
from asamblea.voting.actions import poll_open
from asamblea.voting.queries import receipt_lookup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def browser_page(browser, site, username, *, javascript):
    context = browser.new_context(
        locale="en",
        viewport={"width": 360, "height": 780},
        java_script_enabled=javascript,
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/")
    posts: list[tuple[str, str]] = []
    page.on(
        "request",
        lambda request: (
            request.method == "POST"
            and posts.append((request.url.removeprefix(site), request.resource_type))
        ),
    )
    return page, posts


@pytest.fixture
def world():
    cast = make_cast()
    Person.objects.update(language="en")
    return cast


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_poll_ballot_goes_through_the_lean_endpoint_and_shows_the_receipt(
    browser, site, world, javascript
):
    poll = poll_open(world.alice, world.north, title="Huelga", secrecy="secret")
    vote_page = f"/b/{world.north.slug}/p/{poll.pk}/"
    page, posts = browser_page(browser, site, "bob", javascript=javascript)
    page.goto(f"{site}{vote_page}")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Cast my vote").click()
    page.locator("#receipt").wait_for()
    receipt = page.input_value("#receipt")
    assert receipt_lookup(poll, receipt).choice == "no"
    # The page's form went to the lean endpoint: by the script (fetch) or as a navigation.
    assert posts == [(f"/cast/{poll.pk}/", "fetch" if javascript else "document")]
    assert page.url == f"{site}{vote_page}"  # back on (or never left) the vote page
    assert page.locator("#live").get_by_text("Your vote is recorded.").is_visible()
    page.reload()  # shown once
    assert page.locator("#receipt").count() == 0
    page.context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_an_election_ballot_goes_through_the_lean_endpoint_and_shows_the_receipt(
    browser, site, world, javascript
):
    election = elections.election_create(
        world.alice, world.north, title="Comisión", method="meek_stv", seats=1
    )
    for person in (world.alice, world.bob, world.carol):
        elections.nominate(person, election)
    elections.voting_open(world.alice, election)
    page, posts = browser_page(browser, site, "carol", javascript=javascript)
    page.goto(f"{site}/b/{world.north.slug}/e/{election.pk}/")
    page.get_by_label("Carol", exact=True).select_option("1")
    page.get_by_label("Alice", exact=True).select_option("2")
    page.get_by_role("button", name="Cast my ballot").click()
    page.locator("#receipt").wait_for()
    receipt = page.input_value("#receipt")
    assert len(receipt) == 32
    assert ElectionBallot.objects.filter(election=election).count() == 1
    assert posts == [(f"/cast/e/{election.pk}/", "fetch" if javascript else "document")]
    assert page.get_by_text("Your ballot is recorded.").first.is_visible()
    page.context.close()
