"""Threshold trustees: a Pedersen-style distributed key generation and partial decryptions.

Belenios specification section 4.8 "Threshold trustees" and section 3.1.1 (the "Pedersen"
protocol): each of ``n`` trustees picks a secret polynomial ``f_i`` of degree ``t - 1``, publishes
``A_ik = g^{a_ik}`` for its coefficients (each with a proof of knowledge, so nobody can choose a key
share as a function of the others'), and sends ``f_i(j)`` to trustee ``j`` over a private channel.
Trustee ``j`` checks every share against the published coefficients
(``g^{f_i(j)} = Π_k A_ik^{j^k}``), keeps ``x_j = Σ_i f_i(j)`` and publishes ``Y_j = g^{x_j}`` with a
proof of knowledge; anyone can recompute ``Y_j`` from the coefficients. The election key is
``y = Π_i A_i0``; nobody ever holds its secret ``Σ_i f_i(0)``.

Decryption (section 4.21 "Partial decryptions", section 4.22 "Election result"): ``t`` trustees
each publish ``α^{x_j}`` with a Chaum-Pedersen proof; these are combined with Lagrange
coefficients at 0. The private channel between trustees (Belenios' section 4.8.3 "Channels") is
not part of this core: it belongs to the trustees' browsers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asamblea.verifiable.core import credentials
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hash_to_scalar, hx, parse_point, tag, u32
from asamblea.verifiable.core.proofs import (
    decryption_prove,
    decryption_verify,
    schnorr_prove,
    schnorr_verify,
)

Payload = dict[str, Any]


def new_polynomial(threshold: int) -> list[int]:
    if threshold < 1:
        raise ValueError("the threshold is at least 1")
    return [G.random_scalar() for _ in range(threshold)]


def evaluate(coefficients: Sequence[int], x: int) -> int:
    result = 0
    for a in reversed(coefficients):
        result = (result * x + a) % G.L
    return result


def commitment_payload(fingerprint: bytes, index: int, coefficients: Sequence[int]) -> Payload:
    exps = [G.base(a) for a in coefficients]
    proofs = [
        schnorr_prove(a, tag("coefficient"), [fingerprint, u32(index), u32(k), exps[k]])
        for k, a in enumerate(coefficients)
    ]
    return {"trustee": index, "coefficients": [hx(p) for p in exps], "proofs": proofs}


def share_image(coefficient_exps: Sequence[bytes], j: int) -> bytes:
    """``Π_k A_k^{j^k}``: what ``g^{f(j)}`` must be."""
    result = G.IDENTITY
    power = 1
    for a in coefficient_exps:
        result = G.add(result, G.mul(power, a))
        power = power * j % G.L
    return result


def check_share(coefficient_exps: Sequence[bytes], j: int, share: int) -> bool:
    return G.base(share) == share_image(coefficient_exps, j)


def key_payload(fingerprint: bytes, index: int, x: int) -> Payload:
    y = G.base(x)
    proof = schnorr_prove(x, tag("trustee-key"), [fingerprint, u32(index), y])
    return {"trustee": index, "verification_key": hx(y), "proof": proof}


def election_key(first_coefficients: Sequence[bytes]) -> bytes:
    y = G.IDENTITY
    for a in first_coefficients:
        y = G.add(y, a)
    return y


def partial_decryption(
    fingerprint: bytes, index: int, x: int, tally: Sequence[Sequence[tuple[bytes, bytes]]]
) -> Payload:
    y = G.base(x)
    factors = []
    for question in tally:
        row = []
        for alpha, _ in question:
            f = G.mul(x, alpha)
            proof = decryption_prove(x, alpha, f, tag("decryption"), [fingerprint, y])
            row.append({"factor": hx(f), "proof": proof})
        factors.append(row)
    return {"trustee": index, "factors": factors}


def lagrange_at_zero(indices: Sequence[int], j: int) -> int:
    num, den = 1, 1
    for k in indices:
        if k != j:
            num = num * k % G.L
            den = den * (k - j) % G.L
    return num * pow(den, -1, G.L) % G.L


# The server's checks of what a trustee posts from its browser (ceremony.js). Each returns False
# for anything malformed instead of raising.


def check_commitment(fingerprint: bytes, index: int, threshold: int, payload: Payload) -> bool:
    """``threshold`` coefficients, each a group element with its proof of knowledge."""
    try:
        coefficients, proofs = payload["coefficients"], payload["proofs"]
        if payload["trustee"] != index or not len(coefficients) == len(proofs) == threshold:
            return False
        for k, (text, proof) in enumerate(zip(coefficients, proofs, strict=True)):
            a = parse_point(text)
            context = [fingerprint, u32(index), u32(k), a]
            if not schnorr_verify(proof, a, tag("coefficient"), context):
                return False
    except (KeyError, TypeError, ValueError):
        return False
    return True


def expected_key(commitments: Sequence[Sequence[bytes]], j: int) -> bytes:
    """``Y_j = Π_i Π_k A_ik^{j^k}``, from every trustee's coefficients."""
    y = G.IDENTITY
    for coefficients in commitments:
        y = G.add(y, share_image(coefficients, j))
    return y


def check_key(
    fingerprint: bytes, index: int, payload: Payload, commitments: Sequence[Sequence[bytes]]
) -> bool:
    """The verification key is the one the coefficients give, with a proof of knowledge."""
    try:
        y = parse_point(payload["verification_key"])
        if payload["trustee"] != index or y != expected_key(commitments, index):
            return False
        context = [fingerprint, u32(index), y]
        return schnorr_verify(payload["proof"], y, tag("trustee-key"), context)
    except (KeyError, TypeError, ValueError):
        return False


def check_partial_decryption(
    fingerprint: bytes,
    index: int,
    payload: Payload,
    verification_key: bytes,
    tally: Sequence[Sequence[tuple[bytes, bytes]]],
) -> bool:
    """One factor per question and answer of the tally, each with its Chaum-Pedersen proof."""
    try:
        rows = payload["factors"]
        if payload["trustee"] != index or len(rows) != len(tally):
            return False
        for row, question in zip(rows, tally, strict=True):
            if len(row) != len(question):
                return False
            for entry, (alpha, _) in zip(row, question, strict=True):
                f = parse_point(entry["factor"])
                if not decryption_verify(
                    entry["proof"],
                    verification_key,
                    alpha,
                    f,
                    tag("decryption"),
                    [fingerprint, verification_key],
                ):
                    return False
    except (KeyError, TypeError, ValueError):
        return False
    return True


def derive(ceremony: str, code: str, threshold: int) -> tuple[int, list[int]]:
    """A trustee's channel secret and polynomial from its code (what ceremony.js derives; used by
    tests and simulations — in a real vote only the trustee's browser knows the code)."""
    raw = credentials.normalize(code).encode("ascii")
    cid = ceremony.encode("utf-8")
    channel = hash_to_scalar(tag("trustee-channel"), cid, raw) or 1
    coefficients = [
        hash_to_scalar(tag("trustee-coefficient"), cid, raw, u32(k)) or 1 for k in range(threshold)
    ]
    return channel, coefficients
