"""A whole election played in one process: every role's steps, in order, onto one board.

Used by the tests, the benchmark and the shared test vectors. In a real election each step runs in
a different place (trustees' and voters' browsers, the server); the board is the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import credentials, tally, trustees
from asamblea.verifiable.core import group as G
from asamblea.verifiable.core.board import Board
from asamblea.verifiable.core.encoding import PROTOCOL, hx, parse_point

YES_NO_ABSTAIN = ("yes", "no", "abstain")


@dataclass
class Setup:
    board: Board
    election: B.Election
    election_id: str
    trustee_keys: dict[int, int]
    codes: list[str]
    weights: dict[str, int] = field(default_factory=dict)


def manifest(
    election_id: str,
    title: str,
    questions: Sequence[tuple[str, Sequence[str], int, int]],
    count: int,
    threshold: int,
) -> dict[str, object]:
    return {
        "protocol": PROTOCOL,
        "group": "ristretto255",
        "election": election_id,
        "title": title,
        "questions": [
            {"text": text, "answers": list(answers), "min": lo, "max": hi}
            for text, answers, lo, hi in questions
        ],
        "trustees": {"count": count, "threshold": threshold},
    }


def setup(
    voter_weights: Sequence[int],
    *,
    trustee_count: int = 3,
    threshold: int = 2,
    questions: Sequence[tuple[str, Sequence[str], int, int]] = (
        ("¿Aprobamos la huelga?", YES_NO_ABSTAIN, 1, 1),
    ),
    title: str = "Asamblea de prueba",
    election_id: str | None = None,
) -> Setup:
    """Manifest, key ceremony and credentials for voters with the given weights."""
    election_id = election_id or str(uuid.uuid4())
    board = Board()
    record = board.append(
        "manifest", manifest(election_id, title, questions, trustee_count, threshold)
    )
    fingerprint = bytes.fromhex(record["hash"])
    polys = {i: trustees.new_polynomial(threshold) for i in range(1, trustee_count + 1)}
    commitments = {}
    for i, poly in polys.items():
        payload = trustees.commitment_payload(fingerprint, i, poly)
        commitments[i] = [parse_point(p) for p in payload["coefficients"]]
        board.append("trustee_commitment", payload)
    keys = {}
    for j in polys:
        shares = {i: trustees.evaluate(poly, j) for i, poly in polys.items()}
        if not all(trustees.check_share(commitments[i], j, s) for i, s in shares.items()):
            raise AssertionError("a share does not match its commitments")
        keys[j] = sum(shares.values()) % G.L
        board.append("trustee_key", trustees.key_payload(fingerprint, j, keys[j]))
    public_key = trustees.election_key([c[0] for c in commitments.values()])
    board.append(
        "election_key",
        {"public_key": hx(public_key), "verification_keys": [hx(G.base(keys[j])) for j in keys]},
    )
    codes = [credentials.new_code() for _ in voter_weights]
    weights = {
        hx(credentials.public(credentials.secret(election_id, code))): w
        for code, w in zip(codes, voter_weights, strict=True)
    }
    board.append(
        "credentials",
        {"credentials": [{"credential": c, "weight": weights[c]} for c in sorted(weights)]},
    )
    qs = tuple(B.Question(len(a), lo, hi) for _, a, lo, hi in questions)
    election = B.Election(fingerprint, public_key, qs)
    return Setup(board, election, election_id, keys, codes, weights)


def cast(s: Setup, voter: int, choices: Sequence[Sequence[int]]) -> str:
    """Voter number ``voter`` casts ``choices``; returns the tracker."""
    x = credentials.secret(s.election_id, s.codes[voter])
    payload, _ = B.encrypt(s.election, x, choices)
    s.board.append("ballot", payload)
    return B.tracker(payload)


def close(s: Setup, decrypting: Sequence[int]) -> list[list[int]]:
    """Tally, partial decryptions by the trustees ``decrypting`` and the result."""
    ballots = tally.last_ballots(r["payload"] for r in s.board.records if r["kind"] == "ballot")
    shape = [q.answers for q in s.election.questions]
    t, count, total = tally.accumulate(ballots, s.weights, shape)
    s.board.append("tally", tally.tally_payload(t, count, total))
    partials = {}
    for j in decrypting:
        payload = trustees.partial_decryption(s.election.fingerprint, j, s.trustee_keys[j], t)
        s.board.append("partial_decryption", payload)
        partials[j] = [[parse_point(f["factor"]) for f in row] for row in payload["factors"]]
    counts = tally.combine(t, partials, total)
    s.board.append("result", {"trustees": sorted(decrypting), "counts": counts})
    return counts
