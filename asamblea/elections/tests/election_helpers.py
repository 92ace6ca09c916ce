"""Helpers for the election tests: a North election with candidates standing, and ballots."""

from __future__ import annotations

from typing import Any

from asamblea.elections import actions as elections
from asamblea.elections.models import Election
from asamblea.testing import Cast, join, make_person


def standing_election(
    cast: Cast, method: str = "meek_stv", seats: int = 1, secrecy: str = "secret", **extra: Any
) -> Election:
    """A North election where alice, bob and carol stand (self-nominated), still nominating."""
    election = elections.election_create(
        cast.alice,
        cast.north,
        title="Comisión",
        method=method,
        seats=seats,
        secrecy=secrecy,
        **extra,
    )
    for person in (cast.alice, cast.bob, cast.carol):
        elections.nominate(person, election)
    return election


def voting_election(cast: Cast, method: str = "meek_stv", **kwargs: Any) -> Election:
    """As :func:`standing_election`, with voting open (ballot: 0 Alice, 1 Bob, 2 Carol)."""
    election = standing_election(cast, method, **kwargs)
    return elections.voting_open(cast.alice, election)


def ranks(*order: int) -> dict[str, list[str]]:
    """Form fields ranking the candidates at ``order`` 1, 2, 3..."""
    return {f"rank_{candidate}": [str(i)] for i, candidate in enumerate(order, start=1)}


def more_members(cast: Cast, count: int) -> list[Any]:
    people = [make_person(f"voter{i}") for i in range(count)]
    for person in people:
        join(person, cast.north)
    return people
