"""Plurality and approval voting, for one seat or several.

Rules: the simple and the block (multiple-seat) plurality vote, and approval voting as
defined by S. J. Brams and P. C. Fishburn, "Approval Voting", American Political Science
Review 72(3), 1978, pp. 831-847:

- plurality: each voter marks at most as many candidates as there are seats (one for a single
  seat); a ballot marking more is void, because the voter's intent cannot be read;
- approval: each voter marks any number of candidates;
- either way each mark is one vote, and the seats go to the candidates with the most votes.

Blank ballots are valid but count for nobody. Candidates with equal votes are ordered by the
seeded lot, which decides the seats when a tie straddles the last one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ballots import MarkGroup, check_candidates, check_seats, prepare_marks
from .results import Draw, Serialisable
from .tiebreak import draw_order


@dataclass(frozen=True)
class MarksResult(Serialisable):
    """Votes per candidate, the full order (ties drawn by lot) and who takes the seats."""

    method: str
    candidates: tuple[str, ...]
    seats: int
    seed: str
    valid_ballots: int
    blank_ballots: int
    void_ballots: int
    votes: tuple[int, ...]
    order: tuple[int, ...]
    elected: tuple[int, ...]
    draws: tuple[Draw, ...]


#: Votes per candidate counted elsewhere and the number of valid ballots they come from: a
#: verifiable election's tally, decrypted as totals only (its ballots were checked to mark
#: between 1 and the most allowed, so none is blank or void).
Added = tuple[Sequence[int], int]


def count_plurality(
    candidates: Sequence[str],
    ballots: Iterable[MarkGroup],
    seats: int = 1,
    *,
    seed: str,
    added: Added | None = None,
) -> MarksResult:
    """Count plurality ballots: each marks at most ``seats`` candidates, or it is void."""
    return _count_marks("plurality", candidates, ballots, seats, seed, max_marks=seats, added=added)


def count_approval(
    candidates: Sequence[str],
    ballots: Iterable[MarkGroup],
    seats: int = 1,
    *,
    seed: str,
    added: Added | None = None,
) -> MarksResult:
    """Count approval ballots: each marks any number of candidates."""
    return _count_marks(
        "approval (Brams & Fishburn 1978)", candidates, ballots, seats, seed, added=added
    )


def _count_marks(
    method: str,
    candidates: Sequence[str],
    ballots: Iterable[MarkGroup],
    seats: int,
    seed: str,
    max_marks: int | None = None,
    added: Added | None = None,
) -> MarksResult:
    check_candidates(candidates)
    check_seats(seats)
    groups, blank = prepare_marks(ballots, len(candidates))
    votes = [0] * len(candidates)
    elsewhere = 0
    if added is not None:
        totals, elsewhere = added
        if len(totals) != len(candidates) or any(t < 0 for t in totals) or elsewhere < 0:
            raise ValueError("added votes: one whole number per candidate, none negative")
        votes = list(totals)
    void = 0
    for marks, count in groups:
        if max_marks is not None and len(marks) > max_marks:
            void += count
            continue
        for candidate in marks:
            votes[candidate] += count
    order, draws = rank_by_total(votes, seed, "tie on votes")
    return MarksResult(
        method=method,
        candidates=tuple(candidates),
        seats=seats,
        seed=seed,
        valid_ballots=sum(count for _, count in groups) - void + blank + elsewhere,
        blank_ballots=blank,
        void_ballots=void,
        votes=tuple(votes),
        order=order,
        elected=order[:seats],
        draws=draws,
    )


def rank_by_total(
    totals: Sequence[int], seed: str, purpose: str
) -> tuple[tuple[int, ...], tuple[Draw, ...]]:
    """All candidates by total, highest first; equal totals are ordered by the seeded lot.

    Returns the order and one ``Draw`` per group of equal totals.
    """
    by_total: dict[int, list[int]] = {}
    for candidate, total in enumerate(totals):
        by_total.setdefault(total, []).append(candidate)
    order: list[int] = []
    draws: list[Draw] = []
    for total in sorted(by_total, reverse=True):
        tied = by_total[total]
        if len(tied) > 1:
            context = f"{purpose} at {total}|{','.join(map(str, tied))}"
            tied = list(draw_order(seed, context, tied))
            draws.append(Draw(f"{purpose} at {total}", tuple(tied)))
        order.extend(tied)
    return tuple(order), tuple(draws)
