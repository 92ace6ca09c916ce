"""An election in real browsers on a phone-sized screen with JavaScript turned off: members
rank candidates with drop-downs (no dragging), a ballot with two equal ranks comes back with a
clear message and the choices kept, the facilitator closes, and the result page shows the
winners, the round-by-round table and the chart."""

from __future__ import annotations

import pytest

from asamblea.accounts.models import Person
from asamblea.elections import actions as elections
from asamblea.elections.models import ElectionBallot
from asamblea.testing import PASSPHRASE, join, make_cast, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def phone(browser):
    context = browser.new_context(
        locale="en",
        viewport={"width": 390, "height": 844},
        java_script_enabled=False,
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{site}/")


def rank(page, choices):
    for name, value in choices.items():
        page.get_by_label(name, exact=True).select_option(value)
    page.get_by_role("button", name="Cast my ballot").click()


def test_ranked_ballot_on_a_phone_without_javascript(browser, site):
    cast = make_cast()
    dora = make_person("dora")
    join(dora, cast.north)
    Person.objects.update(language="en")  # the pages follow each person's chosen language
    election = elections.election_create(
        cast.alice, cast.north, title="Commission", method="meek_stv", seats=2
    )
    for person in (cast.bob, cast.carol, dora):
        elections.nominate(person, election)
    elections.voting_open(cast.alice, election)
    url = f"{site}/b/{cast.north.slug}/e/{election.pk}/"

    page = phone(browser)
    log_in(page, site, "bob")
    page.goto(url)
    rank(page, {"Bob": "1", "Carol": "1"})
    alert = page.get_by_role("alert")
    assert "share rank 1" in alert.inner_text()
    assert page.get_by_label("Carol", exact=True).input_value() == "1"  # the choices are kept
    assert not ElectionBallot.objects.filter(election=election).exists()
    rank(page, {"Bob": "1", "Carol": "2", "Dora": ""})
    page.locator("#voted").wait_for()
    assert len(page.input_value("#receipt")) == 32

    for username, choices in (("carol", {"Carol": "1", "Dora": "2"}), ("dora", {"Dora": "1"})):
        other = phone(browser)
        log_in(other, site, username)
        other.goto(url)
        rank(other, choices)
        other.locator("#voted").wait_for()

    chair = phone(browser)
    log_in(chair, site, "alice")
    chair.goto(url)
    chair.get_by_role("button", name="Close voting and count").click()
    chair.locator("#winners").wait_for()
    winners = chair.locator("#winners li").all_inner_texts()
    assert len(winners) == 2
    assert chair.locator("#rounds").is_visible()
    assert chair.locator("svg.chart").count() == 1
    assert chair.get_by_role("link", name="Ballots (BLT)").is_visible()
