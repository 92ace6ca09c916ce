"""A verifiable approval election, start to finish, as the people involved live it (issue 15).

Each person in their own Chromium context against the live server: Alicia facilitates from a
laptop, creates an approval election for two seats with the secrecy "Verifiable secret ballot",
adds the options, opens voting and chooses two trustees, both needed to decrypt; Bruno and Carmen
run the key ceremony from their phones; Bruno, Carmen and Elena register and cast approval
ballots on phone-sized screens (Elena marks two candidates, the page encrypts them, she finds her
tracker on the board); Alicia closes the ballot box, the trustees type their codes and decrypt,
and the election's own result page shows the winners and the encrypted counts apart. A ranked
election refuses the verifiable secrecy with a clear message.

Uses Debian's Chromium (never a downloaded browser); under CI=true a missing one fails.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from asamblea.bodies.actions import body_create
from asamblea.elections.models import Election
from asamblea.testing import join, make_person
from asamblea.verifiable.verifier import verify_board
from tests.e2e.test_scenario_verifiable import (  # noqa: F401 - the fixture is autouse
    LAPTOP,
    PHONE,
    PROJECTOR,
    _patient_expect,
    compare_fingerprints,
    context_for,
    log_in,
    register,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_verifiable_approval_election_from_creation_to_its_result(browser, site):
    alicia = make_person("alicia", display_name="Alicia", language="en")
    north = body_create(alicia, name="Norte", kind="district", visibility="members")
    for name in ("bruno", "carmen", "elena"):
        join(make_person(name, display_name=name.capitalize(), language="en"), north)
    contexts = []

    def open_context(viewport, **kwargs):
        contexts.append(context_for(browser, viewport, **kwargs))
        return contexts[-1]

    try:
        laptop = open_context(LAPTOP)
        facilitator = log_in(laptop, site, "alicia")
        # A ranked method refuses the verifiable secrecy, saying why.
        facilitator.goto(f"{site}/b/{north.slug}/elections/new/")
        facilitator.fill("#id_title", "Comisión de prensa")
        facilitator.select_option("#id_method", "schulze")
        facilitator.select_option("#id_secrecy", "verifiable")
        facilitator.locator("main form button[type=submit]").click()
        expect(facilitator.locator("main")).to_contain_text("verifiable shuffle")
        assert not Election.objects.exists()
        # Approval for two seats, verifiable.
        facilitator.select_option("#id_method", "approval")
        facilitator.fill("#id_seats", "2")
        facilitator.select_option("#id_secrecy", "verifiable")
        facilitator.locator("main form button[type=submit]").click()
        facilitator.wait_for_url(re.compile(r".*/e/\d+/$"))
        election = Election.objects.get()
        page_url = facilitator.url
        for option in ("Ana", "Beto", "Coral"):
            facilitator.locator("details").filter(has_text="not a person").locator(
                "summary"
            ).click()
            facilitator.fill("#id_name", option)
            facilitator.locator("form[action$='/options/'] button[type=submit]").click()
        facilitator.locator("form[action$='/open/'] button[type=submit]").click()
        # The election's page offers the verifiable steps, not the ordinary ballot.
        expect(facilitator.locator("#verifiable-block")).to_be_visible()
        expect(facilitator.locator("form.ballot")).to_have_count(0)
        facilitator.locator("#verifiable-block a.button").click()  # choose the trustees
        for name in ("Bruno", "Carmen"):
            facilitator.get_by_label(name, exact=True).check()
        facilitator.fill("#id_threshold", "2")
        facilitator.locator("main form button[type=submit]").click()
        vote_url = f"{site}/b/{north.slug}/e/{election.pk}/verifiable/"
        facilitator.wait_for_url(vote_url)

        # The trustees' ceremony from their phones.
        phones, codes = {}, {}
        for name in ("bruno", "carmen"):
            phones[name] = open_context(PHONE)
            page = log_in(phones[name], site, name)
            page.goto(vote_url + "trustee/")
            codes[name] = page.locator("#verifiable-code").inner_text()
            page.locator("#verifiable-trustee-start-saved").check()
            page.locator("#verifiable-trustee-start").click()
        for name in ("bruno", "carmen"):
            compare_fingerprints(phones[name].pages[-1], election, name)
        for name in ("bruno", "carmen"):
            page = phones[name].pages[-1]
            expect(page.locator("#verifiable-trustee-waiting")).to_contain_text(
                "The key ceremony is done", timeout=90_000
            )
            page.close()

        # Members register on their phones; Elena goes there from the election's page.
        phones["elena"] = open_context(PHONE)
        voters = {"elena": log_in(phones["elena"], site, "elena")}
        voters["elena"].goto(page_url)
        expect(voters["elena"].locator("#verifiable-go")).to_be_visible()
        voters |= {name: phones[name].new_page() for name in ("bruno", "carmen")}
        for page in voters.values():
            register(page, vote_url)
        facilitator.goto(vote_url)
        facilitator.locator("form[action$='/open/'] button[type=submit]").click()

        # Elena marks Ana and Coral: checkboxes (approval), encrypted in her browser.
        elena = voters["elena"]
        expect(elena.locator("#verifiable-encrypt")).to_be_visible()
        assert elena.locator("#verifiable-q0-a0").get_attribute("type") == "checkbox"
        expect(elena.locator("#verifiable-ballot")).to_contain_text("Coral")
        # Nothing marked: the page says how many to mark, nothing is sent.
        elena.locator("#verifiable-encrypt").click()
        expect(elena.locator("#verifiable-status")).to_have_attribute("data-kind", "error")
        trackers = {}
        for name, marks in (("elena", (0, 2)), ("bruno", (1, 2)), ("carmen", (0, 1, 2))):
            page = voters[name]
            expect(page.locator("#verifiable-encrypt")).to_be_visible()
            for e in marks:
                page.locator(f"#verifiable-q0-a{e}").check()
            page.locator("#verifiable-encrypt").click()
            trackers[name] = page.locator("#verifiable-tracker").inner_text()
            page.locator("#verifiable-cast").click()
            expect(page.locator("#verifiable-cast-done")).to_contain_text(trackers[name])
        assert elena.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The board shows Elena's tracker (she follows the link from her page).
        elena.locator("#verifiable-find-tracker").click()
        expect(elena.locator("#tracker-found")).to_be_visible()
        expect(elena.locator("#board-records")).to_contain_text(trackers["elena"])
        assert elena.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Alicia closes the ballot box; the trustees decrypt with their codes.
        facilitator.goto(vote_url)
        facilitator.locator("form[action$='/close/'] button[type=submit]").click()
        for name in ("bruno", "carmen"):
            page = phones[name].new_page()
            page.goto(vote_url + "trustee/")
            page.fill("#verifiable-trustee-code", codes[name])
            page.locator("#verifiable-trustee-go").click()
            expect(page.locator("#verifiable-trustee-status")).to_have_attribute("data-kind", "ok")

        # The election's own result: Coral 3 elected, and one of Ana and Beto (2 each) by the
        # election's seeded draw.
        screen = open_context(PROJECTOR)
        projector = log_in(screen, site, "alicia")
        projector.goto(page_url + "result/")
        expect(projector.locator("#winners")).to_contain_text("Coral")
        expect(projector.locator("#verifiable-counts-table")).to_contain_text("Coral")
        election.refresh_from_db()
        assert election.is_closed
        assert election.result["verifiable"]["counts"] == [2, 2, 3]
        assert len(election.result["winners"]) == 2 and 2 in election.result["winners"]
        board = screen.request.get(vote_url + "board.json").json()
        assert verify_board(board).result == [[2, 2, 3]]
    finally:
        for context in contexts:
            context.close()
