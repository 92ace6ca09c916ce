"""The roles the permission matrix does not name: a drafting-commission member who is not a
facilitator, and a coordination's delegates, facilitators and member assemblies."""

from __future__ import annotations

import pytest
from django.urls import reverse

from asamblea.documents import actions
from asamblea.documents.models import Amendment, Block

pytestmark = pytest.mark.django_db


def _url(name, doc, *args):
    return reverse(f"documents:{name}", args=[doc.body.slug, doc.number, *args])


def test_a_named_commission_member_groups_and_proposes_a_plain_member_cannot(congress):
    cast = congress.cast
    doc = congress.local
    a = actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p1")
    b = actions.amendment_submit(cast.bob, doc, body=cast.north, op="delete", start="p4")
    assert cast.client(cast.carol).get(_url("proposal", doc)).status_code == 403
    response = cast.client(cast.alice).post(_url("commission", doc), {"username": "carol"})
    assert response.status_code == 302
    carol = cast.client(cast.carol)
    assert carol.get(_url("proposal", doc)).status_code == 200
    assert carol.post(_url("block", doc), {"numbers": [a.number, b.number]}).status_code == 302
    assert Block.objects.filter(document=doc).count() == 1
    # Naming is the facilitators' right; the commission cannot open the final vote.
    assert carol.post(_url("commission", doc), {"username": "bob"}).status_code == 403
    assert carol.post(_url("final", doc)).status_code == 403
    bob = cast.client(cast.bob)
    assert bob.get(_url("proposal", doc)).status_code == 403
    assert bob.post(_url("block", doc), {"numbers": [a.number, b.number]}).status_code == 403
    # An outsider cannot sit on it.
    response = cast.client(cast.alice).post(_url("commission", doc), {"username": "oscar"})
    assert response.status_code == 400


def test_in_a_coordination_delegates_table_members_amend_in_their_assembly(congress):
    cast = congress.cast
    doc = congress.program
    dave = cast.client(congress.dave)
    page = dave.get(_url("amend", doc)).content.decode()
    assert "as delegate of North" in page
    response = dave.post(
        _url("amend", doc),
        {"in_body": congress.federation.slug, "op": "delete", "start": "p1", "version": 1},
    )
    assert response.status_code == 302
    assert Amendment.objects.get(document=doc).tabled_for == cast.north
    # bob is no delegate: the Federation is not among his choices, only North.
    bob = cast.client(cast.bob)
    response = bob.post(
        _url("amend", doc),
        {"in_body": congress.federation.slug, "op": "delete", "start": "p2", "version": 1},
    )
    assert response.status_code == 400
    assert Amendment.objects.filter(document=doc).count() == 1
    response = bob.post(
        _url("amend", doc),
        {"in_body": cast.north.slug, "op": "delete", "start": "p2", "version": 1},
    )
    assert response.status_code == 302
    # The Federation's facilitator drafts; an outsider reads the public program but amends nothing.
    assert cast.client(congress.cora).get(_url("proposal", doc)).status_code == 200
    oscar = cast.client(cast.oscar)
    assert oscar.get(_url("detail", doc)).status_code == 200
    assert oscar.get(_url("amend", doc)).status_code == 403
    # frank facilitates South and is its delegate: as a delegate he tables for South.
    frank = cast.client(cast.frank)
    response = frank.post(
        _url("amend", doc),
        {"in_body": congress.federation.slug, "op": "delete", "start": "p3", "version": 1},
    )
    assert response.status_code == 302
    assert Amendment.objects.filter(tabled_for=cast.south).count() == 1
