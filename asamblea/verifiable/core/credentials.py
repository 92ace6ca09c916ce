"""Voters' credentials: a signing key whose private part the server never holds.

Belenios (specification section 4.10 "Credentials", and section 3.1 "Election setup") derives a
secret exponent from a secret code and publishes only ``g^x``; ballots are signed with it
(section 4.18 "Ballots"), so the server cannot cast a ballot for anyone, and a later ballot signed
with the same credential replaces the earlier one. Here the code is 26 characters from a
32-letter alphabet without look-alikes (130 bits), derived with the election's id so that one code
means nothing in another election. Where the code is made (the voter's browser, or a separate
credential authority) is a deployment choice discussed in ``docs/verifiable-ballots.md``; the
derivation is the same for both.
"""

from __future__ import annotations

import secrets

from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hash_to_scalar, tag

ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
LENGTH = 26


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + 5] for i in range(0, LENGTH, 5))


def normalize(code: str) -> str:
    """Lower case without separators; ValueError if it is not a well-formed code."""
    raw = "".join(ch for ch in code.strip().lower() if ch not in "- ")
    if len(raw) != LENGTH or any(ch not in ALPHABET for ch in raw):
        raise ValueError("not a credential code")
    return raw


def secret(election_id: str, code: str) -> int:
    raw = normalize(code)
    x = hash_to_scalar(tag("credential"), election_id.encode("utf-8"), raw.encode("ascii"))
    return x or 1


def public(x: int) -> bytes:
    return G.base(x)
