"""Plain tests of the pure aggregation core (no database)."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.coordination.aggregate import (
    BodyResult,
    CycleError,
    Position,
    Rule,
    SeatVote,
    Weighting,
    aggregate,
    base_assemblies,
    check_affiliation,
    creates_cycle,
    delegate_outcome,
    delegate_tally,
    diverges,
    freeze_weights,
    mandated_choice,
    position_from_tally,
    progress_by,
    seat_shares,
)
from asamblea.voting.rules import Majority, Tally

HALF = Fraction(1, 2)


def _results():
    # Four assemblies in two member bodies (10 and 20), two regions, sectors overlapping.
    return [
        BodyResult(
            1,
            electorate=10,
            weight=10,
            member_of=10,
            sectors=("students",),
            region="N",
            decided=True,
            yes=6,
            no=3,
            abstain=1,
            participants=10,
        ),
        BodyResult(
            2,
            electorate=4,
            weight=4,
            member_of=10,
            sectors=("students", "workers"),
            region="N",
            decided=True,
            yes=1,
            no=3,
            abstain=0,
            participants=4,
        ),
        BodyResult(
            3,
            electorate=30,
            weight=30,
            member_of=20,
            sectors=("workers",),
            region="S",
            decided=True,
            yes=10,
            no=12,
            abstain=2,
            participants=24,
        ),
        BodyResult(4, electorate=6, weight=6, member_of=20, sectors=(), region="S"),
    ]


def test_head_count_adds_every_individual_ballot():
    result = aggregate(_results(), Rule.HEAD_COUNT, HALF, Majority.SIMPLE)
    assert result.total.outcome.tally == Tally(17, 18, 3)
    assert result.total.outcome.electorate == 50
    assert result.total.outcome.turnout == Fraction(38, 50)
    assert not result.total.outcome.adopted


def test_majority_of_bodies_counts_each_decided_assembly_once():
    result = aggregate(_results(), Rule.MAJORITY_OF_BODIES, HALF, Majority.SIMPLE)
    assert result.total.outcome.tally == Tally(1, 2, 0)
    assert result.total.outcome.electorate == 4
    assert result.total.decided == 3
    assert not result.total.outcome.adopted


def test_weighted_counts_each_position_with_its_frozen_weight():
    result = aggregate(_results(), Rule.WEIGHTED, HALF, Majority.SIMPLE)
    assert result.total.outcome.tally == Tally(10, 34, 0)
    assert result.total.outcome.electorate == 50
    assert not result.total.outcome.adopted


def test_breakdowns_by_member_sector_and_region():
    result = aggregate(_results(), Rule.HEAD_COUNT, HALF, Majority.SIMPLE)
    member = {g.key: g.outcome.tally for g in result.by_member}
    assert member == {"10": Tally(7, 6, 1), "20": Tally(10, 12, 2)}
    sector = {g.key: g.outcome.tally for g in result.by_sector}
    assert sector == {"": Tally(), "students": Tally(7, 6, 1), "workers": Tally(11, 15, 2)}
    region = {g.key: (g.outcome.tally, g.outcome.adopted) for g in result.by_region}
    assert region == {"N": (Tally(7, 6, 1), True), "S": (Tally(10, 12, 2), False)}
    assert [g.key for g in result.by_body] == ["1", "2", "3", "4"]
    assert result.by_body[3].outcome.turnout == 0


def test_undecided_assemblies_weigh_on_the_quorum():
    results = [BodyResult(1, 10, 10, decided=True, yes=10), BodyResult(2, 10, 10)]
    outcome = aggregate(results, Rule.MAJORITY_OF_BODIES, Fraction(3, 4), Majority.SIMPLE)
    assert not outcome.total.outcome.quorum_met


def test_a_tie_in_an_assembly_is_an_abstention_of_that_assembly():
    results = [BodyResult(1, 10, 10, decided=True, yes=4, no=4, abstain=2)]
    outcome = aggregate(results, Rule.WEIGHTED, HALF, Majority.SIMPLE)
    assert outcome.total.outcome.tally == Tally(0, 0, 10)


def test_more_ballots_than_electors_is_refused():
    with pytest.raises(ValueError):
        BodyResult(1, electorate=3, weight=3, decided=True, yes=3, no=1)


def test_aggregate_is_canonical_and_float_free():
    data = aggregate(_results(), Rule.WEIGHTED, HALF, Majority.SIMPLE).to_dict()
    assert data["total"]["yes"] == "10" and data["rule"] == "weighted"
    assert len(data["by_body"]) == 4


def test_weights_are_frozen_at_opening():
    members = {1: 10, 2: 4}
    frozen = freeze_weights(Weighting.MEMBERSHIP, members)
    members[1] = 99
    members[3] = 5
    assert dict(frozen) == {1: 10, 2: 4}
    with pytest.raises(TypeError):
        frozen[1] = 5  # type: ignore[index]
    assert dict(freeze_weights(Weighting.ONE_BODY_ONE_VOTE, {1: 10, 2: 4})) == {1: 1, 2: 1}


def test_one_body_one_vote_shares_the_body_between_its_seats():
    shares = seat_shares({1: 1, 2: 1}, {1: 2, 2: 1})
    assert shares == {1: HALF, 2: Fraction(1)}
    seats = [SeatVote(1, HALF, "yes"), SeatVote(1, HALF, "no"), SeatVote(2, Fraction(1), "no")]
    assert delegate_tally(seats) == Tally(HALF, Fraction(3, 2), 0)
    assert not delegate_outcome(seats, HALF, Majority.SIMPLE).adopted


def test_weighted_delegate_votes_carry_their_bodys_membership():
    shares = seat_shares(freeze_weights(Weighting.MEMBERSHIP, {1: 40, 2: 25}), {1: 1, 2: 1})
    seats = [SeatVote(1, shares[1], "yes"), SeatVote(2, shares[2], "no")]
    outcome = delegate_outcome(seats, HALF, Majority.SIMPLE)
    assert outcome.tally == Tally(40, 25, 0) and outcome.adopted


def test_split_delegate_votes_cast_the_bases_own_counts():
    seats = [
        SeatVote(1, Fraction(40), split=(25, 10, 5), cap=40),
        SeatVote(2, Fraction(15), split=(3, 9, 0), cap=30),  # one of two seats of a 30 body
        SeatVote(2, Fraction(15), split=(3, 9, 0), cap=30),
    ]
    assert delegate_tally(seats) == Tally(28, 19, 5)


def test_split_counts_beyond_the_frozen_membership_are_refused():
    with pytest.raises(ValueError):
        delegate_tally([SeatVote(1, Fraction(10), split=(8, 3, 0), cap=10)])


def test_a_recalled_seat_counts_nothing_but_stays_in_the_electorate():
    seats = [SeatVote(1, Fraction(1), "yes", recalled=True), SeatVote(2, Fraction(1), "no")]
    outcome = delegate_outcome(seats, HALF, Majority.SIMPLE)
    assert outcome.tally == Tally(0, 1, 0) and outcome.electorate == 2


def test_mandate_divergence():
    assert diverges(Position.FOR, "no")
    assert diverges(Position.AGAINST, "abstain")
    assert not diverges(Position.ABSTAIN, "abstain")
    assert not diverges(Position.FREE, "no")
    assert not diverges(None, "yes")
    assert not diverges(Position.FOR, None)
    assert diverges(Position.FOR, None, split=(2, 5, 0))
    assert not diverges(Position.AGAINST, None, split=(2, 5, 0))


def test_a_binding_mandate_casts_as_mandated():
    assert mandated_choice(Position.AGAINST, True, "yes") == "no"
    assert mandated_choice(Position.AGAINST, False, "yes") == "yes"
    assert mandated_choice(Position.FREE, True, "abstain") == "abstain"
    assert position_from_tally(3, 3) is Position.ABSTAIN
    assert position_from_tally(1, 3) is Position.AGAINST


def test_a_cycle_is_refused():
    parents = {1: [10], 10: [100], 2: [10, 20]}
    assert creates_cycle(parents, 100, 1)  # nation would join its own district
    assert creates_cycle(parents, 10, 10)
    assert not creates_cycle(parents, 2, 100)  # several coordinations per assembly are fine
    with pytest.raises(CycleError):
        check_affiliation(parents, 100, 10)


@given(st.lists(st.tuples(st.integers(0, 8), st.integers(0, 8)), max_size=30))
def test_accepting_only_acyclic_affiliations_keeps_the_graph_acyclic(pairs):
    parents: dict[int, list[int]] = {}
    for member, coordination in pairs:
        if not creates_cycle(parents, member, coordination):
            parents.setdefault(member, []).append(coordination)
    for start in parents:  # no body reaches itself
        stack, seen = list(parents[start]), set()
        while stack:
            node = stack.pop()
            assert node != start
            if node not in seen:
                seen.add(node)
                stack.extend(parents.get(node, []))


def test_base_assemblies_are_found_once_through_every_level():
    members = {100: [10, 20], 10: [1, 2], 20: [2, 3, 30], 30: [4]}
    assemblies = {1: True, 2: True, 3: True, 4: True}
    assert base_assemblies(members, 100, assemblies) == {1: 10, 2: 10, 3: 20, 4: 20}


def test_progress_by_key():
    rows = [(("a",), 10, True, 10), (("a", "b"), 5, False, 2), ((), 3, False, 0)]
    by = progress_by(rows)
    assert by["a"].bodies == 2 and by["a"].bodies_decided == 1 and by["a"].people_voted == 12
    assert by[""].people == 3
