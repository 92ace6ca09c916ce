"""Appending to and verifying ledgers."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from asamblea.ledger.chain import (
    GENESIS,
    Entry,
    Head,
    Verification,
    canonical_json,
    entry_hash,
    head_problem,
    verify,
)
from asamblea.ledger.models import LedgerEntry


def chain_key(kind: str, pk: int) -> str:
    return f"{kind}:{pk}"


def ledger_append(chain: str, kind: str, payload: Mapping[str, Any]) -> LedgerEntry:
    """Append one event to ``chain`` inside the caller's transaction.

    Must run inside ``transaction.atomic()`` (it asserts so): the entry commits or rolls back
    with the change it records. Concurrent appends to one chain are serialised by the unique
    constraint on ``(chain, seq)``: the loser's savepoint rolls back and it retries on the new head.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("ledger_append must run inside a transaction")
    text = canonical_json(payload)
    for _attempt in range(20):
        head = LedgerEntry.objects.filter(chain=chain).order_by("-seq").only("seq", "hash").first()
        seq = head.seq + 1 if head else 1
        prev = head.hash if head else GENESIS
        at = timezone.now().isoformat(timespec="seconds")
        digest = entry_hash(seq, kind, at, json.loads(text), prev)
        try:
            with transaction.atomic():
                return LedgerEntry.objects.create(
                    chain=chain,
                    seq=seq,
                    kind=kind,
                    at=at,
                    payload=text,
                    prev_hash=prev,
                    hash=digest,
                )
        except IntegrityError:
            continue
    raise RuntimeError(f"could not append to ledger {chain}: too much contention")


def head_hash(chain: str) -> str:
    head = LedgerEntry.objects.filter(chain=chain).order_by("-seq").only("hash").first()
    return head.hash if head else GENESIS


def _entries(chain: str) -> Iterator[Entry]:
    for row in LedgerEntry.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        yield Entry(row.seq, row.kind, row.at, json.loads(row.payload), row.prev_hash, row.hash)


def verify_chain(chain: str) -> Verification:
    return verify(_entries(chain))


def all_chains() -> list[str]:
    return list(LedgerEntry.objects.values_list("chain", flat=True).distinct().order_by("chain"))


def chain_head(chain: str) -> Head:
    """The chain's length and last hash now (``GENESIS`` and 0 for an empty chain)."""
    head = LedgerEntry.objects.filter(chain=chain).order_by("-seq").only("seq", "hash").first()
    return Head(chain, head.seq, head.hash) if head else Head(chain, 0, GENESIS)


def check_head(saved: Head) -> str:
    """Why the chain as stored contradicts ``saved``, a head seen before ("" if it does not)."""
    now = chain_head(saved.chain)
    at = LedgerEntry.objects.filter(chain=saved.chain, seq=saved.length).only("hash").first()
    return head_problem(saved, now.length, at.hash if at else None)
