"""Getting back in, in real browsers on phone-sized screens: a newcomer signs up and is shown
recovery codes; a stranger hammering her login name does not lock her own phone out; she sets a
new passphrase with a code on another phone; her facilitator gives her a reset link, which she
opens on a phone, and at her next login she is told a reset link was used."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from django.core.cache import cache

from asamblea import ratelimit
from asamblea.accounts.models import Person
from asamblea.bodies.actions import invitation_create
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import PASSPHRASE, make_cast

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
NINA_FIRST = "nina first passphrase"
NINA_CODE = "nina passphrase from a code"
NINA_RESET = "nina passphrase from a link"


@pytest.fixture
def limits(settings, monkeypatch):
    """Real limits on a frozen clock: a window never ends mid-test."""
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMITS = settings.RATE_LIMITS | {"login_account": (5, 300)}
    cache.clear()


def phone(browser):
    context = browser.new_context(
        locale="en",
        viewport={"width": 360, "height": 740},
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page, site, username, password):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


def log_out(page):
    page.get_by_role("button", name="Log out").click()
    page.wait_for_selector("text=Log in")


def test_recovery_codes_device_cookies_and_reset_links(browser, site, limits):
    cast = make_cast()
    Person.objects.update(language="en")
    _invitation, token = invitation_create(cast.alice, cast.north)

    # Nina signs up on her phone and is shown ten recovery codes, once.
    nina = phone(browser)
    nina.goto(f"{site}/join/{token}/")
    nina.fill("#id_display_name", "Nina")
    nina.fill("#id_username", "nina")
    nina.fill("#id_password", NINA_FIRST)
    nina.fill("#id_password2", NINA_FIRST)
    nina.get_by_role("button", name="Join").click()
    nina.wait_for_url(f"{site}/b/{cast.north.slug}/")
    codes = nina.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"(\w{4}-){3}\w{4}", c) for c in codes)
    nina.get_by_role("button", name="I have saved my recovery codes").click()
    nina.wait_for_url(f"{site}/b/{cast.north.slug}/")
    assert nina.locator(".recovery-codes").count() == 0
    log_out(nina)

    # A stranger fails on her login name again and again, then even guesses right: refused.
    stranger = phone(browser)
    for attempt in range(6):
        log_in(stranger, site, "nina", f"wrong guess number {attempt}")
        stranger.wait_for_selector(".msg.error, [role=alert]")
    log_in(stranger, site, "nina", NINA_FIRST)
    stranger.wait_for_selector("[role=alert]")
    assert stranger.locator(".who").count() == 0

    # Her own phone, which logged in as her before, still gets in.
    log_in(nina, site, "NINA", NINA_FIRST)
    nina.wait_for_url(f"{site}/")
    assert nina.locator(".who").inner_text() == "Nina"
    log_out(nina)

    # On a borrowed phone she sets a new passphrase with one of her codes.
    borrowed = phone(browser)
    borrowed.goto(f"{site}/accounts/login/")
    borrowed.get_by_role("link", name="Forgot your passphrase?").click()
    borrowed.fill("#id_username", "nina")
    borrowed.fill("#id_code", codes[0].upper().replace("-", " "))
    borrowed.fill("#id_new_password", NINA_CODE)
    borrowed.fill("#id_new_password2", NINA_CODE)
    borrowed.get_by_role("button", name="Set new passphrase").click()
    borrowed.wait_for_url(f"{site}/accounts/profile/")
    assert "9 recovery codes left" in borrowed.locator(".messages").inner_text()

    # Alice, her facilitator, issues a reset link from the members page.
    alice = phone(browser)
    log_in(alice, site, "alice", PASSPHRASE)
    alice.wait_for_url(f"{site}/")
    alice.goto(f"{site}/b/{cast.north.slug}/members/")
    row = alice.locator("li.card", has_text="Nina")
    row.get_by_text("Manage").click()
    row.get_by_role("button", name="Issue a reset link").click()
    link = alice.input_value("#reset-url")
    assert link.startswith(f"{site}/accounts/reset/")
    assert alice.locator(".qr svg").count() == 1

    # Nina opens it on a phone: her login name is shown, she sets a passphrase and is in.
    fresh = phone(browser)
    fresh.goto(link)
    assert "nina" in fresh.locator("main").inner_text()
    fresh.fill("#id_new_password", NINA_RESET)
    fresh.fill("#id_new_password2", NINA_RESET)
    fresh.get_by_role("button", name="Set new passphrase").click()
    fresh.wait_for_url(f"{site}/accounts/profile/")
    # The borrowed phone's session ended with the new passphrase.
    borrowed.goto(f"{site}/accounts/profile/")
    assert "/accounts/login/" in borrowed.url
    # The link is used up.
    other = phone(browser)
    other.goto(link)
    assert "not valid" in other.locator("main").inner_text()

    # At her next login she is told, and the ledger of North records the link and its use.
    log_in(nina, site, "nina", NINA_RESET)
    nina.wait_for_url(f"{site}/")
    assert "changed with a reset link issued by Alice" in nina.locator(".messages").inner_text()
    kinds = LedgerEntry.objects.filter(chain=cast.north.ledger_chain).values_list("kind", flat=True)
    assert {"member.reset_issued", "member.reset_used"} <= set(kinds)
