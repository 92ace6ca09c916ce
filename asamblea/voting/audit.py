"""Recount every closed vote from the stored ballots, and compare with what was
stored and what the ledger recorded at closing (``asamblea verify-ledger`` runs this;
:mod:`asamblea.elections.audit` does the same for elections).

A chain that verifies proves only that the ledger was not edited without recomputing it. The
recount ties the ledger to the ballot box: changing a stored result, or ballots, or the ledger
entry that published the result, makes one of the three disagree with the others.

Each check returns a list of problems in plain words, empty when everything agrees.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from asamblea.ledger.chain import canonical_json
from asamblea.ledger.models import LedgerEntry
from asamblea.voting.models import Ballot, Eligibility, Poll
from asamblea.voting.queries import count
from asamblea.voting.rules import Tally

# Keys a "closed without a valid count" result sets by decision, not by counting.
_VOID_KEYS = frozenset({"quorum_met", "majority_met", "adopted"})


def closing_entries(chain: str, kind: str, key: str) -> dict[int, list[dict[str, Any]]]:
    """The payloads of ``kind`` entries in ``chain``, by the object id under ``key``."""
    found: dict[int, list[dict[str, Any]]] = {}
    rows = LedgerEntry.objects.filter(chain=chain, kind=kind).values_list("payload", flat=True)
    for text in rows:
        payload = json.loads(text)
        found.setdefault(payload.get(key), []).append(payload)
    return found


def _same(a: Any, b: Any) -> bool:
    return canonical_json(a) == canonical_json(b)


def audit_poll(poll: Poll, entries: list[dict[str, Any]]) -> list[str]:
    """Recount one closed poll; compare with its stored result and its ``poll.closed`` entry."""
    name = f"vote {poll.pk} of body:{poll.body_id}"
    result = poll.result or {}
    problems = []
    if len(entries) != 1:
        problems.append(f"{name}: {len(entries)} 'poll.closed' ledger entries, expected 1")
    elif not _same(entries[0].get("result"), result):
        problems.append(f"{name}: the stored result differs from the one the ledger recorded")
    void = result.get("valid") is False
    verifiable = result.get("verifiable") if poll.is_verifiable else None
    elsewhere = None
    if isinstance(verifiable, dict) and verifiable.get("counts"):
        # a verifiable poll: the counts its trustees decrypted (checked on its board by
        # ``asamblea verify-election``) are added to its ordinary ballots, as at its closing
        yes, no, abstain = verifiable["counts"][0]
        elsewhere = Tally(yes, no, abstain)
    recounted = count(
        poll, with_hands=not void and not poll.is_verifiable, counted_elsewhere=elsewhere
    ).to_dict()
    for key, value in recounted.items():
        if void and key in _VOID_KEYS:
            continue
        if result.get(key) != value:
            problems.append(
                f"{name}: recount gives {key} = {value!r}, the stored result {result.get(key)!r}"
            )
    ballots = Ballot.objects.filter(poll=poll).count()
    if poll.is_verifiable:
        # Registering a credential takes a member's place as a ballot would, so the members
        # marked as voted are the ordinary ballots and the credentials; those who took part
        # are the ordinary ballots stored and the encrypted ones counted on the board.
        ordinary = result.get("ordinary_ballots")
        if ordinary != ballots:
            problems.append(
                f"{name}: {ballots} ordinary ballots stored, the result says {ordinary}"
            )
        counted = int(verifiable.get("ballots") or 0) if isinstance(verifiable, dict) else 0
        if result.get("participants") != ballots + counted:
            problems.append(
                f"{name}: {ballots} ordinary and {counted} encrypted ballots, the result says "
                f"{result.get('participants')} took part"
            )
        return problems
    electronic = Eligibility.objects.filter(poll=poll, voted=True).count()
    stored = result.get("electronic", result.get("participants"))
    if stored != electronic:
        problems.append(f"{name}: {electronic} voters marked as voted, the result says {stored}")
    if ballots != electronic:
        problems.append(f"{name}: {ballots} ballots stored for {electronic} voters")
    return problems


def audit_votes() -> Iterator[tuple[str, list[str]]]:
    """(what, problems) for every closed poll, body by body."""
    polls = Poll.objects.filter(state=Poll.State.CLOSED).select_related("body").order_by("pk")
    entries: dict[int, dict[int, list[dict[str, Any]]]] = {}
    for poll in polls.iterator(chunk_size=500):
        if poll.body_id not in entries:
            entries[poll.body_id] = closing_entries(poll.body.ledger_chain, "poll.closed", "poll")
        yield f"vote {poll.pk}", audit_poll(poll, entries[poll.body_id].get(poll.pk, []))
