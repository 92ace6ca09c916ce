"""The API's reads of a large body: a page costs a fixed number of queries whatever the body
holds (asserted on SQLite and PostgreSQL), and the first page of a body with 10,000 decisions
(adopted motions and closed votes) answers in under 100 ms (issue 17's target)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from asamblea.motions.models import Motion
from asamblea.publishing.models import Publication
from asamblea.voting.models import Poll

LISTS = ("resolutions", "motions", "polls", "elections")
# Queries of one page: the body, then the page's rows (with what each row names, joined).
QUERIES_PER_PAGE = 2


def decisions(body, n: int, start: int = 1) -> None:
    """``n`` adopted motions, each decided by a closed secret vote, written in bulk."""
    now = timezone.now()
    motions = Motion.objects.bulk_create(
        Motion(
            body=body,
            number=start + i,
            title=f"Resolución {start + i}",
            text="Texto",
            state=Motion.State.ADOPTED,
            created_at=now - timedelta(minutes=i),
        )
        for i in range(n)
    )
    result = {"yes": "3", "no": "1", "abstain": "0", "cast": "4", "electorate": "5"}
    polls = Poll.objects.bulk_create(
        Poll(
            body=body,
            motion=motion,
            title=motion.title,
            state=Poll.State.CLOSED,
            quorum_percent=50,
            majority="simple",
            opened_at=motion.created_at,
            closed_at=motion.created_at,
            result=result | {"adopted": True, "participants": 4},
        )
        for motion in motions
    )
    Publication.objects.bulk_create(
        Publication(
            body=body,
            kind="motion",
            object_id=poll.pk,
            ref=poll.motion.number,
            title=poll.title,
            outcome="adopted",
            data=result,
            at=poll.closed_at,
            ledger_seq=start + i,
            ledger_hash="0" * 64,
        )
        for i, poll in enumerate(polls)
    )


def page_queries(client: Client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_a_page_takes_the_same_queries_whatever_the_body_holds(cast):
    client = Client()
    urls = {name: f"/api/bodies/south/{name}" for name in LISTS} | {"bodies": "/api/bodies"}
    decisions(cast.south, 3)
    few = {name: page_queries(client, url) for name, url in urls.items()}
    decisions(cast.south, 120, start=10)
    many = {name: page_queries(client, url) for name, url in urls.items()}
    assert few == many
    for name in LISTS:
        assert many[name] <= QUERIES_PER_PAGE, (name, many[name])


@pytest.mark.django_db
def test_the_first_page_of_a_body_with_10000_decisions_answers_in_under_100_ms(cast):
    decisions(cast.south, 10_000)
    client = Client()
    for name in ("resolutions", "motions", "polls"):
        url = f"/api/bodies/south/{name}"
        client.get(url)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            assert response.status_code == 200 and len(response.json()["items"]) == 50
        # The best of five: the machine is shared, and a neighbour's burst is not ours.
        assert min(times) < 0.100, (name, connection.vendor, sorted(times))
