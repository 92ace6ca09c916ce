"""Pieces shared by every result and trace: JSON conversion, fixed-point display, tie records.

Every result and trace class is a frozen dataclass inheriting ``Serialisable``, whose
``to_dict()`` gives plain JSON data: exact decimals become strings (``"123.45678"``) so no
float ever rounds a published figure, enums become their values, sets become sorted lists.
"""

from __future__ import annotations

import dataclasses
import enum
from decimal import Decimal
from typing import Any


class Serialisable:
    """Mixin for frozen dataclasses: ``to_dict()`` returns JSON-ready data."""

    def to_dict(self) -> dict[str, Any]:
        data = to_jsonable(self)
        assert isinstance(data, dict)
        return data


def to_jsonable(value: object) -> Any:
    """Convert dataclasses, enums, decimals, sets, tuples and dicts to JSON-ready data."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")  # "0.000000000", never "0E-9"
    if isinstance(value, frozenset | set):
        return sorted(to_jsonable(item) for item in value)
    if isinstance(value, tuple | list):
        return [to_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): to_jsonable(item) for key, item in value.items()}
    return value


def fixed(value: int, places: int) -> Decimal:
    """The exact decimal for ``value`` units of ``10**-places``: ``fixed(150, 2) == 1.50``."""
    return Decimal(value).scaleb(-places)


def fixed_all(values: list[int] | tuple[int, ...], places: int) -> tuple[Decimal, ...]:
    """``fixed`` applied to each value."""
    return tuple(fixed(value, places) for value in values)


class TieMethod(enum.StrEnum):
    """How a tie was resolved."""

    EARLIER_STAGE = "most recent earlier stage at which the tied candidates differed"
    FIRST_DIFFERENCE = "first stage at which the tied candidates differed"
    RANDOM_BALLOT = "preferences of ballots drawn by the seeded draw"
    LOT = "seeded draw by lot"


@dataclasses.dataclass(frozen=True)
class TieBreak(Serialisable):
    """A tie the rules had to resolve: who was tied, for what, who was chosen and how."""

    purpose: str
    tied: tuple[int, ...]
    chosen: int
    method: TieMethod


@dataclasses.dataclass(frozen=True)
class Draw(Serialisable):
    """Candidates tied on the same total, in the order the seeded lot placed them."""

    purpose: str
    order: tuple[int, ...]
