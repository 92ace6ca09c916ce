"""The resolutions page: a body's decisions, newest first, filtered, a page at a time."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from asamblea.ledger.models import LedgerEntry
from asamblea.publishing.models import Publication
from asamblea.publishing.sources import reindex
from asamblea.publishing.tests.scene import decide, published_minutes
from asamblea.testing import join, make_cast, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast():
    return make_cast()


def _page(client, body, **params):
    return client.get(reverse("publishing:resolutions", args=[body.slug]), params)


def test_a_closed_vote_is_listed_with_its_record_and_ledger_entry(cast):
    poll = decide(cast.frank, cast.south, "Agua potable", [cast.frank])
    response = _page(cast.client(None), cast.south)
    assert response.status_code == 200
    pub = Publication.objects.get(body=cast.south, kind="motion")
    assert pub.object_id == poll.pk and pub.outcome == "adopted"
    entry = LedgerEntry.objects.get(chain=cast.south.ledger_chain, seq=pub.ledger_seq)
    assert entry.kind == "poll.closed" and entry.hash == pub.ledger_hash
    html = response.content.decode()
    assert "Agua potable" in html
    assert reverse("voting:detail", args=[cast.south.slug, poll.pk]) in html
    assert reverse("publishing:ledger_entry", args=[cast.south.slug, pub.ledger_seq]) in html
    assert "yes 1, no 0, abstain 0" in html


def test_the_ledger_link_lands_on_the_entry(cast):
    decide(cast.frank, cast.south, "Agua", [cast.frank])
    pub = Publication.objects.get(body=cast.south)
    response = cast.client(None).get(
        reverse("publishing:ledger_entry", args=[cast.south.slug, pub.ledger_seq])
    )
    assert response.status_code == 302
    assert response["Location"].endswith(f"?page=1#entry-{pub.ledger_seq}")
    page = cast.client(None).get(response["Location"])
    assert f'id="entry-{pub.ledger_seq}"' in page.content.decode()


def test_newest_first_and_filters_by_kind_and_date(cast):
    decide(cast.frank, cast.south, "Primera", [cast.frank])
    decide(cast.frank, cast.south, "Pregunta", [cast.frank], choice="no", motion=False)
    decide(cast.frank, cast.south, "Tercera", [cast.frank])
    Publication.objects.filter(title="Primera").update(at=timezone.now() - timedelta(days=40))
    client = cast.client(None)
    html = _page(client, cast.south).content.decode()
    assert html.index("Tercera") < html.index("Pregunta") < html.index("Primera")
    only_votes = _page(client, cast.south, kind="vote").content.decode()
    assert "Pregunta" in only_votes and "Tercera" not in only_votes
    assert "Not adopted" in only_votes
    recent = (timezone.localdate() - timedelta(days=10)).isoformat()
    since = _page(client, cast.south, since=recent).content.decode()
    assert "Tercera" in since and "Primera" not in since
    old = (timezone.localdate() - timedelta(days=30)).isoformat()
    until = _page(client, cast.south, until=old).content.decode()
    assert "Primera" in until and "Tercera" not in until


@pytest.mark.parametrize(
    "params",
    [
        {"since": "not a date"},
        {"kind": "secret-things"},
        {"since": "2026-05-01", "until": "2026-04-01"},
        {"until": "9999-12-31"},
    ],
)
def test_bad_filters_get_a_message_and_the_unfiltered_list(cast, params):
    decide(cast.frank, cast.south, "Agua", [cast.frank])
    response = _page(cast.client(None), cast.south, **params)
    assert response.status_code == 400
    assert 'role="alert"' in response.content.decode()
    assert "Agua" in response.content.decode()


def test_minutes_are_news_not_resolutions(cast):
    published_minutes(cast.frank, cast.south, "Asamblea de mayo")
    assert Publication.objects.filter(body=cast.south, kind="minutes").exists()
    assert "Asamblea de mayo" not in _page(cast.client(None), cast.south).content.decode()


def test_withdrawn_minutes_leave_the_index(cast):
    from asamblea.meetings.actions import minutes_publish

    meeting = published_minutes(cast.frank, cast.south, "Mayo")
    minutes_publish(cast.frank, meeting, publish=False)
    assert not Publication.objects.filter(kind="minutes").exists()


def test_a_poll_that_rolls_back_leaves_no_publication(cast):
    """The index row is written in the closing transaction: a failed close leaves nothing."""
    from django.db import transaction

    from asamblea.voting.actions import poll_open

    poll = poll_open(cast.frank, cast.south, title="¿Huelga?", quorum_percent=0)
    with pytest.raises(RuntimeError), transaction.atomic():
        from asamblea.voting.actions import poll_close

        poll_close(cast.frank, poll)
        raise RuntimeError("crash after the close")
    assert not Publication.objects.exists()


def test_reindex_rebuilds_the_same_rows_from_the_ledger(cast):
    decide(cast.frank, cast.south, "Agua", [cast.frank])
    decide(cast.frank, cast.south, "Luz", [cast.frank], motion=False)
    published_minutes(cast.frank, cast.south, "Mayo")
    rows = Publication.objects.order_by("kind")
    before = list(rows.values_list("kind", "object_id", "ledger_seq"))
    Publication.objects.all().delete()
    assert reindex([cast.south]) == 3
    after = list(rows.values_list("kind", "object_id", "ledger_seq"))
    assert after == before


def test_a_page_takes_the_same_queries_for_few_and_many_decisions(cast):
    voters = [cast.frank]
    for n in range(3):
        decide(cast.frank, cast.south, f"Moción {n}", voters)
    client = cast.client(None)
    with CaptureQueriesContext(connection) as few:
        assert _page(client, cast.south).status_code == 200
    for n in range(40):
        decide(cast.frank, cast.south, f"Otra {n}", voters, motion=n % 2 == 0)
    with CaptureQueriesContext(connection) as many:
        response = _page(client, cast.south)
    assert response.status_code == 200
    assert "Page 1 of 2" in response.content.decode()
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    with CaptureQueriesContext(connection) as second:
        assert _page(client, cast.south, page=2).status_code == 200
    assert len(second) == len(few)


def test_members_only_body_reads_as_missing_to_outsiders(cast):
    decide(cast.alice, cast.north, "Secreta", [cast.bob])
    assert _page(cast.client(cast.oscar), cast.north).status_code == 404
    assert _page(cast.client(None), cast.north).status_code == 404
    assert "Secreta" in _page(cast.client(cast.bob), cast.north).content.decode()


def test_only_the_ledger_body_own_records_are_indexed(cast):
    """A record copied into another body's ledger (a coordination's entries in its members')
    never makes a publication there."""
    other = make_person("olga")
    join(other, cast.south)
    poll = decide(cast.alice, cast.north, "De North", [cast.bob])
    from asamblea.publishing.sources import index_entry

    now = timezone.now().isoformat()
    index_entry(cast.south, "poll.closed", 99, now, "x" * 64, {"poll": poll.pk})
    assert not Publication.objects.filter(body=cast.south).exists()
