"""A verifiable secret ballot, start to finish, as the people involved live it (issue 15).

Each person in their own Chromium context against the live server: Alicia facilitates from a
laptop and opens a verifiable vote with three trustees, two needed to decrypt; Bruno, Carmen and
Diego, the trustees, run the key ceremony in their own browsers from trustee codes shown once;
Bruno, Carmen, Diego and Elena register and vote on phone-sized screens (Bruno audits a ballot
first, Carmen votes again and her last ballot counts); Fabio has JavaScript off, sees the notice
and casts an ordinary ballot, which the facilitator allowed and which is counted apart; the
board is on a projector. Alicia closes voting, Bruno and Diego come back, type their codes and
decrypt, the result appears, and the downloaded board verifies with both verifiers (Python's
``asamblea verify-election`` and Node's), which agree.

Uses Debian's Chromium (never a downloaded browser); under CI=true a missing one fails.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from asamblea.bodies.actions import body_create
from asamblea.elections.models import Election
from asamblea.ledger.models import LedgerEntry
from asamblea.motions.actions import motion_submit
from asamblea.testing import PASSPHRASE, join, make_person
from asamblea.verifiable.core import channel, trustees
from asamblea.verifiable.core.encoding import parse_point
from asamblea.verifiable.models import Trustee
from asamblea.verifiable.tests.test_node_verifier import node
from asamblea.verifiable.verifier import verify_board
from asamblea.voting.models import Poll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
NODE_VERIFIER = ROOT / "asamblea" / "verifiable" / "node" / "verify-election.mjs"
PHONE = {"width": 360, "height": 740}
LAPTOP = {"width": 1280, "height": 800}
PROJECTOR = {"width": 1920, "height": 1080}
WAIT = 30_000  # ms: the pages poll state.json every 3-4 s; generous for a loaded CI machine


@pytest.fixture(autouse=True)
def _patient_expect():
    """The pages follow state.json by polling: give expect() the same patience as the pages."""
    expect.set_options(timeout=WAIT)
    yield
    expect.set_options(timeout=5_000)  # Playwright's default, for the other modules


def compare_fingerprints(page, subject, username):
    """What a trustee does before sending shares: compare the channel keys' fingerprints out of
    band (here, with the keys the server stored), then let the page send the shares. The page
    computes every fingerprint in the browser, its own key's from the code."""
    expect(page.locator("#verifiable-trustee-compared")).to_be_visible(timeout=90_000)
    mine = {"vote__for_election" if isinstance(subject, Election) else "vote__poll": subject}
    keys = Trustee.objects.filter(**mine, index__isnull=False).select_related("person")
    for trustee in keys:
        expect(page.locator(f"#verifiable-fingerprint-{trustee.index}")).to_have_text(
            channel.key_fingerprint(trustee.channel_key)
        )
        if trustee.person.username == username:
            expect(page.locator("#verifiable-my-fingerprint")).to_contain_text(
                channel.key_fingerprint(trustee.channel_key)
            )
    page.locator("#verifiable-trustee-compared").click()


def lone_trustee_ceremony(page, vote_url, subject, username):
    """A vote with one trustee: from the trustee page (``page``, logged in as ``username``),
    the code shown once, "written down", start, compare the fingerprints, wait until the key
    ceremony is done; then close the page (the secrets leave with it). Returns the code."""
    page.goto(vote_url + "trustee/")
    code = page.locator("#verifiable-code").inner_text()
    page.locator("#verifiable-trustee-start-saved").check()
    page.locator("#verifiable-trustee-start").click()
    compare_fingerprints(page, subject, username)
    expect(page.locator("#verifiable-trustee-waiting")).to_contain_text(
        "The key ceremony is done", timeout=90_000
    )
    page.close()
    return code


def context_for(browser, viewport, *, javascript=True, language="en"):
    context = browser.new_context(
        viewport=viewport,
        locale=language,
        java_script_enabled=javascript,
        extra_http_headers={"Accept-Language": language},
        accept_downloads=True,
    )
    context.set_default_timeout(WAIT)
    return context


def log_in(context, site, username):
    page = context.new_page()
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{site}/")
    return page


def register(page, vote_url):
    """Make a credential (its code shown once), tick "written down", register it."""
    page.goto(vote_url)
    page.locator("#verifiable-new-code").click()
    code = page.locator("#verifiable-code").inner_text()
    assert re.fullmatch(r"[a-z2-9]{5}(-[a-z2-9]{1,5}){5}", code)
    expect(page.locator("#verifiable-register-button")).to_be_disabled()
    page.locator("#verifiable-register-button-saved").check()
    page.locator("#verifiable-register-button").click()
    expect(page.locator("#verifiable-registered-wait")).to_be_visible()
    assert page.locator("#verifiable-status").get_attribute("data-kind") == "ok"
    expect(page.locator("#verifiable-code")).to_have_count(0)  # shown once
    return code


def encrypt(page, answer):
    """Choose an answer (0 yes, 1 no, 2 abstain) and encrypt; the tracker shown."""
    page.locator(f"#verifiable-q0-a{answer}").check()
    page.locator("#verifiable-encrypt").click()
    tracker = page.locator("#verifiable-tracker").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", tracker)
    return tracker


def cast(page, answer):
    tracker = encrypt(page, answer)
    page.locator("#verifiable-cast").click()
    expect(page.locator("#verifiable-cast-done")).to_contain_text(tracker)
    return tracker


def test_a_verifiable_vote_from_opening_to_a_result_both_verifiers_accept(browser, site, tmp_path):
    alicia = make_person("alicia", display_name="Alicia", language="en")
    north = body_create(alicia, name="Norte", kind="district", visibility="members")
    people = {
        name: make_person(name, display_name=name.capitalize(), language="en")
        for name in ("bruno", "carmen", "diego", "elena", "fabio")
    }
    for person in people.values():
        join(person, north)
    people["elena"].language = "es"
    people["elena"].save(update_fields=["language"])
    motion = motion_submit(alicia, north, title="Huelga el lunes", text="Paramos el lunes.")

    contexts = []

    def open_context(viewport, **kwargs):
        contexts.append(context_for(browser, viewport, **kwargs))
        return contexts[-1]

    try:
        # Alicia opens a verifiable vote on the motion and chooses the trustees, 2 of 3.
        laptop = open_context(LAPTOP)
        facilitator = log_in(laptop, site, "alicia")
        facilitator.goto(f"{site}/b/{north.slug}/m/{motion.number}/")
        facilitator.select_option("#id_secrecy", "verifiable")
        facilitator.locator("form[action$='/vote/open/'] button[type=submit]").click()
        facilitator.wait_for_url(re.compile(r".*/p/\d+/.*"))
        poll = Poll.objects.get(motion=motion)
        vote_url = f"{site}/b/{north.slug}/p/{poll.pk}/verifiable/"
        facilitator.goto(vote_url + "setup/")
        for name in ("Bruno", "Carmen", "Diego"):
            facilitator.get_by_label(name, exact=True).check()
        facilitator.fill("#id_threshold", "2")
        facilitator.locator("#id_plain_fallback").check()
        facilitator.locator("main form button[type=submit]").click()

        # The trustees run the ceremony, each from a phone, from a code shown once.
        trustee_codes = {}
        trustee_pages = {}
        phones = {}
        for name in ("bruno", "carmen", "diego"):
            phones[name] = open_context(PHONE)
            page = log_in(phones[name], site, name)
            page.goto(vote_url + "trustee/")
            expect(page.locator("#verifiable-trustee-start")).to_be_disabled()
            trustee_codes[name] = page.locator("#verifiable-code").inner_text()
            page.locator("#verifiable-trustee-start-saved").check()
            page.locator("#verifiable-trustee-start").click()
            trustee_pages[name] = page
        for name, page in trustee_pages.items():
            compare_fingerprints(page, poll, name)
        # Each page takes its next step as soon as the others are ready (polling state.json).
        for page in trustee_pages.values():
            expect(page.locator("#verifiable-trustee-waiting")).to_contain_text(
                "The key ceremony is done", timeout=90_000
            )
            assert page.locator("#verifiable-trustee-status").get_attribute("data-kind") != "error"
            page.close()  # the secrets leave with the page; the codes bring them back

        # Members register on their phones (Elena too); the projector shows the board.
        screen = open_context(PROJECTOR)
        projector = log_in(screen, site, "alicia")
        projector.goto(vote_url + "board/")
        voters = {name: phones[name].new_page() for name in ("bruno", "carmen", "diego")}
        phones["elena"] = open_context(PHONE, language="es")
        voters["elena"] = log_in(phones["elena"], site, "elena")
        for page in voters.values():
            register(page, vote_url)
        # Elena reads Spanish: the script's sentences come translated from the server.
        expect(voters["elena"].locator("#verifiable-registered-wait")).to_contain_text(
            "Registraste tu credencial"
        )

        # Fabio has JavaScript off: the notice, and the ordinary ballot the facilitator allowed.
        no_js = open_context(PHONE, javascript=False)
        fabio = log_in(no_js, site, "fabio")
        fabio.goto(vote_url)
        expect(fabio.locator("#verifiable-noscript")).to_be_visible()
        expect(fabio.locator("#verifiable-plain")).to_be_visible()

        # Alicia opens voting; the phones follow by themselves.
        facilitator.goto(vote_url)
        facilitator.locator("form[action$='/open/'] button[type=submit]").click()
        for page in voters.values():
            expect(page.locator("#verifiable-encrypt")).to_be_visible()
            # Nothing wider than the phone's screen (long codes and trackers wrap).
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # Fabio casts an ordinary ballot (no).
        fabio.goto(vote_url)
        fabio.locator("#verifiable-plain input[type=radio]").nth(1).check()
        fabio.locator("#verifiable-plain button[type=submit]").click()
        fabio.goto(vote_url)
        expect(fabio.locator("#verifiable-plain")).to_have_count(0)  # one ballot, then no form

        # Bruno audits first: the page and the server's verifier open it; it is discarded.
        bruno = voters["bruno"]
        audited = encrypt(bruno, 0)
        bruno.locator("#verifiable-audit").click()
        expect(bruno.locator("#verifiable-audit-page")).to_have_attribute("data-kind", "ok")
        expect(bruno.locator("#verifiable-audit-server")).to_have_attribute("data-kind", "ok")
        expect(bruno.locator("#verifiable-audit-discarded")).to_be_visible()
        expect(bruno.locator("#verifiable-cast")).to_have_count(0)
        trackers = {"bruno": cast(bruno, 0)}
        assert trackers["bruno"] != audited
        # Carmen votes no, then changes her mind: only her last ballot (yes) counts.
        first = cast(voters["carmen"], 1)
        trackers["carmen"] = cast(voters["carmen"], 0)
        assert first != trackers["carmen"]
        trackers["diego"] = cast(voters["diego"], 2)
        trackers["elena"] = cast(voters["elena"], 0)

        # The board lists every ballot; Bruno finds his tracker, the audited one is not there.
        board = screen.request.get(vote_url + "board.json").json()
        on_board = [r for r in board["records"] if r["kind"] == "ballot"]
        assert len(on_board) == 5
        bruno.goto(f"{vote_url}board/?tracker={trackers['bruno']}")
        expect(bruno.locator("#tracker-found")).to_be_visible()
        bruno.goto(f"{vote_url}board/?tracker={audited}")
        expect(bruno.locator("#tracker-missing")).to_be_visible()
        assert {r["hash"] for r in on_board}.isdisjoint({audited})
        projector.reload()
        expect(projector.locator("#verifiable-counts")).to_contain_text("5 encrypted ballots")

        # Alicia closes voting; Bruno and Diego come back and type their codes to decrypt.
        facilitator.goto(vote_url)
        facilitator.locator("form[action$='/close/'] button[type=submit]").click()
        for name in ("bruno", "diego"):
            page = phones[name].new_page()
            page.goto(vote_url + "trustee/")
            page.fill("#verifiable-trustee-code", trustee_codes[name])
            page.locator("#verifiable-trustee-go").click()
            expect(page.locator("#verifiable-trustee-status")).to_have_attribute("data-kind", "ok")

        # The result: yes 3 (Bruno, Carmen, Elena), no 0, abstain 1 (Diego); Fabio's apart.
        projector.goto(vote_url + "board/")
        expect(projector.locator("#verifiable-result")).to_be_visible()
        result = projector.locator("#verifiable-result td").all_inner_texts()
        assert result == ["3", "0", "1"]

        # The downloaded board verifies with both verifiers, which agree.
        with projector.expect_download() as download:
            projector.evaluate(
                "url => { const a = document.createElement('a'); a.href = url; "
                "a.download = 'board.json'; document.body.append(a); a.click(); }",
                vote_url + "board.json",
            )
        path = tmp_path / "board.json"
        download.value.save_as(path)
        board = json.loads(path.read_text())
        report = verify_board(board)
        assert report.result == [[3, 0, 1]]
        done = subprocess.run(  # noqa: S603 - our own script on a file we wrote
            [node(), str(NODE_VERIFIER), str(path), "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        verdict = json.loads(done.stdout)
        assert verdict["ok"] and verdict["result"] == [[3, 0, 1]]
        assert verdict["head"] == board["records"][-1]["hash"] == report.head
        # The poll carries the result, Fabio's ordinary ballot counted apart and visibly.
        poll.refresh_from_db()
        assert not poll.is_open
        assert poll.result["ordinary_ballots"] == 1
        facilitator.goto(f"{site}/b/{north.slug}/p/{poll.pk}/")
        expect(facilitator.locator("#count-ordinary")).to_have_text("1")
        expect(facilitator.locator("#count-verifiable")).to_have_text("4")
        expect(facilitator.locator("#count-yes")).to_have_text("3")
        expect(facilitator.locator("#count-no")).to_have_text("1")
        expect(facilitator.locator("#count-abstain")).to_have_text("1")
    finally:
        for context in contexts:
            context.close()


def test_a_dishonest_trustees_bad_share_is_caught_and_the_ceremony_restarts_without_it(
    browser, site
):
    """Diego's browser sends Bruno a share that does not match Diego's coefficients (validly
    encrypted and signed: what a dishonest trustee could do). Bruno's page finds it, files a
    complaint the server judges from the board's data alone, Diego is excluded, and the two
    others finish a new ceremony by themselves (their pages still hold their codes)."""
    alicia = make_person("alicia", display_name="Alicia", language="en")
    north = body_create(alicia, name="Norte", kind="district", visibility="members")
    people = {
        name: make_person(name, display_name=name.capitalize(), language="en")
        for name in ("bruno", "carmen", "diego")
    }
    for person in people.values():
        join(person, north)
    motion = motion_submit(alicia, north, title="Huelga el lunes", text="Paramos el lunes.")
    contexts = []
    try:
        contexts.append(context_for(browser, LAPTOP))
        facilitator = log_in(contexts[-1], site, "alicia")
        facilitator.goto(f"{site}/b/{north.slug}/m/{motion.number}/")
        facilitator.select_option("#id_secrecy", "verifiable")
        facilitator.locator("form[action$='/vote/open/'] button[type=submit]").click()
        facilitator.wait_for_url(re.compile(r".*/p/\d+/.*"))
        poll = Poll.objects.get(motion=motion)
        vote_url = f"{site}/b/{north.slug}/p/{poll.pk}/verifiable/"
        facilitator.goto(vote_url + "setup/")
        for name in ("Bruno", "Carmen", "Diego"):
            facilitator.get_by_label(name, exact=True).check()
        facilitator.fill("#id_threshold", "2")
        facilitator.locator("main form button[type=submit]").click()

        pages = {}
        for name in ("bruno", "carmen", "diego"):
            contexts.append(context_for(browser, PHONE))
            pages[name] = log_in(contexts[-1], site, name)
            pages[name].goto(vote_url + "trustee/")
        codes = {
            name: page.locator("#verifiable-code").inner_text() for name, page in pages.items()
        }
        for name in ("bruno", "carmen"):
            pages[name].locator("#verifiable-trustee-start-saved").check()
            pages[name].locator("#verifiable-trustee-start").click()
        state = pages["diego"].request.get(vote_url + "state.json").json()
        fingerprint = state["fingerprint"]
        diego = state["me"]["trustee"]
        bruno = pages["bruno"].request.get(vote_url + "state.json").json()["me"]["trustee"]
        keys = {}

        def tamper(route):
            """Diego's commit leaves his browser with a bad share for Bruno."""
            body = route.request.post_data_json
            secret, coefficients = trustees.derive(fingerprint, codes["diego"], 2)
            bruno_key = parse_point(keys[bruno])
            body["shares"][str(bruno)] = channel.encrypt_share(
                bytes.fromhex(fingerprint),
                diego,
                secret,
                bruno,
                bruno_key,
                trustees.evaluate(coefficients, bruno) + 1,
            )
            route.continue_(post_data=json.dumps(body))

        for page in (pages["bruno"], pages["carmen"]):
            expect(page.locator("#verifiable-trustee-waiting")).to_contain_text("2 of 3")
        state = pages["diego"].request.get(vote_url + "state.json").json()
        keys.update({t["index"]: t["channel_key"] for t in state["trustees"] if t["channel_key"]})
        pages["diego"].route("**/trustee/commit/", tamper)
        pages["diego"].locator("#verifiable-trustee-start-saved").check()
        pages["diego"].locator("#verifiable-trustee-start").click()
        for name, page in pages.items():
            compare_fingerprints(page, poll, name)

        # Bruno's page complains; the server excludes Diego; Bruno and Carmen start again.
        expect(pages["diego"].locator("#verifiable-trustee-waiting")).to_contain_text(
            "not a trustee of this vote", timeout=90_000
        )
        for name in ("bruno", "carmen"):  # a new ceremony: new channel keys to compare
            compare_fingerprints(pages[name], poll, name)
        for name in ("bruno", "carmen"):
            expect(pages[name].locator("#verifiable-trustee-waiting")).to_contain_text(
                "The key ceremony is done", timeout=90_000
            )
        state = pages["bruno"].request.get(vote_url + "state.json").json()
        assert state["phase"] == "registration"
        assert state["trustee_count"] == 2 and state["fingerprint"] != fingerprint
        assert sorted(t["name"] for t in state["trustees"]) == ["Bruno", "Carmen"]
        entry = LedgerEntry.objects.get(chain=f"body:{north.pk}", kind="verifiable.complaint")
        assert json.loads(entry.payload)["at_fault_trustee"] == diego
        assert json.loads(entry.payload)["by_trustee"] == bruno
        # The board of the new ceremony verifies.
        board = pages["bruno"].request.get(vote_url + "board.json").json()
        assert verify_board(board).phase
        assert [r["kind"] for r in board["records"]].count("trustee_key") == 2
    finally:
        for context in contexts:
            context.close()
