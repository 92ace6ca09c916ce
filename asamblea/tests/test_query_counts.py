"""Query-count guards on the pages everyone opens (issue 13): the home page, an assembly's
page, a vote page, an election's ballot page and a meeting page, and the batch reads of the
lean app's vote and ballot pages. Each is opened by a logged-in member and must take at
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
LIMITS = {"home": 8, "body": 20, "vote": 6, "meeting": 12, "election": 12, "lean batch": 6}


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


@pytest.mark.django_db
def test_the_election_ballot_page_takes_a_fixed_number_of_queries(cast):
    """Django's ballot page (whoever the lean app hands to Django) reads no query per
    candidate or elector."""
    from asamblea.elections import actions as elections

    election = elections.election_create(cast.alice, cast.north, title="Comisión", method="irv")
    for person in (cast.alice, cast.bob):
        elections.nominate(person, election)
    elections.voting_open(cast.alice, election)
    urls = {"election": reverse("elections:detail", args=[cast.north.slug, election.pk])}
    client = cast.client(cast.bob)
    some = counts(client, urls)
    assert some["election"] <= LIMITS["election"], some
    from asamblea.elections.models import Candidate

    for i in range(6):  # more on the ballot (written as voting_open would have)
        Candidate.objects.create(
            election=election, name=f"Opción {i}", status="accepted", position=10 + i
        )
    assert counts(client, urls) == some


@pytest.mark.django_db
def test_the_lean_pages_read_a_whole_batch_in_a_fixed_number_of_queries(cast):
    """The lean app's vote page and ballot page: one batch of requests, however many people
    and pages it holds, takes the same queries (sessions, the rows shown, memberships,
    eligibility, progress)."""
    from django.conf import settings

    from asamblea.elections import actions as elections
    from asamblea.lean import election_page, pages, turnout
    from asamblea.live.events import publish_now
    from asamblea.voting import casting

    def sessions(people) -> list[str]:
        name = settings.SESSION_COOKIE_NAME
        return [cast.client(person).cookies[name].value for person in people]

    def statements(plan) -> tuple[int, object]:
        count = 0
        with connection.cursor() as cursor:
            try:
                step = next(plan)
                while True:
                    count += 1
                    cursor.execute(*step)
                    step = plan.send(cursor.fetchall())
            except StopIteration as done:
                return count, done.value

    polls = [poll_open(cast.alice, cast.north, title=f"V{i}", secrecy="secret") for i in range(3)]
    election = elections.election_create(cast.alice, cast.north, title="Comisión", method="irv")
    elections.nominate(cast.alice, election)
    elections.voting_open(cast.alice, election)
    dialect = casting.django_dialect()
    one = sessions([cast.bob])
    many = sessions([cast.alice, cast.bob, cast.carol, cast.olivia])
    turnout.clear()  # counted afresh in each measured batch (remembered for a second)
    small, found = statements(pages.facts_plan([pages.PageItem(one[0], polls[0].pk)], dialect))
    assert found[0] is not None and found[0].poll is not None
    items = [pages.PageItem(key, poll.pk) for key in many for poll in polls]
    turnout.clear()
    assert statements(pages.facts_plan(items, dialect))[0] == small == LIMITS["lean batch"]
    # The turnout just counted is remembered: the same batch again skips that query, until a
    # ballot of one of its polls commits (the poll.progress event).
    assert statements(pages.facts_plan(items, dialect))[0] == small - 1
    publish_now("north", "poll.progress", {"poll": polls[1].pk})
    assert statements(pages.facts_plan(items, dialect))[0] == small
    turnout.clear()
    small, found = statements(
        election_page.facts_plan([election_page.ElectionItem(one[0], election.pk)], dialect)
    )
    assert found[0] is not None and found[0].election is not None
    items = [election_page.ElectionItem(key, election.pk) for key in many]
    turnout.clear()
    assert statements(election_page.facts_plan(items, dialect))[0] == small
    assert small == LIMITS["lean batch"] + 1  # and the candidates
    assert statements(election_page.facts_plan(items, dialect))[0] == small - 1
    publish_now("north", "election.progress", {"election": election.pk})
    assert statements(election_page.facts_plan(items, dialect))[0] == small
