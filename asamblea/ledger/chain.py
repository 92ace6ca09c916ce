"""The hash chain behind every body's ledger. Pure Python: no Django.

An entry's hash is SHA-256 over the canonical JSON of ``{"seq", "kind", "at", "payload",
"prev"}``: keys sorted, no insignificant white space, UTF-8, integers as integers and every
other number as a string (floats are refused, so two implementations can never disagree on
rounding). The first entry's ``prev`` is :data:`GENESIS`. Changing any field of any entry changes
its hash, and so breaks the link of the entry after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


class CanonicalJSONError(ValueError):
    """The payload holds a value canonical JSON does not admit (e.g. a float)."""


def _check(value: Any) -> None:
    if isinstance(value, bool) or value is None or isinstance(value, int | str):
        return
    if isinstance(value, float):
        raise CanonicalJSONError("floats are not allowed in ledger payloads; use strings")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise CanonicalJSONError("ledger payload keys must be strings")
            _check(item)
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check(item)
        return
    raise CanonicalJSONError(f"unsupported type in ledger payload: {type(value).__name__}")


def canonical_json(value: Any) -> str:
    """Serialise ``value`` deterministically; raises :class:`CanonicalJSONError` on floats."""
    _check(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(seq: int, kind: str, at: str, payload: Mapping[str, Any], prev: str) -> str:
    """The hash of one entry, committing to its place (``seq``) and its predecessor."""
    body = canonical_json({"seq": seq, "kind": kind, "at": at, "payload": payload, "prev": prev})
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One stored entry as the verifier sees it."""

    seq: int
    kind: str
    at: str
    payload: Mapping[str, Any]
    prev: str
    hash: str


@dataclass(frozen=True)
class Verification:
    """The outcome of verifying one chain: ``broken_at`` is the first bad ``seq``, if any."""

    ok: bool
    count: int
    head: str
    broken_at: int | None = None
    reason: str = ""


def verify(entries: Iterable[Entry]) -> Verification:
    """Check that ``entries`` (in ``seq`` order) form one unbroken chain from genesis.

    Reports the first entry whose sequence number, link or own hash is wrong.
    """
    prev = GENESIS
    count = 0
    for expected_seq, entry in enumerate(entries, start=1):
        count = expected_seq
        if entry.seq != expected_seq:
            return Verification(False, count, prev, entry.seq, f"expected seq {expected_seq}")
        if entry.prev != prev:
            return Verification(False, count, prev, entry.seq, "link to previous entry broken")
        try:
            actual = entry_hash(entry.seq, entry.kind, entry.at, entry.payload, entry.prev)
        except CanonicalJSONError as exc:
            return Verification(False, count, prev, entry.seq, str(exc))
        if actual != entry.hash:
            return Verification(False, count, prev, entry.seq, "entry content does not match hash")
        prev = entry.hash
    return Verification(True, count, prev)
