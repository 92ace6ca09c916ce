"""Schulze: the published example, ties, partial and equal rankings, and properties."""

from __future__ import annotations

import json
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.elections.methods.ballots import RankedGroup, ranked
from asamblea.elections.methods.schulze import count_schulze

from .strategies import elections, names

A, B, C, D, E = range(5)

#: The 45-voter example of Wikipedia's "Schulze method" article (taken from Schulze's paper).
WIKIPEDIA = [
    (ranked(A, C, B, E, D), 5),
    (ranked(A, D, E, C, B), 5),
    (ranked(B, E, D, A, C), 8),
    (ranked(C, A, B, E, D), 3),
    (ranked(C, A, E, B, D), 7),
    (ranked(C, B, A, D, E), 2),
    (ranked(D, C, E, B, A), 7),
    (ranked(E, B, A, D, C), 8),
]


class TestPublishedExample:
    def test_the_pairwise_preferences(self) -> None:
        result = count_schulze(names(5), WIKIPEDIA, seed="")
        assert result.pairwise == (
            (0, 20, 26, 30, 22),
            (25, 0, 16, 33, 18),
            (19, 29, 0, 17, 24),
            (15, 12, 28, 0, 14),
            (23, 27, 21, 31, 0),
        )

    def test_the_strongest_paths(self) -> None:
        result = count_schulze(names(5), WIKIPEDIA, seed="")
        assert result.strongest_paths == (
            (0, 28, 28, 30, 24),
            (25, 0, 28, 33, 24),
            (25, 29, 0, 29, 24),
            (25, 28, 28, 0, 24),
            (25, 28, 28, 31, 0),
        )

    def test_the_ranking_is_e_a_c_b_d(self) -> None:
        result = count_schulze(names(5), WIKIPEDIA, seed="")
        assert result.ranking == ((E,), (A,), (C,), (B,), (D,))
        assert result.order == (E, A, C, B, D)
        assert result.winner == E and result.tie_breaking_ballots == 0


class TestTies:
    CYCLE = [(ranked(A, B, C), 1), (ranked(B, C, A), 1), (ranked(C, A, B), 1)]

    def test_a_perfect_cycle_is_one_tier(self) -> None:
        result = count_schulze(names(3), self.CYCLE, seed="s")
        assert result.ranking == ((A, B, C),)
        assert result.winners == (A, B, C)

    def test_the_tie_is_broken_by_a_drawn_ballot(self) -> None:
        result = count_schulze(names(3), self.CYCLE, seed="s")
        assert result.tie_breaking_ballots == 1  # one strict ballot orders all three
        assert result.order in {(A, B, C), (B, C, A), (C, A, B)}
        assert result.draws == ()

    def test_the_same_seed_gives_the_same_order_and_seeds_vary_it(self) -> None:
        first = count_schulze(names(3), self.CYCLE, seed="ledger 9")
        assert count_schulze(names(3), self.CYCLE, seed="ledger 9") == first
        orders = {count_schulze(names(3), self.CYCLE, seed=str(s)).order for s in range(30)}
        assert len(orders) == 3

    def test_candidates_no_ballot_separates_are_ordered_by_lot(self) -> None:
        result = count_schulze(names(3), [(ranked(A), 2)], seed="s")
        assert result.ranking == ((A,), (B, C))
        assert result.order[0] == A and len(result.draws) == 1
        assert set(result.draws[0].order) == {B, C}


class TestBallots:
    def test_equal_ranks_and_unranked_candidates(self) -> None:
        result = count_schulze(names(4), [(ranked(A, {B, C}), 3)], seed="")
        d = result.pairwise
        assert (d[A][B], d[A][C], d[B][C], d[C][B]) == (3, 3, 0, 0)
        assert (d[B][D], d[C][D], d[D][A]) == (3, 3, 0)  # unranked D is last

    def test_blank_ballots_count_but_prefer_nothing(self) -> None:
        result = count_schulze(names(2), [((), 4), (ranked(B), 1)], seed="")
        assert (result.valid_ballots, result.blank_ballots) == (5, 4)
        assert result.order == (B, A)

    def test_its_trace_is_json(self) -> None:
        data = count_schulze(names(5), WIKIPEDIA, seed="").to_dict()
        assert json.loads(json.dumps(data)) == data
        assert data["order"] == [E, A, C, B, D]


def _naive_pairwise(n: int, groups: list[RankedGroup]) -> list[list[int]]:
    d = [[0] * n for _ in range(n)]
    for ballot, count in groups:
        level = {c: i for i, rank in enumerate(ballot) for c in rank}
        for a in range(n):
            for b in range(n):
                if level.get(a, n) < level.get(b, n):
                    d[a][b] += count
    return d


@settings(max_examples=200, deadline=None)
@given(elections(weak=True), st.randoms(use_true_random=False))
def test_properties(election: tuple[int, list[RankedGroup]], rng: random.Random) -> None:
    """The packed pairwise count equals the naive one; a Condorcet winner always wins; the
    order of the ballots never changes anything."""
    n, groups = election
    result = count_schulze(names(n), groups, seed="p")
    d = _naive_pairwise(n, groups)
    assert [list(row) for row in result.pairwise] == d
    condorcet = [a for a in range(n) if all(d[a][b] > d[b][a] for b in range(n) if b != a)]
    if condorcet:
        assert result.winners == (condorcet[0],) and result.winner == condorcet[0]
    assert sorted(result.order) == list(range(n))
    shuffled = [(ballot, 1) for ballot, count in groups for _ in range(count)]
    rng.shuffle(shuffled)
    assert count_schulze(names(n), shuffled, seed="p") == result
