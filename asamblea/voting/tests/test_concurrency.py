"""One person, one ballot under concurrency: real threads, each with its own database connection,
released together by a barrier. Runs on SQLite (writers queue on BEGIN IMMEDIATE) and on
PostgreSQL (row locks and the conditional UPDATE)."""

from __future__ import annotations

import threading
from collections import Counter

import pytest
from django.db import connection

from asamblea.errors import Conflict
from asamblea.testing import join, make_cast, make_person
from asamblea.voting.actions import ballot_cast, poll_close, poll_open
from asamblea.voting.models import Ballot, Eligibility

DISTINCT = 50
DUPLICATES = 20


def run_together(jobs):
    """Run every job in its own thread, all released at once; return their outcomes."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def worker(job):
        try:
            barrier.wait(timeout=60)
            job()
            outcome = "ok"
        except Conflict as exc:
            outcome = exc.code
        except Exception as exc:  # noqa: BLE001 - reported below, the test fails on it
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a ballot never finished"
    return Counter(outcomes)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("secrecy", ["secret", "named"])
def test_fifty_voters_and_twenty_duplicates_give_exactly_fifty_ballots(secrecy):
    cast = make_cast()
    voters = [make_person(f"voter{i:02}") for i in range(DISTINCT - 1)]
    for person in voters:
        join(person, cast.north)
    poll = poll_open(cast.alice, cast.north, title="Huelga", secrecy=secrecy)
    # bob votes once among the fifty, and twenty more times at the same moment.
    everyone = [*voters, cast.bob]
    jobs = [lambda p=p: ballot_cast(p, poll, choice="yes") for p in everyone]
    jobs += [lambda: ballot_cast(cast.bob, poll, choice="no") for _ in range(DUPLICATES)]
    outcomes = run_together(jobs)
    assert outcomes == {"ok": DISTINCT, "already_voted": DUPLICATES}, outcomes
    assert Ballot.objects.filter(poll=poll).count() == DISTINCT
    assert Eligibility.objects.filter(poll=poll, voted=True).count() == DISTINCT
    closed = poll_close(cast.alice, poll)
    assert int(closed.result["cast"]) == DISTINCT
    if secrecy == "named":
        assert Ballot.objects.filter(poll=poll, voter=cast.bob).count() == 1


@pytest.mark.django_db(transaction=True)
def test_ballots_racing_a_close_are_either_counted_or_refused():
    cast = make_cast()
    voters = [make_person(f"voter{i:02}") for i in range(20)]
    for person in voters:
        join(person, cast.north)
    poll = poll_open(cast.alice, cast.north, title="Q", secrecy="secret")
    jobs = [lambda p=p: ballot_cast(p, poll, choice="yes") for p in voters]
    jobs.append(lambda: poll_close(cast.alice, poll))
    outcomes = run_together(jobs)
    assert set(outcomes) <= {"ok", "poll_closed"}, outcomes
    poll.refresh_from_db()
    accepted = outcomes["ok"] - 1  # the close itself
    # Every acknowledged ballot is in the published count; no refused one is.
    assert int(poll.result["cast"]) == accepted == Ballot.objects.filter(poll=poll).count()
    assert Eligibility.objects.filter(poll=poll, voted=True).count() == accepted
