"""Ballots: encrypted answers with proofs, signed with a credential (the writer's side).

Follows Belenios' homomorphic answers (specification section 4.13 "Encrypted answers") and ballots
(section 4.18 "Ballots"): per question, one ciphertext per answer encrypting 0 or 1, each with an
interval proof that it is 0 or 1, and one interval proof that their sum lies in ``[min, max]``
(section 4.14). Strong Fiat-Shamir: every proof's hash binds the election fingerprint (the hash of
the manifest record), the election public key, the credential, the question and entry, all the
ciphertexts of the answer, and the commitments. The whole ballot is then signed with the voter's
credential (a Schnorr signature binding the fingerprint and the answers' canonical encoding).

The tracker is the SHA-256 of the ballot's canonical JSON: it says nothing about the choice and
lets the voter find the ballot on the board. For cast-or-audit, :func:`encrypt` also returns the
*opening* (the randomness of each ciphertext); an audited ballot is checked with
:func:`check_opening` and thrown away — a ballot whose opening was shown must never be cast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from asamblea.verifiable.core import elgamal
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import (
    SUM,
    canonical,
    hx,
    parse_point,
    sha256_hex,
    tag,
    u32,
)
from asamblea.verifiable.core.proofs import (
    interval_prove,
    interval_verify,
    schnorr_prove,
    schnorr_verify,
)

Payload = dict[str, Any]


@dataclass(frozen=True)
class Question:
    answers: int
    min: int
    max: int


@dataclass(frozen=True)
class Election:
    """What a ballot is made against: the manifest's fingerprint, questions and the public key."""

    fingerprint: bytes
    public_key: bytes
    questions: tuple[Question, ...]


def _context(e: Election, credential: bytes, q: int, entry: int, cts: bytes) -> list[bytes]:
    return [e.fingerprint, e.public_key, credential, u32(q), u32(entry), cts]


def encrypt(
    election: Election, credential_secret: int, choices: Sequence[Sequence[int]]
) -> tuple[Payload, list[list[str]]]:
    """Encrypt ``choices`` (per question, a 0/1 per answer); return the ballot and its opening."""
    if len(choices) != len(election.questions):
        raise ValueError("one list of choices per question")
    credential = G.base(credential_secret)
    answers, opening = [], []
    for q, (question, picked) in enumerate(zip(election.questions, choices, strict=True)):
        if len(picked) != question.answers or any(v not in (0, 1) for v in picked):
            raise ValueError("each answer is chosen (1) or not (0)")
        if not question.min <= sum(picked) <= question.max:
            raise ValueError("the number of chosen answers is out of the allowed range")
        cts = [elgamal.encrypt(election.public_key, m) for m in picked]
        flat = b"".join(a + b for (a, b), _ in cts)
        proofs = [
            interval_prove(
                election.public_key, a, b, r, m, (0, 1), tag("iproof"),
                _context(election, credential, q, e, flat),
            )
            for e, (((a, b), r), m) in enumerate(zip(cts, picked, strict=True))
        ]  # fmt: skip
        total: elgamal.Ciphertext = elgamal.ZERO
        for ct, _ in cts:
            total = elgamal.add(total, ct)
        sum_proof = interval_prove(
            election.public_key,
            total[0],
            total[1],
            sum(r for _, r in cts) % G.L,
            sum(picked),
            range(question.min, question.max + 1),
            tag("iproof"),
            _context(election, credential, q, SUM, flat),
        )
        answers.append(
            {
                "choices": [[hx(a), hx(b)] for (a, b), _ in cts],
                "proofs": proofs,
                "sum_proof": sum_proof,
            }
        )
        opening.append([G.scalar_bytes(r).hex() for _, r in cts])
    signature = schnorr_prove(
        credential_secret, tag("signature"), _signed(election.fingerprint, credential, answers)
    )
    payload = {
        "election": hx(election.fingerprint),
        "credential": hx(credential),
        "answers": answers,
        "signature": signature,
    }
    return payload, opening


def _signed(fingerprint: bytes, credential: bytes, answers: object) -> list[bytes]:
    return [fingerprint, credential, hashlib.sha256(canonical(answers)).digest()]


def tracker(payload: Payload) -> str:
    return sha256_hex(canonical(payload))


def verify(election: Election, payload: Payload) -> bool:
    """Check a ballot's shape, group membership of every point, every proof and the signature.

    What the server runs before acknowledging a cast; the credential's eligibility (is it in the
    published list, with which weight) is the caller's check.
    """
    try:
        return _verify(election, payload)
    except (KeyError, TypeError, ValueError, IndexError):
        return False


def _verify(election: Election, payload: Payload) -> bool:
    if set(payload) != {"election", "credential", "answers", "signature"}:
        return False
    if payload["election"] != hx(election.fingerprint):
        return False
    credential = parse_point(payload["credential"])
    answers = payload["answers"]
    if not isinstance(answers, list) or len(answers) != len(election.questions):
        return False
    for q, (question, answer) in enumerate(zip(election.questions, answers, strict=True)):
        if set(answer) != {"choices", "proofs", "sum_proof"}:
            return False
        cts = [(parse_point(a), parse_point(b)) for a, b in answer["choices"]]
        if len(cts) != question.answers or len(answer["proofs"]) != question.answers:
            return False
        flat = b"".join(a + b for a, b in cts)
        for e, ((a, b), proof) in enumerate(zip(cts, answer["proofs"], strict=True)):
            ctx = _context(election, credential, q, e, flat)
            if not interval_verify(proof, election.public_key, a, b, (0, 1), tag("iproof"), ctx):
                return False
        total: elgamal.Ciphertext = elgamal.ZERO
        for ct in cts:
            total = elgamal.add(total, ct)
        allowed = range(question.min, question.max + 1)
        ctx = _context(election, credential, q, SUM, flat)
        if not interval_verify(
            answer["sum_proof"], election.public_key, *total, allowed, tag("iproof"), ctx
        ):
            return False
    return schnorr_verify(
        payload["signature"],
        credential,
        tag("signature"),
        _signed(election.fingerprint, credential, answers),
    )


def check_opening(
    election: Election, payload: Payload, opening: list[list[str]]
) -> list[list[int]]:
    """Cast-or-audit: check that ``opening`` opens ``payload``; return the choices it encrypts.

    Raises ValueError if the opening does not match (the browser encrypted something else).
    """
    choices = []
    for answer, rs in zip(payload["answers"], opening, strict=True):
        picked = []
        for (a_hex, b_hex), r_hex in zip(answer["choices"], rs, strict=True):
            r = G.scalar_from_bytes(bytes.fromhex(r_hex))
            a, b = parse_point(a_hex), parse_point(b_hex)
            if a != G.base(r):
                raise ValueError("the opening does not match the ballot")
            g_m = G.sub(b, G.mul(r, election.public_key))
            if g_m == G.IDENTITY:
                picked.append(0)
            elif g_m == G.GENERATOR:
                picked.append(1)
            else:
                raise ValueError("the ballot encrypts neither 0 nor 1")
        choices.append(picked)
    return choices
