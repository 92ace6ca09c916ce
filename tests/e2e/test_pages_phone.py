"""Every main page on a small phone (360 px wide): nothing overflows sideways, every form control
has a label, every button has a name, text has WCAG AA contrast, and keyboard focus is visible.
Screenshots are saved in ``test-results/screens/`` for people to look at."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from asamblea.accounts.models import Person
from asamblea.bodies.models import Body
from asamblea.motions.actions import motion_support
from asamblea.voting.models import Poll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENS = Path(__file__).resolve().parents[2] / "test-results" / "screens"

AUDIT = r"""() => {
  const problems = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`))
      || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push(`unlabelled ${el.tagName} ${el.name}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    const name = (el.textContent || el.getAttribute('aria-label') || '').trim();
    if (!name) problems.push(`nameless ${el.tagName} ${el.outerHTML.slice(0, 80)}`);
  }
  // Contrast (WCAG AA): 4.5:1 for text, 3:1 for large text, against the painted background.
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  for (const el of document.querySelectorAll('body *')) {
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    if (!text || style.visibility === 'hidden' || el.offsetParent === null) continue;
    const a = lum(rgb(style.color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    if (ratio < needed) {
      const what = el.textContent.trim().slice(0, 30);
      problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: ${el.tagName} "${what}"`);
    }
  }
  if (!document.documentElement.lang) problems.push('no lang attribute');
  if (document.querySelectorAll('h1').length !== 1) problems.push('not exactly one h1');
  return problems;
}"""


def shoot(page, url, name):
    page.goto(url)
    problems = page.evaluate(AUDIT)
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)
    assert not problems, f"{name}: {problems}"


def test_main_pages_fit_a_phone_and_are_labelled(browser, site):
    from asamblea.management.commands.demo import DEMO_PASSPHRASE as passphrase

    call_command("demo", "--quiet")
    lima = Body.objects.get(region="Lima", kind="district")
    closed = Poll.objects.filter(body=lima, state="closed").first()
    opened = Poll.objects.filter(body=lima, state="open").first()
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, locale="es-PE", device_scale_factor=1
    )
    page = context.new_page()
    shoot(page, f"{site}/", "01-home-anonymous")
    shoot(page, f"{site}/accounts/login/", "02-login")
    shoot(page, f"{site}/join/not-a-real-token/", "03-refused")
    shoot(page, f"{site}/b/{lima.slug}/", "04-body-anonymous")
    shoot(page, f"{site}/b/{lima.slug}/ledger/", "05-ledger")
    shoot(page, f"{site}/b/{lima.slug}/p/{closed.pk}/", "06-result")

    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", "rosa")
    page.fill("#id_password", passphrase)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{site}/")
    shoot(page, f"{site}/", "07-home-rosa")
    shoot(page, f"{site}/b/{lima.slug}/members/", "08-members")
    shoot(page, f"{site}/b/{lima.slug}/invitations/", "09-invitations")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_selector("#invite-url")
    page.screenshot(path=str(SCREENS / "10-invitation-created.png"), full_page=True)
    assert not page.evaluate(AUDIT)
    motion = closed.motion
    shoot(page, f"{site}/b/{lima.slug}/m/{motion.number}/", "11-motion-adopted")
    open_motion = lima.motions.get(state="submitted")
    motion_support(Person.objects.get(username="walter"), open_motion)
    shoot(page, f"{site}/b/{lima.slug}/m/{open_motion.number}/", "12-motion-open-vote-form")
    shoot(page, f"{site}/b/{lima.slug}/motions/new/", "13-motion-form")
    shoot(page, f"{site}/b/{lima.slug}/p/{opened.pk}/", "14-vote-open")
    page.get_by_label("Sí", exact=True).check()
    page.locator("form[data-cast] button[type=submit]").click()
    page.wait_for_selector("#cast-ok")
    page.screenshot(path=str(SCREENS / "15-vote-recorded.png"), full_page=True)
    assert not page.evaluate(AUDIT)
    shoot(page, f"{site}/accounts/profile/", "16-profile")
    shoot(page, f"{site}/new/", "17-create-assembly")

    # Keyboard: the first Tab lands on the skip link, which becomes visible.
    page.goto(f"{site}/")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.className")
    assert focused == "skip"
    box = page.locator("a.skip").bounding_box()
    assert box is not None and box["x"] >= 0
    context.close()


# Bytes that crossed the wire for the page and everything it loaded: the encoded (compressed)
# bodies plus headers, as the browser's resource timing counts them. A file the browser took
# from its cache counts 0, which is what a far-future cache lifetime buys on the next visit.
TRANSFERRED = r"""() => performance.getEntriesByType('navigation')
  .concat(performance.getEntriesByType('resource'))
  .reduce((sum, entry) => sum + entry.transferSize, 0)"""

FIRST_VISIT_LIMIT = 40 * 1024
NEXT_VISIT_LIMIT = 15 * 1024


def weigh(context, url):
    """(first visit, next visit) in bytes, in a context whose cache starts empty."""
    page = context.new_page()
    page.goto(url, wait_until="load")
    first = page.evaluate(TRANSFERRED)
    page.goto(url, wait_until="load")  # a new navigation, as following a link: no forced reload
    again = page.evaluate(TRANSFERRED)
    page.close()
    return first, again


def test_main_pages_are_light_on_a_weak_connection(browser, site):
    from asamblea.management.commands.demo import DEMO_PASSPHRASE as passphrase

    call_command("demo", "--quiet")
    lima = Body.objects.get(region="Lima", kind="district")
    closed = Poll.objects.filter(body=lima, state="closed").first()
    opened = Poll.objects.filter(body=lima, state="open").first()
    anonymous = [
        "/",
        "/accounts/login/",
        f"/b/{lima.slug}/",
        f"/b/{lima.slug}/ledger/",
        f"/b/{lima.slug}/p/{closed.pk}/",
    ]
    members = [
        "/",
        f"/b/{lima.slug}/",
        f"/b/{lima.slug}/members/",
        f"/b/{lima.slug}/invitations/",
        f"/b/{lima.slug}/ledger/",
        f"/b/{lima.slug}/meetings/",
        f"/b/{lima.slug}/m/{closed.motion.number}/",
        f"/b/{lima.slug}/motions/new/",
        f"/b/{lima.slug}/p/{opened.pk}/",
        "/accounts/profile/",
        "/new/",
    ]
    phone = {"viewport": {"width": 360, "height": 740}, "locale": "es-PE"}
    login = browser.new_context(**phone)
    page = login.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", "rosa")
    page.fill("#id_password", passphrase)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(f"{site}/")
    rosa = login.storage_state()
    login.close()

    weights, heavy = {}, []
    for who, paths, state in (("anonymous", anonymous, None), ("rosa", members, rosa)):
        for path in paths:
            context = browser.new_context(**phone, storage_state=state)
            first, again = weigh(context, f"{site}{path}")
            context.close()
            weights[f"{who} {path}"] = (first, again)
            if first >= FIRST_VISIT_LIMIT or again >= NEXT_VISIT_LIMIT:
                heavy.append(f"{who} {path}: {first} B first, {again} B next")
    print("\n".join(f"{name}: {a} B first, {b} B next" for name, (a, b) in weights.items()))
    assert not heavy, heavy
    # The cache lifetime is what makes the next visit light: static files come from the cache.
    assert all(again < first / 2 for first, again in weights.values())
