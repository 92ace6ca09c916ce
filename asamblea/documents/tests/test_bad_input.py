"""Bad input through the pages: each gets a clear translated message and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asamblea.documents import actions
from asamblea.documents.models import Document
from asamblea.testing import db_state
from asamblea.voting.actions import ballot_cast, poll_close, poll_open

pytestmark = pytest.mark.django_db


def _url(name, doc, *args):
    return reverse(f"documents:{name}", args=[doc.body.slug, doc.number, *args])


def _in_spanish(cast, person):
    """A client for ``person``, reading Spanish."""
    return cast.client(person, language="es")


def _amend(client, doc, **data):
    body = {"in_body": doc.body.slug, "op": "replace", "start": "p1", "markdown": "x"}
    body |= {"version": doc.version} | data
    return client.post(_url("amend", doc), body)


@pytest.mark.parametrize(
    ("data", "status", "words"),
    [
        ({"start": "p3", "end": "p1"}, 400, "El rango termina antes de empezar"),
        ({"start": "p42"}, 400, "opción válida"),  # not a paragraph of the form
        ({"version": 9}, 409, "El texto cambió desde que lo abriste"),
        ({"op": "delete", "markdown": "algo"}, 400, "Una supresión no lleva texto nuevo"),
        ({"markdown": ""}, 400, "Escribe el texto nuevo"),
        ({"markdown": "x" * 10_001}, 400, ""),
    ],
)
def test_a_bad_amendment_is_refused_with_a_message_and_changes_nothing(
    congress, data, status, words
):
    client = _in_spanish(congress.cast, congress.cast.bob)
    before = db_state()
    response = _amend(client, congress.local, **data)
    assert response.status_code == status
    assert words in response.content.decode()
    assert db_state() == before


def test_a_stale_paragraph_id_is_refused_after_the_text_changed(congress):
    """A paragraph deleted by an adopted amendment cannot be amended any more."""
    cast = congress.cast
    doc = congress.local
    gone = actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p1")
    poll = poll_open(cast.alice, cast.north, motion=gone.motion, secrecy="named")
    for person in (cast.alice, cast.bob, cast.carol):
        ballot_cast(person, poll, choice="yes")
    poll_close(cast.alice, poll)
    doc.refresh_from_db()
    before = db_state()
    with pytest.raises(Exception) as refused:
        actions.amendment_submit(
            cast.carol,
            doc,
            body=cast.north,
            op="replace",
            start="p1",
            markdown="x",
            version=doc.version,
        )
    assert getattr(refused.value, "code", "") == "unknown_paragraph"
    assert db_state() == before


def test_amending_an_adopted_text_is_refused_and_changes_nothing(congress):
    cast = congress.cast
    doc = congress.local
    motion = actions.final_vote_open(cast.alice, doc)
    poll = poll_open(cast.alice, cast.north, motion=motion, secrecy="named")
    for person in (cast.alice, cast.bob, cast.carol):
        ballot_cast(person, poll, choice="yes")
    poll_close(cast.alice, poll)
    doc.refresh_from_db()
    assert doc.state == Document.State.ADOPTED
    bob, alice = _in_spanish(cast, cast.bob), _in_spanish(cast, cast.alice)
    before = db_state()
    response = _amend(bob, doc)
    assert response.status_code == 409
    assert "Este texto está aprobado: ya no se puede enmendar." in response.content.decode()
    response = alice.post(_url("final", doc))
    assert response.status_code == 409
    assert db_state() == before


def test_a_block_of_overlapping_amendments_is_refused_and_changes_nothing(congress):
    cast = congress.cast
    doc = congress.local
    a = actions.amendment_submit(
        cast.bob, doc, body=cast.north, op="replace", start="p1", end="p3", markdown="Uno."
    )
    b = actions.amendment_submit(
        cast.carol, doc, body=cast.north, op="delete", start="p2", end="p4"
    )
    alice = _in_spanish(cast, cast.alice)
    before = db_state()
    response = alice.post(_url("block", doc), {"numbers": [a.number, b.number]})
    assert response.status_code == 409
    assert "tocan el mismo texto" in response.content.decode()
    assert db_state() == before


def test_garbage_in_the_consent_and_block_forms_changes_nothing(congress):
    cast = congress.cast
    doc = congress.local
    alice = cast.client(cast.alice)
    before = db_state()
    assert alice.post(_url("block", doc), {"numbers": ["x", "1"]}).status_code == 400
    assert alice.post(_url("block", doc), {"numbers": ["99", "98"]}).status_code == 400
    assert alice.post(_url("consent", doc, 99), {"for": "1"}).status_code == 404
    assert alice.post(_url("commission", doc), {"username": "nadie"}).status_code == 400
    assert db_state() == before
