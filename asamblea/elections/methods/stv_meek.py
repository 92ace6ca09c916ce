"""Single transferable vote by Meek's method, with New Zealand's fixed-point arithmetic.

Rules: I. D. Hill, B. A. Wichmann and D. R. Woodall, "Algorithm 123 - Single Transferable
Vote by Meek's method", The Computer Journal 30(3), 1987, pp. 277-281 (the method the
Electoral Reform Society published), with the arithmetic, quota and tie rules of the
"New Zealand method of counting single transferable votes", Local Electoral Regulations
2001 (SR 2001/145), Schedule 1A, inserted by the Local Electoral Amendment Regulations 2003
(SR 2003/391), used in New Zealand local elections since 2004.

Every candidate has a keep value: 1 while hopeful, 0 once excluded, and below 1 once
elected. Each ballot starts with one vote; going down its preferences, each candidate keeps
the ballot's remaining value times their keep value, and passes the rest on. What no
candidate keeps is non-transferable. Then, in one iteration:

1. the quota is ``(valid ballots - non-transferable) / (seats + 1)``, truncated to nine
   decimal places, plus 0.000000001;
2. a hopeful candidate whose votes reach the quota is elected;
3. each elected candidate's keep value becomes ``keep x quota / votes``, so that every
   elected candidate ends up holding just the quota.

Iterations repeat until the total surplus of the elected is below 0.0001 or stops falling
(the votes are then as settled as nine decimals allow); the hopeful candidate with the
fewest votes is then excluded and the iterations resume. The count ends when the seats are
filled, or when the hopeful candidates are no more than the seats left, who are then elected.

Arithmetic: every value is an integer number of 10**-9 votes. The share a candidate keeps,
``value x keep``, is rounded up to the next 10**-9, and the ballot passes on exactly the
remainder, so no value is created or lost by rounding; the new keep value, ``keep x quota``
then ``/ votes``, is rounded up at each step. The Schedule's text rounds the passed-on part
up as well; the New Zealand STV calculator and Hill's programs pass on the exact remainder,
and this module follows them. The 0.0001 surplus limit and the two-step rounding of keep
values are the Schedule's as read by OpenSTV's MeekNZSTV; the "stops falling" test is a
safeguard of this module against a surplus that nine decimals cannot reduce further.

Ties for exclusion are resolved "ahead at first difference" (Schedule 1A Part 5): the tied
candidate with fewer votes at the earliest round at which their votes differed is excluded;
if they never differed, by lot. The lot here is the seeded SHA-256 draw of ``tiebreak``
rather than Schedule 1A's own pseudo-random generator, so that the seed recorded before the
count decides every draw.

A ballot is reduced, at any moment, to the elected candidates it passes through and the first
hopeful candidate it reaches; ballots that agree on that are counted together. A ballot is only
re-read when its first hopeful candidate is elected or excluded, so the whole count reads each
distinct ballot once, and each iteration costs only the number of distinct reduced ballots.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from .ballots import (
    RankedGroup,
    StrictSequence,
    check_candidates,
    check_seats,
    prepare_ranked,
    strict_sequences,
)
from .results import Serialisable, TieBreak, fixed, fixed_all
from .tiebreak import break_by_history

PLACES = 9
ONE = 10**PLACES
#: Iterations stop once the total surplus is below this (0.0001 vote).
SURPLUS_LIMIT = ONE // 10_000
#: Safety net: an iteration cap far above what nine-decimal arithmetic ever needs.
MAX_ITERATIONS = 10_000

_EXHAUSTED = -1


class RoundEnd(enum.StrEnum):
    """Why a round of iterations ended."""

    ELECTED = "a candidate reached the quota"
    SURPLUS_SMALL = "total surplus below 0.0001"
    SURPLUS_STABLE = "total surplus stopped falling"
    ITERATION_LIMIT = "iteration limit reached"


class ElectedBecause(enum.StrEnum):
    """Why a candidate was elected."""

    QUOTA = "reached the quota"
    LAST_VACANCIES = "hopeful candidates no more than the seats left"


@dataclass(frozen=True)
class Round(Serialisable):
    """A round: iterations until someone is elected or the surplus settles, then its outcome.

    ``reason`` says in words what the round decided (who was elected or excluded, and why).
    """

    number: int
    iterations: int
    ended: RoundEnd
    reason: str
    quota: Decimal
    votes: tuple[Decimal, ...]
    keep_values: tuple[Decimal, ...]
    non_transferable: Decimal
    surplus: Decimal
    elected: tuple[int, ...]
    excluded: int | None
    tie: TieBreak | None


@dataclass(frozen=True)
class Elected(Serialisable):
    """A candidate elected, in which round, and why."""

    candidate: int
    round: int
    because: ElectedBecause


@dataclass(frozen=True)
class MeekStvResult(Serialisable):
    """The outcome and full trace of a Meek STV count."""

    method: str
    candidates: tuple[str, ...]
    seats: int
    seed: str
    withdrawn: tuple[int, ...]
    valid_ballots: int
    invalid_ballots: int
    elected: tuple[Elected, ...]
    excluded: tuple[int, ...]
    rounds: tuple[Round, ...]

    @property
    def winners(self) -> tuple[int, ...]:
        """Elected candidates in order of election."""
        return tuple(e.candidate for e in self.elected)


class _Reduced:
    """Ballots reduced to (elected candidates passed through, first hopeful reached).

    ``waiting[c]`` lists the distinct ballots whose first hopeful candidate is ``c``; when ``c``
    is elected or excluded only those are re-read, from where they stopped.
    """

    def __init__(self, sequences: dict[StrictSequence, int], hopeful: list[bool]) -> None:
        self.sequences = list(sequences)
        self.counts = list(sequences.values())
        self.cursor = [0] * len(self.sequences)
        self.passed: list[tuple[int, ...]] = [()] * len(self.sequences)
        self.groups: dict[tuple[tuple[int, ...], int], int] = {}
        self.waiting: dict[int, list[int]] = {}
        for index in range(len(self.sequences)):
            self._advance(index, hopeful, elected=frozenset())

    def reread(self, candidate: int, hopeful: list[bool], elected: frozenset[int]) -> None:
        """Re-read the ballots waiting at ``candidate``, who is no longer hopeful."""
        for index in self.waiting.pop(candidate, []):
            key = (self.passed[index], candidate)
            self.groups[key] -= self.counts[index]
            if not self.groups[key]:
                del self.groups[key]
            self._advance(index, hopeful, elected)

    def _advance(self, index: int, hopeful: list[bool], elected: frozenset[int]) -> None:
        sequence = self.sequences[index]
        position = self.cursor[index]
        passed = self.passed[index]
        while position < len(sequence) and not hopeful[sequence[position]]:
            if sequence[position] in elected:
                passed += (sequence[position],)
            position += 1
        stop = sequence[position] if position < len(sequence) else _EXHAUSTED
        self.cursor[index], self.passed[index] = position, passed
        self.groups[(passed, stop)] = self.groups.get((passed, stop), 0) + self.counts[index]
        if stop != _EXHAUSTED:
            self.waiting.setdefault(stop, []).append(index)


class _Count:
    """The mutable state of one Meek count; ``run`` performs it."""

    def __init__(
        self,
        candidates: Sequence[str],
        seats: int,
        sequences: dict[StrictSequence, int],
        withdrawn: frozenset[int],
        seed: str,
    ) -> None:
        self.n = len(candidates)
        self.seats = seats
        self.seed = seed
        self.hopeful = [c not in withdrawn for c in range(self.n)]
        self.keep = [ONE if self.hopeful[c] else 0 for c in range(self.n)]
        self.valid = sum(sequences.values())
        self.ballots = _Reduced(sequences, self.hopeful)
        self.elected: list[Elected] = []
        self.excluded: list[int] = []
        self.rounds: list[Round] = []
        self.history: list[tuple[int, ...]] = []

    def run(self) -> list[Round]:
        """Count round by round until the seats are filled."""
        while len(self.elected) < self.seats:
            # The first round always runs, so even a count with no contest shows its votes.
            if self.rounds and self._fill_last_vacancies():
                break
            self._round()
        return self.rounds

    def _fill_last_vacancies(self) -> bool:
        hopeful = [c for c in range(self.n) if self.hopeful[c]]
        if len(hopeful) > self.seats - len(self.elected):
            return False
        number = len(self.rounds)
        votes = self.history[-1]
        for candidate in sorted(hopeful, key=lambda c: (-votes[c], c)):
            self._elect(candidate, number, ElectedBecause.LAST_VACANCIES)
        return True

    def _round(self) -> None:
        number = len(self.rounds) + 1
        previous_surplus: int | None = None
        for iteration in range(1, MAX_ITERATIONS + 1):
            votes, excess = self._distribute()
            quota = (self.valid * ONE - excess) // (self.seats + 1) + 1
            reached = self._reaching(votes, quota)
            surplus = sum(max(0, votes[c] - quota) for c in self._elected_set())
            if reached:
                ended = RoundEnd.ELECTED
            elif surplus < SURPLUS_LIMIT:
                ended = RoundEnd.SURPLUS_SMALL
            elif previous_surplus is not None and surplus >= previous_surplus:
                ended = RoundEnd.SURPLUS_STABLE
            elif iteration == MAX_ITERATIONS:
                ended = RoundEnd.ITERATION_LIMIT
            else:
                self._update_keep_values(votes, quota)
                previous_surplus = surplus
                continue
            self._end_round(number, iteration, ended, votes, quota, excess, surplus, reached)
            return

    def _distribute(self) -> tuple[list[int], int]:
        """Share every reduced ballot among the candidates by keep value (rounded up)."""
        keep = self.keep
        votes = [0] * self.n
        excess = 0
        for (passed, stop), count in self.ballots.groups.items():
            value = ONE
            for candidate in passed:
                kept = -(-value * keep[candidate] // ONE)
                votes[candidate] += kept * count
                value -= kept
            if stop == _EXHAUSTED:
                excess += value * count
            else:
                votes[stop] += value * count
        return votes, excess

    def _reaching(self, votes: list[int], quota: int) -> list[int]:
        reached = [c for c in range(self.n) if self.hopeful[c] and votes[c] >= quota]
        reached.sort(key=lambda c: (-votes[c], c))
        # With this quota no more candidates than seats can reach it; the cut only guards
        # against rounding at the very edge, keeping the candidates with the most votes.
        return reached[: self.seats - len(self.elected)]

    def _elected_set(self) -> frozenset[int]:
        return frozenset(e.candidate for e in self.elected)

    def _update_keep_values(self, votes: list[int], quota: int) -> None:
        for candidate in self._elected_set():
            if votes[candidate] > 0:
                scaled = -(-self.keep[candidate] * quota // ONE)
                self.keep[candidate] = -(-scaled * ONE // votes[candidate])

    def _end_round(
        self,
        number: int,
        iterations: int,
        ended: RoundEnd,
        votes: list[int],
        quota: int,
        excess: int,
        surplus: int,
        reached: list[int],
    ) -> None:
        self.history.append(tuple(votes))
        excluded, tie = None, None
        for candidate in reached:
            self._elect(candidate, number, ElectedBecause.QUOTA)
        if not reached and len(self.elected) < self.seats and not self._few_enough_hopeful():
            excluded, tie = self._exclude_lowest(votes, number)
        self.rounds.append(
            Round(
                number=number,
                iterations=iterations,
                ended=ended,
                reason=_reason(reached, excluded, tie),
                quota=fixed(quota, PLACES),
                votes=fixed_all(votes, PLACES),
                keep_values=fixed_all(self.keep, PLACES),
                non_transferable=fixed(excess, PLACES),
                surplus=fixed(surplus, PLACES),
                elected=tuple(reached),
                excluded=excluded,
                tie=tie,
            )
        )

    def _few_enough_hopeful(self) -> bool:
        return sum(self.hopeful) <= self.seats - len(self.elected)

    def _elect(self, candidate: int, number: int, because: ElectedBecause) -> None:
        self.hopeful[candidate] = False
        self.elected.append(Elected(candidate, number, because))
        self.ballots.reread(candidate, self.hopeful, self._elected_set())

    def _exclude_lowest(self, votes: list[int], number: int) -> tuple[int, TieBreak | None]:
        hopeful = [c for c in range(self.n) if self.hopeful[c]]
        lowest = min(votes[c] for c in hopeful)
        tied = [c for c in hopeful if votes[c] == lowest]
        tie = None
        if len(tied) > 1:
            purpose = f"exclusion in round {number}"
            tie = break_by_history(
                tied, self.history[:-1], pick_lowest=True, backwards=False,
                seed=self.seed, purpose=purpose,
            )  # fmt: skip
        loser = tie.chosen if tie else tied[0]
        self.hopeful[loser] = False
        self.keep[loser] = 0
        self.excluded.append(loser)
        self.ballots.reread(loser, self.hopeful, self._elected_set())
        return loser, tie


def _reason(reached: list[int], excluded: int | None, tie: TieBreak | None) -> str:
    if reached:
        return "reached the quota: " + ", ".join(map(str, reached))
    if excluded is None:
        return "no exclusion needed: the hopeful candidates fill the seats left"
    if tie is None:
        return f"fewest votes: {excluded} excluded"
    return f"equal fewest votes, resolved by {tie.method.value}: {excluded} excluded"


def count_meek_stv(
    candidates: Sequence[str],
    ballots: Iterable[RankedGroup],
    seats: int,
    *,
    seed: str,
    withdrawn: frozenset[int] = frozenset(),
) -> MeekStvResult:
    """Count ranked ballots by Meek's method (see the module docstring).

    ``ballots`` are ``(ballot, count)`` groups; a ballot is read up to its first equal rank.
    Withdrawn candidates are treated as excluded before the count. ``seed`` decides any tie
    the rules leave to lot. Raises ``BallotError`` for malformed ballots and ``ValueError``
    for fewer than one seat.
    """
    check_candidates(candidates)
    check_seats(seats)
    groups = prepare_ranked(ballots, len(candidates))
    sequences, invalid = strict_sequences(groups.items(), withdrawn)
    count = _Count(candidates, seats, sequences, withdrawn, seed)
    rounds = count.run()
    return MeekStvResult(
        method="Meek STV (Hill, Wichmann & Woodall 1987; NZ Local Electoral Regulations "
        "2001 Sch. 1A arithmetic)",
        candidates=tuple(candidates),
        seats=seats,
        seed=seed,
        withdrawn=tuple(sorted(withdrawn)),
        valid_ballots=count.valid,
        invalid_ballots=invalid,
        elected=tuple(count.elected),
        excluded=tuple(count.excluded),
        rounds=tuple(rounds),
    )
