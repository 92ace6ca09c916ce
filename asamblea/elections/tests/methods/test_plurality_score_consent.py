"""Plurality, approval, score voting and consent decisions."""

from __future__ import annotations

import json

import pytest

from asamblea.elections.methods.ballots import BallotError
from asamblea.elections.methods.consent import ConsentResponse, Stance, decide_consent
from asamblea.elections.methods.plurality import count_approval, count_plurality
from asamblea.elections.methods.score import count_score

from .strategies import names

A, B, C, D = range(4)


def _marks(*groups: tuple[set[int], int]) -> list[tuple[frozenset[int], int]]:
    return [(frozenset(marks), count) for marks, count in groups]


class TestPlurality:
    def test_one_seat(self) -> None:
        result = count_plurality(names(3), _marks(({A}, 4), ({B}, 6), ({C}, 1)), seed="")
        assert result.votes == (4, 6, 1) and result.elected == (B,) and result.order == (B, A, C)

    def test_several_seats_with_up_to_that_many_marks(self) -> None:
        groups = _marks(({A, B}, 3), ({C}, 2), ({A, C, D}, 5), (set(), 1))
        result = count_plurality(names(4), groups, 2, seed="")
        assert result.votes == (3, 3, 2, 0) and result.void_ballots == 5
        assert (result.valid_ballots, result.blank_ballots) == (6, 1)
        assert set(result.elected) == {A, B} and result.draws[0].order in ((A, B), (B, A))

    def test_a_tie_on_the_last_seat_is_drawn_by_lot_reproducibly(self) -> None:
        groups = _marks(({A}, 3), ({B}, 2), ({C}, 2))
        first = count_plurality(names(3), groups, 2, seed="x")
        assert first == count_plurality(names(3), groups, 2, seed="x")
        assert first.elected[0] == A and first.elected[1] in (B, C)
        picks = {count_plurality(names(3), groups, 2, seed=str(s)).elected for s in range(30)}
        assert picks == {(A, B), (A, C)}

    def test_it_rejects_unknown_candidates(self) -> None:
        with pytest.raises(BallotError):
            count_plurality(names(2), _marks(({5}, 1)), seed="")


class TestApproval:
    def test_any_number_of_marks(self) -> None:
        groups = _marks(({A, B, C}, 2), ({C}, 3), ({A, D}, 1))
        result = count_approval(names(4), groups, 2, seed="")
        assert result.votes == (3, 2, 5, 1) and result.elected == (C, A)
        assert result.void_ballots == 0
        assert json.loads(json.dumps(result.to_dict()))["elected"] == [C, A]


class TestScore:
    def test_highest_total_wins_and_unscored_counts_as_the_minimum(self) -> None:
        groups = [((5, 3, None), 2), ((0, 4, 5), 3), ((None, None, 1), 1)]
        result = count_score(names(3), groups, seed="")
        assert result.totals == (10, 18, 16) and result.scored_by == (5, 5, 4)
        assert result.elected == (B,) and result.order == (B, C, A)

    def test_several_seats(self) -> None:
        result = count_score(names(3), [((1, 2, 3), 1)], 2, seed="")
        assert result.elected == (C, B)

    @pytest.mark.parametrize(
        ("ballot", "message"), [((6, 0), "off the scale"), ((1,), "needs 2 entries")]
    )
    def test_it_rejects_bad_ballots(self, ballot: tuple[int, ...], message: str) -> None:
        with pytest.raises(BallotError, match=message):
            count_score(names(2), [(ballot, 1)], seed="")

    def test_it_rejects_an_empty_scale(self) -> None:
        with pytest.raises(ValueError, match="empty"):
            count_score(names(2), [], seed="", min_score=3, max_score=3)


class TestConsent:
    def test_it_is_adopted_when_nobody_objects(self) -> None:
        result = decide_consent(
            [
                ConsentResponse("ana", Stance.CONSENT),
                ConsentResponse("bo", Stance.STAND_ASIDE, "the budget is tight"),
            ]
        )
        assert result.adopted and result.consents == 1
        assert result.stand_asides[0].reason == "the budget is tight"

    def test_one_objection_blocks_it_and_is_recorded_with_its_reason(self) -> None:
        result = decide_consent(
            [
                ConsentResponse("ana", Stance.CONSENT),
                ConsentResponse("cy", Stance.OBJECT, "it excludes night-shift workers"),
            ]
        )
        assert not result.adopted and result.why == "1 member(s) object"
        assert result.objections == (
            ConsentResponse("cy", Stance.OBJECT, "it excludes night-shift workers"),
        )
        assert json.loads(json.dumps(result.to_dict()))["objections"][0]["stance"] == "object"

    def test_an_objection_needs_a_reason(self) -> None:
        with pytest.raises(ValueError, match="without giving a reason"):
            decide_consent([ConsentResponse("cy", Stance.OBJECT, "  ")])

    def test_a_member_answers_once(self) -> None:
        with pytest.raises(ValueError, match="answered twice"):
            decide_consent([ConsentResponse("ana", Stance.CONSENT)] * 2)
