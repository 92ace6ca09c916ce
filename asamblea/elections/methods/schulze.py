"""The Schulze method (Condorcet): a full ranking from pairwise comparisons.

Rules: M. Schulze, "A new monotonic, clone-independent, reversal symmetric, and
Condorcet-consistent single-winner election method", Social Choice and Welfare 36(2), 2011,
pp. 267-303 (the edition this module follows; arXiv:1804.02973 is its later extended form).

1. ``d[a][b]`` is the number of voters who strictly prefer ``a`` to ``b``. Ballots may rank
   candidates equally and leave some unranked; unranked candidates count as ranked equally
   below every ranked one.
2. The link ``a -> b`` has strength ``d[a][b]`` when ``d[a][b] > d[b][a]`` ("winning votes",
   the measure the paper recommends), and no link otherwise.
3. ``p[a][b]`` is the strength of the strongest path from ``a`` to ``b``, a path being as
   strong as its weakest link (computed as a widest-path Floyd-Warshall).
4. ``a`` is better than ``b`` when ``p[a][b] > p[b][a]``; this relation is transitive (the
   paper's section 4.1). The ranking lists, tier by tier, the candidates no remaining
   candidate is better than; a tier with several candidates is a Schulze tie.

Ties are resolved as in section 5 of the paper with a tie-breaking ranking of the candidates
(TBRC): ballots are drawn at random (here by the seeded draw, each with probability
proportional to its count, without replacement); each drawn ballot orders the candidates it
still finds tied, and when the ballots run out the seeded lot orders the rest. Candidates in
a Schulze tier are then ordered by the TBRC. The paper's further refinement, which re-runs
the method with a tie-breaking ranking of the *links* so that equal link strengths cannot
change the tiers, is not applied: the tiers reported are those of the plain method.

The pairwise counts are added one ballot *group* at a time, with a row of the count packed
into one Python integer (one field per candidate): each ranked candidate of a ballot costs
two additions instead of one per pair of candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ballots import RankedGroup, canonical_groups, check_candidates, prepare_ranked
from .results import Draw, Serialisable
from .tiebreak import draw_number, draw_order


@dataclass(frozen=True)
class SchulzeResult(Serialisable):
    """Pairwise counts, strongest paths, the ranking in tiers, and the tie-broken order."""

    method: str
    candidates: tuple[str, ...]
    seed: str
    valid_ballots: int
    blank_ballots: int
    pairwise: tuple[tuple[int, ...], ...]
    strongest_paths: tuple[tuple[int, ...], ...]
    ranking: tuple[tuple[int, ...], ...]
    order: tuple[int, ...]
    winners: tuple[int, ...]
    tie_breaking_ballots: int
    draws: tuple[Draw, ...]

    @property
    def winner(self) -> int:
        """The single winner after tie-breaking."""
        return self.order[0]


def pairwise_matrix(groups: Sequence[RankedGroup], n: int) -> list[list[int]]:
    """``d[a][b]``: how many voters rank ``a`` strictly above ``b`` (unranked is last).

    A voter prefers ``a`` to ``b`` exactly when they rank ``a`` and do not rank ``b`` at or
    above it, so ``d[a][b] = ranked[a] - not_below[a][b]``, where ``ranked[a]`` counts the
    ballots ranking ``a`` and ``not_below[a][b]`` those ranking ``b`` at or above ``a``. A
    row of ``not_below`` is one packed integer (a field per candidate), so each ranked
    candidate of a ballot costs two big-integer additions, whatever the number of candidates.
    """
    total = sum(count for _, count in groups)
    width = max(total.bit_length(), 1) + 1  # a field never carries into its neighbour
    bit = [1 << (width * c) for c in range(n)]
    ranked_by = [0] * n
    not_below = [0] * n
    for ballot, count in groups:
        above = 0
        for rank in ballot:
            if len(rank) == 1:
                (candidate,) = rank
                not_below[candidate] += above * count if count != 1 else above
                ranked_by[candidate] += count
                above += bit[candidate]
                continue
            level = above + sum(bit[c] for c in rank)
            for candidate in rank:
                not_below[candidate] += (level - bit[candidate]) * count
                ranked_by[candidate] += count
            above = level
    mask = (1 << width) - 1
    return [
        [ranked_by[a] - ((not_below[a] >> (width * b)) & mask) if a != b else 0 for b in range(n)]
        for a in range(n)
    ]


def strongest_paths(d: list[list[int]]) -> list[list[int]]:
    """Widest paths over the winning-votes links of ``d`` (the diagonal is left at 0)."""
    n = len(d)
    p = [[d[a][b] if d[a][b] > d[b][a] else 0 for b in range(n)] for a in range(n)]
    for k in range(n):
        through = p[k]
        for a in range(n):
            strength = p[a][k]
            if a == k or not strength:
                continue
            row = p[a]
            # One comprehension per (k, a) keeps the cubic loop inside C.
            p[a] = [
                old if old >= strength or old >= via else (via if via < strength else strength)
                for old, via in zip(row, through, strict=True)
            ]
            p[a][a] = 0
    return p


def schulze_tiers(p: list[list[int]]) -> list[list[int]]:
    """The Schulze ranking as tiers: each tier is not beaten by anyone still unranked."""
    n = len(p)
    beaten_by = [{b for b in range(n) if p[b][a] > p[a][b]} for a in range(n)]
    remaining = set(range(n))
    tiers: list[list[int]] = []
    while remaining:
        tier = sorted(a for a in remaining if not beaten_by[a] & remaining)
        tiers.append(tier)
        remaining.difference_update(tier)
    return tiers


def tie_breaking_ranking(
    groups: Sequence[RankedGroup], tied_blocks: list[list[int]], seed: str
) -> tuple[list[int], int, tuple[Draw, ...]]:
    """Order the candidates of each tied block: by randomly drawn ballots, then by lot.

    Ballots are drawn one at a time with the seeded draw, each with probability proportional
    to its count and without replacement. Each drawn ballot splits every block it does not
    rank equally; this gives any two tied candidates the relative order the paper's TBRC
    gives them. Returns the candidates of all blocks in their new order, the number of
    ballots drawn, and the lot draws for what the ballots left tied.
    """
    blocks = [sorted(block) for block in tied_blocks]
    counts = [count for _, count in groups]
    remaining = sum(counts)
    drawn = 0
    while remaining and any(len(block) > 1 for block in blocks):
        pick = draw_number(seed, f"tie-breaking ballot {drawn}", remaining)
        index = _pick_group(counts, pick)
        counts[index] -= 1
        remaining -= 1
        drawn += 1
        level = {c: position for position, rank in enumerate(groups[index][0]) for c in rank}
        blocks = [part for block in blocks for part in _split(block, level)]
    order: list[int] = []
    draws: list[Draw] = []
    for block in blocks:
        if len(block) > 1:
            block = list(draw_order(seed, f"tie-breaking lot|{_names(block)}", block))
            draws.append(Draw("tie-breaking ranking by lot", tuple(block)))
        order.extend(block)
    return order, drawn, tuple(draws)


def _names(block: list[int]) -> str:
    return ",".join(map(str, sorted(block)))


def _pick_group(counts: list[int], pick: int) -> int:
    for index, count in enumerate(counts):
        if pick < count:
            return index
        pick -= count
    raise AssertionError("the pick is below the total of the counts")


def _split(block: list[int], level: dict[int, int]) -> list[list[int]]:
    """Split a block of tied candidates by their rank on a ballot (unranked last)."""
    if len(block) == 1:
        return [block]
    last = len(level) + 1
    levels = sorted({level.get(c, last) for c in block})
    return [[c for c in block if level.get(c, last) == lvl] for lvl in levels]


def count_schulze(
    candidates: Sequence[str], ballots: Iterable[RankedGroup], *, seed: str
) -> SchulzeResult:
    """Rank the candidates by the Schulze method (see the module docstring).

    ``ballots`` are ``(ballot, count)`` groups; blank ballots are valid and express no
    preference. Raises ``BallotError`` for malformed ballots.
    """
    check_candidates(candidates)
    n = len(candidates)
    groups = tuple(prepare_ranked(ballots, n).items())
    d = pairwise_matrix(groups, n)
    p = strongest_paths(d)
    tiers = schulze_tiers(p)
    tied = [tier for tier in tiers if len(tier) > 1]
    # The canonical order of the groups makes the drawn ballots independent of input order.
    tbrc, drawn, draws = (
        tie_breaking_ranking(canonical_groups(groups), tied, seed) if tied else ([], 0, ())
    )
    position = {c: i for i, c in enumerate(tbrc)}
    order = [c for tier in tiers for c in sorted(tier, key=lambda c: position.get(c, 0))]
    return SchulzeResult(
        method="Schulze (Social Choice and Welfare 36, 2011), winning votes",
        candidates=tuple(candidates),
        seed=seed,
        valid_ballots=sum(count for _, count in groups),
        blank_ballots=sum(count for ballot, count in groups if not ballot),
        pairwise=tuple(map(tuple, d)),
        strongest_paths=tuple(map(tuple, p)),
        ranking=tuple(tuple(sorted(tier)) for tier in tiers),
        order=tuple(order),
        winners=tuple(sorted(tiers[0])),
        tie_breaking_ballots=drawn,
        draws=draws,
    )
