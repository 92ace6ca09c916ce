"""A pledge across three assemblies, in Chromium, as the people in it see it.

The Federation opens "Paro regional" for 4 people in 3 assemblies. bob (North) and sam
(South) watch its page; the page follows the counts without a reload; eli (East) commits
last, and both watching pages show the pledge triggered without a reload, and so do their home
pages on the next visit. Before that, carol commits and withdraws (the count goes up and down,
never her name). A second pledge is left unmet: past its deadline its page says it lapsed and
the commit button is gone. Time is advanced by moving the stored deadline, never by sleeping.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from asamblea.bodies.actions import body_create
from asamblea.coordination.actions import coordination_create
from asamblea.pledges import actions
from asamblea.pledges.models import Pledge
from asamblea.testing import affiliate, join, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _page(browser, site, person):
    context = browser.new_context(
        locale="en",
        viewport={"width": 390, "height": 844},
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(15_000)
    store = SessionStore()
    store[SESSION_KEY] = str(person.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = person.get_session_auth_hash()
    store.create()
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": store.session_key, "url": site}]
    )
    return context.new_page()


def test_a_pledge_triggers_in_front_of_two_members_and_another_lapses(browser, site):
    names = ("alice", "bob", "carol", "frank", "sam", "erin", "eli", "cora")
    p = type("P", (), {n: make_person(n, language="en") for n in names})
    north = body_create(p.alice, name="North", kind="district", visibility="members")
    south = body_create(p.frank, name="South", kind="workplace", visibility="members")
    east = body_create(p.erin, name="East", kind="student", visibility="members")
    for person, body in ((p.bob, north), (p.carol, north), (p.sam, south), (p.eli, east)):
        join(person, body)
    federation = coordination_create(
        p.cora, name="Federation", kind="regional_coordination", visibility="public"
    )
    for body in (north, south, east):
        affiliate(body, federation)
    pledge = actions.pledge_open(
        p.cora,
        federation,
        title="Paro regional",
        deadline=timezone.now() + timedelta(days=2),
        min_people=4,
        min_assemblies=3,
    )
    path = f"{site}/b/{federation.slug}/pledges/{pledge.pk}/"
    bob, sam, carol = (_page(browser, site, person) for person in (p.bob, p.sam, p.carol))
    errors: list[str] = []
    for page in (bob, sam, carol):
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        # bob commits through the page (a plain form), then watches.
        bob.goto(path)
        bob.click("#commit")
        expect(bob.locator("#my-commitment")).to_contain_text("You committed.")
        sam.goto(path)
        sam.click("#commit")
        expect(sam.locator("#pledge-people")).to_have_text("2 / 4")  # North and South
        for page in (bob, sam):
            page.goto(path)
            page.wait_for_selector("#live[data-mode]")
            page.evaluate("window.notReloaded = true")
        expect(bob.locator("#pledge-committed")).to_have_text("2")

        # carol commits and then withdraws before the deadline: the counts follow, her name
        # appears on nobody's page.
        carol.goto(path)
        carol.click("#commit")
        expect(bob.locator("#pledge-committed")).to_have_text("3")
        carol.click("#withdraw")
        expect(carol.locator("#commit")).to_be_visible()
        expect(bob.locator("#pledge-committed")).to_have_text("2")
        expect(sam.locator("#pledge-committed")).to_have_text("2")
        assert "Carol" not in bob.locator("main").inner_text()
        assert not bob.locator("#pledge-triggered").count()

        # Two more, the last in East: both watching pages show the trigger, unreloaded.
        actions.commit(p.alice, pledge)
        actions.commit(p.eli, pledge)
        for page in (bob, sam):
            expect(page.locator("#pledge-triggered")).to_be_visible()
            expect(page.locator("#pledge-state")).to_have_text("Triggered")
            expect(page.locator("#pledge-people")).to_have_text("4 / 4")
            assert page.evaluate("window.notReloaded") is True
        pledge.refresh_from_db()
        assert pledge.is_triggered and pledge.result["assemblies"] == 3
        bob.goto(f"{site}/")
        expect(bob.locator("#pledges")).to_contain_text("you are bound to act")

        # A second pledge nobody meets lapses at its deadline: its page says so.
        unmet = actions.pledge_open(
            p.cora,
            federation,
            title="Marcha a la capital",
            deadline=timezone.now() + timedelta(days=1),
            min_people=100,
        )
        actions.commit(p.sam, unmet)
        Pledge.objects.filter(pk=unmet.pk).update(deadline=timezone.now() - timedelta(seconds=1))
        sam.goto(f"{site}/b/{federation.slug}/pledges/{unmet.pk}/")
        expect(sam.locator("#pledge-lapsed")).to_contain_text("nobody is bound")
        assert not sam.locator("#commit").count() and not sam.locator("#withdraw").count()
        unmet.refresh_from_db()
        assert unmet.is_lapsed
        assert not errors, errors
    finally:
        for page in (bob, sam, carol):
            page.context.close()
