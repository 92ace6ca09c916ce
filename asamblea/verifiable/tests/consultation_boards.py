"""A verifiable consultation's board for the verifier tests, played with the core alone (as
``boards.py`` plays a poll): one key ceremony, three consulted assemblies of which two vote on
boards that start with the consultation's ceremony records, their encrypted tallies and
products, partial decryptions of the aggregates, and the result counted by the rule."""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from asamblea.coordination import aggregate as agg
from asamblea.verifiable.consultations import aggregate_groups, outcome_payload
from asamblea.verifiable.core import ballot as B
from asamblea.verifiable.core import credentials, tally, trustees
from asamblea.verifiable.core import simulation as S
from asamblea.verifiable.core.board import GENESIS, record_hash
from asamblea.verifiable.core.encoding import hx, parse_point

# assembly id: (member body, electorate, weight, sectors, region, votes as (choice, weight))
Table = dict[int, tuple[int, int, int, list[str], str, list[tuple[int, int]]]]
ASSEMBLIES: Table = {
    11: (5, 4, 4, ["students"], "Norte", [(0, 1), (0, 1), (1, 1)]),  # yes 2, no 1
    12: (6, 3, 3, ["students", "workers"], "Sur", [(1, 1), (2, 1)]),  # no 1, abstain 1
    13: (6, 2, 2, [], "Sur", []),  # never voted: no tally
}
# A member of 11 with a vote weight of 3: 11 counts yes 4, no 1 (5, above its 4 people; its
# electorate in vote weights is 4 + 2 = 6), and is counted.
WEIGHTED: Table = ASSEMBLIES | {
    11: (5, 4, 4, ["students"], "Norte", [(0, 3), (0, 1), (1, 1)]),
}
# 12 counts 4 ballots of weight 1 with 3 electors at opening: above its electorate even in vote
# weights (nobody weighs more than 1), so it is not counted, by the server nor the verifiers.
STUFFED: Table = ASSEMBLIES | {
    12: (6, 3, 3, ["students", "workers"], "Sur", [(1, 1), (2, 1), (1, 1), (1, 1)]),
}
TABLES = {"plain": ASSEMBLIES, "weighted": WEIGHTED, "stuffed": STUFFED}


def _append(records: list[dict[str, Any]], kind: str, payload: Any) -> None:
    i = len(records)
    previous = records[-1]["hash"] if records else GENESIS
    records.append(
        {
            "index": i,
            "kind": kind,
            "previous": previous,
            "payload": payload,
            "hash": record_hash(i, kind, previous, payload),
        }
    )


def _assembly_board(
    prefix: list[dict[str, Any]], s: S.Setup, votes: Sequence[tuple[int, int]], body: int
) -> tuple[list[dict[str, Any]], Any, int, int]:
    records = copy.deepcopy(prefix)
    codes = [credentials.new_code() for _ in votes]
    xs = [credentials.secret(f"{s.election_id}-{body}", c) for c in codes]
    weights = {hx(credentials.public(x)): w for x, (_, w) in zip(xs, votes, strict=True)}
    _append(
        records,
        "credentials",
        {"credentials": [{"credential": c, "weight": weights[c]} for c in sorted(weights)]},
    )
    for x, (choice, _w) in zip(xs, votes, strict=True):
        payload, _ = B.encrypt(s.election, x, [[int(choice == e) for e in range(3)]])
        _append(records, "ballot", payload)
    ballots = tally.last_ballots(r["payload"] for r in records if r["kind"] == "ballot")
    t, count, total = tally.accumulate(ballots, weights, [3])
    _append(records, "tally", tally.tally_payload(t, count, total))
    return records, t, count, total


@functools.cache
def _honest(rule: str, table: str, count_all: bool = False) -> dict[str, Any]:
    """``count_all``: a forged result that counts every assembly's decrypted tally, even one
    above its electorate (its electorate raised to fit: what a dishonest server would claim)."""
    assemblies = TABLES[table]
    s = S.setup([], trustee_count=3, threshold=2, title="Huelga general")
    prefix = [r for r in s.board.to_json()["records"] if r["kind"] != "credentials"]
    main = copy.deepcopy(prefix)
    consulted = [
        {
            "assembly": body,
            "member_of": member,
            "electorate": electorate,
            "weight": weight,
            "sectors": sectors,
            "region": region,
        }
        for body, (member, electorate, weight, sectors, region, _v) in assemblies.items()
    ]
    _append(
        main,
        "consultation",
        {
            "consultation": 1,
            "rule": rule,
            "quorum_percent": 50,
            "majority": "simple",
            "assemblies": consulted,
        },
    )
    boards, tallies, bound = {}, {}, 0
    for body, (*_rest, votes) in assemblies.items():
        if not votes:
            continue
        records, t, count, total = _assembly_board(prefix, s, votes, body)
        boards[str(body)] = {"board": "asamblea-verifiable/1", "records": records}
        tallies[body] = t
        bound += total
        _append(
            main,
            "assembly_tally",
            {
                "assembly": body,
                "head": records[-1]["hash"],
                "length": len(records),
                "ballots": count,
                "total_weight": total,
                "ciphertexts": records[-1]["payload"]["ciphertexts"],
            },
        )
    groups = aggregate_groups(consulted, list(tallies))
    rows = [tally.merge([tallies[b] for b in g["assemblies"]])[0] for g in groups]
    _append(
        main,
        "aggregates",
        {"groups": groups, "ciphertexts": [[[hx(a), hx(b)] for a, b in row] for row in rows]},
    )
    partials = {}
    for j in (1, 3):
        payload = trustees.partial_decryption(s.election.fingerprint, j, s.trustee_keys[j], rows)
        _append(main, "partial_decryption", payload)
        partials[j] = [[parse_point(f["factor"]) for f in row] for row in payload["factors"]]
    counts = tally.combine(rows, partials, bound)
    decrypted = {
        int(g["key"]): c for g, c in zip(groups, counts, strict=True) if g["group"] == "assembly"
    }
    # as the server: each assembly's electorate in vote weights is its electorate at opening
    # plus its electors' weight above 1; a count above it is not counted
    extra = {body: sum(w - 1 for _c, w in v) for body, (*_rest, v) in assemblies.items()}
    decided = {
        body: c
        for body, c in decrypted.items()
        if count_all or sum(c) <= assemblies[body][1] + extra[body]
    }
    for body, c in decided.items():
        extra[body] = max(extra[body], sum(c) - assemblies[body][1])
    results = [
        agg.BodyResult(
            body=body,
            electorate=electorate,
            weight=weight,
            member_of=member,
            sectors=tuple(sectors),
            region=region,
            decided=body in decided,
            yes=decided.get(body, [0, 0, 0])[0],
            no=decided.get(body, [0, 0, 0])[1],
            abstain=decided.get(body, [0, 0, 0])[2],
            extra_weight=extra[body] if body in decided else 0,
        )
        for body, (member, electorate, weight, sectors, region, _v) in assemblies.items()
    ]
    result = agg.aggregate(results, agg.Rule(rule), Fraction(50, 100), agg.Majority.SIMPLE)
    _append(
        main,
        "result",
        {"trustees": [1, 3], "counts": counts, "outcome": outcome_payload(result.to_dict())},
    )
    return {"board": "asamblea-verifiable/1", "records": main, "assemblies": boards}


def honest(rule: str = "head_count", table: str = "plain") -> dict[str, Any]:
    """A fresh copy of the honest consultation's board (with its assemblies' boards), with the
    assemblies of ``TABLES[table]``."""
    return copy.deepcopy(_honest(rule, table))


def counted_above_electorate(rule: str = "head_count") -> dict[str, Any]:
    """The ``stuffed`` consultation whose result counts assembly 12 anyway: a tally above the
    electorate, claimed as counted."""
    return copy.deepcopy(_honest(rule, "stuffed", True))


def rechain(records: list[dict[str, Any]], start: int = 0) -> None:
    for i in range(start, len(records)):
        r = records[i]
        r["index"] = i
        r["previous"] = records[i - 1]["hash"] if i else GENESIS
        r["hash"] = record_hash(i, r["kind"], r["previous"], r["payload"])
