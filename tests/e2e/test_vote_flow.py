"""The whole path of a decision in real browsers: a person joins through an invitation link,
submits a motion, a facilitator opens a secret vote, three members vote from three browser
contexts and the result appears. Once in English and once in Spanish."""

from __future__ import annotations

import re

import pytest

from asamblea.accounts.models import Person
from asamblea.testing import PASSPHRASE, make_cast
from asamblea.voting.models import Ballot, Poll

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "en": {
        "accept": "en",
        "create_invitation": "Create invitation",
        "join": "Join",
        "put_motion": "Put a motion",
        "submit": "Submit",
        "open_vote": "Open the vote",
        "cast": "Cast my vote",
        "recorded": "Your vote is recorded",
        "close": "Close the vote and count",
        "adopted": "Adopted",
        "log_in": "Log in",
        "yes": "Yes",
        "no": "No",
        "check": "Check",
        "in_box": "Your ballot is in the ballot box",
        "supported": "Supported",
    },
    "es": {
        "accept": "es-PE",
        "create_invitation": "Crear invitación",
        "join": "Unirme",
        "put_motion": "Presentar una moción",
        "submit": "Presentar",
        "open_vote": "Abrir la votación",
        "cast": "Emitir mi voto",
        "recorded": "Tu voto quedó registrado",
        "close": "Cerrar la votación y contar",
        "adopted": "Aprobada",
        "log_in": "Ingresar",
        "yes": "Sí",
        "no": "No",
        "check": "Verificar",
        "in_box": "Tu voto está en el ánfora",
        "supported": "Con apoyos",
    },
}


def new_page(browser, language):
    context = browser.new_context(
        locale=TEXTS[language]["accept"],
        viewport={"width": 390, "height": 844},
        extra_http_headers={"Accept-Language": TEXTS[language]["accept"]},
    )
    context.set_default_timeout(15_000)
    return context.new_page()


def log_in(page, site, username, t):
    page.goto(f"{site}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSPHRASE)
    page.get_by_role("main").get_by_role("button", name=t["log_in"]).click()
    page.wait_for_url(f"{site}/")


def vote(page, poll_url, choice_label, t):
    page.goto(poll_url)
    page.get_by_label(choice_label, exact=True).check()
    page.get_by_role("button", name=t["cast"]).click()
    # The page's script casts through the lean endpoint and shows the receipt in place.
    page.locator("#cast-ok").wait_for()
    receipt = page.input_value("#receipt")
    assert re.fullmatch(r"[0-9a-f]{32}", receipt)
    return receipt


@pytest.mark.parametrize("language", ["en", "es"])
def test_join_move_open_vote_and_see_the_result(browser, site, language):
    t = TEXTS[language]
    cast = make_cast()
    north = cast.north
    # Each person chose this language on their profile; it wins once they log in.
    Person.objects.update(language=language)

    # The facilitator makes an invitation link.
    alice = new_page(browser, language)
    log_in(alice, site, "alice", t)
    alice.goto(f"{site}/b/{north.slug}/invitations/")
    alice.get_by_role("button", name=t["create_invitation"]).click()
    link = alice.input_value("#invite-url")
    assert link.startswith(f"{site}/join/")
    assert alice.locator(".qr svg").count() == 1

    # A newcomer opens it, picks a name and a passphrase, and is in.
    nina = new_page(browser, language)
    nina.goto(link)
    nina.fill("#id_display_name", "Nina Condori")
    nina.fill("#id_username", "nina")
    nina.fill("#id_password", PASSPHRASE)
    nina.fill("#id_password2", PASSPHRASE)
    nina.get_by_role("button", name=t["join"]).click()
    nina.wait_for_url(f"{site}/b/{north.slug}/")
    assert nina.locator(".who").inner_text() == "Nina Condori"

    # She puts a motion.
    nina.get_by_role("link", name=t["put_motion"]).click()
    nina.fill("#id_title", "Agua potable todos los días")
    nina.fill("#id_text", "Exigir el servicio de agua **todos los días**.")
    nina.get_by_role("button", name=t["submit"]).click()
    nina.wait_for_url(re.compile(rf"{site}/b/{north.slug}/m/\d+/$"))
    motion_url = nina.url
    assert nina.locator("#motion-state").inner_text() == t["supported"]
    assert nina.locator("section.markdown strong").inner_text() == "todos los días"

    # The facilitator opens a secret vote on it.
    alice.goto(motion_url)
    assert alice.locator("#id_secrecy").input_value() == "secret"
    alice.get_by_role("button", name=t["open_vote"]).click()
    alice.wait_for_url(re.compile(rf"{site}/b/{north.slug}/p/\d+/$"))
    poll_url = alice.url
    poll = Poll.objects.get(motion__title="Agua potable todos los días")
    assert poll.is_secret and poll.electorate_size == 4  # alice, bob, carol and nina

    # Three members vote, each from their own browser.
    bob = new_page(browser, language)
    log_in(bob, site, "bob", t)
    carol = new_page(browser, language)
    log_in(carol, site, "carol", t)
    receipts = [
        vote(bob, poll_url, t["yes"], t),
        vote(carol, poll_url, t["no"], t),
        vote(nina, poll_url, t["yes"], t),
    ]
    assert len(set(receipts)) == 3
    assert Ballot.objects.filter(poll=poll, voter__isnull=False).count() == 0

    # A second try shows the ballot is already in; the form is gone.
    bob.goto(poll_url)
    assert bob.get_by_role("button", name=t["cast"]).count() == 0

    # The facilitator closes; the result appears for everyone.
    alice.goto(poll_url)
    alice.get_by_role("button", name=t["close"]).click()
    alice.locator("#poll-outcome").wait_for()
    assert t["adopted"] in alice.locator("#poll-outcome").inner_text()
    carol.goto(poll_url)
    assert carol.locator("#count-yes").inner_text() == "2"
    assert carol.locator("#count-no").inner_text() == "1"
    assert carol.locator("svg.chart").count() == 1

    # Bob checks his receipt.
    bob.goto(poll_url)
    bob.fill("#id_code", receipts[0])
    bob.get_by_role("button", name=t["check"], exact=True).click()
    bob.get_by_role("heading", name=t["in_box"]).wait_for()

    for page in (alice, nina, bob, carol):
        page.context.close()
