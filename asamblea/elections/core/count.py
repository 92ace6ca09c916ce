"""Count an election's stored ballots with the pure counting core (no Django here).

This is the one place that turns stored ballots (canonical JSON, see
:mod:`asamblea.elections.core.ballots`) into the counting core's grouped ballots, calls the
method, and returns the winners with the core's full trace as JSON data. The application
counts with it at closing, the recount check uses it again, and so can anyone who downloads
the ballots.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from asamblea.elections.core import ballots as election_ballots
from asamblea.elections.methods import (
    ConsentResponse,
    RankedBallot,
    Stance,
    count_approval,
    count_irv,
    count_meek_stv,
    count_plurality,
    count_schulze,
    count_score,
    count_scottish_stv,
    decide_consent,
)
from asamblea.elections.methods.blt import BltElection

StoredBallot = tuple[str, int]  # (canonical content, weight)


def count(
    method: str,
    names: Sequence[str],
    seats: int,
    ballots: Iterable[StoredBallot],
    *,
    seed: str,
    max_score: int = 5,
    added: tuple[Sequence[int], int] | None = None,
) -> dict[str, Any]:
    """Count ``ballots`` by ``method``; returns ``{"method", "winners", "trace"}``.

    ``added`` (plurality and approval only): marks per candidate counted elsewhere, and from how
    many ballots — a verifiable election's decrypted tally — added to those of ``ballots``.
    An empty list of marks (a cancelled verifiable election) adds nothing.

    ``winners`` are ballot positions in order of election (for consent: the proposals adopted);
    ``trace`` is the counting core's result as JSON data. Raises ``InvalidBallot`` for a stored
    ballot that is not a ballot of this method.
    """
    if method == "consent":
        # Every consent ballot is one member's answer, listed on its own with its reason.
        texts = [text for text, _weight in ballots]
        return _consent(names, [election_ballots.parse(method, len(names), t) for t in texts])
    contents = _parsed(method, len(names), ballots)
    if method in election_ballots.RANKED:
        return _ranked(method, names, seats, _ranked_groups(contents), seed)
    if method in ("plurality", "approval"):
        marks: Counter[frozenset[int]] = Counter()
        for content, weight in contents:
            marks[frozenset(content["marks"])] += weight
        counter = count_plurality if method == "plurality" else count_approval
        extra = None
        if added is not None:
            totals, from_ballots = added
            extra = (tuple(totals) or (0,) * len(names), from_ballots)
        marked = counter(
            names, sorted(marks.items(), key=_marks_key), seats, seed=seed, added=extra
        )
        return _done(method, marked.elected, marked.to_dict())
    if method == "score":
        scores: Counter[tuple[int | None, ...]] = Counter()
        for content, weight in contents:
            scores[tuple(content["scores"])] += weight
        scored = count_score(names, sorted(scores.items()), seats, seed=seed, max_score=max_score)
        return _done(method, scored.elected, scored.to_dict())
    raise election_ballots.InvalidBallot("unknown_method", {"method": method})


def marks_of(method: str, num_candidates: int, content: str) -> list[int]:
    """The candidates a stored plurality or approval ballot marks."""
    return list(election_ballots.parse(method, num_candidates, content)["marks"])


def _parsed(
    method: str, num_candidates: int, ballots: Iterable[StoredBallot]
) -> list[tuple[dict[str, Any], int]]:
    """Identical stored ballots merged first, so each distinct ballot is read and checked once."""
    weights: Counter[str] = Counter()
    for text, weight in ballots:
        weights[text] += weight
    return [
        (election_ballots.parse(method, num_candidates, text), weight)
        for text, weight in weights.items()
    ]


def _marks_key(item: tuple[frozenset[int], int]) -> list[int]:
    return sorted(item[0])


def _done(method: str, winners: Iterable[int], trace: dict[str, Any]) -> dict[str, Any]:
    return {"method": method, "winners": list(winners), "trace": trace}


def _ranked_groups(contents: list[tuple[dict[str, Any], int]]) -> list[tuple[RankedBallot, int]]:
    groups: Counter[RankedBallot] = Counter()
    for content, weight in contents:
        groups[tuple(frozenset(rank) for rank in content["ranks"])] += weight
    return sorted(groups.items(), key=lambda item: [sorted(rank) for rank in item[0]])


def _ranked(
    method: str,
    names: Sequence[str],
    seats: int,
    groups: list[tuple[RankedBallot, int]],
    seed: str,
) -> dict[str, Any]:
    if method == "irv":
        irv = count_irv(names, groups, seed=seed)
        return _done(method, [] if irv.winner is None else [irv.winner], irv.to_dict())
    if method == "meek_stv":
        meek = count_meek_stv(names, groups, seats, seed=seed)
        return _done(method, meek.winners, meek.to_dict())
    if method == "scottish_stv":
        scottish = count_scottish_stv(names, groups, seats, seed=seed)
        return _done(method, scottish.winners, scottish.to_dict())
    schulze = count_schulze(names, groups, seed=seed)
    return _done(method, schulze.order[:seats], schulze.to_dict())


def _consent(names: Sequence[str], contents: list[dict[str, Any]]) -> dict[str, Any]:
    """Each proposal is decided on its own; ballots are named by their number in the box."""
    proposals = []
    adopted = []
    for position in range(len(names)):
        responses = [
            ConsentResponse(str(number), Stance(content["stances"][position][0]), reason)
            for number, content in enumerate(contents, start=1)
            for reason in [content["stances"][position][1]]
        ]
        decision = decide_consent(responses)
        proposals.append(decision.to_dict() | {"proposal": names[position]})
        if decision.adopted:
            adopted.append(position)
    trace = {"method": "consent (no objection)", "candidates": list(names), "proposals": proposals}
    return _done("consent", adopted, trace)


def to_blt(
    title: str, names: Sequence[str], seats: int, method: str, ballots: Iterable[StoredBallot]
) -> BltElection:
    """The ballots of a ranked election as a BLT election, identical ballots grouped, sorted.

    Raises ``InvalidBallot`` for a method whose ballots are not rankings.
    """
    if method not in election_ballots.RANKED:
        raise election_ballots.InvalidBallot("not_ranked", {"method": method})
    contents = _parsed(method, len(names), ballots)
    # BLT holds one name per line: any line break typed into a name or title becomes a space.
    return BltElection(
        tuple(_one_line(name) for name in names),
        seats,
        tuple(_ranked_groups(contents)),
        title=_one_line(title),
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())
