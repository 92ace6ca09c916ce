"""The public bulletin board: records hash-chained one after the other.

Belenios keeps its public data as a hash chain of events (specification section 4.4 "Public
data"; section 3.5 "Audit" says what an auditor checks on it). Each record here is
``{"index", "kind", "previous", "payload", "hash"}``, where ``hash`` is the SHA-256 of the canonical
JSON of the other four fields and ``previous`` is the hash of the record before (64 zeros for the
first). The head hash is what gets anchored elsewhere (the body's ledger); a board whose head
matches cannot have been rewritten behind it. The kinds, in the order a board holds them:
``manifest``, ``trustee_commitment`` (one per trustee), ``trustee_key`` (one per trustee),
``election_key``, ``credentials``, ``ballot`` (any number), ``tally``, ``partial_decryption``
(at least the threshold), ``result``.
"""

from __future__ import annotations

import json
from typing import Any

from asamblea.verifiable.core.encoding import PROTOCOL, canonical, sha256_hex

GENESIS = "0" * 64
Record = dict[str, Any]


def record_hash(index: int, kind: str, previous: str, payload: Any) -> str:
    body = {"index": index, "kind": kind, "previous": previous, "payload": payload}
    return sha256_hex(canonical(body))


class Board:
    def __init__(self) -> None:
        self.records: list[Record] = []

    @property
    def head(self) -> str:
        return self.records[-1]["hash"] if self.records else GENESIS

    def append(self, kind: str, payload: Any) -> Record:
        index = len(self.records)
        previous = self.head
        record = {
            "index": index,
            "kind": kind,
            "previous": previous,
            "payload": payload,
            "hash": record_hash(index, kind, previous, payload),
        }
        self.records.append(record)
        return record

    def to_json(self) -> dict[str, Any]:
        return {"board": PROTOCOL, "records": self.records}

    def dumps(self) -> str:
        return json.dumps(self.to_json(), ensure_ascii=False, indent=None, separators=(",", ":"))
