"""QR codes in a real browser: a facilitator creates an invitation, leaves the page, shows the
link again from the invitations list, and the QR code drawn on screen holds exactly the modules
of that link; the projector draws the check-in QR the same way. Links follow the address the
browser is using (no SITE_URL). Screenshots go to test-results/screens/."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from asamblea.accounts.models import Person
from asamblea.bodies.models import Invitation
from asamblea.testing import PASSPHRASE, make_cast, qr_modules

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"


def _scan(element, name: str) -> list[list[bool]]:
    """Screenshot ``element`` and read its QR modules back from the pixels: the colour at the
    centre of each module's cell, as a scanner samples it."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    element.screenshot(path=str(path))
    image = Image.open(path).convert("L")
    size = int(element.evaluate("e => e.viewBox.baseVal.width / 4"))  # segno scale(4)
    width, height = image.size
    return [
        [
            image.getpixel((int((x + 0.5) * width / size), int((y + 0.5) * height / size))) < 128
            for x in range(size)
        ]
        for y in range(size)
    ]


def _log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{site}/")


def test_a_facilitator_shows_the_qr_again_and_the_projector_qr_scans(
    browser, live_server, settings
):
    settings.SITE_URL = ""  # links must follow the address the browser uses
    site = live_server.url
    cast = make_cast()
    Person.objects.update(language="en")  # the pages are read in English
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, extra_http_headers={"Accept-Language": "en"}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    _log_in(page, site, "alice")

    page.goto(f"{site}{reverse('bodies:invitations', args=[cast.north.slug])}")
    page.fill("#id_max_uses", "30")
    page.fill("#id_label", "Saturday")
    page.locator("main form button[type=submit]").first.click()
    first_url = page.input_value("#invite-url")
    assert first_url.startswith(f"{site}/join/"), first_url

    # Leave, come back through the list, and show the same link again.
    page.goto(f"{site}{reverse('bodies:invitations', args=[cast.north.slug])}")
    page.get_by_role("link", name="Show link and QR").click()
    assert page.input_value("#invite-url") == first_url
    svg = page.locator("#invite-qr svg")
    assert svg.count() == 1
    assert _scan(svg, "invitation-qr-again") == qr_modules(first_url)

    # Re-issue: a new link, and the old one is refused.
    page.get_by_role("button", name="Re-issue: a new link, the old one stops working").click()
    new_url = page.input_value("#invite-url")
    assert new_url != first_url and new_url.startswith(f"{site}/join/")
    assert _scan(page.locator("#invite-qr svg"), "invitation-qr-reissued") == qr_modules(new_url)
    assert Invitation.objects.filter(body=cast.north, revoked=True).count() == 1
    stranger = browser.new_context(extra_http_headers={"Accept-Language": "en"}).new_page()
    stranger.goto(first_url)
    assert "not valid" in stranger.content() or "expired" in stranger.content()
    stranger.goto(new_url)
    assert stranger.locator("#id_display_name").count() == 1
    stranger.context.close()

    # The projector: a real SVG (not escaped text), drawing the check-in address.
    from asamblea.meetings import actions as meet

    meeting = meet.meeting_schedule(
        cast.alice, cast.north, title="Saturday", starts_at=timezone.now(), place="Hall"
    )
    projector = browser.new_context(
        viewport={"width": 1280, "height": 720}, extra_http_headers={"Accept-Language": "en"}
    )
    screen = projector.new_page()
    screen.context.add_cookies(context.cookies())
    screen.goto(f"{site}{reverse('meetings:projector', args=[cast.north.slug, meeting.pk])}")
    assert "&lt;svg" not in screen.content()
    checkin = site + reverse("meetings:checkin", args=[cast.north.slug, meeting.pk])
    assert screen.locator(".projector-qr .hash").inner_text() == checkin
    qr = screen.locator(".projector-qr svg")
    assert qr.bounding_box()["width"] > 100  # drawn, not a blank box
    assert _scan(qr, "projector-qr") == qr_modules(checkin)
    projector.close()
    context.close()
