"""Instant-runoff voting (the alternative vote): one seat, ranked ballots.

Rules: preferential voting as described in Robert's Rules of Order Newly Revised, 12th
edition (2020), section 45 ("Preferential voting"), which is the single-seat case of STV with
whole votes:

- each ballot counts for its highest-ranked continuing candidate;
- a candidate holding more than half of the ballots still counting (those not exhausted)
  wins;
- otherwise the candidate with the fewest votes is excluded and their ballots pass to their
  next continuing preference; a ballot with none left is exhausted and stops counting;
- if a single candidate remains, they win.

A tie for exclusion is resolved as in the Scottish STV rules (r. 51): the tied candidate with
fewer votes at the most recent earlier round at which their votes differed is excluded,
otherwise the seeded lot decides. A ballot with an equal first rank has no first preference
and is invalid; a later equal rank ends the ballot there.

Each distinct ballot waits in the pile of the candidate it currently counts for, and is
re-read only when that candidate is excluded, so the whole count reads each distinct ballot
once.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from .ballots import RankedGroup, StrictSequence, check_candidates, prepare_ranked, strict_sequences
from .results import Serialisable, TieBreak
from .tiebreak import break_by_history


class IrvOutcome(enum.StrEnum):
    """Why a round ended as it did."""

    MAJORITY = "more than half of the continuing votes"
    LAST_CANDIDATE = "the only continuing candidate"
    EXCLUSION = "no majority: the candidate with the fewest votes is excluded"


@dataclass(frozen=True)
class IrvRound(Serialisable):
    """One round: the votes and ballots exhausted at its start, and what happened.

    ``transfers`` (negative for the excluded candidate) and ``newly_exhausted`` describe the
    exclusion that ended the round, if any.
    """

    number: int
    votes: tuple[int, ...]
    continuing_total: int
    exhausted: int
    outcome: IrvOutcome
    winner: int | None
    excluded: int | None
    transfers: tuple[int, ...]
    newly_exhausted: int
    tie: TieBreak | None


@dataclass(frozen=True)
class IrvResult(Serialisable):
    """The outcome and full trace of an instant-runoff count."""

    method: str
    candidates: tuple[str, ...]
    seed: str
    withdrawn: tuple[int, ...]
    valid_ballots: int
    invalid_ballots: int
    winner: int | None
    rounds: tuple[IrvRound, ...]


class _Count:
    def __init__(
        self, n: int, sequences: dict[StrictSequence, int], withdrawn: frozenset[int], seed: str
    ) -> None:
        self.n = n
        self.seed = seed
        self.sequences = list(sequences)
        self.counts = list(sequences.values())
        self.cursor = [0] * len(self.sequences)
        self.continuing = [c not in withdrawn for c in range(n)]
        self.piles: list[list[int]] = [[] for _ in range(n)]
        self.votes = [0] * n
        self.exhausted = 0
        self.history: list[tuple[int, ...]] = []
        self.rounds: list[IrvRound] = []
        for index in range(len(self.sequences)):
            self._place(index)

    def _place(self, index: int) -> int:
        """Move ballot ``index`` to its next continuing preference; return who got it (or -1)."""
        sequence = self.sequences[index]
        position = self.cursor[index]
        while position < len(sequence) and not self.continuing[sequence[position]]:
            position += 1
        self.cursor[index] = position
        if position == len(sequence):
            self.exhausted += self.counts[index]
            return -1
        candidate = sequence[position]
        self.piles[candidate].append(index)
        self.votes[candidate] += self.counts[index]
        return candidate

    def run(self) -> int | None:
        while True:
            winner = self._round()
            if winner is not None or not any(self.continuing):
                return winner

    def _round(self) -> int | None:
        number = len(self.rounds) + 1
        votes = tuple(self.votes)
        self.history.append(votes)
        hopeful = [c for c in range(self.n) if self.continuing[c]]
        total = sum(votes[c] for c in hopeful)
        start = (number, votes, total, self.exhausted)
        leader = max(hopeful, key=lambda c: (votes[c], -c))
        if len(hopeful) == 1 or 2 * votes[leader] > total:
            outcome = IrvOutcome.LAST_CANDIDATE if len(hopeful) == 1 else IrvOutcome.MAJORITY
            self._record(*start, outcome, winner=leader)
            return leader
        loser, tie = self._choose_loser(hopeful, votes, number)
        self._exclude(loser)
        self._record(*start, IrvOutcome.EXCLUSION, excluded=loser, tie=tie)
        return None

    def _record(
        self,
        number: int,
        votes: tuple[int, ...],
        total: int,
        exhausted: int,
        outcome: IrvOutcome,
        *,
        winner: int | None = None,
        excluded: int | None = None,
        tie: TieBreak | None = None,
    ) -> None:
        """Log a round; ``votes`` and ``exhausted`` are as they stood when it began."""
        transfers = tuple(now - then for now, then in zip(self.votes, votes, strict=True))
        newly_exhausted = self.exhausted - exhausted
        self.rounds.append(
            IrvRound(
                number=number,
                votes=votes,
                continuing_total=total,
                exhausted=exhausted,
                outcome=outcome,
                winner=winner,
                excluded=excluded,
                transfers=transfers,
                newly_exhausted=newly_exhausted,
                tie=tie,
            )
        )

    def _choose_loser(
        self, hopeful: list[int], votes: tuple[int, ...], number: int
    ) -> tuple[int, TieBreak | None]:
        lowest = min(votes[c] for c in hopeful)
        tied = [c for c in hopeful if votes[c] == lowest]
        if len(tied) == 1:
            return tied[0], None
        tie = break_by_history(
            tied, self.history[:-1], pick_lowest=True, backwards=True,
            seed=self.seed, purpose=f"exclusion in round {number}",
        )  # fmt: skip
        return tie.chosen, tie

    def _exclude(self, loser: int) -> None:
        self.continuing[loser] = False
        self.votes[loser] = 0
        for index in self.piles[loser]:
            self._place(index)
        self.piles[loser] = []


def count_irv(
    candidates: Sequence[str],
    ballots: Iterable[RankedGroup],
    *,
    seed: str,
    withdrawn: frozenset[int] = frozenset(),
) -> IrvResult:
    """Count ranked ballots by instant-runoff for one seat (see the module docstring).

    ``ballots`` are ``(ballot, count)`` groups. With no valid ballot at all every candidate
    ties at zero and the lot decides, as the rules say. ``winner`` is ``None`` only when
    every candidate is withdrawn. Raises ``BallotError`` for malformed ballots.
    """
    check_candidates(candidates)
    groups = prepare_ranked(ballots, len(candidates))
    sequences, invalid = strict_sequences(groups.items(), withdrawn)
    count = _Count(len(candidates), sequences, withdrawn, seed)
    winner = count.run() if any(count.continuing) else None
    return IrvResult(
        method="instant-runoff (RONR 12th ed., s. 45, preferential voting)",
        candidates=tuple(candidates),
        seed=seed,
        withdrawn=tuple(sorted(withdrawn)),
        valid_ballots=sum(sequences.values()),
        invalid_ballots=invalid,
        winner=winner,
        rounds=tuple(count.rounds),
    )
