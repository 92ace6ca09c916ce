"""The congress, in Chromium, as the people in it live it (issue 16).

Three assemblies (North, South, East) amend the Federation's draft program. North's and South's
amendments, sent up, touch the same paragraph: the drafting commission proposes a compromise,
both authors accept it and the delegates adopt it. East's amendment is contested, so the
Federation puts it to a consultation of every assembly, which adopts it. The final vote adopts
the whole text; it is published as a page and a PDF that reads correctly (Spanish accents,
paragraph numbers).

The steps that are the point are done in the browser by the person who does them; votes and
other writes that are not the point go through the actions the pages call. Every step asserts
what that person sees.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from asamblea.bodies.actions import body_create
from asamblea.coordination import actions as coordination
from asamblea.coordination.models import Consultation
from asamblea.documents.models import Amendment, Document
from asamblea.testing import affiliate, join, make_delegate, make_person
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from tests.e2e.test_pages_phone import shoot
from tests.e2e.test_scenario_coordination_week import People

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DRAFT = (
    "Exigimos agua potable y saneamiento para todos los barrios.\n\n"
    "La educación pública será gratuita y laica en todos sus niveles.\n\n"
    "Las asambleas de base deciden; ningún dirigente sin mandato revocable.\n\n"
    "Nos comprometemos a la solidaridad entre sectores y regiones."
)


def _assembly(facilitator, name, members):
    body = body_create(facilitator, name=name, kind="district", visibility="members")
    for person in members:
        join(person, body)
    return body


def _adopt(facilitator, motion, voters):
    poll = poll_open(facilitator, motion.body, motion=motion, secrecy="named")
    for person in voters:
        ballot_cast(person, poll, choice="yes")
    poll_close(facilitator, poll)


def _pdf_text(data: bytes) -> str:
    import contextlib
    import zlib

    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):
            stream = zlib.decompress(stream)
        chunks += re.findall(rb"\((.*?)\)\s*Tj", stream, re.S)
    return b" ".join(chunks).replace(rb"\(", b"(").replace(rb"\)", b")").decode("latin-1")


def test_a_congress_adopts_its_program(browser, site):
    names = ("alice", "bob", "frank", "sam", "erin", "ema", "cora", "dana", "sol", "eva")
    p = type("P", (), {n: make_person(n, language="en") for n in names})
    north = _assembly(p.alice, "North", [p.bob, p.dana])
    south = _assembly(p.frank, "South", [p.sam, p.sol])
    east = _assembly(p.erin, "East", [p.ema, p.eva])
    federation = coordination.coordination_create(
        p.cora,
        name="Federation",
        kind="regional_coordination",
        visibility="public",
        forward_decision="facilitator",  # a facilitator carries what the assembly adopted
    )
    for body in (north, south, east):
        affiliate(body, federation)
    make_delegate(p.dana, north, federation)
    make_delegate(p.sol, south, federation)
    make_delegate(p.eva, east, federation)
    week = People(browser, site)
    try:
        # 1. Cora opens the draft program for amendments.
        page = week.sees(p.cora, f"/b/{federation.slug}/documents/")
        page.get_by_text("Open a document for amendments").click()
        page.fill("#id_title", "Programa común")
        page.select_option("#id_kind", "program")
        page.fill("#id_text", DRAFT)
        page.get_by_role("button", name="Open it for amendments").click()
        page.get_by_text("The document is open for amendments.").wait_for()
        doc = Document.objects.get(body=federation)
        base = f"/b/{federation.slug}/d/{doc.number}/"
        assert "§2" in page.content() and "La educación pública" in page.content()

        # 2. A member of each assembly proposes an amendment in their own assembly.
        def amend(person, body, op, pid, text=""):
            page = week.sees(person, base + "amend/")
            page.select_option("#id_in_body", body.slug)
            page.check(f"input[name=op][value={op}]")
            page.select_option("#id_start", pid)
            if text:
                page.fill("#id_markdown", text)
            page.get_by_role("button", name="Submit the amendment").click()
            page.get_by_text("submitted.").wait_for()
            return Amendment.objects.filter(document=doc, body=body).latest("number"), page

        north_a, page = amend(
            p.bob, north, "replace", "p2", "La educación pública será gratuita, laica y de calidad."
        )
        assert "put in North" in page.content()
        south_a, _ = amend(p.sam, south, "delete", "p2")
        east_a, _ = amend(
            p.ema, east, "insert_after", "p3", "Las mujeres y disidencias tendrán paridad."
        )

        # 3. Each assembly adopts its amendment; its facilitator sends it up in the browser.
        for facilitator, voters, amendment in (
            (p.alice, [p.alice, p.bob, p.dana], north_a),
            (p.frank, [p.frank, p.sam, p.sol], south_a),
            (p.erin, [p.erin, p.ema, p.eva], east_a),
        ):
            _adopt(facilitator, amendment.motion, voters)
            page = week.sees(facilitator, base + f"a/{amendment.number}/")
            page.get_by_role("button", name="Send it up to Federation").click()
            page.get_by_text("sent up with your assembly's backing").wait_for()
            assert "on its agenda" in page.content()
        arrived = {a.origin_id: a for a in Amendment.objects.filter(document=doc, body=federation)}
        north_up, south_up, east_up = (arrived[a.pk] for a in (north_a, south_a, east_a))

        # 4. Cora reads the synopsis (backing) and the text: two amendments conflict.
        page = week.sees(p.cora, base + "synopsis/")
        row = page.locator(f"#a{north_up.number}")
        assert "North" in row.inner_text() and "3 members" in row.inner_text()
        page = week.sees(p.cora, base)
        conflict = page.locator(f"#a{north_up.number}")
        assert "conflicts with" in conflict.inner_text()
        assert conflict.locator("del").count() >= 1 and conflict.locator("ins").count() >= 1
        page = week.sees(p.cora, base + f"a/{north_up.number}/")
        assert page.locator("#conflicts .card").count() == 2  # side by side
        # On a phone: nothing overflows, every control is labelled, text is readable.
        phone = week.page(p.cora)
        for path, name in (("", "inline"), ("synopsis/", "synopsis"), ("amend/", "amend")):
            shoot(phone, f"{site}{base}{path}", f"congress-{name}")
        shoot(phone, f"{site}{base}a/{north_up.number}/", "congress-conflict")
        page = week.sees(p.cora, base + f"a/{north_up.number}/")

        # 5. The drafting commission proposes a compromise; both authors accept it.
        page.get_by_role("link", name="Propose a compromise").click()
        page.select_option("#id_start", "p2")
        page.fill("#id_markdown", "La educación pública será gratuita y de calidad.")
        page.get_by_role("button", name="Propose it to the authors").click()
        page.get_by_text("waits for the authors' consent").wait_for()
        compromise = Amendment.objects.get(document=doc, kind="compromise")
        for author in (p.bob, p.sam):
            page = week.sees(author, base + f"a/{compromise.number}/")
            page.get_by_role("button", name="Accept").click()
            page.get_by_text("Your answer was recorded.").wait_for()
        compromise.refresh_from_db()
        assert compromise.state == "supported"
        page = week.sees(p.sam, base + f"a/{south_up.number}/")
        assert "Replaced by amendment" in page.content()

        # 6. The delegates adopt the compromise.
        vote = coordination.vote_open(p.cora, federation, compromise.motion)
        for delegate, body in ((p.dana, north), (p.sol, south), (p.eva, east)):
            coordination.delegate_cast(delegate, vote, body, choice="yes")
        coordination.vote_close(p.cora, vote)

        # 7. East's amendment is contested: Cora puts it to every assembly.
        page = week.sees(p.cora, base + f"a/{east_up.number}/")
        page.get_by_text("Put it to every assembly (consultation)").click()
        page.select_option("#id_rule", "majority_of_bodies")
        deadline = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
        page.fill("#id_deadline", deadline)
        page.get_by_role("button", name="Open the consultation").click()
        page.get_by_text("put to every assembly").first.wait_for()
        consultation = Consultation.objects.get(motion=east_up.motion)
        for row in consultation.rows.select_related("body"):
            facilitator = {north.pk: p.alice, south.pk: p.frank, east.pk: p.erin}[row.body_id]
            yes = 1 if row.body_id == south.pk else 3
            coordination.consultation_record(
                facilitator, row, means="hands", yes=yes, no=3 - yes, abstain=0, present=3
            )
        coordination.consultation_close(p.cora, consultation)
        east_up.refresh_from_db()
        assert east_up.state == "adopted"

        # 8. Nothing is left to decide: Cora opens the final vote; the delegates adopt it.
        page = week.sees(p.cora, base)
        page.get_by_role("button", name="Open the final vote on the whole text").click()
        page.get_by_text("on the agenda for its final vote").wait_for()
        doc.refresh_from_db()
        vote = coordination.vote_open(p.cora, federation, doc.final_motion)
        for delegate, body in ((p.dana, north), (p.sol, south), (p.eva, east)):
            coordination.delegate_cast(delegate, vote, body, choice="yes")
        coordination.vote_close(p.cora, vote)
        doc.refresh_from_db()
        assert doc.state == "adopted"

        # 9. Anyone reads the adopted text, and its PDF reads correctly.
        page = week.sees(p.ema, base + "text/")
        text = page.locator("article.adopted-text").inner_text()
        assert "gratuita y de calidad" in text and "paridad" in text
        assert doc.adopted_hash in page.content()
        for size in ("", "?size=a5"):
            response = page.request.get(f"{site}{base}text.pdf{size}")
            assert response.ok and response.headers["content-type"] == "application/pdf"
            printed = _pdf_text(response.body())
            assert "educación pública será gratuita y de calidad" in printed
            assert "Las mujeres y disidencias tendrán paridad." in printed
            assert all(f"{n}." in printed for n in range(1, 5))
        shoot(week.page(p.ema), f"{site}{base}text/", "congress-adopted-text")
        page = week.sees(p.ema, base + "versions/")
        assert "adopted text" in page.content()
    finally:
        week.close()
