"""Solidarity logistics in Chromium: North needs lodging in Lima for a delegation, South offers
it. North's facilitator (alice, on a phone) accepts the suggested match from the board; South's
facilitator (frank, a browser without JavaScript) accepts it too and shares the address and
phone; alice shares hers. Only the two of them see the details: bob (a member of North) and
erin (facilitator of a third assembly, East) see the board but not the match
nor its details (East withdrew its own offer first). Screenshots go to test-results/screens/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from asamblea.accounts.models import Person
from asamblea.logistics.actions import posting_withdraw
from asamblea.logistics.models import Match, MatchDetail
from asamblea.logistics.tests.scene import make_scene
from asamblea.testing import PASSPHRASE
from tests.e2e.test_pages_phone import AUDIT

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"
ADDRESS = "Jr. Huallaga 452, Cercado de Lima"
PHONE = "987 654 321"
PHONE_SIZE = {"width": 360, "height": 740}


def _log_in(browser, site, username, *, phone=False, javascript=True):
    context = browser.new_context(
        viewport=PHONE_SIZE if phone else {"width": 1200, "height": 900},
        java_script_enabled=javascript,
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{site}/")
    return page


def _audit(page, name):
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    problems = page.evaluate(AUDIT)
    assert not problems, f"{name}: {problems}"


def test_a_need_and_an_offer_are_matched_and_only_the_two_facilitators_see_the_details(
    browser, site
):
    scene = make_scene()
    posting_withdraw(scene.erin, scene.east_offer)  # East is just a third assembly here
    Person.objects.update(language="en")
    fed = scene.federation
    board = f"{site}{reverse('logistics:board', args=[fed.slug])}"

    # alice, on a phone, finds the board from North's coordination page.
    alice = _log_in(browser, site, "alice", phone=True)
    alice.goto(f"{site}{reverse('coordination:body', args=[scene.north.slug])}")
    alice.get_by_role("link", name="Needs and offers of Federation").click()
    alice.wait_for_url(board)
    _audit(alice, "logistics-board-phone")
    south = alice.locator("li.suggestion", has_text="Offered by: South")
    south.get_by_role("button", name="Accept this match").click()
    alice.locator("#match-state", has_text="Waiting for the other assembly").wait_for()
    match = Match.objects.get()
    match_url = f"{site}{reverse('logistics:match', args=[fed.slug, match.pk])}"
    assert alice.url == match_url

    # frank, without JavaScript, sees the match on the board, accepts and shares his details.
    frank = _log_in(browser, site, "frank", javascript=False)
    frank.goto(board)
    frank.locator("#matches").wait_for()
    frank.locator("#matches + ul a").first.click()
    frank.get_by_role("button", name="Accept this match").click()
    frank.locator("#match-state", has_text="Accepted by both assemblies").wait_for()
    frank.fill("textarea[name=text]", f"{ADDRESS}\nTel. {PHONE}")
    frank.get_by_role("button", name="Share with the other assembly").click()
    frank.locator("#details", has_text=ADDRESS).wait_for()
    assert MatchDetail.objects.filter(match=match, side="offer").exists()

    # alice reads them, on her phone, and shares her own.
    alice.reload()
    assert PHONE in alice.locator("#details").inner_text()
    alice.fill("textarea[name=text]", "Llegamos el jueves: Rosa, 999 111 222")
    alice.get_by_role("button", name="Share with the other assembly").click()
    alice.locator("#details", has_text="999 111 222").wait_for()
    _audit(alice, "logistics-match-phone")
    frank.reload()
    assert "999 111 222" in frank.locator("#details").inner_text()

    # bob (a member of North) and erin (East's facilitator) see the board, not the details.
    for username in ("bob", "erin"):
        page = _log_in(browser, site, username, phone=username == "bob")
        page.goto(board)
        page.get_by_role("heading", name="Needs and offers").wait_for()
        text = page.content()
        assert ADDRESS not in text and PHONE not in text and "999 111 222" not in text
        response = page.goto(match_url)
        assert response.status == 404
        assert ADDRESS not in page.content()
        page.context.close()
    alice.context.close()
    frank.context.close()
