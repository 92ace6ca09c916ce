"""Query-count guards on the pages everyone opens (issue 13): the home page, an assembly's
page, a vote page and a meeting page. Each is opened by a logged-in member and must take at
most a fixed number of queries, whatever the amount of data: adding members, votes, motions
and meetings must not add queries (no query per row)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from asamblea.meetings import actions as meet
from asamblea.motions.actions import motion_submit
from asamblea.testing import join, make_person
from asamblea.voting.actions import poll_open

# The most queries each page may take (session, person and the page's own reads). The body page
# has one more for the meetings due to close by themselves (in session for 24 hours).
LIMITS = {"home": 8, "body": 20, "vote": 6, "meeting": 12}


def grow(cast, n: int) -> None:
    """More of everything a page lists."""
    for i in range(n):
        join(make_person(f"extra{n}x{i}"), cast.north)
        motion_submit(cast.bob, cast.north, title=f"Moción {n}-{i}", text="Texto")
        poll_open(cast.alice, cast.north, title=f"Votación {n}-{i}", secrecy="secret")
        meet.meeting_schedule(
            cast.alice, cast.north, title=f"Reunión {n}-{i}", starts_at=timezone.now(), place="L"
        )


def counts(client, urls: dict[str, str]) -> dict[str, int]:
    found = {}
    for name, url in urls.items():
        client.get(url)  # warm whatever is cached per process (catalogs, templates)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200, (name, response.status_code)
        found[name] = len(queries.captured_queries)
    return found


@pytest.mark.django_db
def test_main_pages_take_a_fixed_number_of_queries(cast):
    poll = poll_open(cast.alice, cast.north, title="Huelga", secrecy="secret")
    meeting = meet.meeting_schedule(
        cast.alice, cast.north, title="Junio", starts_at=timezone.now(), place="Local"
    )
    meet.meeting_open(cast.alice, meeting)
    urls = {
        "home": reverse("bodies:home"),
        "body": reverse("bodies:detail", args=[cast.north.slug]),
        "vote": reverse("voting:detail", args=[cast.north.slug, poll.pk]),
        "meeting": reverse("meetings:detail", args=[cast.north.slug, meeting.pk]),
    }
    client = cast.client(cast.bob)
    grow(cast, 2)  # every section of the pages has something to show
    some = counts(client, urls)
    assert all(some[name] <= LIMITS[name] for name in urls), some
    grow(cast, 6)
    assert counts(client, urls) == some  # no query per member, motion, vote or meeting
