"""Atom feeds per body, per coordination and for every public body: parsed by feedparser and
checked against the rules of RFC 4287."""

from __future__ import annotations

import feedparser
import pytest
from django.urls import reverse

from asamblea.ledger.actions import chain_head
from asamblea.publishing.tests.atom_rules import check
from asamblea.publishing.tests.scene import decide, published_minutes
from asamblea.testing import make_cast, make_federation_cast

pytestmark = pytest.mark.django_db

LEDGER = "{urn:x-asamblea:ledger:1}head"


def _parsed(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_body_feed_has_decisions_minutes_and_the_ledger_head():
    cast = make_cast()
    decide(cast.frank, cast.south, "Agua para el barrio", [cast.frank])
    decide(cast.frank, cast.south, "¿Marcha el sábado?", [cast.frank], choice="no", motion=False)
    published_minutes(cast.frank, cast.south, "Acta de mayo")
    response = cast.client(None, "es").get(reverse("publishing:feed", args=[cast.south.slug]))
    parsed = _parsed(response)
    root = check(response.content)
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "es"
    titles = [e.title for e in parsed.entries]
    assert titles == ["Acta de mayo", "¿Marcha el sábado?", "Agua para el barrio"]
    assert parsed.feed.author == "South"
    head = chain_head(cast.south.ledger_chain)
    element = root.find(LEDGER)
    assert element is not None
    assert element.get("length") == str(head.length) and element.get("hash") == head.hash
    assert head.hash in parsed.feed.subtitle
    vote = parsed.entries[1]
    assert vote.link.startswith("http://testserver/b/south/p/")
    assert any(link.rel == "related" and "/ledger/" in link.href for link in vote.links)
    assert "sí 0, no 1" in vote.summary or "yes 0, no 1" in vote.summary


def test_entry_ids_are_permanent_and_unique():
    cast = make_cast()
    for n in range(3):
        decide(cast.frank, cast.south, f"Moción {n}", [cast.frank])
    client = cast.client(None)
    url = reverse("publishing:feed", args=[cast.south.slug])
    first = [e.id for e in _parsed(client.get(url)).entries]
    second = [e.id for e in _parsed(client.get(url, HTTP_HOST="localhost")).entries]
    assert first == second and len(set(first)) == 3
    assert all(i.startswith("urn:uuid:") for i in first)


def test_coordination_feed_is_valid_and_answers_for_coordinations_only():
    cast = make_federation_cast()
    response = cast.client(None).get(
        reverse("publishing:coordination_feed", args=[cast.federation.slug])
    )
    parsed = _parsed(response)
    check(response.content)
    assert parsed.feed.title.startswith("Federation")
    # An assembly's address answers 404 under /c/ (and a coordination's under /b/).
    assert (
        cast.client(None)
        .get(reverse("publishing:coordination_feed", args=[cast.south.slug]))
        .status_code
        == 404
    )
    assert (
        cast.client(None).get(reverse("publishing:feed", args=[cast.federation.slug])).status_code
        == 404
    )


def test_site_feed_holds_public_bodies_only():
    cast = make_cast()
    decide(cast.frank, cast.south, "Pública", [cast.frank])
    decide(cast.alice, cast.north, "Secreta de North", [cast.bob])
    # Even North's members see only public bodies in the site-wide feed.
    response = cast.client(cast.alice).get("/feed/")
    parsed = _parsed(response)
    check(response.content)
    assert [e.title for e in parsed.entries] == ["Pública"]
    assert b"North" not in response.content


def test_empty_feed_is_valid():
    cast = make_cast()
    response = cast.client(None).get(reverse("publishing:feed", args=[cast.south.slug]))
    parsed = _parsed(response)
    check(response.content)
    assert parsed.entries == []
    assert _parsed(cast.client(None).get("/feed/")).entries == []


def test_feeds_index_lists_public_bodies():
    cast = make_cast()
    html = cast.client(None).get(reverse("publishing:feeds")).content.decode()
    assert reverse("publishing:feed", args=[cast.south.slug]) in html
    assert "North" not in html


def test_members_only_feed_is_missing_for_outsiders():
    cast = make_cast()
    decide(cast.alice, cast.north, "Secreta", [cast.bob])
    url = reverse("publishing:feed", args=[cast.north.slug])
    assert cast.client(None).get(url).status_code == 404
    assert cast.client(cast.frank).get(url).status_code == 404
    inside = cast.client(cast.bob).get(url)
    assert "Secreta" in [e.title for e in _parsed(inside).entries]
    assert inside["Cache-Control"] == "private, no-cache"  # never in a shared cache
