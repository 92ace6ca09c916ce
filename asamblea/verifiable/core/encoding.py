"""Canonical encodings and hashing of the "asamblea-verifiable/1" format (the writer's side).

* Points and scalars travel as 64 lowercase hex digits (32 bytes; scalars little-endian, below L).
* Records are hashed as canonical JSON: keys sorted, no spaces, every character outside printable
  ASCII escaped as ``\\uXXXX`` (what Python's ``json.dumps(..., ensure_ascii=True)`` writes), and
  only integers as numbers.
* Fiat-Shamir challenges are :func:`hash_to_scalar`: SHA-512 over the domain tag and the parts,
  each prefixed by its length as 4 big-endian bytes, read as a little-endian integer modulo L.
  This plays the role of Belenios' ``HashGroup`` (specification section 6.2 "Hashing group
  elements"); a 512-bit digest reduced modulo a 253-bit order has a negligible bias.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from asamblea.verifiable.core.group import L, point, scalar_from_bytes

PROTOCOL = "asamblea-verifiable/1"
SUM = 0xFFFFFFFF
"""The entry index that names the proof on the sum of an answer in :func:`hash_to_scalar` calls."""


def tag(name: str) -> bytes:
    return f"{PROTOCOL}|{name}".encode("ascii")


def u32(n: int) -> bytes:
    return n.to_bytes(4, "big")


def hash_to_scalar(domain: bytes, *parts: bytes) -> int:
    h = hashlib.sha512()
    for part in (domain, *parts):
        h.update(len(part).to_bytes(4, "big"))
        h.update(part)
    return int.from_bytes(h.digest(), "little") % L


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hx(b: bytes) -> str:
    return b.hex()


def sx(k: int) -> str:
    return (k % L).to_bytes(32, "little").hex()


def parse_point(text: object) -> bytes:
    """A point from its hex encoding, with the group-membership check."""
    return point(_hex32(text))


def parse_scalar(text: object) -> int:
    return scalar_from_bytes(_hex32(text))


def _hex32(text: object) -> bytes:
    if not isinstance(text, str) or len(text) != 64 or text != text.lower():
        raise ValueError("expected 64 lowercase hex digits")
    return bytes.fromhex(text)
