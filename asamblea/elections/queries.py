"""Reading elections: turnout, the stored ballot box, the recount, the winners, receipts."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from asamblea.elections.core import count as election_count
from asamblea.elections.models import Election, ElectionBallot, Elector
from asamblea.voting.ballot_box import receipt_ballot


def receipt_lookup(election: Election, code: str) -> ElectionBallot:
    """Find a secret election ballot by its receipt code; malformed and unknown codes alike."""
    return receipt_ballot(
        ElectionBallot.objects.filter(election=election),
        code,
        _("No ballot in this election has this receipt code."),
    )


def participation(election: Election) -> dict[str, int]:
    """Turnout so far (never partial choices)."""
    electors = Elector.objects.filter(election=election)
    return {"voted": electors.filter(voted=True).count(), "electorate": electors.count()}


def ballot_names(election: Election) -> list[str]:
    """The names on the ballot, by position."""
    return list(
        election.candidates.filter(position__isnull=False)
        .order_by("position")
        .values_list("name", flat=True)
    )


def stored_ballots(election: Election) -> list[tuple[str, int]]:
    """The stored ballots as (canonical content, weight) pairs, for counting.

    The database merges identical ballots (summing their weights), so a count reads each
    distinct ballot once. Consent ballots stay one per voter: each is an answer of its own.
    """
    rows = ElectionBallot.objects.filter(election=election)
    if election.method == Election.Method.CONSENT:
        return list(rows.values_list("content", "weight"))
    grouped = rows.values("content").annotate(total=Sum("weight")).order_by("content")
    return [(row["content"], row["total"]) for row in grouped]


def ballots_digest(ballots: Iterable[tuple[str, int]]) -> str:
    """SHA-256 of the ballot box: one line ``<total weight> <content>`` per distinct ballot,
    sorted, each ending in a newline. The same ballots give the same digest, however grouped."""
    totals: Counter[str] = Counter()
    for content, weight in ballots:
        totals[content] += weight
    digest = hashlib.sha256()
    for content in sorted(totals):
        digest.update(f"{totals[content]} {content}\n".encode())
    return digest.hexdigest()


def recount(election: Election) -> dict[str, Any]:
    """Count the stored ballots with the stored rules and seed (a recount gives the same).

    A verifiable election adds the marks its trustees decrypted (``result["verifiable"]``,
    checked against its public board by ``asamblea verify-election``) to its ordinary ballots.
    """
    verifiable = (election.result or {}).get("verifiable") if election.is_verifiable else None
    added = None
    if verifiable is not None:
        added = (verifiable.get("counts") or [], int(verifiable.get("ballots") or 0))
    return election_count.count(
        election.method,
        ballot_names(election),
        election.seats,
        stored_ballots(election),
        seed=election.seed,
        max_score=election.max_score,
        added=added,
    )


def ordinary_votes(election: Election, stored: Iterable[tuple[str, int]]) -> list[int]:
    """The marks per candidate of the ordinary (not verifiable) ballots, weighted: shown apart
    in a verifiable election's result."""
    names = ballot_names(election)
    votes = [0] * len(names)
    for content, weight in stored:
        for mark in election_count.marks_of(election.method, len(names), content):
            votes[mark] += weight
    return votes


@dataclass(frozen=True)
class Winner:
    """An elected candidate: the person (None for an option that is not a person) and name."""

    person_id: int | None
    name: str
    position: int


def winners(election: Election) -> list[Winner]:
    """The winners of a closed election in order of election; empty while it is not closed."""
    if not election.is_closed or not election.result:
        return []
    by_position = {c.position: c for c in election.candidates.filter(position__isnull=False)}
    return [
        Winner(by_position[p].person_id, by_position[p].name, p) for p in election.result["winners"]
    ]
