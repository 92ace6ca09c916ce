"""A facilitator ignores a supported motion for more than 72 hours: a member calls the vote from
her phone, and another member finds the vote open and says so in the ledger (invariant 8)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.motions.actions import motion_submit
from asamblea.motions.models import StateChange
from asamblea.testing import PASSPHRASE, make_cast
from asamblea.voting.models import Poll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def phone(browser):
    context = browser.new_context(
        locale="es-PE",
        viewport={"width": 360, "height": 740},
        extra_http_headers={"Accept-Language": "es-PE"},
    )
    context.set_default_timeout(15_000)
    return context


def log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name="Ingresar").click()
    page.wait_for_url(f"{site}/")


def test_a_member_calls_the_vote_a_facilitator_ignored(browser, site):
    cast = make_cast()
    motion = motion_submit(cast.bob, cast.north, title="Agua potable", text="Exigir agua")
    StateChange.objects.filter(motion=motion).update(at=timezone.now() - timedelta(hours=80))
    motion_url = site + reverse("motions:detail", args=[cast.north.slug, motion.number])

    carol_context, bob_context = phone(browser), phone(browser)
    try:
        carol = carol_context.new_page()
        log_in(carol, site, "carol")
        carol.goto(motion_url)
        call = carol.locator("#call-vote")
        assert "72 horas" in call.inner_text()
        call.get_by_role("button", name="Convocar la votación").click()
        carol.wait_for_url(f"{site}/b/{cast.north.slug}/p/*/")
        assert "Convocaste la votación" in carol.locator("main").inner_text()
        poll = Poll.objects.get(motion=motion)
        assert poll.is_open and poll.opened_by_id == cast.carol.pk
        # The page fits a phone: nothing wider than the screen.
        assert carol.evaluate("document.documentElement.scrollWidth") <= 360

        bob = bob_context.new_page()
        log_in(bob, site, "bob")
        bob.goto(motion_url)
        main = bob.locator("main")
        main.get_by_role("link", name="Agua potable").first.wait_for()
        assert bob.locator("#call-vote").count() == 0  # the vote is open: nothing to call
        bob.goto(site + reverse("bodies:ledger", args=[cast.north.slug]))
        assert "La convocó un miembro" in bob.locator("main").inner_text()
    finally:
        carol_context.close()
        bob_context.close()
