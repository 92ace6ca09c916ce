"""Single transferable vote by the Scottish local government rules.

Rules: The Scottish Local Government Elections Order 2007 (SSI 2007/42), Schedule 1, rules
45 to 52 ("Counting of votes"), as made; the same counting rules are carried into the
Scottish Local Government Elections Order 2011 (SSI 2011/399) and used at every Scottish
council election since 2007.

- r. 45, first stage: papers are sorted by first preference; each credits one vote.
- r. 46, quota: ``floor(valid papers / (seats + 1)) + 1``.
- r. 47: a candidate whose votes equal or exceed the quota is deemed elected.
- r. 48, surplus: *all* the papers the elected candidate holds are sorted by next available
  preference (a preference for a continuing candidate), and each transferred paper carries
  ``surplus x (value of the paper when received) / (candidate's total votes)``, calculated
  to five decimal places, any remainder ignored. (This is the weighted inclusive Gregory
  method: the surplus is not taken from the last parcel received, as under the Northern
  Ireland or ERS97 rules.) The candidate keeps exactly the quota.
- r. 49: the highest surplus is transferred first; equal surpluses are ordered by the most
  recent preceding stage at which the candidates' votes differed, then by lot.
- r. 50: when no surplus remains to transfer, the candidate with the fewest votes is
  excluded and all their papers pass on, in one stage, at the value at which they were
  received.
- r. 51: a tie for exclusion goes to the candidate with fewer votes at the most recent
  preceding stage at which the tied candidates differed, then to lot.
- r. 52: when the continuing candidates are no more than the vacancies left, they are all
  deemed elected and no further transfer is made.

A stage is the first count, one surplus transfer or one exclusion (art. 2, "stage of the
count"). Where three or more candidates tie, rules 49(2) and 51(2) are applied by narrowing:
at each earlier stage those no longer lowest (or highest) drop out of the tie.

Arithmetic is exact: votes are integers in units of 0.00001 vote. Ballots are grouped once
into a prefix tree of preference sequences, and every parcel is a whole subtree of that tree
held at one value, so a transfer costs work in proportion to the distinct ballot prefixes it
moves, never to the number of ballots; the tree only grows where papers actually move.
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

PLACES = 5
SCALE = 10**PLACES


class StageAction(enum.StrEnum):
    """What a stage of the count did."""

    FIRST_PREFERENCES = "first preferences"
    SURPLUS = "transfer of surplus"
    EXCLUSION = "exclusion"


class ElectedBecause(enum.StrEnum):
    """Why a candidate was deemed elected."""

    QUOTA = "reached the quota (rule 47)"
    LAST_VACANCIES = "continuing candidates no more than the vacancies left (rule 52)"


@dataclass(frozen=True)
class TransferValue(Serialisable):
    """Papers that were held at ``received`` and passed on at ``transferred`` (each a value)."""

    received: Decimal
    transferred: Decimal
    papers: int


@dataclass(frozen=True)
class Stage(Serialisable):
    """One stage of the count, with the state at its end.

    ``released`` is the value passed on: the surplus of the candidate whose papers were
    transferred, the votes of the excluded candidate, or all first preferences at stage 1.
    ``transfers`` is what each candidate gained; ``non_transferable`` what no one received
    (exhausted papers, and the fractions lost to truncation).
    """

    number: int
    action: StageAction
    subject: int | None
    reason: str
    released: Decimal
    transfer_values: tuple[TransferValue, ...]
    transfers: tuple[Decimal, ...]
    non_transferable: Decimal
    votes: tuple[Decimal, ...]
    non_transferable_total: Decimal
    elected: tuple[int, ...]
    tie: TieBreak | None


@dataclass(frozen=True)
class Elected(Serialisable):
    """A candidate deemed elected, the stage at whose end it happened, and why."""

    candidate: int
    stage: int
    because: ElectedBecause


@dataclass(frozen=True)
class ScottishStvResult(Serialisable):
    """The outcome and full trace of a Scottish STV count."""

    method: str
    candidates: tuple[str, ...]
    seats: int
    seed: str
    withdrawn: tuple[int, ...]
    valid_ballots: int
    invalid_ballots: int
    quota: int
    elected: tuple[Elected, ...]
    excluded: tuple[int, ...]
    stages: tuple[Stage, ...]

    @property
    def winners(self) -> tuple[int, ...]:
        """Elected candidates in order of election."""
        return tuple(e.candidate for e in self.elected)


class _Tree:
    """Preference sequences merged into a prefix tree, grown only where papers move.

    Node 0 is the root; every other node is a preference prefix, and ``through[n]`` counts
    the ballots whose sequence starts with it. A node's children are worked out the first
    time its papers pass on (most later preferences are never looked at), from ``members``:
    the sequences below it, which it then hands down to its children.
    """

    def __init__(self, sequences: dict[StrictSequence, int]) -> None:
        self.sequences = list(sequences)
        self.counts = list(sequences.values())
        self.candidate: list[int] = [-1]
        self.depth: list[int] = [0]
        self.through: list[int] = [sum(self.counts)]
        self.members: list[list[int]] = [list(range(len(self.sequences)))]
        self.branches: list[dict[int, int] | None] = [None]

    def children(self, node: int) -> dict[int, int]:
        """The children of ``node`` by candidate, created on first use."""
        branches = self.branches[node]
        if branches is None:
            branches = self._expand(node)
        return branches

    def _expand(self, node: int) -> dict[int, int]:
        depth = self.depth[node]
        branches: dict[int, int] = {}
        for index in self.members[node]:
            sequence = self.sequences[index]
            if len(sequence) == depth:
                continue  # the ballot ends here: it will be non-transferable
            child = branches.get(sequence[depth])
            if child is None:
                child = branches[sequence[depth]] = self._new_node(sequence[depth], depth + 1)
            self.members[child].append(index)
            self.through[child] += self.counts[index]
        self.members[node] = []
        self.branches[node] = branches
        return branches

    def _new_node(self, candidate: int, depth: int) -> int:
        self.candidate.append(candidate)
        self.depth.append(depth)
        self.through.append(0)
        self.members.append([])
        self.branches.append(None)
        return len(self.candidate) - 1


@dataclass
class _Movement:
    """What one transfer did: value gained per candidate, papers passed per value."""

    gains: list[int]
    papers: list[int]
    by_value: dict[tuple[int, int], int]


class _Count:
    """The mutable state of one count; ``run`` performs it and returns the result."""

    def __init__(
        self,
        candidates: Sequence[str],
        seats: int,
        sequences: dict[StrictSequence, int],
        withdrawn: frozenset[int],
        seed: str,
    ) -> None:
        self.names = tuple(candidates)
        self.n = len(candidates)
        self.seats = seats
        self.seed = seed
        self.tree = _Tree(sequences)
        self.valid = self.tree.through[0]
        self.quota = self.valid // (seats + 1) + 1
        self.quota_units = self.quota * SCALE
        self.continuing = [c not in withdrawn for c in range(self.n)]
        self.votes = [0] * self.n
        self.piles: list[list[tuple[int, int]]] = [[] for _ in range(self.n)]
        self.pending: list[int] = []
        self.elected: list[Elected] = []
        self.excluded: list[int] = []
        self.stages: list[Stage] = []
        self.history: list[tuple[int, ...]] = []
        self.non_transferable = 0

    def run(self) -> list[Stage]:
        """Count stage by stage until every vacancy is filled (rules 45 to 52)."""
        self._first_stage()
        while len(self.elected) < self.seats and not self._fill_last_vacancies():
            if self.pending:
                self._transfer_surplus()
            else:
                self._exclude_lowest()
        return self.stages

    def _first_stage(self) -> None:
        movement = self._new_movement()
        self._pass_on(0, SCALE, SCALE, movement)
        released = self.valid * SCALE
        self._record(StageAction.FIRST_PREFERENCES, None, "rule 45", movement, released, None)

    def _fill_last_vacancies(self) -> bool:
        hopeful = [c for c in range(self.n) if self.continuing[c]]
        if len(hopeful) > self.seats - len(self.elected):
            return False
        stage = len(self.stages)
        for candidate in sorted(hopeful, key=lambda c: (-self.votes[c], c)):
            self.continuing[candidate] = False
            self.elected.append(Elected(candidate, stage, ElectedBecause.LAST_VACANCIES))
        return True

    def _transfer_surplus(self) -> None:
        highest = max(self.votes[c] for c in self.pending)
        tied = [c for c in self.pending if self.votes[c] == highest]
        tie = None
        if len(tied) > 1:
            purpose = f"surplus to transfer first at stage {len(self.stages) + 1}"
            tie = break_by_history(
                tied, self.history[:-1], pick_lowest=False, backwards=True,
                seed=self.seed, purpose=purpose,
            )  # fmt: skip
        subject = tie.chosen if tie else tied[0]
        self.pending.remove(subject)
        total = self.votes[subject]
        surplus = total - self.quota_units
        movement = self._new_movement()
        for node, value in self.piles[subject]:
            self._pass_on(node, value, surplus * value // total, movement)
        self.piles[subject] = []
        self.votes[subject] = self.quota_units
        reason = "highest surplus (rule 49)" if tie is None else "equal highest surplus (rule 49)"
        self._record(StageAction.SURPLUS, subject, reason, movement, surplus, tie)

    def _exclude_lowest(self) -> None:
        hopeful = [c for c in range(self.n) if self.continuing[c]]
        lowest = min(self.votes[c] for c in hopeful)
        tied = [c for c in hopeful if self.votes[c] == lowest]
        tie = None
        if len(tied) > 1:
            purpose = f"exclusion at stage {len(self.stages) + 1}"
            tie = break_by_history(
                tied, self.history[:-1], pick_lowest=True, backwards=True,
                seed=self.seed, purpose=purpose,
            )  # fmt: skip
        subject = tie.chosen if tie else tied[0]
        self.continuing[subject] = False
        self.excluded.append(subject)
        held = self.votes[subject]
        movement = self._new_movement()
        for node, value in self.piles[subject]:
            self._pass_on(node, value, value, movement)
        self.piles[subject] = []
        self.votes[subject] = 0
        reason = "lowest votes (rule 50)" if tie is None else "equal lowest votes (rule 51)"
        self._record(StageAction.EXCLUSION, subject, reason, movement, held, tie)

    def _new_movement(self) -> _Movement:
        return _Movement([0] * self.n, [0] * self.n, {})

    def _pass_on(self, node: int, received: int, value: int, movement: _Movement) -> None:
        """Pass the papers below ``node`` to their next continuing preference at ``value``.

        Papers with no next available preference stay behind as non-transferable.
        """
        tree = self.tree
        stack = [node]
        passed = 0
        while stack:
            current = stack.pop()
            for candidate, child in tree.children(current).items():
                if self.continuing[candidate]:
                    papers = tree.through[child]
                    self.piles[candidate].append((child, value))
                    movement.gains[candidate] += papers * value
                    movement.papers[candidate] += papers
                    passed += papers
                else:
                    stack.append(child)
        key = (received, value)
        movement.by_value[key] = movement.by_value.get(key, 0) + passed

    def _record(
        self,
        action: StageAction,
        subject: int | None,
        reason: str,
        movement: _Movement,
        released: int,
        tie: TieBreak | None,
    ) -> None:
        """Credit the gains, deem elected who reached the quota, and log the stage."""
        for candidate, gain in enumerate(movement.gains):
            self.votes[candidate] += gain
        lost = released - sum(movement.gains)
        self.non_transferable += lost
        number = len(self.stages) + 1
        newly = self._deem_elected(number)
        self.history.append(tuple(self.votes))
        self.stages.append(
            Stage(
                number=number,
                action=action,
                subject=subject,
                reason=reason,
                released=fixed(released, PLACES),
                transfer_values=_transfer_values(movement.by_value),
                transfers=fixed_all(movement.gains, PLACES),
                non_transferable=fixed(lost, PLACES),
                votes=fixed_all(self.votes, PLACES),
                non_transferable_total=fixed(self.non_transferable, PLACES),
                elected=newly,
                tie=tie,
            )
        )

    def _deem_elected(self, stage: int) -> tuple[int, ...]:
        reached = [
            c for c in range(self.n) if self.continuing[c] and self.votes[c] >= self.quota_units
        ]
        # A Droop quota cannot be reached by more candidates than there are seats; the order
        # (most votes first) only fixes the order in which they are listed as elected.
        reached.sort(key=lambda c: (-self.votes[c], c))
        for candidate in reached:
            self.continuing[candidate] = False
            self.elected.append(Elected(candidate, stage, ElectedBecause.QUOTA))
            if self.votes[candidate] > self.quota_units:
                self.pending.append(candidate)
        return tuple(reached)


def _transfer_values(by_value: dict[tuple[int, int], int]) -> tuple[TransferValue, ...]:
    return tuple(
        TransferValue(fixed(received, PLACES), fixed(value, PLACES), papers)
        for (received, value), papers in sorted(by_value.items(), reverse=True)
        if papers
    )


def count_scottish_stv(
    candidates: Sequence[str],
    ballots: Iterable[RankedGroup],
    seats: int,
    *,
    seed: str,
    withdrawn: frozenset[int] = frozenset(),
) -> ScottishStvResult:
    """Count ranked ballots by the Scottish STV rules (see the module docstring).

    ``ballots`` are ``(ballot, count)`` groups. Withdrawn candidates are struck off every
    ballot before the count. ``seed`` decides any tie the rules leave to lot. Raises
    ``BallotError`` for malformed ballots and ``ValueError`` for fewer than one seat.
    """
    check_candidates(candidates)
    check_seats(seats)
    groups = prepare_ranked(ballots, len(candidates))
    sequences, invalid = strict_sequences(groups.items(), withdrawn)
    count = _Count(candidates, seats, sequences, withdrawn, seed)
    stages = count.run()
    return ScottishStvResult(
        method="Scottish STV (Scottish Local Government Elections Order 2007, Sch. 1 rr. 45-52)",
        candidates=count.names,
        seats=seats,
        seed=seed,
        withdrawn=tuple(sorted(withdrawn)),
        valid_ballots=count.valid,
        invalid_ballots=invalid,
        quota=count.quota,
        elected=tuple(count.elected),
        excluded=tuple(count.excluded),
        stages=tuple(stages),
    )
