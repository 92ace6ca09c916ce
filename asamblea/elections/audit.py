"""Recount every closed election from the stored ballots, and compare with what was stored
and what the ledger recorded at closing (``asamblea verify-ledger`` runs this; see
:mod:`asamblea.voting.audit` for the yes/no votes).

Each check returns a list of problems in plain words, empty when everything agrees.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from asamblea.elections.core import ballots as election_ballots
from asamblea.elections.models import Election, Elector
from asamblea.elections.queries import ballots_digest, recount, stored_ballots
from asamblea.ledger.chain import canonical_json
from asamblea.voting.audit import closing_entries


def _same(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)


def audit_election(
    election: Election, seeds: list[dict[str, Any]], closed: list[dict[str, Any]]
) -> list[str]:
    """Recount one closed election; compare with its result and its ledger entries."""
    name = f"election {election.pk} of body:{election.body_id}"
    result = election.result or {}
    problems = []
    recounted = recount(election)
    if result.get("valid") is False:  # a cancelled verifiable election elects nobody
        recounted["winners"] = []
    digest = ballots_digest(stored_ballots(election))
    for key in ("method", "winners", "trace"):
        if not _same(recounted.get(key), result.get(key)):
            problems.append(f"{name}: recount gives other {key} than the stored result")
    if result.get("ballots_sha256") != digest:
        problems.append(f"{name}: the stored ballots are not those counted at closing")
    if len(seeds) != 1 or seeds[0].get("ballots_sha256") != digest:
        problems.append(f"{name}: the ballots differ from those the ledger recorded at closing")
    if len(closed) != 1:
        problems.append(f"{name}: {len(closed)} 'election.closed' ledger entries, expected 1")
        return problems
    trace = hashlib.sha256(election_ballots.canonical(recounted["trace"]).encode()).hexdigest()
    if closed[0].get("trace_sha256") != trace:
        problems.append(f"{name}: recount gives another count than the ledger recorded")
    if [w for w, _name in closed[0].get("winners", [])] != list(recounted["winners"]):
        problems.append(f"{name}: recount gives other winners than the ledger recorded")
    voted = Elector.objects.filter(election=election, voted=True).count()
    if election.is_verifiable:
        # Registering a credential takes a member's place as a ballot would; those who took
        # part are the ballots counted (the encrypted ones on the board, the ordinary ones).
        verifiable = result.get("verifiable") or {}
        voted = int(result.get("ordinary_ballots") or 0) + int(verifiable.get("ballots") or 0)
    if result.get("participants") != voted:
        problems.append(
            f"{name}: {voted} electors marked as voted, the result says so for "
            f"{result.get('participants')}"
        )
    return problems


def audit_elections() -> Iterator[tuple[str, list[str]]]:
    """(what, problems) for every closed election."""
    elections = Election.objects.filter(phase=Election.Phase.CLOSED).select_related("body")
    for election in elections.order_by("pk").iterator(chunk_size=100):
        chain = election.body.ledger_chain
        seeds = closing_entries(chain, "election.seed", "election").get(election.pk, [])
        closed = closing_entries(chain, "election.closed", "election").get(election.pk, [])
        yield f"election {election.pk}", audit_election(election, seeds, closed)
