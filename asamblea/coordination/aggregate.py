"""Adding up the decisions of many bodies. Pure Python: no Django.

Everything a coordination counts is here, so it can be read and tested on its own:

* **the body graph**: bodies affiliate to coordinating bodies and form a directed acyclic graph;
  :func:`creates_cycle` refuses an affiliation that would close a loop, and
  :func:`base_assemblies` walks a coordination down to its base assemblies (each once, even when
  it is reached through two coordinations).
* **weights frozen at opening**: :func:`freeze_weights` copies the weights a vote or a
  consultation starts with; later changes of membership do not move them.
* **delegate votes in a coordination** (:func:`delegate_tally`): under every weighting each
  member body carries a weight (1 for one body one vote, its verified active membership for
  weighted and split) shared equally between its delegate seats. A delegate casts yes, no or
  abstain with the seat's whole share; under *split* the delegate casts the base's own
  yes / no / abstain counts instead, scaled by the seat's share of the body. A seat whose delegate
  was recalled counts nothing.
* **mandates**: :func:`diverges` says whether a delegate's vote departs from the body's mandate;
  :func:`mandated_choice` is what a binding mandate casts.
* **consultations** (:func:`aggregate`): one motion decided by many base assemblies, added up
  under a rule fixed when it opened:

  - ``head_count``: every individual ballot counts once, with its elector's vote weight (as in
    any poll); the electorate is the sum of the assemblies' frozen electorates in the same
    units: each elector of the vote that decided an assembly weighing more than 1 adds its
    weight above 1 (``BodyResult.extra_weight``).
  - ``majority_of_bodies``: each assembly that decided counts one for its position; the
    electorate is the number of assemblies.
  - ``weighted``: each assembly counts its frozen weight (verified active membership at
    opening) for its position; the electorate is the sum of the weights.

  An assembly's *position* is yes when it cast more yes than no, no when more no than yes, and
  abstain otherwise (a tie, or only abstentions). An assembly that did not decide counts towards
  the electorate but casts nothing, so it weighs on the quorum. The quorum and majority rules of
  :mod:`asamblea.voting.rules` then decide, for the whole and for every breakdown (by member body,
  by sector, by region) alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from types import MappingProxyType
from typing import Any, TypeVar

from asamblea.voting.rules import Majority, Outcome, Tally, decide

K = TypeVar("K", bound=Hashable)
CHOICES = ("yes", "no", "abstain")


class Weighting(StrEnum):
    """How a coordination's statute weighs its delegates' votes."""

    ONE_BODY_ONE_VOTE = "body"
    MEMBERSHIP = "membership"
    SPLIT = "split"


class Rule(StrEnum):
    """How a consultation adds up its assemblies' decisions (fixed when it opens)."""

    HEAD_COUNT = "head_count"
    MAJORITY_OF_BODIES = "majority_of_bodies"
    WEIGHTED = "weighted"


class Position(StrEnum):
    """A body's mandate for its delegates on one motion."""

    FOR = "for"
    AGAINST = "against"
    ABSTAIN = "abstain"
    FREE = "free"


class CycleError(ValueError):
    """An affiliation would make a body (indirectly) a member of itself."""


# --- The body graph --------------------------------------------------------------------------


def creates_cycle(parents: Mapping[int, Iterable[int]], member: int, coordination: int) -> bool:
    """Whether affiliating ``member`` to ``coordination`` would close a loop.

    ``parents`` maps each body to the coordinations it already belongs to. A loop appears when
    ``member`` is ``coordination`` itself or already one of its (indirect) coordinations.
    """
    if member == coordination:
        return True
    seen: set[int] = set()
    stack = [coordination]
    while stack:
        current = stack.pop()
        if current == member:
            return True
        if current in seen:
            continue
        seen.add(current)
        stack.extend(parents.get(current, ()))
    return False


def check_affiliation(parents: Mapping[int, Iterable[int]], member: int, coordination: int) -> None:
    """Raise :class:`CycleError` when :func:`creates_cycle` says so."""
    if creates_cycle(parents, member, coordination):
        raise CycleError(f"body {member} cannot join {coordination}: it would close a cycle")


def base_assemblies(
    members: Mapping[int, Iterable[int]], root: int, is_assembly: Mapping[int, bool]
) -> dict[int, int]:
    """Every base assembly under ``root``, each mapped to the direct member body of ``root``
    through which it was first reached (for the breakdown by member body).

    ``members`` maps each coordinating body to its member bodies. Assemblies reached through two
    paths are counted once; the graph is acyclic, and ``seen`` guards against bad data anyway.
    """
    found: dict[int, int] = {}
    seen: set[int] = {root}
    for top in sorted(members.get(root, ())):
        stack = [top]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            if is_assembly.get(current, False):
                found[current] = top
            else:
                stack.extend(sorted(members.get(current, ()), reverse=True))
    return found


# --- Weights ---------------------------------------------------------------------------------


def body_weight(weighting: Weighting, active_members: int) -> int:
    """A member body's weight in its coordination's votes under ``weighting``."""
    if active_members < 0:
        raise ValueError("a membership count cannot be negative")
    return 1 if weighting is Weighting.ONE_BODY_ONE_VOTE else active_members


def freeze_weights(weighting: Weighting, active_members: Mapping[K, int]) -> Mapping[K, int]:
    """The weights of every body at opening, as a read-only copy: later changes of
    membership (the mapping it was made from) cannot move them."""
    return MappingProxyType({key: body_weight(weighting, n) for key, n in active_members.items()})


# --- Delegate votes and mandates -------------------------------------------------------------


@dataclass(frozen=True)
class SeatVote:
    """One delegate seat in a coordination vote.

    ``share`` is the seat's part of its body's weight (frozen at opening). ``choice`` is None when
    the delegate has not voted or was recalled (``recalled`` True). ``split`` holds the base's own
    (yes, no, abstain) counts under split weighting; they may not exceed ``cap``, the body's
    frozen membership.
    """

    body: int
    share: Fraction
    choice: str | None = None
    split: tuple[int, int, int] | None = None
    cap: int = 0
    recalled: bool = False


def seat_shares(weights: Mapping[int, int], seats: Mapping[int, int]) -> dict[int, Fraction]:
    """Each body's weight divided equally between its seats: the share of one seat."""
    return {
        body: Fraction(weight, seats[body]) for body, weight in weights.items() if seats.get(body)
    }


def check_split(counts: tuple[int, int, int], cap: int) -> None:
    if len(counts) != 3 or min(counts) < 0:
        raise ValueError("split counts are three numbers, none negative")
    if sum(counts) > cap:
        raise ValueError("split counts exceed the body's membership at opening")


def seat_tally(seat: SeatVote) -> Tally:
    """What one seat adds to the coordination's tally."""
    if seat.recalled or (seat.choice is None and seat.split is None):
        return Tally()
    if seat.split is not None:
        check_split(seat.split, seat.cap)
        if seat.cap == 0:
            return Tally()
        scale = seat.share / seat.cap
        yes, no, abstain = seat.split
        return Tally(yes * scale, no * scale, abstain * scale)
    if seat.choice not in CHOICES:
        raise ValueError(f"unknown choice: {seat.choice!r}")
    return Tally(**{str(seat.choice): seat.share})


def delegate_tally(seats: Iterable[SeatVote]) -> Tally:
    """The coordination's tally: the sum of its seats' tallies (recalled seats add nothing)."""
    total = Tally()
    for seat in seats:
        total = total + seat_tally(seat)
    return total


def delegate_outcome(seats: Sequence[SeatVote], quorum: Fraction, majority: Majority) -> Outcome:
    """Decide a coordination vote. The electorate is the whole frozen weight of the seats."""
    electorate = sum((seat.share for seat in seats), Fraction(0))
    return decide(delegate_tally(seats), electorate, quorum, majority)


_POSITION_CHOICE = {Position.FOR: "yes", Position.AGAINST: "no", Position.ABSTAIN: "abstain"}


def position_of(yes: int | Fraction, no: int | Fraction) -> str:
    """A body's position from its counts: yes, no, or abstain on a tie."""
    return "yes" if yes > no else "no" if no > yes else "abstain"


def vote_direction(choice: str | None, split: tuple[int, int, int] | None) -> str | None:
    """Which way a delegate voted: their choice, or the position of their split counts."""
    if split is not None:
        return position_of(split[0], split[1])
    return choice


def diverges(
    mandate: Position | None, choice: str | None, split: tuple[int, int, int] | None = None
) -> bool:
    """Whether a delegate's vote departs from the mandate. A free (or absent) mandate, or no
    vote yet, never diverges."""
    direction = vote_direction(choice, split)
    if mandate is None or mandate is Position.FREE or direction is None:
        return False
    return direction != _POSITION_CHOICE[mandate]


def mandated_choice(mandate: Position | None, binding: bool, requested: str) -> str:
    """The choice actually cast: a binding mandate (other than free) casts as mandated."""
    if binding and mandate is not None and mandate is not Position.FREE:
        return _POSITION_CHOICE[mandate]
    return requested


def position_from_tally(yes: int, no: int) -> Position:
    """The mandate a body's own vote gives its delegates (a tie gives abstain)."""
    return {"yes": Position.FOR, "no": Position.AGAINST, "abstain": Position.ABSTAIN}[
        position_of(yes, no)
    ]


# --- Consultations ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BodyResult:
    """One base assembly in a consultation, with everything frozen when it opened.

    ``decided`` is False until the assembly has decided (by any means); its counts are then
    the individual yes / no / abstain of its members, each with their vote weight, at most
    ``weighted_electorate`` in all: the frozen ``electorate`` (people) plus ``extra_weight``,
    the weight above 1 of the electors of the vote that decided (0 when everyone weighs 1).
    """

    body: int
    electorate: int
    weight: int
    member_of: int = 0
    sectors: tuple[str, ...] = ()
    region: str = ""
    decided: bool = False
    yes: int = 0
    no: int = 0
    abstain: int = 0
    participants: int = 0
    extra_weight: int = 0

    def __post_init__(self) -> None:
        values = (self.electorate, self.weight, self.yes, self.no, self.abstain, self.extra_weight)
        if min(values) < 0:
            raise ValueError("counts and weights cannot be negative")
        if self.yes + self.no + self.abstain > self.weighted_electorate:
            raise ValueError(f"body {self.body}: more ballots than electors")

    @property
    def weighted_electorate(self) -> int:
        """The electorate in the units of the counts (vote weights)."""
        return self.electorate + self.extra_weight

    @property
    def position(self) -> str | None:
        return position_of(self.yes, self.no) if self.decided else None


@dataclass(frozen=True)
class Group:
    """The aggregated result of a set of assemblies (the whole, or one breakdown)."""

    key: str
    bodies: int
    decided: int
    electorate_people: int
    participants: int
    outcome: Outcome

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "bodies": self.bodies,
            "decided": self.decided,
            "electorate_people": self.electorate_people,
            "participants": self.participants,
        } | self.outcome.to_dict()


@dataclass(frozen=True)
class Aggregate:
    rule: Rule
    total: Group
    by_body: list[Group] = field(default_factory=list)
    by_member: list[Group] = field(default_factory=list)
    by_sector: list[Group] = field(default_factory=list)
    by_region: list[Group] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Canonical, float-free form for the database and the ledger."""
        return {
            "rule": self.rule.value,
            "total": self.total.to_dict(),
            "by_body": [g.to_dict() for g in self.by_body],
            "by_member": [g.to_dict() for g in self.by_member],
            "by_sector": [g.to_dict() for g in self.by_sector],
            "by_region": [g.to_dict() for g in self.by_region],
        }


def _contribution(rule: Rule, result: BodyResult) -> tuple[Tally, int]:
    """What one assembly adds to the tally, and to the electorate, under ``rule``."""
    if rule is Rule.HEAD_COUNT:
        tally = Tally(result.yes, result.no, result.abstain) if result.decided else Tally()
        return tally, result.weighted_electorate
    unit = 1 if rule is Rule.MAJORITY_OF_BODIES else result.weight
    if not result.decided or result.position is None:
        return Tally(), unit
    return Tally(**{result.position: unit}), unit


def _group(
    key: str, results: Sequence[BodyResult], rule: Rule, quorum: Fraction, majority: Majority
) -> Group:
    tally, electorate = Tally(), 0
    people = participants = decided = 0
    for result in results:
        part, unit = _contribution(rule, result)
        tally = tally + part
        electorate += unit
        people += result.electorate
        participants += result.participants
        decided += result.decided
    return Group(
        key=key,
        bodies=len(results),
        decided=decided,
        electorate_people=people,
        participants=participants,
        outcome=decide(tally, electorate, quorum, majority),
    )


def _groups(
    buckets: Mapping[str, list[BodyResult]], rule: Rule, quorum: Fraction, majority: Majority
) -> list[Group]:
    return [_group(key, buckets[key], rule, quorum, majority) for key in sorted(buckets)]


def aggregate(
    results: Sequence[BodyResult], rule: Rule, quorum: Fraction, majority: Majority
) -> Aggregate:
    """Add up a consultation, with every breakdown (one pass to bucket, one decide per group).

    A body with several sectors appears in each of its sectors' breakdowns; a body with none
    appears under the empty key, as does a body without a region.
    """
    by_member: dict[str, list[BodyResult]] = defaultdict(list)
    by_sector: dict[str, list[BodyResult]] = defaultdict(list)
    by_region: dict[str, list[BodyResult]] = defaultdict(list)
    for result in results:
        by_member[str(result.member_of)].append(result)
        for sector in result.sectors or ("",):
            by_sector[sector].append(result)
        by_region[result.region].append(result)
    return Aggregate(
        rule=rule,
        total=_group("", results, rule, quorum, majority),
        by_body=[_group(str(r.body), [r], rule, quorum, majority) for r in results],
        by_member=_groups(by_member, rule, quorum, majority),
        by_sector=_groups(by_sector, rule, quorum, majority),
        by_region=_groups(by_region, rule, quorum, majority),
    )


@dataclass(frozen=True)
class Progress:
    """Live progress: how many bodies and people have decided (no partial choices)."""

    bodies: int
    bodies_decided: int
    people: int
    people_voted: int


def progress(
    rows: Iterable[tuple[str, int, bool, int]],
) -> Progress:
    """``rows`` are (key, electorate, decided, people who took part so far)."""
    bodies = decided = people = voted = 0
    for _key, electorate, is_decided, took_part in rows:
        bodies += 1
        decided += is_decided
        people += electorate
        voted += took_part
    return Progress(bodies, decided, people, voted)


def progress_by(
    rows: Iterable[tuple[Iterable[str], int, bool, int]],
) -> dict[str, Progress]:
    """Progress per key (a sector or a region); ``rows`` give each body's keys first."""
    buckets: dict[str, list[tuple[str, int, bool, int]]] = defaultdict(list)
    for keys, electorate, decided, took_part in rows:
        for key in list(keys) or [""]:
            buckets[key].append((key, electorate, decided, took_part))
    return {key: progress(buckets[key]) for key in sorted(buckets)}
