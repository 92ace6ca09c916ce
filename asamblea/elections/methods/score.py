"""Score (range) voting: each voter gives each candidate a score; the highest totals win.

Rules: range voting as defined by W. D. Smith, "Range Voting" (2000,
https://rangevoting.org/WarrenSmithPages/homepage/rangevote.pdf): every voter may score every
candidate on the same scale (here ``min_score .. max_score``, 0 to 5 by default); a candidate
the voter leaves unscored gets the minimum, so abstaining on a candidate never helps them;
the candidate with the highest total wins, and for several seats the highest totals take
them (a non-proportional block method). Equal totals are ordered by the seeded lot.

A ballot is a tuple with one entry per candidate: an integer score, or ``None`` for unscored.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ballots import BallotError, check_candidates, check_seats
from .plurality import rank_by_total
from .results import Draw, Serialisable

ScoreBallot = tuple[int | None, ...]
ScoreGroup = tuple[ScoreBallot, int]


@dataclass(frozen=True)
class ScoreResult(Serialisable):
    """Totals, how many voters scored each candidate, the order and the elected."""

    method: str
    candidates: tuple[str, ...]
    seats: int
    seed: str
    min_score: int
    max_score: int
    valid_ballots: int
    totals: tuple[int, ...]
    scored_by: tuple[int, ...]
    order: tuple[int, ...]
    elected: tuple[int, ...]
    draws: tuple[Draw, ...]


def count_score(
    candidates: Sequence[str],
    ballots: Iterable[ScoreGroup],
    seats: int = 1,
    *,
    seed: str,
    min_score: int = 0,
    max_score: int = 5,
) -> ScoreResult:
    """Count score ballots (see the module docstring).

    Raises ``BallotError`` for a ballot of the wrong length, a score off the scale or a bad
    count, and ``ValueError`` for an empty scale or fewer than one seat.
    """
    check_candidates(candidates)
    check_seats(seats)
    if min_score >= max_score:
        raise ValueError(f"the scale {min_score}..{max_score} is empty")
    n = len(candidates)
    totals = [0] * n
    scored_by = [0] * n
    valid = 0
    for ballot, count in ballots:
        _check_score_ballot(ballot, count, n, min_score, max_score)
        valid += count
        for candidate, score in enumerate(ballot):
            totals[candidate] += count * (min_score if score is None else score)
            scored_by[candidate] += 0 if score is None else count
    order, draws = rank_by_total(totals, seed, "tie on total score")
    return ScoreResult(
        method="score voting (Smith 2000)",
        candidates=tuple(candidates),
        seats=seats,
        seed=seed,
        min_score=min_score,
        max_score=max_score,
        valid_ballots=valid,
        totals=tuple(totals),
        scored_by=tuple(scored_by),
        order=order,
        elected=order[:seats],
        draws=draws,
    )


def _check_score_ballot(
    ballot: ScoreBallot, count: int, n: int, min_score: int, max_score: int
) -> None:
    if type(count) is not int or count < 0:
        raise BallotError(f"a ballot count must be a non-negative integer, not {count!r}")
    if len(ballot) != n:
        raise BallotError(f"a score ballot needs {n} entries, not {len(ballot)}")
    for score in ballot:
        if score is not None and (type(score) is not int or not min_score <= score <= max_score):
            raise BallotError(f"score {score!r} is off the scale {min_score}..{max_score}")
