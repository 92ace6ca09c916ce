"""Access tokens in Chromium on a phone-sized screen: bob makes a token on his account page,
sees it once, uses it, revokes it; and the API's docs page loads with no request to any other
site (its Swagger UI is this server's own static files)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from asamblea.api.models import AccessToken
from asamblea.testing import PASSPHRASE, make_cast

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def phone(browser):
    context = browser.new_context(
        locale="en",
        viewport={"width": 360, "height": 740},
        extra_http_headers={"Accept-Language": "en"},
    )
    context.set_default_timeout(20_000)
    return context, context.new_page()


def test_a_member_makes_a_token_sees_it_once_and_revokes_it(browser, site):
    cast = make_cast()
    cast.bob.language = "en"  # his choice wins over the browser's once he is logged in
    cast.bob.save(update_fields=["language"])
    context, page = phone(browser)
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", "bob")
    page.fill("#id_password", PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.goto(f"{site}/accounts/profile/")
    page.get_by_role("link", name="Access tokens for the API").click()
    page.fill("#id_name", "My phone script")
    page.get_by_label("Cast ballots").check()
    page.get_by_role("button", name="Make the token").click()
    token = page.locator("[data-token]").inner_text().strip()
    assert token.startswith("asm_")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path="test-results/screens/api-token-made.png", full_page=True)

    answer = context.request.get(f"{site}/api/me", headers={"Authorization": f"Bearer {token}"})
    assert answer.status == 200 and answer.json()["scopes"] == ["read", "vote"]

    page.goto(f"{site}/accounts/tokens/")
    assert token not in page.content()
    assert page.get_by_text("My phone script", exact=True).is_visible()
    page.get_by_role("button", name="Revoke “My phone script”").click()
    assert page.get_by_text("The token is revoked").is_visible()
    assert AccessToken.objects.get(person=cast.bob).revoked_at is not None
    refused = context.request.get(f"{site}/api/me", headers={"Authorization": f"Bearer {token}"})
    assert refused.status == 401
    context.close()


def test_the_docs_page_loads_with_no_request_to_another_site(browser, site):
    context, page = phone(browser)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    failures: list[str] = []
    page.on("console", lambda m: failures.append(m.text) if m.type == "error" else None)
    page.goto(f"{site}/api/docs")
    page.locator(".opblock").first.wait_for()
    assert page.locator(".opblock").count() >= 20
    page.screenshot(path="test-results/screens/api-docs.png")
    ours = urlsplit(site).netloc
    others = [
        url
        for url in requested
        if urlsplit(url).scheme not in {"data", "blob"} and urlsplit(url).netloc != ours
    ]
    assert requested and not others, others
    assert not [f for f in failures if "Content Security Policy" in f], failures
    context.close()
