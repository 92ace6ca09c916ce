"""Recount every closed consultation and delegates' vote from the stored per-body results and
seats, and compare with the stored result and the ledger's closing entry (``asamblea
verify-ledger`` runs this beside ``voting.audit``)."""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction

from asamblea.coordination import aggregate as agg
from asamblea.coordination.models import Consultation, CoordinationVote
from asamblea.coordination.queries import consultation_aggregate, seat_votes
from asamblea.ledger.chain import canonical_json
from asamblea.voting.audit import closing_entries


def audit_consultation(
    consultation: Consultation, entries: list[dict], results: list[dict] | None = None
) -> list[str]:
    """``entries``: its ``consultation.closed`` ledger entries; ``results``: its
    ``consultation.result`` entries. A verifiable consultation's close publishes no result
    (its trustees decrypt after it): the ``consultation.result`` entry does, always."""
    name = f"consultation {consultation.pk} of body:{consultation.coordination_id}"
    problems = []
    if consultation.verifiable and consultation.result is None:
        # closed, waiting for its trustees to decrypt: no result yet to recount
        if len(entries) != 1:
            problems.append(f"{name}: {len(entries)} 'consultation.closed' ledger entries")
        return problems
    recounted = consultation_aggregate(consultation).to_dict()
    stored = consultation.result or {}
    if canonical_json(recounted) != canonical_json(stored):
        problems.append(f"{name}: adding up the assemblies' results gives another result")
    if len(entries) != 1:
        problems.append(f"{name}: {len(entries)} 'consultation.closed' ledger entries, expected 1")
        return problems
    published = entries
    if consultation.verifiable:
        results = results or []
        if len(results) != 1 or entries[0].get("result") is not None:
            problems.append(
                f"{name}: {len(results)} 'consultation.result' ledger entries, expected 1"
            )
            return problems
        published = results
    if canonical_json(published[0].get("result")) != canonical_json(stored.get("total")):
        problems.append(f"{name}: the stored result differs from the one the ledger recorded")
    return problems


def audit_vote(vote: CoordinationVote, entries: list[dict]) -> list[str]:
    name = f"delegates' vote {vote.pk} of body:{vote.coordination_id}"
    problems = []
    outcome = agg.delegate_outcome(
        seat_votes(vote), Fraction(vote.quorum_percent, 100), agg.Majority(vote.majority)
    ).to_dict()
    stored = vote.result or {}
    for key, value in outcome.items():
        if canonical_json(stored.get(key)) != canonical_json(value):
            problems.append(f"{name}: recount gives {key} = {value!r}, stored {stored.get(key)!r}")
    if len(entries) != 1:
        problems.append(f"{name}: {len(entries)} 'coordination.vote_closed' entries, expected 1")
    elif canonical_json(entries[0].get("result")) != canonical_json(stored):
        problems.append(f"{name}: the stored result differs from the one the ledger recorded")
    return problems


def audit_coordination() -> Iterator[tuple[str, list[str]]]:
    """(what, problems) for every closed consultation and delegates' vote."""
    closed = Consultation.objects.filter(state=Consultation.State.CLOSED).order_by("pk")
    for consultation in closed.select_related("coordination"):
        chain = consultation.coordination.ledger_chain
        found = closing_entries(chain, "consultation.closed", "consultation")
        results = closing_entries(chain, "consultation.result", "consultation")
        yield (
            f"consultation {consultation.pk}",
            audit_consultation(
                consultation, found.get(consultation.pk, []), results.get(consultation.pk, [])
            ),
        )
    votes = CoordinationVote.objects.filter(state=CoordinationVote.State.CLOSED).order_by("pk")
    for vote in votes.select_related("coordination"):
        found = closing_entries(vote.coordination.ledger_chain, "coordination.vote_closed", "vote")
        yield f"delegates' vote {vote.pk}", audit_vote(vote, found.get(vote.pk, []))
