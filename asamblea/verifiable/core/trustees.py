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

from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hx, tag, u32
from asamblea.verifiable.core.proofs import decryption_prove, schnorr_prove

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
