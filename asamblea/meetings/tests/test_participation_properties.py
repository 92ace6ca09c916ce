"""Property tests of counting participation in a meeting vote: phone ballots, hand counts
(recorded, corrected, attested, in any order) and late arrivals never make the participation
shown or counted exceed the electorate, and the vote and its meeting can always be closed."""

from fractions import Fraction
from itertools import count

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from asamblea.errors import Conflict, NotAllowed, Refused
from asamblea.meetings import actions
from asamblea.meetings.models import Meeting
from asamblea.testing import join, make_person
from asamblea.voting.actions import (
    ballot_cast,
    hand_count_attest,
    hand_count_record,
    poll_close,
    poll_close_without_count,
    poll_open,
)
from asamblea.voting.queries import meeting_participation

CHOICE = st.sampled_from(["yes", "no", "abstain"])
STEP = st.one_of(
    st.tuples(st.just("phone"), st.integers(0, 7), CHOICE),
    st.tuples(st.just("hands"), st.integers(0, 4), st.integers(0, 4), st.integers(0, 4)),
    st.tuples(st.just("attest"), st.integers(0, 7)),
    st.tuples(st.just("late"), CHOICE),
    st.tuples(st.just("close")),
)


NAMES = count()  # people are created per example and rolled back with it; names stay unique


def _room(cast, present: int) -> tuple[Meeting, list]:
    meeting = actions.meeting_schedule(
        cast.alice, cast.north, title="Prop", starts_at=timezone.now(), place="Local"
    )
    actions.meeting_open(cast.alice, meeting)
    people = [cast.alice]
    for index in range(present - 1):
        person = make_person(f"person{next(NAMES)}")
        join(person, cast.north, "facilitator" if index == 0 else "member")
        people.append(person)
    for person in people:
        actions.check_in(person, meeting)
    return meeting, people


def _check_shown(poll) -> None:
    shown = meeting_participation(poll)
    assert shown["shown"] <= shown["electorate"]
    assert shown["online"] + shown["room"] == shown["electorate"]


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(present=st.integers(1, 6), steps=st.lists(STEP, max_size=12))
def test_participation_never_exceeds_the_electorate_and_a_vote_always_closes(cast, present, steps):
    with transaction.atomic():
        meeting, people = _room(cast, present)
        poll = poll_open(cast.alice, cast.north, title="¿Sí?", meeting=meeting)
        electorate = len(people)
        closed = None
        for step in steps:
            kind = step[0]
            try:
                if kind == "phone":
                    ballot_cast(people[step[1] % len(people)], poll, choice=step[2])
                elif kind == "hands":
                    recorder = people[0] if len(people) == 1 else people[len(steps) % 2]
                    hand_count_record(recorder, poll, yes=step[1], no=step[2], abstain=step[3])
                elif kind == "attest":
                    hand_count_attest(people[step[1] % len(people)], poll)
                elif kind == "late":
                    late = make_person(f"late{next(NAMES)}")
                    join(late, cast.north)
                    actions.check_in(late, meeting)
                    with pytest.raises(NotAllowed):  # not in the electorate of this vote
                        ballot_cast(late, poll, choice=step[1])
                else:
                    closed = poll_close(cast.alice, poll)
                    break
            except Conflict as refused:
                assert refused.code in {
                    "already_voted",
                    "hand_count_exceeds",
                    "hand_count_unattested",
                    "no_hand_count",
                    "hand_count_attested",
                }
            except (Refused, NotAllowed):
                pass  # a count too large, or attesting one's own count / not a facilitator
            _check_shown(poll)
        poll.refresh_from_db()
        assert poll.electorate_size == electorate
        if closed is None:
            try:
                closed = poll_close(cast.alice, poll)
            except Conflict as refused:
                assert refused.code in {"hand_count_exceeds", "hand_count_unattested"}
                closed = poll_close_without_count(cast.alice, poll, reason="no valid count")
                assert closed.result["valid"] is False and not closed.result["adopted"]
        result = closed.result
        assert result["participants"] <= electorate
        counted = sum(Fraction(result[key]) for key in ("yes", "no", "abstain"))
        if result.get("valid", True):
            assert counted == result["participants"]
        else:
            assert counted == result["electronic"]
        actions.meeting_close(cast.alice, meeting)  # and the meeting always closes
        transaction.set_rollback(True)
