"""Publishing in a real browser: a facilitator sets the statute's rule, drafts a statement and
adopts it; it is on the resolutions page and in the Atom feed; a member reads it on a phone;
the leaflet prints black on white without the page's tools."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from asamblea.accounts.models import Person
from asamblea.publishing.models import Statement
from asamblea.testing import PASSPHRASE, join, make_cast, make_person

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"


def _log_in(page, site, username):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{site}/")


def _no_sideways_scroll(page) -> None:
    overflow = page.evaluate(
        "() => document.scrollingElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_a_statement_from_draft_to_feed_to_leaflet(browser, site):
    cast = make_cast()
    ana = make_person("ana", display_name="Ana")
    join(ana, cast.south)
    Person.objects.update(language="en")
    SCREENS.mkdir(parents=True, exist_ok=True)

    desk = browser.new_context(extra_http_headers={"Accept-Language": "en"})
    desk.set_default_timeout(15_000)
    page = desk.new_page()
    _log_in(page, site, "frank")
    page.goto(f"{site}/b/south/")
    page.get_by_role("link", name="Statements").first.click()
    page.wait_for_url(f"{site}/b/south/statements/")

    # The statute: South's facilitators adopt its statements (recorded in the ledger).
    page.locator("#rule summary").click()
    page.select_option("#rule select", "facilitators")
    page.locator("#rule button[type=submit]").click()
    assert "how statements are adopted" in page.locator(".messages").inner_text()

    page.locator("#draft summary").click()
    page.fill("#id_title", "Agua para Villa María")
    page.fill("#id_text", "Exigimos **agua potable** para todo el barrio.\n\n- ya\n- sin cortes")
    page.locator("#draft button[type=submit]").click()
    page.wait_for_url("**/b/south/s/1/")
    assert page.locator("#statement-state").inner_text() == "Draft"
    page.get_by_role("button", name="Adopt and publish").click()
    page.wait_for_url("**/b/south/s/1/")
    assert page.locator("#statement-state").inner_text() == "Published"
    assert page.locator(".markdown strong").inner_text() == "agua potable"
    assert Statement.objects.get().is_published

    # On the resolutions page, linking to its page and its ledger entry.
    page.goto(f"{site}/b/south/resolutions/")
    card = page.locator(".resolution").first
    assert "Agua para Villa María" in card.inner_text()
    card.get_by_role("link", name="Ledger entry").click()
    page.wait_for_url("**/b/south/ledger/?page=1#entry-*")
    assert "published" in page.locator(".ledger .sentence").first.inner_text()

    # In the feed, as an Atom parser reads it.
    feed = page.request.get(f"{site}/b/south/feed/")
    assert feed.headers["content-type"].startswith("application/atom+xml")
    parsed = feedparser.parse(feed.body())
    assert not parsed.bozo
    assert parsed.entries[0].title == "Agua para Villa María"
    assert parsed.entries[0].link == f"{site}/b/south/s/1/"

    # The leaflet, as printed: the tools are gone, the QR code and the text remain.
    page.goto(f"{site}/b/south/s/1/print/?size=a5")
    page.emulate_media(media="print")
    assert not page.locator(".tools").is_visible()
    assert page.locator(".qr svg").is_visible()
    assert page.locator("h1").inner_text() == "Agua para Villa María"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background in ("rgb(255, 255, 255)", "rgba(0, 0, 0, 0)")
    colours = page.evaluate(
        "() => [...document.querySelectorAll('.sheet, .sheet *')]"
        ".map(e => getComputedStyle(e).color)"
    )
    assert set(colours) == {"rgb(0, 0, 0)"}, set(colours)
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    page.screenshot(path=str(SCREENS / "leaflet-print-a5.png"), full_page=True)
    desk.close()

    # A member on a phone reads it, and the resolutions page, without sideways scrolling.
    phone = browser.new_context(
        viewport={"width": 360, "height": 740}, extra_http_headers={"Accept-Language": "en"}
    )
    phone.set_default_timeout(15_000)
    page = phone.new_page()
    _log_in(page, site, "ana")
    for path in ("/b/south/s/1/", "/b/south/resolutions/", "/b/south/statements/"):
        page.goto(site + path)
        _no_sideways_scroll(page)
    page.goto(f"{site}/b/south/s/1/")
    assert page.get_by_role("link", name="Leaflet A5").is_visible()
    assert not page.get_by_role("button", name="Adopt and publish").count()
    page.screenshot(path=str(SCREENS / "statement-phone.png"), full_page=True)
    phone.close()
