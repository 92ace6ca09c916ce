"""The homomorphic tally, weighted, and the result from partial decryptions.

Belenios specification section 4.18 "Ballots" (tallied ballots: the last ballot of each credential
counts) and section 4.19 "Encrypted tally": per question and answer, the product of the ballots'
ciphertexts, each raised to the weight of its credential (glondu/belenios#42 asked for weights;
they cost one exponentiation per ciphertext whose weight is not 1, and no ballot is decrypted).
Section 4.22 "Election result": the combined factor ``F`` is the Lagrange combination of ``t``
partial decryptions, and the count is ``log_g(β / F)``, bounded by the total weight.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from asamblea.verifiable.core import elgamal
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.encoding import hx, parse_point
from asamblea.verifiable.core.trustees import lagrange_at_zero

Payload = dict[str, Any]
Tally = list[list[elgamal.Ciphertext]]


def last_ballots(ballots: Iterable[Payload]) -> list[Payload]:
    """The ballots that count: for each credential, its last ballot (in board order)."""
    latest: dict[str, Payload] = {}
    for ballot in ballots:
        latest.pop(ballot["credential"], None)
        latest[ballot["credential"]] = ballot
    return list(latest.values())


def accumulate(
    ballots: Iterable[Payload], weights: Mapping[str, int], shape: Sequence[int]
) -> tuple[Tally, int, int]:
    """Weighted product of ``ballots``' ciphertexts; returns (tally, ballots, total weight)."""
    tally: Tally = [[elgamal.ZERO] * n for n in shape]
    count = total = 0
    for ballot in ballots:
        w = weights[ballot["credential"]]
        count += 1
        total += w
        for q, answer in enumerate(ballot["answers"]):
            for e, (a, b) in enumerate(answer["choices"]):
                ct = (parse_point(a), parse_point(b))
                tally[q][e] = elgamal.add(tally[q][e], ct if w == 1 else elgamal.scale(ct, w))
    return tally, count, total


def merge(tallies: Iterable[Tally]) -> Tally:
    """Combine partial tallies (e.g. from worker processes) into one."""
    merged: Tally | None = None
    for t in tallies:
        if merged is None:
            merged = [list(row) for row in t]
        else:
            for q, row in enumerate(t):
                for e, ct in enumerate(row):
                    merged[q][e] = elgamal.add(merged[q][e], ct)
    if merged is None:
        raise ValueError("nothing to merge")
    return merged


def tally_payload(tally: Tally, count: int, total_weight: int) -> Payload:
    return {
        "ballots": count,
        "total_weight": total_weight,
        "ciphertexts": [[[hx(a), hx(b)] for a, b in row] for row in tally],
    }


def combine(
    tally: Tally, partials: Mapping[int, Sequence[Sequence[bytes]]], total_weight: int
) -> list[list[int]]:
    """Counts from ``t`` partial decryptions (trustee index -> factors per question and answer)."""
    indices = sorted(partials)
    coefficients = {j: lagrange_at_zero(indices, j) for j in indices}
    counts = []
    for q, row in enumerate(tally):
        out = []
        for e, (_, beta) in enumerate(row):
            f = G.IDENTITY
            for j in indices:
                f = G.add(f, G.mul(coefficients[j], partials[j][q][e]))
            out.append(elgamal.discrete_log(G.sub(beta, f), total_weight))
        counts.append(out)
    return counts
