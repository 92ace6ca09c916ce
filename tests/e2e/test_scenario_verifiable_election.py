"""A verifiable approval election, start to finish, as the people involved live it (issue 15).

Each person in their own Chromium context against the live server: Alicia facilitates from a
laptop, creates an approval election for two seats with the secrecy "Verifiable secret ballot",
adds the options, opens voting and chooses two trustees, both needed to decrypt; Bruno and Carmen
run the key ceremony from their phones; Bruno, Carmen and Elena register and cast approval
ballots on phone-sized screens (Elena marks two candidates, the page encrypts them, she finds her
tracker on the board); Alicia closes the ballot box, the trustees type their codes and decrypt,
and the election's own result page shows the winners and the encrypted counts apart. A ranked
election refuses the verifiable secrecy with a clear message.

An assembly affiliated to a coordination elects its delegate the same way: Alicia opens "Elect
delegates" on the assembly's coordination page with the verifiable secrecy (one seat, Carmen and
Elena), lands on the election's page and chooses Bruno as its one trustee; Bruno and Carmen vote
on their phones, Fabio (no JavaScript) reads the notice and casts the ordinary ballot Alicia
allowed; when Bruno has decrypted, "Our delegates" shows Carmen and both ledgers say so.

Uses Debian's Chromium (never a downloaded browser); under CI=true a missing one fails.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from asamblea.bodies.actions import body_create
from asamblea.coordination.actions import coordination_create
from asamblea.coordination.models import DelegateElection, Delegation
from asamblea.elections.models import Candidate, Election
from asamblea.ledger.models import LedgerEntry
from asamblea.testing import affiliate, join, make_person
from asamblea.verifiable.verifier import verify_board
from tests.e2e.test_scenario_verifiable import (  # noqa: F401 - the fixture is autouse
    LAPTOP,
    PHONE,
    PROJECTOR,
    _patient_expect,
    compare_fingerprints,
    context_for,
    log_in,
    lone_trustee_ceremony,
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


def test_an_assembly_elects_its_delegate_by_a_verifiable_secret_ballot(browser, site):
    alicia = make_person("alicia", display_name="Alicia", language="en")
    north = body_create(alicia, name="Norte", kind="district", visibility="members")
    for name in ("bruno", "carmen", "elena", "fabio"):
        join(make_person(name, display_name=name.capitalize(), language="en"), north)
    cora = make_person("cora", display_name="Cora", language="en")
    federation = coordination_create(
        cora, name="Federación", kind="regional_coordination", visibility="public"
    )
    affiliate(north, federation)
    contexts = []

    def open_context(viewport, **kwargs):
        contexts.append(context_for(browser, viewport, **kwargs))
        return contexts[-1]

    try:
        # Alicia opens the delegate election from the assembly's coordination page.
        laptop = open_context(LAPTOP)
        facilitator = log_in(laptop, site, "alicia")
        coordination_url = f"{site}/b/{north.slug}/coordination/"
        facilitator.goto(coordination_url)
        expect(facilitator.locator("main")).to_contain_text("No delegates yet.")
        form = facilitator.locator("details").filter(has_text="Elect delegates")
        form.locator("summary").click()
        expect(form.locator("#id_coordination")).to_have_value(federation.slug)
        for name in ("Carmen", "Elena"):
            form.get_by_label(name, exact=True).check()
        expect(form.locator("#id_seats")).to_have_value("1")
        form.locator("#id_secrecy").select_option("verifiable")
        form.get_by_role("button", name="Open the election").click()
        facilitator.wait_for_url(re.compile(r".*/e/\d+/$"))
        expect(facilitator.locator("main")).to_contain_text("The verifiable election is open")
        delegate_election = DelegateElection.objects.get(body=north)
        election = delegate_election.election
        assert election is not None and facilitator.url == f"{site}/b/{north.slug}/e/{election.pk}/"
        expect(facilitator.locator("h1")).to_have_text("Delegates of Norte to Federación")
        expect(facilitator.locator("#election-phase")).to_have_text("Voting")
        page_url = facilitator.url
        facilitator.locator("#verifiable-block a.button").click()  # choose the trustees
        facilitator.get_by_label("Bruno", exact=True).check()
        facilitator.fill("#id_threshold", "1")
        facilitator.locator("#id_plain_fallback").check()
        facilitator.locator("main form button[type=submit]").click()
        vote_url = f"{site}/b/{north.slug}/e/{election.pk}/verifiable/"
        facilitator.wait_for_url(vote_url)

        # Bruno, the one trustee, runs the ceremony from his phone.
        bruno_phone = open_context(PHONE)
        trustee = log_in(bruno_phone, site, "bruno")
        code = lone_trustee_ceremony(trustee, vote_url, election, "bruno")

        # Bruno and Carmen register on their phones; Carmen comes from the assembly's page.
        carmen_phone = open_context(PHONE)
        voters = {"bruno": bruno_phone.new_page(), "carmen": log_in(carmen_phone, site, "carmen")}
        carmen = voters["carmen"]
        carmen.goto(coordination_url)
        card = carmen.locator(".delegate-election")
        expect(card).to_contain_text("by verifiable secret ballot")
        expect(card.locator("li")).to_have_count(2)
        expect(card.locator("ul")).to_contain_text("Carmen")
        expect(card.locator("ul")).to_contain_text("Elena")
        card.get_by_role("link", name="Go to the election").click()
        expect(carmen.locator("#verifiable-go")).to_be_visible()
        for page in voters.values():
            register(page, vote_url)
        facilitator.goto(vote_url)
        facilitator.locator("form[action$='/open/'] button[type=submit]").click()

        # Bruno approves Carmen, Carmen approves both: checkboxes, encrypted in the browser.
        position = dict(Candidate.objects.filter(election=election).values_list("name", "position"))
        for name, marks in (("bruno", ("Carmen",)), ("carmen", ("Carmen", "Elena"))):
            page = voters[name]
            expect(page.locator("#verifiable-encrypt")).to_be_visible()
            expect(page.locator("#verifiable-ballot")).to_contain_text("Elena")
            for candidate in marks:
                page.locator(f"#verifiable-q0-a{position[candidate]}").check()
            page.locator("#verifiable-encrypt").click()
            tracker = page.locator("#verifiable-tracker").inner_text()
            page.locator("#verifiable-cast").click()
            expect(page.locator("#verifiable-cast-done")).to_contain_text(tracker)
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Fabio has JavaScript off: the notice, then the ordinary ballot Alicia allowed (Carmen).
        fabio = log_in(open_context(PHONE, javascript=False), site, "fabio")
        fabio.goto(page_url)
        expect(fabio.locator("#verifiable-noscript")).to_contain_text("needs JavaScript")
        expect(fabio.locator("#verifiable-noscript")).to_contain_text(
            "allowed an ordinary secret ballot"
        )
        expect(fabio.locator("#plain-ballot")).to_be_visible()
        fabio.locator("form.ballot").get_by_label("Carmen", exact=True).check()
        fabio.locator("form.ballot button[type=submit]").click()
        fabio.goto(page_url)
        expect(fabio.locator("#voted")).to_be_visible()
        expect(fabio.locator("form.ballot")).to_have_count(0)

        # Alicia closes the ballot box; Bruno types his code and decrypts.
        facilitator.goto(vote_url)
        facilitator.locator("form[action$='/close/'] button[type=submit]").click()
        trustee = bruno_phone.new_page()
        trustee.goto(vote_url + "trustee/")
        trustee.fill("#verifiable-trustee-code", code)
        trustee.locator("#verifiable-trustee-go").click()
        expect(trustee.locator("#verifiable-trustee-status")).to_have_attribute("data-kind", "ok")

        # The projector shows the assembly's delegates: Carmen, elected (3 approvals to 1).
        screen = open_context(PROJECTOR)
        projector = log_in(screen, site, "alicia")
        projector.goto(coordination_url)
        delegates = projector.locator("h2", has_text="Our delegates").locator(
            "xpath=following-sibling::ul[1]"
        )
        expect(projector.locator("main")).not_to_contain_text("No delegates yet.")
        expect(delegates.locator("li.card strong")).to_have_text(["Carmen"])
        expect(delegates).to_contain_text("Federación")
        expect(projector.locator(".delegate-election")).to_have_count(0)
        projector.goto(page_url + "result/")
        expect(projector.locator("#winners")).to_contain_text("Carmen")
        delegation = Delegation.objects.get(body=north, coordination=federation)
        assert delegation.person.username == "carmen"
        assert delegation.election_id == delegate_election.pk
        delegate_election.refresh_from_db()
        assert delegate_election.state == "closed"
        carmen_id, elena_id = (Candidate.objects.get(name=n).person_id for n in ("Carmen", "Elena"))
        for body in (north, federation):
            entry = LedgerEntry.objects.get(chain=body.ledger_chain, kind="delegate.elected")
            payload = json.loads(entry.payload)
            assert payload["elected"] == [carmen_id]
            assert payload["approvals"] == {str(carmen_id): 3, str(elena_id): 1}
            assert payload["verifiable_election"] == election.pk
        # The downloaded board holds the two encrypted ballots (Fabio's is counted apart).
        board = screen.request.get(vote_url + "board.json").json()
        counts = [0, 0]
        counts[position["Carmen"]], counts[position["Elena"]] = 2, 1
        assert verify_board(board).result == [counts]
    finally:
        for context in contexts:
            context.close()
