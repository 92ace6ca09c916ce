"""When a conditional pledge triggers: the thresholds, evaluated over per-assembly counts.

Pure Python, no Django. A pledge says "we act if at least N people in at least K assemblies
commit, and at least P % of the members of each committing assembly" — any combination of the
three. The rule, precisely:

- An assembly **commits** when it committed as a whole by its own vote, or when its members'
  commitments reach P % of its members (rounded up; at least one commitment). Without P, one
  commitment makes an assembly commit. Members are counted by the assembly's statute (its
  active voting members) when the pledge opens.
- **People** (N) are those of committing assemblies only: each commitment there, or all the
  assembly's members when it committed as a whole (its commitments when more people committed
  than it had members at opening). Commitments in an assembly below P % bind nobody and count
  for nothing, so "at least P % of each committing assembly" never blocks a pledge: a small
  assembly that has not reached P % simply is not (yet) one of the committing ones.
- **Assemblies** (K) are the committing assemblies.
- The pledge triggers when every threshold it sets is met and at least one assembly commits.

Every part is monotone: one more commitment (or an assembly committing as a whole) can only
add an assembly to the committing ones or add people to them, so it never un-triggers a pledge
(tested by property in ``tests/test_thresholds.py``).

Breakdowns by sector and by region add up the people of every assembly in the group (committed,
whether or not the assembly reached P %); a group with fewer than :data:`MIN_GROUP` people is
shown as suppressed, never as a number, so a small group's members cannot be singled out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Groups (a sector, a region) with fewer committed people than this are not shown as a number.
MIN_GROUP = 5


@dataclass(frozen=True)
class Thresholds:
    people: int | None = None  # N
    assemblies: int | None = None  # K
    percent: int | None = None  # P, 1..100

    def __post_init__(self) -> None:
        if self.people is None and self.assemblies is None and self.percent is None:
            raise ValueError("a pledge needs at least one threshold")
        for value in (self.people, self.assemblies):
            if value is not None and value < 1:
                raise ValueError("thresholds are at least 1")
        if self.percent is not None and not 1 <= self.percent <= 100:
            raise ValueError("the percentage is between 1 and 100")


@dataclass(frozen=True)
class AssemblyCount:
    key: int
    members: int  # active voting members when the pledge opened
    committed: int  # individual commitments
    whole: bool = False  # committed as a whole by its own vote
    sectors: tuple[str, ...] = ()
    region: str = ""

    @property
    def people(self) -> int:
        """The people this assembly brings when it commits."""
        return max(self.members, self.committed) if self.whole else self.committed

    def commits(self, percent: int | None) -> bool:
        if self.whole:
            return self.people > 0
        if self.committed == 0:
            return False
        if percent is None:
            return True
        # committed / members >= percent / 100, in integers (ceil of P % of the members).
        return self.committed * 100 >= percent * self.members


@dataclass(frozen=True)
class Group:
    """A sector or a region: ``people`` is None when fewer than MIN_GROUP (suppressed)."""

    key: str
    people: int | None
    assemblies: int | None


@dataclass(frozen=True)
class Evaluation:
    met: bool
    people: int  # people of committing assemblies
    assemblies: int  # committing assemblies
    committed: int  # every commitment, committing assembly or not
    people_met: bool
    assemblies_met: bool
    committing: frozenset[int] = field(default_factory=frozenset)
    by_sector: tuple[Group, ...] = ()
    by_region: tuple[Group, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The canonical counts recorded in the ledger (no names, no persons)."""
        return {
            "met": self.met,
            "people": self.people,
            "assemblies": self.assemblies,
            "committed": self.committed,
        }


def evaluate(thresholds: Thresholds, rows: Iterable[AssemblyCount]) -> Evaluation:
    """Evaluate every threshold and every breakdown in one pass over the assemblies."""
    people = assemblies = committed = 0
    committing: set[int] = set()
    sectors: dict[str, list[int]] = {}
    regions: dict[str, list[int]] = {}
    for row in rows:
        committed += row.people if row.whole else row.committed
        brought = row.people
        if row.commits(thresholds.percent):
            people += brought
            assemblies += 1
            committing.add(row.key)
        if brought:
            for sector in row.sectors:
                _add(sectors, sector, brought)
            if row.region:
                _add(regions, row.region, brought)
    people_met = thresholds.people is None or people >= thresholds.people
    assemblies_met = thresholds.assemblies is None or assemblies >= thresholds.assemblies
    return Evaluation(
        met=bool(assemblies) and people_met and assemblies_met,
        people=people,
        assemblies=assemblies,
        committed=committed,
        people_met=people_met,
        assemblies_met=assemblies_met,
        committing=frozenset(committing),
        by_sector=_groups(sectors),
        by_region=_groups(regions),
    )


def _add(groups: dict[str, list[int]], key: str, people: int) -> None:
    bucket = groups.setdefault(key, [0, 0])
    bucket[0] += people
    bucket[1] += 1


def _groups(groups: dict[str, list[int]]) -> tuple[Group, ...]:
    return tuple(
        Group(key, people, count) if people >= MIN_GROUP else Group(key, None, None)
        for key, (people, count) in sorted(groups.items())
    )


def share(kept: int, base: int) -> int | None:
    """The follow-through share: kept commitments as a whole percentage of ``base`` (the
    commitments at the deadline), or None when there were none."""
    if base <= 0:
        return None
    return round(100 * min(kept, base) / base)
