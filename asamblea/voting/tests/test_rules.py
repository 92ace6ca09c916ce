"""The quorum and majority rules, on their own (pure Python, no database)."""

from fractions import Fraction

import pytest

from asamblea.voting.rules import Majority, Tally, decide, majority_met, quorum_met

HALF = Fraction(1, 2)


def test_simple_majority_needs_more_yes_than_no():
    assert decide(Tally(3, 2, 0), 5, HALF, Majority.SIMPLE).adopted
    assert not decide(Tally(2, 3, 0), 5, HALF, Majority.SIMPLE).adopted


def test_a_tie_is_rejected_under_every_rule():
    for rule in Majority:
        outcome = decide(Tally(2, 2, 1), 5, HALF, rule)
        assert outcome.quorum_met
        assert not outcome.majority_met, rule
        assert not outcome.adopted, rule


def test_zero_turnout_fails_a_positive_quorum_and_every_majority():
    outcome = decide(Tally(0, 0, 0), 10, HALF, Majority.SIMPLE)
    assert outcome.turnout == 0
    assert not outcome.quorum_met
    assert not outcome.majority_met
    assert not outcome.adopted


def test_zero_quorum_is_always_met_even_with_zero_turnout():
    assert quorum_met(0, 10, Fraction(0))
    assert quorum_met(0, 0, Fraction(0))


def test_everyone_abstains_meets_the_quorum_but_adopts_nothing():
    for rule in Majority:
        outcome = decide(Tally(0, 0, 7), 7, HALF, rule)
        assert outcome.quorum_met
        assert outcome.turnout == 1
        assert not outcome.adopted, rule


def test_quorum_exactly_met_counts_as_met():
    assert quorum_met(5, 10, HALF)
    assert not quorum_met(4, 10, HALF)
    assert quorum_met(2, 3, Fraction(2, 3))
    outcome = decide(Tally(3, 1, 1), 10, HALF, Majority.SIMPLE)
    assert outcome.quorum_met and outcome.adopted


def test_abstentions_count_towards_the_quorum_only():
    outcome = decide(Tally(1, 0, 4), 10, HALF, Majority.SIMPLE)
    assert outcome.quorum_met
    assert outcome.adopted
    outcome = decide(Tally(1, 1, 4), 10, HALF, Majority.SIMPLE)
    assert outcome.quorum_met and not outcome.adopted


def test_empty_electorate_never_meets_a_positive_quorum():
    outcome = decide(Tally(0, 0, 0), 0, HALF, Majority.SIMPLE)
    assert outcome.turnout == 0
    assert not outcome.quorum_met
    assert not outcome.adopted


def test_absolute_majority_counts_against_the_whole_electorate():
    # 6 yes of 10 electors: more than half.
    assert decide(Tally(6, 0, 0), 10, HALF, Majority.ABSOLUTE).adopted
    # Exactly half is not more than half.
    assert not majority_met(Tally(5, 0, 0), 10, Majority.ABSOLUTE)
    # 4 yes, 1 no: a simple majority but not an absolute one.
    outcome = decide(Tally(4, 1, 0), 10, HALF, Majority.ABSOLUTE)
    assert outcome.quorum_met and not outcome.adopted
    assert decide(Tally(4, 1, 0), 10, HALF, Majority.SIMPLE).adopted


def test_two_thirds_of_yes_and_no_exactly_met():
    assert majority_met(Tally(2, 1, 0), 3, Majority.TWO_THIRDS)
    assert not majority_met(Tally(3, 2, 0), 5, Majority.TWO_THIRDS)
    # Abstentions do not dilute two thirds.
    assert majority_met(Tally(2, 1, 10), 13, Majority.TWO_THIRDS)


def test_two_thirds_needs_at_least_one_yes():
    assert not majority_met(Tally(0, 0, 3), 3, Majority.TWO_THIRDS)


def test_weighted_fractions_are_compared_exactly():
    # Weights like 1/3 would drift in floating point; here they are exact.
    third = Fraction(1, 3)
    tally = Tally(yes=2 * third, no=third, abstain=0)
    assert majority_met(tally, 1, Majority.TWO_THIRDS)
    assert quorum_met(tally.cast, 1, Fraction(1))
    outcome = decide(tally, Fraction(3, 2), Fraction(2, 3), Majority.SIMPLE)
    assert outcome.turnout == Fraction(2, 3)
    assert outcome.quorum_met and outcome.adopted


def test_weighted_absolute_majority_with_fractional_electorate():
    assert majority_met(Tally(Fraction(7, 4), 0, 0), Fraction(7, 2), Majority.ABSOLUTE) is False
    assert majority_met(Tally(Fraction(8, 4), 0, 0), Fraction(7, 2), Majority.ABSOLUTE)


def test_outcome_to_dict_holds_no_floats():
    outcome = decide(Tally(Fraction(1, 3), 0, 0), 1, Fraction(1, 4), Majority.SIMPLE)
    stored = outcome.to_dict()
    assert not any(isinstance(value, float) for value in stored.values())
    assert stored["turnout"] == "1/3"
    assert stored["adopted"] is True


def test_tally_adds_up():
    assert Tally(1, 2, 3) + Tally(4, 5, 6) == Tally(5, 7, 9)
    assert Tally(1, 2, 3).cast == 6


def test_negative_counts_are_refused():
    with pytest.raises(ValueError):
        Tally(-1, 0, 0)


def test_more_ballots_than_electors_is_refused():
    with pytest.raises(ValueError):
        decide(Tally(3, 0, 0), 2, HALF, Majority.SIMPLE)


def test_quorum_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError):
        quorum_met(1, 1, Fraction(3, 2))
    with pytest.raises(ValueError):
        quorum_met(1, 1, Fraction(-1, 2))


def test_unknown_majority_rule_is_refused():
    with pytest.raises(ValueError):
        majority_met(Tally(1, 0, 0), 1, "plurality")  # type: ignore[arg-type]
