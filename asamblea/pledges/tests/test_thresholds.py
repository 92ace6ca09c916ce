"""The pure threshold core: the rule as documented, and monotonicity by property."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asamblea.pledges.thresholds import (
    MIN_GROUP,
    AssemblyCount,
    Thresholds,
    evaluate,
    share,
)


def a(key: int, members: int, committed: int, **extra) -> AssemblyCount:
    return AssemblyCount(key=key, members=members, committed=committed, **extra)


def test_a_pledge_needs_a_threshold_in_range():
    with pytest.raises(ValueError):
        Thresholds()
    with pytest.raises(ValueError):
        Thresholds(percent=0)
    with pytest.raises(ValueError):
        Thresholds(percent=101)
    with pytest.raises(ValueError):
        Thresholds(people=0)


def test_people_and_assemblies_both_count():
    rule = Thresholds(people=10, assemblies=2)
    assert not evaluate(rule, [a(1, 20, 10)]).met  # enough people, one assembly
    assert not evaluate(rule, [a(1, 20, 5), a(2, 20, 4)]).met  # two assemblies, 9 people
    assert evaluate(rule, [a(1, 20, 5), a(2, 20, 5)]).met


def test_an_assembly_below_the_percentage_does_not_commit_and_its_people_do_not_count():
    rule = Thresholds(people=6, percent=50)
    below = evaluate(rule, [a(1, 10, 5), a(2, 100, 10)])
    assert below.committing == frozenset({1})
    assert below.people == 5 and below.committed == 15 and not below.met
    assert evaluate(rule, [a(1, 10, 5), a(2, 100, 10), a(3, 2, 1)]).met  # 5 + 1


def test_the_percentage_rounds_up_and_alone_needs_one_committing_assembly():
    rule = Thresholds(percent=34)
    assert not evaluate(rule, [a(1, 3, 1)]).met  # 33.3 % < 34 %
    assert evaluate(rule, [a(1, 3, 2)]).met
    assert not evaluate(rule, [a(1, 3, 0)]).met


def test_an_assembly_committing_as_a_whole_brings_all_its_members():
    rule = Thresholds(people=30, percent=90)
    result = evaluate(rule, [a(1, 30, 2, whole=True)])
    assert result.met and result.people == 30 and result.committing == frozenset({1})
    # More commitments than members at opening (people joined since): every one counts.
    assert evaluate(rule, [a(1, 30, 31, whole=True)]).people == 31


def test_an_empty_assembly_never_commits_by_itself():
    assert not evaluate(Thresholds(percent=10), [a(1, 0, 0)]).met
    assert evaluate(Thresholds(percent=10), [a(1, 0, 1)]).met  # joined after opening


def test_sector_and_region_groups_under_five_people_are_suppressed():
    rows = [
        a(1, 10, 3, sectors=("students",), region="Sur"),
        a(2, 10, 1, sectors=("students", "workers"), region="Sur"),
        a(3, 10, 6, sectors=("workers",), region="Norte"),
    ]
    result = evaluate(Thresholds(people=1), rows)
    sectors = {g.key: g for g in result.by_sector}
    assert sectors["students"].people is None and sectors["students"].assemblies is None
    assert sectors["workers"].people == 7 and sectors["workers"].assemblies == 2
    regions = {g.key: g.people for g in result.by_region}
    assert regions == {"Norte": 6, "Sur": None}
    assert MIN_GROUP == 5


def test_the_follow_through_share():
    assert share(3, 4) == 75
    assert share(0, 0) is None
    assert share(5, 4) == 100


counts = st.builds(
    AssemblyCount,
    key=st.integers(0, 10_000),
    members=st.integers(0, 60),
    committed=st.integers(0, 60),
    whole=st.booleans(),
    sectors=st.lists(st.sampled_from(["a", "b", "c"]), max_size=2, unique=True).map(tuple),
    region=st.sampled_from(["", "x", "y"]),
)
rules = (
    st.tuples(
        st.none() | st.integers(1, 200),
        st.none() | st.integers(1, 8),
        st.none() | st.integers(1, 100),
    )
    .filter(lambda t: t != (None, None, None))
    .map(lambda t: Thresholds(*t))
)


@given(
    rule=rules,
    rows=st.lists(counts, min_size=1, max_size=12, unique_by=lambda c: c.key),
    which=st.integers(0, 11),
    whole=st.booleans(),
)
def test_one_more_commitment_never_untriggers(rule, rows, which, whole):
    index = which % len(rows)
    before = evaluate(rule, rows)
    row = rows[index]
    grown = replace(row, whole=True) if whole else replace(row, committed=row.committed + 1)
    after = evaluate(rule, rows[:index] + [grown] + rows[index + 1 :])
    assert after.people >= before.people
    assert after.assemblies >= before.assemblies
    assert after.committing >= before.committing
    assert after.committed >= before.committed
    assert not before.met or after.met


@given(
    rule=rules,
    rows=st.lists(counts, max_size=12, unique_by=lambda c: c.key),
)
def test_triggered_means_every_threshold_set_is_met(rule, rows):
    result = evaluate(rule, rows)
    if result.met:
        assert result.assemblies >= 1
        assert rule.people is None or result.people >= rule.people
        assert rule.assemblies is None or result.assemblies >= rule.assemblies
        for row in rows:
            if row.key in result.committing and not row.whole and rule.percent:
                assert row.committed * 100 >= rule.percent * row.members
    assert result.people <= result.committed
