"""Zero-knowledge proofs, made non-interactive with strong Fiat-Shamir (the writer's side).

Every proof carries its commitments, its challenges and its responses, so that a verifier can
either recompute each equation or check all of them at once with a random linear combination
(batch verification; the JavaScript verifier does). Belenios carries only challenges and responses
(specification section 4.14 "Proofs of interval membership"); the equations are the same.

* :func:`schnorr_prove` — knowledge of ``x`` with ``X = g^x`` (credential signatures, section 4.5.2
  "Signing"; trustees' proofs of their coefficients and keys, section 4.8 "Threshold trustees").
* :func:`interval_prove` — a ciphertext ``(α, β) = (g^r, y^r g^m)`` encrypts some ``m`` in a list
  ``M_0..M_k`` (the disjunctive Chaum-Pedersen proof of section 4.14): ``k`` simulated branches and
  one real one, the challenges summing to the hash.
* :func:`decryption_prove` — ``F = α^x`` for the ``x`` of ``Y = g^x`` (Chaum-Pedersen equality of
  discrete logarithms, section 4.21 "Partial decryptions").

Responses are ``s = w + c·x`` (so ``g^s = A·X^c``). The caller passes the whole context to hash:
strong Fiat-Shamir means the statement (keys, ciphertexts) is inside the hash, not only the
commitments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hash_to_scalar, hx, parse_point, parse_scalar, sx

Proof = dict[str, Any]


def schnorr_prove(x: int, domain: bytes, context: Sequence[bytes]) -> Proof:
    """Prove knowledge of ``x`` (``X = g^x`` must be part of ``context``)."""
    w = G.random_scalar()
    a = G.base(w)
    c = hash_to_scalar(domain, *context, a)
    return {"commitment": hx(a), "response": sx(w + c * x)}


def schnorr_verify(proof: Proof, public: bytes, domain: bytes, context: Sequence[bytes]) -> bool:
    a = parse_point(proof["commitment"])
    s = parse_scalar(proof["response"])
    c = hash_to_scalar(domain, *context, a)
    return G.base(s) == G.add(a, G.mul(c, public))


def interval_prove(
    public_key: bytes,
    alpha: bytes,
    beta: bytes,
    r: int,
    value: int,
    allowed: Sequence[int],
    domain: bytes,
    context: Sequence[bytes],
) -> Proof:
    """Prove that ``(alpha, beta)`` encrypts one of ``allowed``; ``value`` is the one it does."""
    real = list(allowed).index(value)
    commitments: list[tuple[bytes, bytes]] = []
    challenges: list[int] = []
    responses: list[int] = []
    w = G.random_scalar()
    for j, m in enumerate(allowed):
        if j == real:
            commitments.append((G.base(w), G.mul(w, public_key)))
            challenges.append(0)
            responses.append(0)
            continue
        c, s = G.random_scalar(), G.random_scalar()
        # g^s = A·α^c  and  y^s = B·(β/g^m)^c, solved for the commitments A and B.
        a = G.sub(G.base(s), G.mul(c, alpha))
        b = G.sub(G.mul(s, public_key), G.mul(c, G.sub(beta, G.base(m))))
        commitments.append((a, b))
        challenges.append(c)
        responses.append(s)
    total = hash_to_scalar(domain, *context, alpha, beta, b"".join(a + b for a, b in commitments))
    challenges[real] = (total - sum(challenges)) % G.L
    responses[real] = (w + challenges[real] * r) % G.L
    return {
        "commitments": [[hx(a), hx(b)] for a, b in commitments],
        "challenges": [sx(c) for c in challenges],
        "responses": [sx(s) for s in responses],
    }


def interval_verify(
    proof: Proof,
    public_key: bytes,
    alpha: bytes,
    beta: bytes,
    allowed: Sequence[int],
    domain: bytes,
    context: Sequence[bytes],
) -> bool:
    pairs = proof["commitments"]
    if not (len(pairs) == len(proof["challenges"]) == len(proof["responses"]) == len(allowed)):
        return False
    commitments = [(parse_point(a), parse_point(b)) for a, b in pairs]
    challenges = [parse_scalar(c) for c in proof["challenges"]]
    responses = [parse_scalar(s) for s in proof["responses"]]
    total = hash_to_scalar(domain, *context, alpha, beta, b"".join(a + b for a, b in commitments))
    if sum(challenges) % G.L != total:
        return False
    for (a, b), c, s, m in zip(commitments, challenges, responses, allowed, strict=True):
        if G.base(s) != G.add(a, G.mul(c, alpha)):
            return False
        if G.mul(s, public_key) != G.add(b, G.mul(c, G.sub(beta, G.small(m)))):
            return False
    return True


def decryption_prove(
    x: int, alpha: bytes, factor: bytes, domain: bytes, context: Sequence[bytes]
) -> Proof:
    """Prove ``factor = alpha^x`` where ``g^x`` is in ``context``."""
    w = G.random_scalar()
    a, b = G.base(w), G.mul(w, alpha)
    c = hash_to_scalar(domain, *context, alpha, factor, a, b)
    return {"commitment": [hx(a), hx(b)], "response": sx(w + c * x)}


def decryption_verify(
    proof: Proof,
    public: bytes,
    alpha: bytes,
    factor: bytes,
    domain: bytes,
    context: Sequence[bytes],
) -> bool:
    a, b = (parse_point(p) for p in proof["commitment"])
    s = parse_scalar(proof["response"])
    c = hash_to_scalar(domain, *context, alpha, factor, a, b)
    return G.base(s) == G.add(a, G.mul(c, public)) and G.mul(s, alpha) == G.add(b, G.mul(c, factor))
