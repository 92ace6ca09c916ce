"""Boards for the tests: one honest election, and ways an insider could tamper with it."""

from __future__ import annotations

import copy
import functools
from typing import Any

from asamblea.verifiable.core import group as G
from asamblea.verifiable.core import simulation as S
from asamblea.verifiable.core.board import GENESIS, record_hash


@functools.cache
def _honest() -> dict[str, Any]:
    s = S.setup([1, 1, 2, 1, 3], trustee_count=3, threshold=2)
    S.cast(s, 0, [[1, 0, 0]])
    S.cast(s, 1, [[0, 1, 0]])
    S.cast(s, 2, [[1, 0, 0]])
    S.cast(s, 1, [[0, 0, 1]])  # re-vote: replaces voter 1's first ballot
    S.cast(s, 4, [[0, 1, 0]])
    S.close(s, [1, 3])
    return s.board.to_json()


def honest() -> dict[str, Any]:
    """Yes 3 (1 + 2), no 3 (weight 3), abstain 1; voter 3 did not vote. A fresh copy each call."""
    return copy.deepcopy(_honest())


def first(board: dict[str, Any], kind: str) -> int:
    return next(i for i, r in enumerate(board["records"]) if r["kind"] == kind)


def rechain(board: dict[str, Any], start: int = 0) -> dict[str, Any]:
    """Recompute every link and hash from ``start``: what someone with the database would do."""
    records = board["records"]
    for i in range(start, len(records)):
        r = records[i]
        r["index"] = i
        r["previous"] = records[i - 1]["hash"] if i else GENESIS
        r["hash"] = record_hash(i, r["kind"], r["previous"], r["payload"])
    return board


def other_point() -> str:
    return G.base(G.random_scalar()).hex()


def bump_scalar(hex_scalar: str) -> str:
    k = int.from_bytes(bytes.fromhex(hex_scalar), "little")
    return ((k + 1) % G.L).to_bytes(32, "little").hex()


def tampered() -> dict[str, tuple[dict[str, Any], int]]:
    """Each kind of tampering, re-chained so that only the content gives it away: board, index."""
    out: dict[str, tuple[dict[str, Any], int]] = {}

    b = honest()
    i = first(b, "ballot")
    b["records"][i]["payload"]["answers"][0]["choices"][0][1] = other_point()
    out["ballot ciphertext"] = (rechain(b), i)

    b = honest()
    i = first(b, "ballot") + 1
    proof = b["records"][i]["payload"]["answers"][0]["proofs"][1]
    proof["responses"][0] = bump_scalar(proof["responses"][0])
    out["ballot proof"] = (rechain(b), i)

    b = honest()
    i = first(b, "ballot") + 2
    sum_proof = b["records"][i]["payload"]["answers"][0]["sum_proof"]
    sum_proof["challenges"][0] = bump_scalar(sum_proof["challenges"][0])
    out["sum proof"] = (rechain(b), i)

    b = honest()
    i = first(b, "ballot") + 1
    sig = b["records"][i]["payload"]["signature"]
    sig["response"] = bump_scalar(sig["response"])
    out["credential signature"] = (rechain(b), i)

    b = honest()
    i = first(b, "ballot") + 1
    b["records"][i]["payload"]["credential"] = b["records"][first(b, "ballot")]["payload"][
        "credential"
    ]
    out["ballot under someone else's credential"] = (rechain(b), i)

    b = honest()
    i = first(b, "ballot")
    b["records"][i]["payload"]["answers"][0]["choices"][0][0] = "ff" * 32
    out["point outside the group"] = (rechain(b), i)

    b = honest()
    i = first(b, "tally")
    b["records"][i]["payload"]["ciphertexts"][0][1][1] = other_point()
    out["tally"] = (rechain(b), i)

    b = honest()
    i = first(b, "ballot") + 2  # a counted ballot (a replaced one may go unnoticed: docs)
    del b["records"][i]
    out["ballot removed"] = (rechain(b), first(b, "tally"))

    b = honest()
    i = first(b, "partial_decryption")
    b["records"][i]["payload"]["factors"][0][0]["factor"] = other_point()
    out["partial decryption"] = (rechain(b), i)

    b = honest()
    i = first(b, "result")
    b["records"][i]["payload"]["counts"][0] = [4, 2, 1]
    out["result"] = (rechain(b), i)

    b = honest()
    i = first(b, "trustee_key")
    b["records"][i]["payload"]["verification_key"] = other_point()
    out["trustee key"] = (rechain(b), i)

    b = honest()
    i = first(b, "credentials")
    voted = b["records"][first(b, "ballot")]["payload"]["credential"]
    for c in b["records"][i]["payload"]["credentials"]:
        if c["credential"] == voted:
            c["weight"] = 5
    out["weight"] = (rechain(b), first(b, "tally"))

    b = honest()
    i = first(b, "ballot") + 2
    b["records"][i]["payload"]["answers"][0]["choices"][0][0] = "x"
    out["malformed ballot"] = (rechain(b), i)

    b = honest()
    i = first(b, "ballot") + 3
    b["records"][i]["payload"]["answers"][0]["choices"].reverse()
    b["records"][i]["payload"]["answers"][0]["proofs"].reverse()
    out["answers swapped with their proofs"] = (rechain(b), i)
    return out


def unchained() -> dict[str, tuple[dict[str, Any], int]]:
    """Tampering without re-chaining: the chain link gives it away at that record."""
    out: dict[str, tuple[dict[str, Any], int]] = {}
    b = honest()
    i = first(b, "result")
    b["records"][i]["payload"]["counts"][0] = [4, 2, 1]
    out["result edited"] = (b, i)
    b = honest()
    i = first(b, "ballot") + 1
    del b["records"][i]
    out["ballot deleted"] = (b, i)
    b = honest()
    i = first(b, "ballot") + 2
    b["records"][i]["previous"] = b["records"][i - 2]["hash"]
    out["link to the wrong record"] = (b, i)
    b = honest()
    b["records"][0]["payload"]["title"] = "Otra asamblea"
    out["manifest edited"] = (b, 0)
    return out


CANDIDATES = ("Ana", "Beto", "Coral", "Dora")


@functools.cache
def _elections() -> dict[str, tuple[dict[str, Any], Any]]:
    """An approval election (mark 1 to 4 of 4) and a plurality election for two seats (mark 1
    or 2 of 4), as a verifiable election's board has them: one question, one entry per
    candidate (asamblea.verifiable.subjects.election_question)."""
    out: dict[str, tuple[dict[str, Any], Any]] = {}
    s = S.setup(
        [1, 2, 1, 1], trustee_count=2, threshold=2, questions=(("Comisión", CANDIDATES, 1, 4),)
    )
    S.cast(s, 0, [[1, 1, 0, 0]])
    S.cast(s, 1, [[0, 1, 1, 1]])  # weight 2
    S.cast(s, 2, [[1, 0, 0, 0]])
    S.cast(s, 2, [[1, 1, 1, 1]])  # re-vote: every candidate
    S.close(s, [1, 2])
    out["approval"] = (s.board.to_json(), s)
    p = S.setup(
        [1, 1, 1], trustee_count=3, threshold=2, questions=(("Delegados", CANDIDATES, 1, 2),)
    )
    S.cast(p, 0, [[1, 0, 0, 1]])
    S.cast(p, 1, [[0, 0, 1, 0]])
    S.cast(p, 2, [[0, 0, 0, 1]])
    S.close(p, [2, 3])
    out["plurality"] = (p.board.to_json(), p)
    return out


def approval() -> dict[str, Any]:
    """Ana 2, Beto 4, Coral 3, Dora 3 (voter 1 weighs 2; voter 3 did not vote)."""
    return copy.deepcopy(_elections()["approval"][0])


def plurality() -> dict[str, Any]:
    """Two seats: Ana 1, Beto 0, Coral 1, Dora 2."""
    return copy.deepcopy(_elections()["plurality"][0])


def _over_the_maximum(which: str, marks: list[int]) -> tuple[dict[str, Any], int]:
    """A ballot marking more candidates than the manifest's maximum, with valid proofs for a
    looser range: its sum proof cannot be for the manifest's. Put before the tally."""
    import dataclasses

    from asamblea.verifiable.core import ballot as B
    from asamblea.verifiable.core import credentials

    board, s = _elections()[which]
    board = copy.deepcopy(board)
    question = s.election.questions[0]
    loose = dataclasses.replace(
        s.election, questions=(B.Question(question.answers, 0, question.answers),)
    )
    ballot, _opening = B.encrypt(loose, credentials.secret(s.election_id, s.codes[0]), [marks])
    i = first(board, "tally")
    board["records"].insert(i, {"kind": "ballot", "payload": ballot})
    return rechain(board), i


def election_tampered() -> dict[str, tuple[dict[str, Any], int]]:
    """Each kind of tampering of the elections' boards, re-chained: board, index."""
    out: dict[str, tuple[dict[str, Any], int]] = {}
    out["plurality: three marks for two seats"] = _over_the_maximum("plurality", [1, 1, 1, 0])
    out["approval: a blank ballot below the minimum"] = _over_the_maximum("approval", [0] * 4)

    b = plurality()
    i = first(b, "ballot") + 1
    entry = b["records"][i]["payload"]["answers"][0]
    del entry["choices"][-1], entry["proofs"][-1]
    out["plurality: an entry missing"] = (rechain(b), i)

    b = approval()
    i = first(b, "ballot") + 1
    proof = b["records"][i]["payload"]["answers"][0]["proofs"][3]
    proof["responses"][1] = bump_scalar(proof["responses"][1])
    out["approval: an entry's proof"] = (rechain(b), i)

    b = approval()
    i = first(b, "ballot")
    sig = b["records"][i]["payload"]["signature"]
    sig["response"] = bump_scalar(sig["response"])
    out["approval: credential signature"] = (rechain(b), i)

    b = approval()
    i = first(b, "tally")
    row = b["records"][i]["payload"]["ciphertexts"][0]
    row[0], row[1] = row[1], row[0]
    out["approval: tally entries swapped"] = (rechain(b), i)

    b = approval()
    i = first(b, "partial_decryption") + 1
    b["records"][i]["payload"]["factors"][0][2]["factor"] = other_point()
    out["approval: partial decryption"] = (rechain(b), i)

    b = approval()
    i = first(b, "result")
    b["records"][i]["payload"]["counts"][0] = [2, 3, 4, 3]
    out["approval: result"] = (rechain(b), i)

    b = plurality()
    i = first(b, "ballot") + 1
    b["records"][i]["previous"] = b["records"][i - 1]["previous"]
    out["plurality: chain link"] = (b, i)

    b = plurality()
    b["records"][0]["payload"]["questions"][0]["max"] = 4
    # Re-chained: the fingerprint changes, and the first proof bound to it fails.
    out["plurality: manifest's maximum raised"] = (rechain(b), 1)
    return out
