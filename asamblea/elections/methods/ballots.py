"""Ballot types shared by the counting methods, and the one-time grouping of identical ballots.

Candidates are numbered ``0 .. n-1`` everywhere in the counting core; names only appear in
results and in the BLT file format.

A *ranked ballot* is a tuple of ranks, best first; each rank is a frozenset of candidate
numbers. A rank holding several candidates ranks them equally. Candidates that appear on no
rank are unranked (partial rankings are allowed). Every method receives its ballots already
grouped as ``(ballot, count)`` pairs, so identical ballots are handled once: the counts do the
multiplying, and no method does per-ballot work inside a round.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from itertools import chain

Rank = frozenset[int]
RankedBallot = tuple[Rank, ...]
RankedGroup = tuple[RankedBallot, int]
MarkGroup = tuple[frozenset[int], int]
StrictSequence = tuple[int, ...]


class BallotError(ValueError):
    """A ballot or a group of ballots that no method can count (bad candidate, bad count)."""


def ranked(*ranks: int | Iterable[int]) -> RankedBallot:
    """Build a ranked ballot: ``ranked(2, {0, 1}, 3)`` ranks 2 first, 0 and 1 equal second, then 3.

    Convenience for tests and callers; it does not validate (see ``prepare_ranked``).
    """
    return tuple(frozenset((r,)) if isinstance(r, int) else frozenset(r) for r in ranks)


def group_ballots(ballots: Iterable[RankedBallot]) -> tuple[RankedGroup, ...]:
    """Group identical ballots once, as ``(ballot, count)`` pairs (in first-seen order)."""
    return tuple(Counter(ballots).items())


def canonical_groups(groups: Iterable[RankedGroup]) -> tuple[RankedGroup, ...]:
    """Merge groups holding the same ballot and sort them canonically.

    Sorting makes every count independent of the order in which ballots arrived: the same
    multiset of ballots always yields the same groups in the same order, hence the same trace.
    """
    merged: Counter[RankedBallot] = Counter()
    for ballot, count in groups:
        merged[ballot] += count
    return tuple(sorted(merged.items(), key=lambda item: _ballot_key(item[0])))


def _ballot_key(ballot: RankedBallot) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(sorted(rank)) for rank in ballot)


def prepare_ranked(groups: Iterable[RankedGroup], num_candidates: int) -> dict[RankedBallot, int]:
    """Validate ranked groups and merge identical ballots, dropping empty ranks.

    Raises ``BallotError`` for a candidate number outside ``0 .. num_candidates-1``, a candidate
    ranked twice on one ballot, or a count that is not a non-negative integer. Groups with a
    zero count are dropped; empty ballots are kept (methods report them as invalid). The
    result keeps first-seen order; ``canonical_groups`` sorts it where order matters.
    """
    valid = frozenset(range(num_candidates))
    merged: dict[RankedBallot, int] = {}
    for ballot, count in groups:
        _check_count(count)
        if not count:
            continue
        if not all(ballot):
            ballot = tuple(rank for rank in ballot if rank)
        _check_ranked(ballot, valid)
        merged[ballot] = merged.get(ballot, 0) + count
    return merged


def _check_count(count: object) -> None:
    if type(count) is not int or count < 0:
        raise BallotError(f"a ballot count must be a non-negative integer, not {count!r}")


def _check_ranked(ballot: RankedBallot, valid: frozenset[int]) -> None:
    # Set arithmetic keeps this check cheap: it runs once per distinct ballot.
    listed = tuple(chain.from_iterable(ballot))
    members = frozenset(listed)
    if not members <= valid:
        bad = sorted(members - valid, key=repr)
        raise BallotError(f"no candidate {bad[0]!r} among {len(valid)} candidates")
    if len(listed) != len(members):
        raise BallotError("a candidate is ranked twice on one ballot")


def check_candidate(candidate: object, num_candidates: int) -> None:
    """Raise ``BallotError`` unless ``candidate`` is a valid candidate number."""
    if not isinstance(candidate, int) or isinstance(candidate, bool):
        raise BallotError(f"a candidate must be an integer, not {candidate!r}")
    if not 0 <= candidate < num_candidates:
        raise BallotError(f"no candidate number {candidate} among {num_candidates} candidates")


def check_candidates(candidates: Sequence[str]) -> None:
    """Raise ``ValueError`` unless there is at least one candidate."""
    if not candidates:
        raise ValueError("an election needs at least one candidate")


def check_seats(seats: int) -> None:
    """Raise ``ValueError`` unless at least one seat is to be filled."""
    if seats < 1:
        raise ValueError(f"at least one seat must be filled, not {seats}")


def strict_sequences(
    groups: Iterable[RankedGroup], withdrawn: frozenset[int] = frozenset()
) -> tuple[dict[StrictSequence, int], int]:
    """Reduce ranked groups to strict preference sequences, as the STV and IRV rules read them.

    Withdrawn candidates are struck off every ballot first. A ballot whose first remaining rank
    holds several candidates has no unambiguous first preference and is invalid, as both the
    Scottish and the New Zealand rules reject such a paper; a later equal rank ends the ballot
    there, because no next preference can be read from it. Empty ballots are invalid too.

    Returns the merged sequences with their counts, and the number of invalid ballots.
    """
    sequences: dict[StrictSequence, int] = {}
    invalid = 0
    for ballot, count in groups:
        sequence = tuple(chain.from_iterable(ballot))
        # One candidate per rank and none withdrawn (the usual case): the ballot is the sequence.
        if len(sequence) != len(ballot) or (withdrawn and not withdrawn.isdisjoint(sequence)):
            sequence = _strict_prefix(ballot, withdrawn)
        if sequence:
            sequences[sequence] = sequences.get(sequence, 0) + count
        else:
            invalid += count
    return sequences, invalid


def _strict_prefix(ballot: RankedBallot, withdrawn: frozenset[int]) -> StrictSequence:
    prefix: list[int] = []
    for rank in ballot:
        remaining = rank - withdrawn
        if len(remaining) > 1:
            break
        prefix.extend(remaining)
    return tuple(prefix)


def prepare_marks(
    groups: Iterable[MarkGroup], num_candidates: int
) -> tuple[tuple[MarkGroup, ...], int]:
    """Validate approval/plurality marks and merge identical ones; count blank ballots apart.

    Returns the non-blank groups in canonical order, and the number of blank ballots.
    """
    merged: Counter[frozenset[int]] = Counter()
    blank = 0
    for marks, count in groups:
        _check_count(count)
        for candidate in marks:
            check_candidate(candidate, num_candidates)
        if marks:
            merged[frozenset(marks)] += count
        else:
            blank += count
    ordered = sorted(merged.items(), key=lambda item: sorted(item[0]))
    return tuple((marks, count) for marks, count in ordered if count), blank
