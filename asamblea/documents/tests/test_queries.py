"""Query guards: the synopsis, the text with amendments inline and an amendment's page read in
a fixed number of queries, however many amendments, backers and conflicts there are."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from asamblea.coordination.models import Backing, Forward
from asamblea.documents import actions
from asamblea.documents.models import Amendment

pytestmark = pytest.mark.django_db

PAGES = ("detail", "synopsis", "text")


def _more(congress, count, start):
    """``count`` amendments tabled by delegates (some in conflict), and as many sent up from
    North with South's backing too."""
    cast = congress.cast
    doc = congress.program
    for i in range(count):
        pid = f"p{1 + (start + i) % 4}"
        actions.amendment_submit(
            congress.dave,
            doc,
            body=congress.federation,
            op="replace",
            start=pid,
            markdown=f"Texto {start + i}.",
        )
        origin = actions.amendment_submit(
            cast.bob, doc, body=cast.north, op="insert_after", start=pid, markdown=f"Más {i}."
        )
        forward = Forward.objects.create(origin=origin.motion, coordination=congress.federation)
        Backing.objects.create(forward=forward, body=cast.north)
        Backing.objects.create(forward=forward, body=cast.south)
        arrived = actions._new_motion(congress.federation, f"Arrived {i}", "x", "", None, "test")
        Amendment.objects.create(
            document=doc,
            number=actions._next_amendment_number(doc),
            body=congress.federation,
            motion=arrived,
            op=origin.op,
            start=origin.start,
            markdown=origin.markdown,
            base_version=1,
            splice=origin.splice,
            where=origin.where,
            state="supported",
            origin=origin,
        )


def _count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_document_pages_take_a_fixed_number_of_queries(congress):
    client = congress.cast.client(congress.dave)
    urls = [
        reverse(f"documents:{page}", args=[congress.federation.slug, congress.program.number])
        for page in PAGES
    ]
    _more(congress, 2, 0)
    few = [_count(client, url) for url in urls]
    _more(congress, 8, 2)
    many = [_count(client, url) for url in urls]
    assert many == few, (few, many)
    assert max(few) <= 14, few
    html = client.get(urls[1]).content.decode()
    assert "North, South" in html
    assert "conflicts with" in html or "en conflicto con" in html
