"""Cross-anchoring: each body's ledger records the head hashes of the bodies it is affiliated
with and of those affiliated to it, so that rewriting one chain contradicts the others.

When a vote, an election, a consultation or a meeting closes in a body, two things happen:

1. inside the closing transaction, the body's own ledger gets a ``ledger.anchor`` entry with
   the current heads (length and hash) of its neighbours in the affiliation graph;
2. after that transaction commits, each neighbour's ledger gets a ``ledger.anchor`` entry with
   this body's new head, each in a small transaction of its own. Doing this after the commit
   keeps the closing transaction to one chain (two transactions appending to the same two
   chains in opposite order would deadlock on PostgreSQL).

``asamblea close-due`` (run from cron) anchors every body whose neighbours' heads moved since
its last anchor, or whose last anchor is a day old: no chain goes more than a day unanchored,
even if the step after a commit was lost to a crash. ``verify-ledger`` checks every anchor
against the chain it names (:func:`asamblea.ledger.actions.check_head`).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from asamblea.bodies.actions import record
from asamblea.bodies.models import Body
from asamblea.coordination.models import Affiliation
from asamblea.ledger.actions import chain_head
from asamblea.ledger.chain import Head
from asamblea.ledger.models import LedgerEntry

log = logging.getLogger(__name__)

ANCHOR = "ledger.anchor"
CLOSING_KINDS = frozenset(
    {
        "poll.closed",
        "election.closed",
        "consultation.closed",
        "coordination.vote_closed",
        "meeting.closed",
    }
)
DAILY = timedelta(hours=24)


def neighbours(body_id: int) -> list[Body]:
    """Bodies ``body_id`` is affiliated with, and bodies affiliated to it (current links)."""
    links = Affiliation.objects.filter(
        Q(member_id=body_id) | Q(coordination_id=body_id), left_at__isnull=True
    ).values_list("member_id", "coordination_id")
    ids = {other for pair in links for other in pair if other != body_id}
    return list(Body.objects.filter(pk__in=ids).order_by("pk"))


def _payload(heads: list[Head], reason: str) -> dict[str, Any]:
    return {
        "reason": reason,
        "heads": [{"chain": h.chain, "length": h.length, "hash": h.hash} for h in heads],
    }


def anchor(body: Body, reason: str) -> bool:
    """Record in ``body``'s ledger the current heads of its neighbours; returns whether it
    wrote (a body without neighbours has nothing to anchor). Runs in the caller's transaction."""
    others = neighbours(body.pk)
    if not others:
        return False
    heads = [chain_head(other.ledger_chain) for other in others]
    record(body, ANCHOR, _payload(heads, reason))
    return True


def push_head(body_id: int) -> int:
    """Record ``body_id``'s head in each neighbour's ledger, one small transaction each.

    A neighbour that cannot be written now (the database refused) is left to the daily
    anchoring; returns how many were written."""
    written = 0
    for other in neighbours(body_id):
        try:
            with transaction.atomic():
                head = chain_head(f"body:{body_id}")
                record(other, ANCHOR, _payload([head], f"head of body:{body_id}"))
            written += 1
        except Exception:  # the daily anchoring catches up; never fail the caller's answer
            log.exception("could not anchor body:%s in body:%s", body_id, other.pk)
    return written


def on_recorded(sender: Any, body: Body, kind: str, entry: LedgerEntry, **kwargs: Any) -> None:
    """After a closing is recorded: anchor the neighbours here, then this head in them."""
    if kind not in CLOSING_KINDS:
        return
    if anchor(body, kind):
        transaction.on_commit(lambda: push_head(body.pk))


def _last_anchor(body: Body) -> tuple[dict[str, Any] | None, Any]:
    entry = (
        LedgerEntry.objects.filter(chain=body.ledger_chain, kind=ANCHOR)
        .order_by("-seq")
        .only("payload", "at")
        .first()
    )
    if entry is None:
        return None, None
    return json.loads(entry.payload), entry.at


def anchor_due(now: datetime | None = None) -> int:
    """Anchor every body whose last anchor is a day old, or whose neighbours recorded
    something other than anchors since (the cron job of ``asamblea close-due``).

    Anchors alone do not count as news: otherwise each anchor would move a neighbour's head
    and every run would anchor every body again. Returns how many bodies were anchored."""
    now = now or timezone.now()
    active = Affiliation.objects.filter(left_at__isnull=True)
    ids = set(active.values_list("member_id", flat=True))
    ids |= set(active.values_list("coordination_id", flat=True))
    written = 0
    for body in Body.objects.filter(pk__in=ids).order_by("pk"):
        others = neighbours(body.pk)
        last, at = _last_anchor(body)
        stale = at is None or now - datetime.fromisoformat(at) >= DAILY
        if others and (stale or _news_since(last, others)):
            with transaction.atomic():
                anchor(body, "daily")
            written += 1
    return written


def _news_since(last: dict[str, Any] | None, others: list[Body]) -> bool:
    """Whether a neighbour is new, or recorded a non-anchor entry after the last anchor."""
    seen = {h["chain"]: h["length"] for h in (last or {}).get("heads", [])}
    for other in others:
        length = seen.get(other.ledger_chain)
        if length is None:
            return True
        news = LedgerEntry.objects.filter(chain=other.ledger_chain, seq__gt=length)
        if news.exclude(kind=ANCHOR).exists():
            return True
    return False
