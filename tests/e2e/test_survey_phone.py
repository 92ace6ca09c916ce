"""A survey answered on a 360-pixel phone without JavaScript, then its results on the phone.

Plain HTML forms only: radio buttons, check boxes, a scale and a short text; nothing overflows
sideways and every control has a label. Uses Debian's Chromium (see conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.utils import timezone
from playwright.sync_api import expect

from asamblea.surveys import actions
from asamblea.surveys.models import Response
from asamblea.testing import make_cast

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AUDIT = """() => {
  const problems = [];
  if (document.documentElement.scrollWidth > window.innerWidth + 1) {
    problems.push(`page is ${document.documentElement.scrollWidth}px wide`);
  }
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`))
      || el.closest('label') || el.getAttribute('aria-label');
    if (!labelled) problems.push(`unlabelled ${el.tagName} ${el.name}`);
  }
  return problems;
}"""


def _phone(browser, site, person, javascript):
    context = browser.new_context(
        locale="en",
        viewport={"width": 360, "height": 740},
        java_script_enabled=javascript,
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


def test_a_survey_answered_on_a_phone_without_javascript(browser, site):
    cast = make_cast()
    for person in (cast.alice, cast.bob):
        person.language = "en"
        person.save(update_fields=["language"])
    survey = actions.survey_open(
        cast.alice,
        cast.north,
        title="Antes del congreso",
        closes_at=timezone.now() + timedelta(days=1),
        questions=[
            {"kind": "single", "text": "Do we strike?", "options": ["Yes", "No"]},
            {"kind": "multiple", "text": "What do we need?", "options": ["Buses", "Food"]},
            {"kind": "scale", "text": "How strong are we?", "high": 5},
            {"kind": "text", "text": "Anything else"},
        ],
    )
    questions = list(survey.questions.all())
    path = f"{site}/b/{cast.north.slug}/surveys/{survey.pk}/"
    page = _phone(browser, site, cast.bob, javascript=False)
    try:
        page.goto(path)
        assert page.evaluate(AUDIT) == []
        page.check(f"input[name=q{questions[0].pk}][value='0']")
        page.check(f"input[name=q{questions[1].pk}][value='0']")
        page.check(f"input[name=q{questions[1].pk}][value='1']")
        page.check(f"input[name=q{questions[2].pk}][value='4']")
        page.fill(f"input[name=q{questions[3].pk}]", "Bring water")
        page.click("#answer-survey")
        expect(page.locator("#survey-answered")).to_be_visible()
        expect(page.locator("#survey-turnout")).to_contain_text("1 of 3")
        assert not page.locator("#survey-form").count()
        [response] = Response.objects.filter(survey=survey)
        assert response.person_id is None
        assert response.answers[str(questions[1].pk)] == [0, 1]

        actions.survey_close(cast.alice, survey)
        page.goto(path)
        expect(page.locator("#results")).to_be_visible()
        assert page.locator("svg.chart").count() == 3
        expect(page.locator("main")).to_contain_text("Bring water")
        expect(page.locator("main")).to_contain_text("Mean: 4.0")
        assert page.evaluate(AUDIT) == []
    finally:
        page.context.close()
