"""Hypothesis strategies for ballots, shared by the property tests."""

from __future__ import annotations

from hypothesis import strategies as st

from asamblea.elections.methods.ballots import RankedBallot, RankedGroup


@st.composite
def strict_ballots(draw: st.DrawFn, n: int, min_size: int = 1) -> RankedBallot:
    """A partial strict ranking of some of ``n`` candidates (one candidate per rank)."""
    order = draw(st.permutations(range(n)))
    size = draw(st.integers(min_size, n))
    return tuple(frozenset((c,)) for c in order[:size])


@st.composite
def weak_ballots(draw: st.DrawFn, n: int) -> RankedBallot:
    """A ranking with possible equal ranks and unranked candidates."""
    order = draw(st.permutations(range(n)))
    size = draw(st.integers(0, n))
    ranks: list[frozenset[int]] = []
    for candidate in order[:size]:
        if ranks and draw(st.booleans()):
            ranks[-1] = ranks[-1] | {candidate}
        else:
            ranks.append(frozenset((candidate,)))
    return tuple(ranks)


@st.composite
def elections(
    draw: st.DrawFn, min_candidates: int = 2, max_candidates: int = 6, weak: bool = False
) -> tuple[int, list[RankedGroup]]:
    """A number of candidates and 1-12 groups of ballots over them."""
    n = draw(st.integers(min_candidates, max_candidates))
    ballot = weak_ballots(n) if weak else strict_ballots(n)
    groups = draw(st.lists(st.tuples(ballot, st.integers(1, 30)), min_size=1, max_size=12))
    return n, groups


def names(n: int) -> list[str]:
    """Candidate names A, B, C, ..."""
    return [chr(ord("A") + i) for i in range(n)]
