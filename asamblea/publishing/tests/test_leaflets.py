"""Leaflets: print pages and PDFs, A5 or A4, black on white, with a QR code to the page."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from asamblea.ledger.chain import Head
from asamblea.markup import render_markdown
from asamblea.publishing import actions, leaflet
from asamblea.publishing.models import Publication
from asamblea.publishing.tests.scene import decide, published_minutes
from asamblea.testing import make_cast

pytestmark = pytest.mark.django_db

MEDIA_BOX = {"a5": b"/MediaBox [0 0 419.53 595.28]", "a4": b"/MediaBox [0 0 595.28 841.89]"}
COLOUR = re.compile(rb"(?<![\w/])(?:[\d.]+ ){1,4}(?:rg|RG|k|K|g|G|sc|scn|SC|SCN)\b")


def _content(**extra):
    text = "## Título\n\n**¡Agua** para Villa María! ¿Por qué no? Ñuñoa — “ya”\n\n- uno\n\n> cita"
    return leaflet.Content(
        kind="Declaración",
        title="Agua para todos, ¡ya!",
        body="Asamblea de Peñalolén",
        date="6 de diciembre de 2026",
        url="http://example.org/b/south/s/1/",
        html=str(render_markdown(text + "\n\n[enlace](https://example.org)")),
        endorsed_by=["Coordinadora Sur"],
        ledger=Head("body:1", 12, "ab" * 32),
        **extra,
    )


@pytest.mark.parametrize("size", ["a5", "a4"])
def test_the_pdf_is_black_on_white_with_spanish_accents(size):
    data = leaflet.render(_content(), size, compress=False)
    assert data.startswith(b"%PDF")
    assert MEDIA_BOX[size] in data
    # Every letter of Spanish is in the core fonts' Latin-1: written as itself, not "?".
    for word in ("Título", "María", "¿Por qué", "Ñuñoa", "Peñalolén", "¡Agua"):
        assert word.encode("latin-1") in data, word
    # No colour and no grey: the default black is never changed, and nothing but the QR
    # code's modules and underlines is filled.
    assert not COLOUR.findall(data), COLOUR.findall(data)[:5]
    assert data.count(b" re f") > 100  # the QR code's dark modules, drawn as squares


def test_the_statement_leaflet_page_and_pdf():
    cast = make_cast()
    actions.statement_rule_set(cast.frank, cast.south, adoption="facilitators")
    statement = actions.statement_draft(cast.frank, cast.south, title="Paro cívico", text="¡Ya!")
    actions.statement_adopt(cast.frank, statement)
    client = cast.client(None, "es")
    args = [cast.south.slug, statement.number]
    page = client.get(reverse("publishing:statement_print", args=args), {"size": "a4"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "publishing/leaflet-a4" in html and "<svg" in html
    assert "http://testserver" + reverse("publishing:statement", args=args) in html
    assert "South" in html and "Paro cívico" in html
    pdf = client.get(reverse("publishing:statement_pdf", args=args))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert MEDIA_BOX["a5"] in pdf.content
    assert client.get(reverse("publishing:statement_pdf", args=args), {"size": "a4"}).content
    bad = client.get(reverse("publishing:statement_print", args=args), {"size": "a3"})
    assert bad.status_code == 400


def test_a_draft_is_not_printed():
    cast = make_cast()
    statement = actions.statement_draft(cast.frank, cast.south, title="Borrador", text="x")
    client = cast.client(cast.frank)
    url = reverse("publishing:statement_pdf", args=[cast.south.slug, statement.number])
    assert client.get(url).status_code == 409


def test_a_resolution_leaflet_and_not_one_of_minutes():
    cast = make_cast()
    decide(cast.frank, cast.south, "Agua para el barrio", [cast.frank])
    published_minutes(cast.frank, cast.south, "Mayo")
    client = cast.client(None)
    pub = Publication.objects.get(kind="motion")
    html = client.get(reverse("publishing:resolution_print", args=[cast.south.slug, pub.pk]))
    assert "Agua para el barrio" in html.content.decode()
    assert "yes 1, no 0, abstain 0" in html.content.decode()
    pdf = client.get(reverse("publishing:resolution_pdf", args=[cast.south.slug, pub.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    minutes = Publication.objects.get(kind="minutes")
    missing = client.get(reverse("publishing:resolution_pdf", args=[cast.south.slug, minutes.pk]))
    assert missing.status_code == 404
    # A resolution of another body is not found under this one.
    assert (
        client.get(reverse("publishing:resolution_pdf", args=[cast.north.slug, pub.pk])).status_code
        == 404
    )


def test_an_adopted_document_prints_with_its_adopted_text():
    from asamblea.documents import actions as documents
    from asamblea.voting.actions import ballot_cast, poll_close, poll_open

    cast = make_cast()
    doc = documents.document_create(
        cast.frank, cast.south, title="Programa común", kind="program",
        text="Tierra para quien la trabaja.\n\nAgua **para todos**.",
    )  # fmt: skip
    poll = poll_open(cast.frank, cast.south, motion=documents.final_vote_open(cast.frank, doc))
    ballot_cast(cast.frank, poll, choice="yes")
    poll_close(cast.frank, poll)
    pub = Publication.objects.get(kind="document")
    client = cast.client(None)
    page = client.get(reverse("publishing:resolution_print", args=[cast.south.slug, pub.pk]))
    html = page.content.decode()
    assert "Tierra para quien la trabaja." in html and "<strong>para todos</strong>" in html
    pdf = client.get(reverse("publishing:resolution_pdf", args=[cast.south.slug, pub.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    resolutions = client.get(reverse("publishing:resolutions", args=[cast.south.slug]))
    assert "Programa común" in resolutions.content.decode()
    filtered = client.get(
        reverse("publishing:resolutions", args=[cast.south.slug]), {"kind": "document"}
    )
    assert filtered.status_code == 200 and "Programa común" in filtered.content.decode()
