"""A verifiable consultation, start to finish, as the people involved live it (issue 15).

Each person in their own Chromium context against the live server. Cora facilitates the
Federation from a laptop: she puts a motion to its two assemblies as a verifiable consultation
and chooses three of its delegates as trustees, two needed to decrypt. Bruno and Carmen (North's
delegates) and Diego (South's) make the consultation's one election key from their phones, from
trustee codes shown once. Each assembly's facilitator opens its online vote; the members of both
assemblies register and cast on phone-sized screens. Cora closes the consultation; Bruno and
Diego come back, type their codes and decrypt the assemblies' tallies and their sums (never a
ballot); the consultation's page shows the combined result with its breakdowns, and the
downloaded file (the consultation's board with both assemblies' boards) verifies with both
verifiers, which agree.

Uses Debian's Chromium (never a downloaded browser); under CI=true a missing one fails.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from asamblea.bodies.actions import body_create
from asamblea.coordination import actions as coordination
from asamblea.coordination.models import Consultation, ConsultedBody
from asamblea.motions.models import Motion
from asamblea.testing import affiliate, join, make_delegate, make_person
from asamblea.verifiable.core import channel
from asamblea.verifiable.models import Trustee
from asamblea.verifiable.tests.test_node_verifier import node
from asamblea.verifiable.verifier import verify_board
from tests.e2e.test_scenario_verifiable import (
    LAPTOP,
    NODE_VERIFIER,
    PHONE,
    _patient_expect,  # noqa: F401 - the same patience as the poll's scenario
    cast,
    context_for,
    log_in,
    register,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def compare_fingerprints(page, consultation, username):
    """Before sending shares, each trustee compares the channel keys' fingerprints out of band
    (here, with the keys the server stored), then lets the page send the shares."""
    expect(page.locator("#verifiable-trustee-compared")).to_be_visible(timeout=90_000)
    keys = Trustee.objects.filter(
        vote__consultation=consultation, index__isnull=False
    ).select_related("person")
    for trustee in keys:
        expect(page.locator(f"#verifiable-fingerprint-{trustee.index}")).to_have_text(
            channel.key_fingerprint(trustee.channel_key)
        )
        if trustee.person.username == username:
            expect(page.locator("#verifiable-my-fingerprint")).to_contain_text(
                channel.key_fingerprint(trustee.channel_key)
            )
    page.locator("#verifiable-trustee-compared").click()


def test_a_verifiable_consultation_from_two_assemblies_to_a_combined_verified_result(
    browser, site, tmp_path
):
    people = {
        name: make_person(name, display_name=name.capitalize(), language="en")
        for name in ("cora", "alicia", "bruno", "carmen", "elena", "fabio", "diego", "gina")
    }
    federation = coordination.coordination_create(
        people["cora"], name="Federación", kind="regional_coordination", visibility="public"
    )
    north = body_create(
        people["alicia"], name="Norte", kind="district", visibility="members", region="Norte"
    )
    south = body_create(
        people["fabio"], name="Sur", kind="district", visibility="members", region="Sur"
    )
    for name in ("bruno", "carmen", "elena"):
        join(people[name], north)
    for name in ("diego", "gina"):
        join(people[name], south)
    affiliate(north, federation)
    affiliate(south, federation)
    make_delegate(people["bruno"], north, federation)
    make_delegate(people["carmen"], north, federation)
    make_delegate(people["diego"], south, federation)
    motion = Motion.objects.create(
        body=federation, number=1, title="Huelga general", text="Paramos.", state="supported"
    )
    consultation = coordination.consultation_open(
        people["cora"],
        federation,
        motion,
        rule="head_count",
        deadline=timezone.now() + timedelta(days=2),
        verifiable=True,
    )
    base = f"{site}/c/{federation.slug}/k/{consultation.pk}/verifiable/"

    contexts = []

    def open_context(viewport, **kwargs):
        contexts.append(context_for(browser, viewport, **kwargs))
        return contexts[-1]

    try:
        # Cora chooses three delegates as trustees, two needed to decrypt.
        laptop = open_context(LAPTOP)
        cora = log_in(laptop, site, "cora")
        cora.goto(f"{site}/c/{federation.slug}/k/{consultation.pk}/")
        cora.locator("#consultation-verifiable a").click()
        cora.locator("#verifiable-setup-link").click()
        for name in ("Bruno", "Carmen", "Diego"):
            cora.get_by_label(name, exact=True).check()
        cora.fill("#id_threshold", "2")
        cora.locator("main form button[type=submit]").click()
        expect(cora.locator("#verifiable-trustees")).to_contain_text("2 of 3")

        # The trustees make the consultation's one key, each from a phone.
        phones, codes, pages = {}, {}, {}
        for name in ("bruno", "carmen", "diego"):
            phones[name] = open_context(PHONE)
            page = log_in(phones[name], site, name)
            page.goto(base)
            page.locator("#verifiable-trustee-link").click()
            codes[name] = page.locator("#verifiable-code").inner_text()
            page.locator("#verifiable-trustee-start-saved").check()
            page.locator("#verifiable-trustee-start").click()
            pages[name] = page
        for name, page in pages.items():
            compare_fingerprints(page, consultation, name)
        for page in pages.values():
            expect(page.locator("#verifiable-trustee-waiting")).to_contain_text(
                "The key ceremony is done", timeout=90_000
            )
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            page.close()

        # Each assembly's facilitator opens its online vote (a verifiable poll under the key).
        polls = {}
        for body, facilitator in ((north, "alicia"), (south, "fabio")):
            row = ConsultedBody.objects.get(consultation=consultation, body=body)
            polls[body.pk] = coordination.consultation_poll_open(
                people[facilitator], row, secrecy="secret"
            )
        urls = {
            pk: f"{site}/b/{b.slug}/p/{polls[pk].pk}/verifiable/"
            for pk, b in ((north.pk, north), (south.pk, south))
        }

        # The members register on their phones; the facilitators open voting; all cast.
        votes = {
            north.pk: {"alicia": 0, "bruno": 1, "carmen": 0},
            south.pk: {"fabio": 1, "diego": 0, "gina": 2},
        }
        voters = {}
        for pk, choices in votes.items():
            for name in choices:
                if name not in phones:
                    phones[name] = open_context(PHONE)
                    voters[name] = log_in(phones[name], site, name)
                else:
                    voters[name] = phones[name].new_page()
                register(voters[name], urls[pk])
        for pk, facilitator in ((north.pk, "alicia"), (south.pk, "fabio")):
            page = phones[facilitator].new_page()
            page.goto(urls[pk])
            page.locator("form[action$='/open/'] button[type=submit]").click()
            page.close()
        for choices in votes.values():
            for name, answer in choices.items():
                expect(voters[name].locator("#verifiable-encrypt")).to_be_visible()
                assert (
                    voters[name].evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
                )
                cast(voters[name], answer)

        # Cora closes the consultation: the trustees are to decrypt the assemblies' tallies.
        cora.goto(f"{site}/c/{federation.slug}/k/{consultation.pk}/")
        cora.locator("form[action$='/close/'] button[type=submit]").click()
        expect(cora.locator("#consultation-verifiable")).to_contain_text("decrypting")
        for name in ("bruno", "diego"):
            page = phones[name].new_page()
            page.goto(base + "trustee/")
            page.fill("#verifiable-trustee-code", codes[name])
            page.locator("#verifiable-trustee-go").click()
            expect(page.locator("#verifiable-trustee-status")).to_have_attribute("data-kind", "ok")

        # The combined result with its breakdowns: yes 3, no 2, abstain 1; Norte 2/1/0, Sur 1/1/1.
        cora.goto(f"{site}/c/{federation.slug}/k/{consultation.pk}/")
        expect(cora.locator("#consultation-outcome")).to_contain_text("Adopted")
        assert [cora.locator(f"#total-{k}").inner_text() for k in ("yes", "no", "abstain")] == [
            "3",
            "2",
            "1",
        ]
        region_table = cora.locator("h2:has-text('By region') + table")
        expect(region_table).to_contain_text("Norte")
        expect(region_table).to_contain_text("Sur")
        consultation = Consultation.objects.get(pk=consultation.pk)
        by_region = {
            g["key"]: (g["yes"], g["no"], g["abstain"]) for g in consultation.result["by_region"]
        }
        assert by_region == {"Norte": ("2", "1", "0"), "Sur": ("1", "1", "1")}

        # The downloaded file verifies with both verifiers, which agree.
        board = laptop.request.get(base + "board.json").json()
        report = verify_board(board)
        assert report.phase == "result" and report.result is not None
        assert report.result[-1] == [3, 2, 1]
        path = tmp_path / "consultation.json"
        path.write_text(json.dumps(board))
        done = subprocess.run(  # noqa: S603 - our own script on a file we wrote
            [node(), str(NODE_VERIFIER), str(path), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        verdict = json.loads(done.stdout)
        assert verdict["ok"] and verdict["result"] == report.result
        assert verdict["outcome"] == report.outcome
    finally:
        for context in contexts:
            context.close()
