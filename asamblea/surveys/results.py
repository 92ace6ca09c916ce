"""Survey results: counts per question, with breakdowns by assembly, sector and region.

Pure Python, no Django: it adds up plain response tuples. A group (an assembly, a sector, a
region) with fewer than :data:`MIN_GROUP` responses is suppressed (its counts are None), so a
small group's answers cannot be told apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

MIN_GROUP = 5


@dataclass(frozen=True)
class QuestionSpec:
    key: str  # the question's id, as stored in the answers
    kind: str  # single | multiple | scale | text
    values: tuple[Any, ...] = ()  # choice indexes, or the scale's values


@dataclass(frozen=True)
class Row:
    """One response: the groups it counts in and its answers by question key."""

    assembly: int
    sectors: tuple[str, ...]
    region: str
    answers: Mapping[str, Any]


@dataclass
class Tally:
    responses: int = 0
    counts: dict[Any, int] = field(default_factory=dict)
    texts: list[str] = field(default_factory=list)
    total: int = 0  # sum of scale values, for the mean

    @property
    def answered(self) -> int:
        return sum(self.counts.values()) if self.counts else len(self.texts)


@dataclass(frozen=True)
class GroupResult:
    key: Any
    responses: int
    counts: dict[Any, int] | None  # None: suppressed (fewer than MIN_GROUP responses)


def _values(spec: QuestionSpec, answer: Any) -> list[Any]:
    if answer is None or answer == "" or answer == []:
        return []
    if spec.kind == "multiple":
        return [v for v in answer if v in spec.values] if isinstance(answer, list) else []
    return [answer] if answer in spec.values else []


def tally(spec: QuestionSpec, rows: Iterable[Row]) -> Tally:
    result = Tally(counts=dict.fromkeys(spec.values, 0) if spec.kind != "text" else {})
    for row in rows:
        result.responses += 1
        answer = row.answers.get(spec.key)
        if spec.kind == "text":
            if isinstance(answer, str) and answer.strip():
                result.texts.append(answer.strip())
            continue
        for value in _values(spec, answer):
            result.counts[value] += 1
            if spec.kind == "scale":
                result.total += int(value)
    result.texts.sort(key=str.casefold)  # never the order of answering
    return result


def mean(result: Tally) -> float | None:
    answered = result.answered
    return result.total / answered if answered else None


def breakdown(spec: QuestionSpec, rows: Sequence[Row], by: str) -> list[GroupResult]:
    """Counts of a choice or scale question per assembly, sector or region (``by``)."""
    groups: dict[Any, list[Row]] = {}
    for row in rows:
        keys: Iterable[Any]
        if by == "assembly":
            keys = (row.assembly,)
        elif by == "sector":
            keys = row.sectors
        else:
            keys = (row.region,) if row.region else ()
        for key in keys:
            groups.setdefault(key, []).append(row)
    out = []
    for key, members in sorted(groups.items(), key=lambda item: str(item[0])):
        if len(members) < MIN_GROUP:
            out.append(GroupResult(key, len(members), None))
        else:
            out.append(GroupResult(key, len(members), tally(spec, members).counts))
    return out
