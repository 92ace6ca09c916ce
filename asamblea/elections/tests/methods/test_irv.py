"""Instant-runoff: the Tennessee example, ties, exhausted ballots and the majority property."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.elections.methods.ballots import RankedGroup, ranked
from asamblea.elections.methods.irv import IrvOutcome, count_irv
from asamblea.elections.methods.results import TieMethod

from .strategies import names, strict_ballots

MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE = range(4)

#: Wikipedia's "Instant-runoff voting" example: Tennessee chooses its capital; voters rank
#: the cities by distance (Memphis 42%, Nashville 26%, Chattanooga 15%, Knoxville 17%).
TENNESSEE = [
    (ranked(MEMPHIS, NASHVILLE, CHATTANOOGA, KNOXVILLE), 42),
    (ranked(NASHVILLE, CHATTANOOGA, KNOXVILLE, MEMPHIS), 26),
    (ranked(CHATTANOOGA, KNOXVILLE, NASHVILLE, MEMPHIS), 15),
    (ranked(KNOXVILLE, CHATTANOOGA, NASHVILLE, MEMPHIS), 17),
]
CITIES = ["Memphis", "Nashville", "Chattanooga", "Knoxville"]


def test_tennessee_chooses_knoxville() -> None:
    result = count_irv(CITIES, TENNESSEE, seed="")
    assert [r.excluded for r in result.rounds] == [CHATTANOOGA, NASHVILLE, None]
    assert result.rounds[1].votes == (42, 26, 0, 32)
    assert result.rounds[2].votes == (42, 0, 0, 58)
    assert result.winner == KNOXVILLE and result.rounds[2].outcome is IrvOutcome.MAJORITY


def test_transfers_and_exhausted_ballots_are_traced() -> None:
    groups = [(ranked(0), 5), (ranked(1, 0), 2), (ranked(1), 1), (ranked(2, 1), 3)]
    result = count_irv(names(3), groups, seed="")
    first = result.rounds[0]
    assert first.excluded == 1 and first.transfers == (2, -3, 0) and first.newly_exhausted == 1
    assert result.rounds[1].exhausted == 1
    assert result.winner == 0


def test_an_exclusion_tie_goes_to_the_earlier_round() -> None:
    # Round 1: A 5, B 3, C 2, D 1; D's ballot goes to C: B 3 = C 3; C had fewer at round 1.
    groups = [(ranked(0), 5), (ranked(1), 3), (ranked(2), 2), (ranked(3, 2), 1)]
    result = count_irv(names(4), groups, seed="s")
    tie = result.rounds[1].tie
    assert tie is not None and tie.method is TieMethod.EARLIER_STAGE and tie.chosen == 2


def test_a_perfect_tie_is_drawn_by_lot_reproducibly() -> None:
    groups = [(ranked(0), 1), (ranked(1), 1)]
    first = count_irv(names(2), groups, seed="seed 1")
    assert first == count_irv(names(2), groups, seed="seed 1")
    assert first.rounds[0].tie is not None and first.rounds[0].tie.method is TieMethod.LOT
    assert len({count_irv(names(2), groups, seed=str(s)).winner for s in range(30)}) == 2


def test_edge_cases() -> None:
    only = count_irv(names(1), [], seed="")
    assert only.winner == 0 and only.rounds[0].outcome is IrvOutcome.LAST_CANDIDATE
    invalid = count_irv(names(2), [((), 3), (ranked({0, 1}), 2), (ranked(1), 1)], seed="")
    assert (invalid.valid_ballots, invalid.invalid_ballots, invalid.winner) == (1, 5, 1)
    gone = count_irv(names(2), [(ranked(0), 1)], seed="", withdrawn=frozenset({0, 1}))
    assert gone.winner is None and gone.rounds == ()
    withdrawn = count_irv(names(3), [(ranked(0, 1), 2), (ranked(2), 1)], seed="",
                          withdrawn=frozenset({0}))  # fmt: skip
    assert withdrawn.winner == 1


def test_its_trace_is_json() -> None:
    data = count_irv(CITIES, TENNESSEE, seed="").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["rounds"][2]["outcome"] == IrvOutcome.MAJORITY.value


@st.composite
def _majority_elections(draw: st.DrawFn) -> tuple[int, int, list[RankedGroup]]:
    n = draw(st.integers(2, 6))
    favourite = draw(st.integers(0, n - 1))
    others = draw(st.lists(st.tuples(strict_ballots(n), st.integers(1, 20)), max_size=8))
    rest = sum(count for _, count in others)
    ballot = draw(strict_ballots(n))
    ballot = (frozenset((favourite,)), *(r for r in ballot if favourite not in r))
    return n, favourite, [(ballot, rest + draw(st.integers(1, 20))), *others]


@settings(max_examples=200, deadline=None)
@given(_majority_elections())
def test_a_majority_of_first_preferences_wins(election: tuple[int, int, list[RankedGroup]]) -> None:
    n, favourite, groups = election
    result = count_irv(names(n), groups, seed="p")
    assert result.winner == favourite and len(result.rounds) == 1
