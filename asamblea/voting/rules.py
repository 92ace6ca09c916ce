"""Quorum and majority rules for yes / no / abstain decisions. Pure Python: no Django.

Counts may be weighted (a coordination weighs delegates by their body's membership), so they are
:class:`fractions.Fraction`-compatible numbers; every comparison is exact.

Definitions (fixed here, quoted in the statute form and the result page):

* **turnout** = ballots cast (yes + no + abstain) / electorate.
* **quorum** is met when turnout >= the statute's quorum share. A quorum of 0 is always met;
  an empty electorate never meets a positive quorum.
* **simple** majority: yes > no.
* **absolute** majority: yes > half of the electorate.
* **two thirds**: yes >= 2/3 of (yes + no), and at least one yes.

A motion is adopted only if the quorum is met and the majority rule holds. Abstentions count
towards the quorum, never towards yes or no.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

Number = int | Fraction


class Majority(StrEnum):
    SIMPLE = "simple"
    ABSOLUTE = "absolute"
    TWO_THIRDS = "two_thirds"


@dataclass(frozen=True)
class Tally:
    yes: Number = 0
    no: Number = 0
    abstain: Number = 0

    def __post_init__(self) -> None:
        if min(self.yes, self.no, self.abstain) < 0:
            raise ValueError("counts cannot be negative")

    @property
    def cast(self) -> Number:
        return self.yes + self.no + self.abstain

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.yes + other.yes, self.no + other.no, self.abstain + other.abstain)


@dataclass(frozen=True)
class Outcome:
    """A counted decision. ``turnout`` is exact; use :meth:`to_dict` for storage."""

    tally: Tally
    electorate: Number
    quorum: Fraction
    majority: Majority
    turnout: Fraction
    quorum_met: bool
    majority_met: bool

    @property
    def adopted(self) -> bool:
        return self.quorum_met and self.majority_met

    def to_dict(self) -> dict[str, Any]:
        """Canonical, float-free form for the ledger and the database."""
        return {
            "yes": str(self.tally.yes),
            "no": str(self.tally.no),
            "abstain": str(self.tally.abstain),
            "cast": str(self.tally.cast),
            "electorate": str(self.electorate),
            "quorum": str(self.quorum),
            "majority": self.majority.value,
            "turnout": str(self.turnout),
            "quorum_met": self.quorum_met,
            "majority_met": self.majority_met,
            "adopted": self.adopted,
        }


def quorum_met(cast: Number, electorate: Number, quorum: Fraction) -> bool:
    """True when ``cast / electorate >= quorum`` (exactly)."""
    if not 0 <= quorum <= 1:
        raise ValueError("quorum must be a share between 0 and 1")
    if quorum == 0:
        return True
    if electorate <= 0:
        return False
    return Fraction(cast) / Fraction(electorate) >= quorum


def majority_met(tally: Tally, electorate: Number, majority: Majority) -> bool:
    """Whether ``tally`` satisfies ``majority`` (see the module docstring)."""
    if majority is Majority.SIMPLE:
        return tally.yes > tally.no
    if majority is Majority.ABSOLUTE:
        return Fraction(tally.yes) > Fraction(electorate) / 2
    if majority is Majority.TWO_THIRDS:
        return tally.yes > 0 and 3 * Fraction(tally.yes) >= 2 * Fraction(tally.yes + tally.no)
    raise ValueError(f"unknown majority rule: {majority!r}")


def decide(tally: Tally, electorate: Number, quorum: Fraction, majority: Majority) -> Outcome:
    """Count a yes / no / abstain decision against the statute's rules.

    Precondition: ``tally.cast <= electorate`` (a hand count cannot add people who are not there).
    """
    if tally.cast > electorate:
        raise ValueError("more ballots than electors")
    turnout = Fraction(tally.cast) / Fraction(electorate) if electorate > 0 else Fraction(0)
    return Outcome(
        tally=tally,
        electorate=electorate,
        quorum=quorum,
        majority=majority,
        turnout=turnout,
        quorum_met=quorum_met(tally.cast, electorate, quorum),
        majority_met=majority_met(tally, electorate, majority),
    )
