"""A real Chromium against the production ASGI application (issue 13): uvicorn serving
``asamblea.asgi.application``, so the vote page and the election's ballot page come from the
lean app (not Django) and the ballot goes to the lean app's ``/cast/`` — with JavaScript
(receipt in place) and without (``303`` back to the vote page, served by the lean app again,
the receipt shown once).

uvicorn runs in a thread of the test process, so it reads the test database as Django's test
server does.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from asamblea.accounts.models import Person
from asamblea.elections import actions as elections
from asamblea.elections.models import ElectionBallot
from asamblea.lean import pages
from asamblea.testing import PASSPHRASE, make_cast
from asamblea.voting.actions import poll_open
from asamblea.voting.casting import hash_receipt
from asamblea.voting.queries import receipt_lookup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def asgi_site() -> Iterator[str]:
    import uvicorn

    from asamblea import serving
    from asamblea.asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            application,
            host="127.0.0.1",
            port=port,
            lifespan="on",
            log_level="warning",
            http=serving.PROTOCOL,  # as asamblea serve runs it
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def served_by_lean(monkeypatch) -> list[int]:
    """One entry per vote page the lean app filled in (and Django did not render)."""
    served: list[int] = []
    real = pages.fill

    def counting(*args, **kwargs):
        served.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(pages, "fill", counting)
    return served


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_chromium_votes_through_the_lean_page_and_cast_under_asgi(
    browser, asgi_site, served_by_lean, javascript
):
    world = make_cast()
    Person.objects.update(language="en")
    poll = poll_open(world.alice, world.north, title="Huelga", secrecy="secret")
    vote_page = f"/b/{world.north.slug}/p/{poll.pk}/"
    context = browser.new_context(
        locale="en",
        viewport={"width": 360, "height": 780},
        java_script_enabled=javascript,
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{asgi_site}/accounts/login/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{asgi_site}/")
    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    page.goto(f"{asgi_site}{vote_page}")
    assert served_by_lean == [1]  # the vote page came from the lean app
    page.get_by_label("Yes", exact=True).check()
    page.get_by_role("button", name="Cast my vote").click()
    page.locator("#receipt").wait_for()
    receipt = page.input_value("#receipt")
    assert receipt_lookup(poll, receipt).choice == "yes"
    assert posts == [f"{asgi_site}/cast/{poll.pk}/"]
    assert page.url == f"{asgi_site}{vote_page}"
    # Without JavaScript the page the voter lands on is the lean app's too.
    assert len(served_by_lean) == (1 if javascript else 2)
    # The receipt and the sentence are written by one script step after the answer: wait for it.
    expect(page.locator("#live").get_by_text("Your vote is recorded.")).to_be_visible()
    page.reload()
    assert page.locator("#receipt").count() == 0  # shown once
    context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_chromium_casts_an_election_ballot_through_the_lean_ballot_page_under_asgi(
    browser, asgi_site, served_by_lean, javascript
):
    """The election's ballot page comes from the lean app too (not Django), and so does the
    page the voter lands on after a ballot sent without JavaScript, with the receipt once."""
    world = make_cast()
    Person.objects.update(language="en")
    election = elections.election_create(
        world.alice, world.north, title="Comisión", method="meek_stv", seats=1
    )
    for person in (world.alice, world.bob, world.carol):
        elections.nominate(person, election)
    elections.voting_open(world.alice, election)
    ballot_page = f"/b/{world.north.slug}/e/{election.pk}/"
    context = browser.new_context(
        locale="en",
        viewport={"width": 360, "height": 780},
        java_script_enabled=javascript,
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.goto(f"{asgi_site}/accounts/login/")
    page.fill("#id_username", "carol")
    page.fill("#id_password", PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{asgi_site}/")
    posts: list[str] = []
    page.on("request", lambda r: r.method == "POST" and posts.append(r.url))
    page.goto(f"{asgi_site}{ballot_page}")
    assert served_by_lean == [1]  # the ballot page came from the lean app
    page.get_by_label("Carol", exact=True).select_option("1")
    page.get_by_label("Bob", exact=True).select_option("2")
    page.get_by_role("button", name="Cast my ballot").click()
    page.locator("#receipt").wait_for()
    receipt = page.input_value("#receipt")
    assert len(receipt) == 32
    stored = ElectionBallot.objects.get(election=election)
    assert stored.receipt_hash == hash_receipt(receipt)
    assert posts == [f"{asgi_site}/cast/e/{election.pk}/"]
    assert page.url == f"{asgi_site}{ballot_page}"
    assert len(served_by_lean) == (1 if javascript else 2)
    expect(page.get_by_text("Your ballot is recorded.").first).to_be_visible()
    page.reload()
    assert page.locator("#receipt").count() == 0  # shown once
    assert len(served_by_lean) == (2 if javascript else 3)  # the reload too
    context.close()
