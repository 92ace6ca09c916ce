"""Meek STV: arithmetic, a naive reference count, ties, edge cases and properties."""

from __future__ import annotations

import json
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from asamblea.elections.methods.ballots import RankedGroup, ranked, strict_sequences
from asamblea.elections.methods.results import TieMethod
from asamblea.elections.methods.stv_meek import (
    ONE,
    SURPLUS_LIMIT,
    ElectedBecause,
    MeekStvResult,
    RoundEnd,
    count_meek_stv,
)
from asamblea.elections.methods.stv_scottish import count_scottish_stv

from .conftest import scottish_ward
from .strategies import elections, names

A, B, C, D = range(4)


def _meek(groups: list[RankedGroup], seats: int, n: int = 4, seed: str = "s") -> MeekStvResult:
    return count_meek_stv(names(n), groups, seats, seed=seed)


def _reference_rounds(n: int, groups: list[RankedGroup], seats: int) -> list[tuple[object, ...]]:
    """Meek by the book, one ballot at a time, with no reduction of ballots.

    The same rules as the module (quota truncated to 9 places plus 10**-9; the kept share
    rounded up and the rest passed on; keep values updated in two rounded-up steps; stop at
    surplus < 0.0001 or when it stops falling; exclude the lowest) in the plainest code, so
    that the fast count can be checked against it. Returns, per round, the votes, quota,
    keep values, elected and excluded. Ties are avoided by the callers.
    """
    sequences, _ = strict_sequences(groups)
    ballots = [seq for seq, count in sequences.items() for _ in range(count)]
    keep = [ONE] * n
    hopeful, elected = set(range(n)), []
    rounds: list[tuple[object, ...]] = []
    while len(elected) < seats and (not rounds or len(hopeful) > seats - len(elected)):
        last = None
        while True:
            votes, excess = [0] * n, 0
            for ballot in ballots:
                value = ONE
                for c in ballot:
                    kept = _ceil_div(value * keep[c], ONE)
                    votes[c] += kept
                    value -= kept
                excess += value
            quota = (len(ballots) * ONE - excess) // (seats + 1) + 1
            reached = sorted((c for c in hopeful if votes[c] >= quota), key=lambda c: -votes[c])
            surplus = sum(max(0, votes[c] - quota) for c in elected)
            if reached or surplus < SURPLUS_LIMIT or (last is not None and surplus >= last):
                break
            for c in elected:
                keep[c] = _ceil_div(_ceil_div(keep[c] * quota, ONE) * ONE, votes[c])
            last = surplus
        excluded = None
        elected += reached
        hopeful -= set(reached)
        if not reached and len(hopeful) > seats - len(elected):
            excluded = min(hopeful, key=lambda c: votes[c])
            hopeful.remove(excluded)
            keep[excluded] = 0
        rounds.append((tuple(votes), quota, tuple(keep), tuple(reached), excluded))
    return rounds


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _rounds(result: MeekStvResult) -> list[tuple[object, ...]]:
    scale = Decimal(ONE)
    return [
        (
            tuple(int(v * scale) for v in r.votes),
            int(r.quota * scale),
            tuple(int(k * scale) for k in r.keep_values),
            r.elected,
            r.excluded,
        )
        for r in result.rounds
    ]


def _untied(result: MeekStvResult) -> bool:
    return all(r.tie is None for r in result.rounds)


class TestArithmetic:
    def test_the_quota_is_truncated_to_nine_places_plus_one_billionth(self) -> None:
        result = _meek([(ranked(A), 2), (ranked(B), 1)], 2)
        assert result.rounds[0].quota == Decimal("1.000000001")  # 3 / 3 + 0.000000001

    def test_a_surplus_is_shared_by_keep_values_until_it_is_tiny(self) -> None:
        # 30 ballots A > B, 6 for C, 4 for D; 2 seats. A's keep value settles near q / 30.
        groups = [(ranked(A, B), 30), (ranked(C), 6), (ranked(D), 4)]
        result = _meek(groups, 2)
        first, second = result.rounds[0], result.rounds[1]
        assert first.ended is RoundEnd.ELECTED and first.elected == (A,)
        assert first.reason == "reached the quota: 0"
        assert second.ended is RoundEnd.ELECTED and second.elected == (B,)
        assert Decimal("0.44") < second.keep_values[A] < Decimal("0.45")
        assert result.winners == (A, B)

    def test_no_value_is_created_or_lost_by_rounding(self) -> None:
        groups = [(ranked(A, B, C), 7), (ranked(B, A), 5), (ranked(C, D), 4), (ranked(D), 3)]
        result = _meek(groups, 2)
        for r in result.rounds:
            assert sum(r.votes) + r.non_transferable == result.valid_ballots

    def test_keep_values_are_rounded_up_in_two_steps(self) -> None:
        groups = [(ranked(A, B), 10), (ranked(C), 3), (ranked(B), 2)]
        result = _meek(groups, 2)
        assert all(Decimal(0) <= k <= Decimal(1) for r in result.rounds for k in r.keep_values)
        assert result.rounds[-1].keep_values[A] < 1


class TestAgainstAReferenceCount:
    @settings(max_examples=120, deadline=None)
    @given(elections(max_candidates=5), st.integers(1, 3))
    def test_grouping_ballots_changes_nothing(
        self, election: tuple[int, list[RankedGroup]], seats: int
    ) -> None:
        n, groups = election
        result = count_meek_stv(names(n), groups, seats, seed="r")
        if _untied(result):
            assert _rounds(result) == _reference_rounds(n, groups, seats)

    def test_a_scottish_ward_counted_both_ways_agrees(self) -> None:
        ward = scottish_ward("highland_2021_by_election_wick")
        result = count_meek_stv(ward.candidates, ward.ballots, ward.seats, seed="")
        n = len(ward.candidates)
        assert _rounds(result) == _reference_rounds(n, list(ward.ballots), ward.seats)


class TestTies:
    def test_an_exclusion_tie_goes_ahead_at_first_difference(self) -> None:
        # One seat, whole votes only (no one reaches the quota until the end):
        # round 1: A 9, X 5, Y 4, Z 2, W 3 -> Z out, to Y;  round 2: X 5, Y 6 -> W out, 1 to X;
        # round 3: X 6 = Y 6. Y was behind at the first difference (round 1), so Y goes;
        # the Scottish rule looks at the most recent difference (round 2) and drops X.
        x, y, z, w = 1, 2, 3, 4
        groups = [(ranked(A), 9), (ranked(x), 5), (ranked(y), 4), (ranked(z, y), 2),
                  (ranked(w, x), 1), (ranked(w), 2)]  # fmt: skip
        result = _meek(groups, 1, n=5)
        assert result.excluded == (z, w, y)
        assert result.winners == (A,)  # the quota shrinks as Y's ballots exhaust: A has 9 > 7.5
        tie = result.rounds[2].tie
        assert tie is not None and tie.method is TieMethod.FIRST_DIFFERENCE
        assert result.rounds[0].reason == "fewest votes: 3 excluded"
        assert result.rounds[2].reason.startswith("equal fewest votes, resolved by first stage")
        scottish = count_scottish_stv(names(5), groups, 1, seed="s")
        assert scottish.excluded[:3] == (z, w, x)

    def test_a_tie_at_every_round_is_drawn_by_lot_reproducibly(self) -> None:
        groups = [(ranked(A), 1), (ranked(B), 1), (ranked(C), 1)]
        first = _meek(groups, 1, n=3, seed="ledger entry 7")
        assert first == _meek(groups, 1, n=3, seed="ledger entry 7")
        tie = first.rounds[0].tie
        assert tie is not None and tie.method is TieMethod.LOT and tie.tied == (A, B, C)
        outcomes = {_meek(groups, 1, n=3, seed=str(s)).winners for s in range(40)}
        assert len(outcomes) > 1

    def test_a_tie_in_the_first_round_is_drawn_by_lot(self) -> None:
        # Round 1: A 4, B 3, C 2, D 2; C and D have no earlier round to differ in.
        groups = [(ranked(A), 4), (ranked(B), 3), (ranked(C, B), 2), (ranked(D, B), 2)]
        result = _meek(groups, 1)
        assert result.rounds[0].tie is not None
        assert result.rounds[0].tie.method is TieMethod.LOT
        assert result.winners == (B,)


class TestEdgeCases:
    def test_fewer_candidates_than_seats_elects_them_all(self) -> None:
        result = _meek([(ranked(A, B), 3)], 3, n=2)
        assert set(result.winners) == {A, B}
        assert len(result.rounds) == 1

    def test_empty_ballots_and_equal_first_ranks_are_invalid(self) -> None:
        groups = [(ranked(A), 4), ((), 2), (ranked({A, B}), 3)]
        result = _meek(groups, 1, n=3)
        assert (result.valid_ballots, result.invalid_ballots) == (4, 5)
        assert result.winners == (A,)

    def test_all_ballots_exhausted(self) -> None:
        result = _meek([(ranked(A), 3), (ranked(B), 2), (ranked(C), 2)], 2)
        assert len(result.winners) == 2 and result.winners[0] == A
        assert result.elected[-1].because in (ElectedBecause.QUOTA, ElectedBecause.LAST_VACANCIES)

    def test_no_ballots_at_all(self) -> None:
        result = _meek([], 2, n=3)
        assert len(result.winners) == 2

    def test_withdrawn_candidates_are_excluded_from_the_start(self) -> None:
        groups = [(ranked(B, A), 3), (ranked(C), 2)]
        result = count_meek_stv(names(3), groups, 1, seed="", withdrawn=frozenset({B}))
        assert result.rounds[0].votes[B] == 0 and result.winners == (A,)

    def test_it_rejects_zero_seats(self) -> None:
        with pytest.raises(ValueError, match="at least one seat"):
            _meek([], 0)

    def test_its_trace_is_json(self) -> None:
        data = _meek([(ranked(A, B), 30), (ranked(C), 6), (ranked(D), 4)], 2).to_dict()
        assert json.loads(json.dumps(data)) == data
        assert data["rounds"][0]["quota"] == "13.333333334"
        assert data["rounds"][0]["keep_values"][3] == "1.000000000"


@settings(max_examples=150, deadline=None)
@given(elections(), st.integers(1, 4), st.randoms(use_true_random=False))
def test_properties(
    election: tuple[int, list[RankedGroup]], seats: int, rng: random.Random
) -> None:
    """Exactly ``seats`` elected when there are enough candidates; no vote created or lost;
    the order of the ballots never changes anything."""
    n, groups = election
    result = count_meek_stv(names(n), groups, seats, seed="p")
    assert len(result.winners) == min(seats, n)
    assert len(set(result.winners)) == len(result.winners)
    for r in result.rounds:
        assert sum(r.votes) + r.non_transferable == result.valid_ballots
    shuffled = [(ballot, 1) for ballot, count in groups for _ in range(count)]
    rng.shuffle(shuffled)
    assert count_meek_stv(names(n), shuffled, seats, seed="p") == result


def test_meek_and_scottish_rules_agree_on_most_real_wards() -> None:
    """The two STV rules differ only in close contests: on 100 real wards, they agree on at
    least 90 winner sets (Meek re-weights surpluses and shrinks the quota as ballots exhaust)."""
    from .conftest import SCOTLAND_STV, no_ward_data

    files = sorted(SCOTLAND_STV.glob("*/*.blt"))[::11]
    if not files:
        no_ward_data("a sample of wards")
    from asamblea.elections.methods.blt import read_blt

    agree = 0
    for path in files:
        ward = read_blt(path)
        meek = count_meek_stv(ward.candidates, ward.ballots, ward.seats, seed="")
        scot = count_scottish_stv(ward.candidates, ward.ballots, ward.seats, seed="")
        agree += set(meek.winners) == set(scot.winners)
    assert agree >= 0.9 * len(files)
