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


# -- heads saved outside the chain -----------------------------------------------------------
#
# A chain alone cannot stop someone with write access to the database from rewriting an entry
# and recomputing every hash after it: the rewritten chain verifies. What catches it is a head
# (chain, length, hash) that was copied somewhere the rewriter does not control: another
# body's ledger (an anchor), a heads file someone downloaded, printed minutes. A saved head
# still holds when the chain's entry at that length has that very hash (the chain may have
# grown since); any other state means history before that point was rewritten or cut.

HEADS_FORMAT = "asamblea-ledger-heads/1"


@dataclass(frozen=True)
class Head:
    """A chain's length and the hash of its last entry, as someone saw it at some time."""

    chain: str
    length: int
    hash: str


class HeadsFileError(ValueError):
    """A heads file that cannot be read; the message says why."""


def head_problem(saved: Head, length: int, hash_at_saved_length: str | None) -> str:
    """Why ``saved`` contradicts the chain as it is now ("" if it does not).

    ``length`` is the chain's current number of entries and ``hash_at_saved_length`` the hash
    of its entry number ``saved.length`` (``None`` if there is none).
    """
    if saved.length == 0:
        return "" if saved.hash == GENESIS else "an empty chain cannot have a head hash"
    if length < saved.length:
        return (
            f"the chain has {length} entries but {saved.length} were seen before: "
            "entries were deleted"
        )
    if hash_at_saved_length != saved.hash:
        return (
            f"entry {saved.length} has hash {hash_at_saved_length}, but {saved.hash} was seen "
            f"before: the chain was rewritten at or before entry {saved.length}"
        )
    return ""


def heads_document(heads: Iterable[Head], **about: str) -> dict[str, Any]:
    """The JSON document of a heads file (``about`` adds fields such as the site and time)."""
    return {
        "format": HEADS_FORMAT,
        **about,
        "heads": [{"chain": h.chain, "length": h.length, "hash": h.hash} for h in heads],
    }


def parse_heads(text: str) -> list[Head]:
    """The heads in a heads file's JSON text; raises :class:`HeadsFileError` for anything else."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise HeadsFileError(f"not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != HEADS_FORMAT:
        raise HeadsFileError(f"not a heads file (expected format {HEADS_FORMAT!r})")
    items = data.get("heads")
    if not isinstance(items, list):
        raise HeadsFileError("'heads' must be a list")
    heads = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise HeadsFileError(f"head {number} is not an object")
        chain, length, digest = item.get("chain"), item.get("length"), item.get("hash")
        if not isinstance(chain, str) or not 0 < len(chain) <= 64:
            raise HeadsFileError(f"head {number}: bad chain name")
        if isinstance(length, bool) or not isinstance(length, int) or length < 0:
            raise HeadsFileError(f"head {number}: bad length")
        if not isinstance(digest, str) or len(digest) != 64 or digest.strip("0123456789abcdef"):
            raise HeadsFileError(f"head {number}: bad hash")
        heads.append(Head(chain, length, digest))
    return heads
