"""The speakers list: who speaks next, how long they have, and who has spoken how much.

Plain Python, no Django: the ordering rules of an assembly's floor, testable on their own.

Order of the queue, from the front:

1. Points of order, in the order they were asked for.
2. Direct replies, in the order they were asked for.
3. Ordinary turns, fairly ordered:
   - people who have not yet had an ordinary turn on this list go before people speaking again
     (more generally, fewer previous turns go first; ties in arrival order);
   - optionally, within the same tier, the assembly's voluntary groups alternate: the next turn
     goes to the earliest request whose group differs from the group of the last grouped speaker.
     People who declared no group keep their place in arrival order and neither wait for nor
     change the alternation;
   - then the facilitator's moves are applied, oldest first: each puts one request just before
     another (its *anchor*), or at the end when it has none; when the anchor is no longer waiting
     (it spoke or withdrew, so it was ahead) the moved request goes to the front.

Points of order and direct replies do not count as turns for the first-time rule: they answer
the procedure or the speaker, they are not a person's contribution to the debate. Their time
still counts in the totals.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    TURN = "turn"
    POINT_OF_ORDER = "point_of_order"
    DIRECT_REPLY = "direct_reply"


PRIORITY: dict[Kind, int] = {Kind.POINT_OF_ORDER: 0, Kind.DIRECT_REPLY: 1, Kind.TURN: 2}


@dataclass(frozen=True)
class Request:
    """One waiting request to speak. ``seq`` is its arrival order on the list (unique)."""

    id: int
    person: int
    seq: int
    kind: Kind = Kind.TURN
    group: str | None = None


@dataclass(frozen=True)
class Spoken:
    """A speech already given (or being given) on this list, oldest first in a history."""

    person: int
    kind: Kind = Kind.TURN
    group: str | None = None
    seconds: int = 0


@dataclass(frozen=True)
class Move:
    """The facilitator put ``request`` just before ``before`` (None: at the end). ``seq`` orders
    moves; only a request's latest move counts."""

    request: int
    before: int | None
    seq: int


@dataclass(frozen=True)
class Rules:
    """An assembly's fairness rules. ``time_limit`` is seconds per turn, 0 for no limit."""

    alternate_groups: bool = False
    time_limit: int = 0


def previous_turns(history: Iterable[Spoken]) -> dict[int, int]:
    """How many ordinary turns each person has had on this list."""
    turns: dict[int, int] = {}
    for speech in history:
        if speech.kind == Kind.TURN:
            turns[speech.person] = turns.get(speech.person, 0) + 1
    return turns


def last_group(history: Sequence[Spoken]) -> str | None:
    """The group of the latest ordinary turn by someone who declared a group."""
    for speech in reversed(history):
        if speech.kind == Kind.TURN and speech.group is not None:
            return speech.group
    return None


def _fair_turns(turns: list[Request], history: Sequence[Spoken], rules: Rules) -> list[Request]:
    done = previous_turns(history)
    pending = sorted(turns, key=lambda r: (done.get(r.person, 0), r.seq))
    if not rules.alternate_groups:
        return pending
    ordered: list[Request] = []
    previous = last_group(history)
    while pending:
        tier = done.get(pending[0].person, 0)
        in_tier = [r for r in pending if done.get(r.person, 0) == tier]
        chosen = next(
            (r for r in in_tier if previous is None or r.group != previous),
            in_tier[0],
        )
        pending.remove(chosen)
        ordered.append(chosen)
        if chosen.group is not None:
            previous = chosen.group
    return ordered


def _apply_moves(ordered: list[Request], moves: Iterable[Move]) -> list[Request]:
    latest: dict[int, Move] = {}
    for move in sorted(moves, key=lambda m: m.seq):
        latest[move.request] = move
    result = list(ordered)
    by_id = {r.id: r for r in result}
    for move in sorted(latest.values(), key=lambda m: m.seq):
        request = by_id.get(move.request)
        if request is None or move.before == move.request:
            continue
        result.remove(request)
        if move.before is None:
            result.append(request)
        elif move.before in by_id:
            result.insert(result.index(by_id[move.before]), request)
        else:
            result.insert(0, request)
    return result


def order(
    waiting: Iterable[Request],
    history: Sequence[Spoken] = (),
    rules: Rules = Rules(),
    moves: Iterable[Move] = (),
) -> list[Request]:
    """The queue, front first. ``history`` is what was already said on this list, oldest first.

    Moves only reorder ordinary turns: a point of order or a direct reply is never pushed back
    behind the debate nor can a turn be put ahead of them.
    """
    requests = sorted(waiting, key=lambda r: r.seq)
    if len({r.id for r in requests}) != len(requests):
        raise ValueError("request ids must be unique")
    urgent = [r for r in requests if r.kind != Kind.TURN]
    urgent.sort(key=lambda r: (PRIORITY[r.kind], r.seq))
    turns = _fair_turns([r for r in requests if r.kind == Kind.TURN], history, rules)
    return urgent + _apply_moves(turns, moves)


def elapsed(accumulated: float, running_since: float | None, now: float) -> float:
    """Seconds spoken: what was timed before plus the running stretch, if the timer runs."""
    if running_since is None:
        return accumulated
    return accumulated + max(0.0, now - running_since)


def remaining(rules: Rules, spoken_seconds: float) -> float | None:
    """Seconds left in the turn (negative once over the limit); None without a limit."""
    if rules.time_limit <= 0:
        return None
    return rules.time_limit - spoken_seconds


def over_limit(rules: Rules, spoken_seconds: float) -> bool:
    left = remaining(rules, spoken_seconds)
    return left is not None and left < 0


@dataclass(frozen=True)
class Total:
    speeches: int
    seconds: int


def totals_by_person(history: Iterable[Spoken]) -> dict[int, Total]:
    """Number of speeches and seconds spoken per person (all kinds of speech)."""
    sums: dict[int, Total] = {}
    for speech in history:
        old = sums.get(speech.person, Total(0, 0))
        sums[speech.person] = Total(old.speeches + 1, old.seconds + speech.seconds)
    return sums


def totals_by_group(history: Iterable[Spoken]) -> dict[str | None, Total]:
    """Number of speeches and seconds per group; None collects people who declared none."""
    sums: dict[str | None, Total] = {}
    for speech in history:
        old = sums.get(speech.group, Total(0, 0))
        sums[speech.group] = Total(old.speeches + 1, old.seconds + speech.seconds)
    return sums
