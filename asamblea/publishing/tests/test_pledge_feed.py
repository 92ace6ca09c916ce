"""Pledges in the feeds: a pledge that triggers or lapses is news of the body that opened it
(counts only, never who committed), and the follow-through adds the share kept."""

from __future__ import annotations

from datetime import timedelta

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from asamblea.pledges import actions
from asamblea.pledges.models import Pledge
from asamblea.publishing.models import Publication
from asamblea.publishing.tests.atom_rules import check
from asamblea.testing import join, make_cast, make_federation_cast, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def fed(db):
    return make_federation_cast()


def _entries(client, slug):
    response = client.get(reverse("publishing:feed", args=[slug]))
    assert response.status_code == 200
    check(response.content)
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo
    return parsed.entries


def test_a_triggered_and_a_lapsed_pledge_are_in_the_feed_without_names():
    cast = make_cast()
    sam = make_person("sam")
    join(sam, cast.south)
    soon = timezone.now() + timedelta(days=1)
    met = actions.pledge_open(cast.frank, cast.south, title="Paro", deadline=soon, min_people=2)
    unmet = actions.pledge_open(cast.frank, cast.south, title="Marcha", deadline=soon, min_people=9)
    actions.commit(cast.frank, met)
    assert not Publication.objects.filter(kind="pledge").exists()  # open: not news yet
    actions.commit(sam, met)
    actions.commit(sam, unmet)
    Pledge.objects.filter(pk__in=[met.pk, unmet.pk]).update(
        deadline=timezone.now() - timedelta(seconds=1)
    )
    actions.settle_due()
    entries = {e.title: e for e in _entries(cast.client(None), cast.south.slug)}
    assert "Triggered: 2 people in 1 assemblies committed." in entries["Paro"].summary
    assert "Lapsed at its deadline" in entries["Marcha"].summary
    assert entries["Paro"].link.endswith(f"/b/south/pledges/{met.pk}/")
    assert "Sam" not in str(entries) and "Frank" not in entries["Paro"].summary

    actions.followup_open(cast.frank, met)
    actions.followup_answer(sam, met, kept=True)
    Pledge.objects.filter(pk=met.pk).update(followup_closes_at=timezone.now())
    actions.settle_due()
    entries = {e.title: e for e in _entries(cast.client(None), cast.south.slug)}
    assert "50% of the commitments were kept." in entries["Paro"].summary
    assert Publication.objects.filter(kind="pledge").count() == 2


def _trigger(pledge):
    Pledge.objects.filter(pk=pledge.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    actions.settle_due()


def test_a_coordinations_pledge_is_news_in_every_assembly_it_concerns(fed):
    pledge = actions.pledge_open(
        fed.cora,
        fed.federation,
        title="Paro regional",
        deadline=timezone.now() + timedelta(days=1),
        min_people=9,
    )
    _trigger(pledge)  # lapsed: nobody is bound, and every assembly concerned reads it
    # South is public (anyone reads its feed); North is members-only (bob, a member, reads it).
    for reader, slug in ((None, fed.south.slug), (fed.bob, fed.north.slug)):
        [entry] = [e for e in _entries(fed.client(reader), slug) if e.title == "Paro regional"]
        assert "Lapsed at its deadline" in entry.summary
        assert f"/{fed.federation.slug}/pledges/{pledge.pk}/" in entry.link
        assert entry.author == "Federation"


def test_a_members_only_coordinations_pledge_stays_out_of_a_public_assemblys_feed(fed):
    from asamblea.coordination.actions import coordination_create
    from asamblea.testing import affiliate

    hidden = coordination_create(
        fed.cora, name="Hidden", kind="regional_coordination", visibility="members"
    )
    affiliate(fed.south, hidden)
    pledge = actions.pledge_open(
        fed.cora,
        hidden,
        title="Secreto",
        deadline=timezone.now() + timedelta(days=1),
        min_people=9,
    )
    _trigger(pledge)
    assert Publication.objects.filter(kind="pledge", object_id=pledge.pk).exists()
    assert fed.south.is_public
    titles = [e.title for e in _entries(fed.client(None), fed.south.slug)]
    assert "Secreto" not in titles
