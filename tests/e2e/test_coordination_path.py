"""The coordination path in Chromium, as people find it: a coordinator creates a coordination from
the home page; a facilitator finds it from her assembly's page by search and proposes to join;
the assembly votes, the coordination accepts; a motion the assembly adopted is forwarded by the
statute's rule (a vote of the members, not one facilitator) and members then see it on their
assembly's page and on the coordination's agenda. Screenshots go to test-results/screens/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from asamblea.accounts.models import Person
from asamblea.bodies.models import Body
from asamblea.coordination.models import Affiliation, Forward, ForwardVote
from asamblea.motions.models import Motion
from asamblea.testing import PASSPHRASE, make_cast, make_person
from asamblea.voting.actions import ballot_cast, poll_close, poll_open

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"


def _page(browser, username, site):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, extra_http_headers={"Accept-Language": "en"}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{site}/")
    return page


def _everyone_votes_yes(poll, closer):
    for eligibility in poll.eligibilities.select_related("person"):
        ballot_cast(eligibility.person, poll, choice="yes")
    return poll_close(closer, poll)


def _shot(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def test_a_coordination_is_created_joined_by_search_and_gets_a_forwarded_motion(
    browser, live_server
):
    site = live_server.url
    cast = make_cast()
    make_person("cora")
    Person.objects.update(language="en")  # the pages are read in English

    # 1. From the home page, cora creates a coordination.
    cora = _page(browser, "cora", site)
    cora.get_by_role("link", name="Create a coordination").click()
    cora.fill("#id_name", "Coordinadora Regional")
    cora.select_option("#id_kind", "regional_coordination")
    cora.select_option("#id_visibility", "public")
    cora.locator("main form button[type=submit]").click()
    cora.get_by_role("heading", name="Coordinadora Regional").wait_for()
    coordination = Body.objects.get(name="Coordinadora Regional")

    # 2. alice finds it from North's page by search, and proposes that North joins.
    alice = _page(browser, "alice", site)
    alice.goto(f"{site}{reverse('bodies:detail', args=[cast.north.slug])}")
    alice.get_by_role("link", name="Coordination", exact=True).click()
    alice.fill("#id_q", "regional")
    alice.get_by_role("button", name="Search").click()
    alice.get_by_role("button", name="Propose to join Coordinadora Regional").click()
    alice.get_by_text("Join Coordinadora Regional").first.wait_for()
    join_motion = Motion.objects.get(body=cast.north, title="Join Coordinadora Regional")
    _everyone_votes_yes(poll_open(cast.alice, cast.north, motion=join_motion), cast.alice)

    # The coordination's facilitator accepts North's decision.
    cora.goto(f"{site}{reverse('coordination:detail', args=[coordination.slug])}")
    cora.get_by_role("button", name="Accept").click()
    cora.locator("table").get_by_role("link", name="North").wait_for()
    assert Affiliation.objects.filter(member=cast.north, coordination=coordination).exists()

    # 3. A motion North adopted is forwarded: the button opens a vote of North's members.
    motion = Motion.objects.create(
        body=cast.north, number=20, title="Agua para todos", text="Agua", state="adopted"
    )
    bob = _page(browser, "bob", site)
    bob.goto(f"{site}{reverse('motions:detail', args=[cast.north.slug, motion.number])}")
    bob.get_by_role("link", name="Forward it to a coordinating body").click()
    bob.select_option("#fwd-coordination", coordination.slug)
    bob.get_by_role("button", name="Forward", exact=True).click()
    bob.get_by_text("Forwarding the motion is put to a vote of the members.").wait_for()
    assert not Forward.objects.exists()  # nobody forwarded it alone
    vote = ForwardVote.objects.get(origin=motion)
    _everyone_votes_yes(vote.poll, cast.alice)

    # 4. Members see it where they look: their assembly's page and the coordination's agenda.
    bob.goto(f"{site}{reverse('bodies:detail', args=[cast.north.slug])}")
    bob.locator("#past-motions summary").click()  # decided motions, under the current ones
    bob.locator("#past-motions").get_by_text(
        "Sent up to Coordinadora Regional: on its agenda"
    ).wait_for()
    _shot(bob, "coordination-north-sent-up")
    cora.goto(f"{site}{reverse('coordination:detail', args=[coordination.slug])}")
    card = cora.locator("li.card", has_text="Agua para todos")
    card.get_by_text("Forwarded by North (motion #20)").wait_for()
    _shot(cora, "coordination-agenda-forwarded")
    for page in (cora, alice, bob):
        page.context.close()
