"""The document pages through the client: each page renders for those who may read it, the
forms work without JavaScript, and the PDF reads back with accents and paragraph numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asamblea.documents import actions
from asamblea.documents.models import Amendment, Document
from asamblea.voting.actions import ballot_cast, poll_close, poll_open

pytestmark = pytest.mark.django_db


def _url(name, doc, *args):
    return reverse(f"documents:{name}", args=[doc.body.slug, doc.number, *args])


def test_a_facilitator_opens_a_document_and_members_amend_it(congress):
    cast = congress.cast
    alice = cast.client(cast.alice)
    response = alice.post(
        reverse("documents:list", args=[cast.north.slug]),
        {"title": "Estatuto", "kind": "statute", "text": "Uno.\n\nDos."},
    )
    doc = Document.objects.get(body=cast.north, title="Estatuto")
    assert response.status_code == 302 and response["Location"] == _url("detail", doc)
    bob = cast.client(cast.bob)
    page = bob.get(_url("amend", doc))
    assert page.status_code == 200 and "§2: Dos." in page.content.decode()
    response = bob.post(
        _url("amend", doc),
        {
            "in_body": cast.north.slug,
            "op": "replace",
            "start": "p2",
            "markdown": "Dos y tres.",
            "reason": "Más claro",
            "version": 1,
        },
    )
    amendment = Amendment.objects.get(document=doc)
    assert response["Location"] == _url("amendment", doc, amendment.number)
    html = bob.get(_url("detail", doc)).content.decode()
    assert "<del>Dos.</del>" in html and "<ins>Dos y tres.</ins>" in html
    assert '<span class="ln">2</span>Dos.' in html
    synopsis = bob.get(_url("synopsis", doc)).content.decode()
    assert "§2" in synopsis and "Waiting for a decision" in synopsis or "Esperando" in synopsis


def test_a_stale_form_is_refused_with_a_message_and_nothing_changes(congress):
    cast = congress.cast
    bob = cast.client(cast.bob)
    response = bob.post(
        _url("amend", congress.local),
        {"in_body": cast.north.slug, "op": "replace", "start": "p2", "markdown": "x", "version": 5},
    )
    assert response.status_code == 409
    assert Amendment.objects.count() == 0
    response = bob.post(
        _url("amend", congress.local),
        {"in_body": cast.north.slug, "op": "replace", "start": "p9", "markdown": "x", "version": 1},
    )
    assert response.status_code == 400 and Amendment.objects.count() == 0


def test_conflicts_are_shown_side_by_side_and_the_commission_proposes_a_compromise(congress):
    cast = congress.cast
    doc = congress.local
    a = actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p3")
    b = actions.amendment_submit(
        cast.carol, doc, body=cast.north, op="replace", start="p3", markdown="Deciden."
    )
    page = cast.client(cast.bob).get(_url("amendment", doc, a.number)).content.decode()
    assert 'id="conflicts"' in page and "<ins>Deciden.</ins>" in page
    alice = cast.client(cast.alice)
    response = alice.post(
        _url("proposal", doc),
        {
            "kind": "compromise",
            "numbers": [a.number, b.number],
            "op": "replace",
            "start": "p3",
            "markdown": "Las asambleas deciden siempre.",
        },
    )
    proposal = Amendment.objects.get(document=doc, kind="compromise")
    assert response["Location"] == _url("amendment", doc, proposal.number)
    bob = cast.client(cast.bob)
    page = bob.get(_url("amendment", doc, proposal.number)).content.decode()
    assert f'name="for" value="{a.number}"' in page
    bob.post(_url("consent", doc, proposal.number), {"for": a.number, "accept": "yes"})
    cast.client(cast.carol).post(
        _url("consent", doc, proposal.number), {"for": b.number, "accept": "yes"}
    )
    proposal.refresh_from_db()
    assert proposal.state == "supported"


def test_the_adopted_text_page_and_its_pdf(congress):
    cast = congress.cast
    doc = congress.local
    motion = actions.final_vote_open(cast.alice, doc)
    poll = poll_open(cast.alice, cast.north, motion=motion, secrecy="named")
    for person in (cast.alice, cast.bob, cast.carol):
        ballot_cast(person, poll, choice="yes")
    poll_close(cast.alice, poll)
    doc.refresh_from_db()
    client = cast.client(cast.bob)
    page = client.get(_url("text", doc)).content.decode()
    assert doc.adopted_hash in page and "<svg" in page
    for size in ("", "?size=a5"):
        response = client.get(_url("pdf", doc) + size)
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
        text = _pdf_text(response.content)
        assert "1." in text and "4." in text
        assert "educación pública" in text and "Ningún dirigente" in text
        assert doc.adopted_hash in text


def _pdf_text(data: bytes) -> str:
    """Text of a PDF made with fpdf2's core fonts (uncompressed or zlib streams, Latin-1)."""
    import contextlib
    import re
    import zlib

    chunks = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):
            stream = zlib.decompress(stream)
        chunks += re.findall(rb"\((.*?)\)\s*Tj", stream, re.S)
    raw = b" ".join(chunks).replace(rb"\(", b"(").replace(rb"\)", b")")
    return raw.decode("latin-1")


def test_versions_and_history_stay_readable(congress):
    cast = congress.cast
    doc = congress.local
    a = actions.amendment_submit(
        cast.bob, doc, body=cast.north, op="replace", start="p1", markdown="Agua."
    )
    poll = poll_open(cast.alice, cast.north, motion=a.motion, secrecy="named")
    for person in (cast.alice, cast.bob, cast.carol):
        ballot_cast(person, poll, choice="yes")
    poll_close(cast.alice, poll)
    client = cast.client(cast.carol)
    listing = client.get(_url("versions", doc)).content.decode()
    assert _url("version", doc, 1) in listing and _url("version", doc, 2) in listing
    second = client.get(_url("version", doc, 2)).content.decode()
    assert "<ins>Agua.</ins>" in second
    first = client.get(_url("version", doc, 1)).content.decode()
    assert "Exigimos agua potable" in first
    assert client.get(_url("version", doc, 3)).status_code == 404


def test_the_assembly_lists_its_amendments_to_the_coordination_program(congress):
    cast = congress.cast
    actions.amendment_submit(cast.bob, congress.program, body=cast.north, op="delete", start="p1")
    page = cast.client(cast.carol).get(reverse("documents:body_amendments", args=[cast.north.slug]))
    assert "Programa" in page.content.decode()
    # North is members-only: its amendment to the public program is not shown to outsiders.
    outsider = cast.client(cast.oscar)
    assert outsider.get(_url("amendment", congress.program, 1)).status_code == 404
    assert outsider.get(_url("detail", congress.program)).status_code == 200
