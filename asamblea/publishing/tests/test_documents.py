"""An adopted document is published: on the body's resolutions page and in its Atom feed,
linking to the adopted text, with the fingerprint the ledger recorded."""

from __future__ import annotations

import feedparser
import pytest
from django.urls import reverse

from asamblea.documents import actions
from asamblea.publishing.models import Publication
from asamblea.publishing.sources import reindex
from asamblea.testing import make_cast
from asamblea.voting.actions import ballot_cast, poll_close, poll_open

pytestmark = pytest.mark.django_db


def _decide(cast, motion, choice="yes"):
    poll = poll_open(cast.frank, cast.south, motion=motion, secrecy="named")
    ballot_cast(cast.frank, poll, choice=choice)
    poll_close(cast.frank, poll)


def test_an_adopted_document_is_in_the_feed_and_the_resolutions():
    cast = make_cast()
    doc = actions.document_create(
        cast.frank, cast.south, title="Programa común", kind="program", text="Uno.\n\nDos."
    )
    assert not Publication.objects.filter(kind="document").exists()  # a draft is not news
    _decide(cast, actions.final_vote_open(cast.frank, doc))
    doc.refresh_from_db()
    pub = Publication.objects.get(body=cast.south, kind="document")
    assert pub.title == "Programa común" and pub.data["hash"] == doc.adopted_hash
    client = cast.client(None, "es")
    parsed = feedparser.parse(
        client.get(reverse("publishing:feed", args=[cast.south.slug])).content
    )
    (entry,) = [e for e in parsed.entries if e.title == "Programa común"]
    text_url = reverse("documents:text", args=[cast.south.slug, doc.number])
    assert entry.link.endswith(text_url)
    assert doc.adopted_hash in entry.summary
    page = client.get(reverse("publishing:resolutions", args=[cast.south.slug])).content.decode()
    assert "Programa común" in page and "Texto aprobado" in page
    # Rebuilt from the ledger, the index says the same.
    Publication.objects.all().delete()
    reindex([cast.south])
    assert Publication.objects.get(body=cast.south, kind="document").ref == doc.number


def test_a_rejected_final_vote_publishes_nothing():
    cast = make_cast()
    doc = actions.document_create(
        cast.frank, cast.south, title="Estatuto", kind="statute", text="Uno."
    )
    _decide(cast, actions.final_vote_open(cast.frank, doc), choice="no")
    assert not Publication.objects.filter(kind="document").exists()
